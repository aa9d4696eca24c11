#include "training/trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "data/stale_temp_files.h"
#include "engine/backend_info.h"
#include "engine/cpu_runtime.h"
#include "losses/class_weights.h"
#include "models/factory.h"
#include "training/checkpoint.h"
#include "training/progress.h"
#include "training/starting_weights.h"
#include "training/step_graph.h"
#include "training/train_step.h"
#include "training/training_data.h"

namespace segrun::training {

namespace {

using Clock = std::chrono::steady_clock;

struct RunFiles {
  std::string dir, config, log, metrics, last, best;
  explicit RunFiles(const std::string& d)
      : dir(d),
        config(join_path(d, "config.json")),
        log(join_path(d, "log.jsonl")),
        metrics(join_path(d, "metrics.json")),
        last(join_path(d, "last.safetensors")),
        best(join_path(d, "best.safetensors")) {}
};

// Everything one run holds while it trains.
struct Session {
  const TrainConfig& config;
  RunFiles files;
  TrainingData data;
  Device device;
  std::unique_ptr<nn::SegmentationModel> model;
  std::unique_ptr<nn::AdamW> optimizer;  // with the loss scaler
  LossSetup loss;
  LoopState state;
  Progress progress;
  double previous_checkpoint_s = 0;           // reported in the next epoch's line (PhaseTimes)
  std::unique_ptr<StepContext> step_context;  // made with the first epoch trained
  std::unique_ptr<StepRunner> steps;          // keeps its CUDA graphs from epoch to epoch
};

Json run_config_json(const Session& s) {
  Json j = to_json(s.config);
  j["class_names"] = s.data.train.info.class_names;
  Json palette = Json::array();
  for (const data::Rgb& c : s.data.train.info.palette) palette.push_back({c[0], c[1], c[2]});
  j["palette"] = palette;
  j["num_classes"] = s.data.num_classes();
  j["params"] = s.model->parameter_count();
  j["class_weight_values"] = s.data.class_weights;
  j["train_images"] = s.data.train_cache->count();
  j["val_images"] = s.data.val_cache->count();
  j["train_cache"] = s.data.train_cache->path();
  j["val_cache"] = s.data.val_cache->path();
  return j;
}

// A non-finite mIoU never beats a finite one, so one diverged epoch cannot take the best slot.
bool improves_on(double miou, double best_miou) {
  if (!std::isfinite(miou)) return false;
  return !std::isfinite(best_miou) || miou > best_miou;
}

// One line per epoch whose validation is not finite; the values go to log.jsonl as null.
void warn_non_finite(const Session& s, const EpochRecord& r) {
  if (std::isfinite(r.val_loss) && std::isfinite(r.val_miou) && std::isfinite(r.train_loss)) return;
  std::cerr << "segrun: run " << s.files.dir << ": epoch " << r.epoch + 1 << ": training diverged (train loss "
            << r.train_loss << ", val loss " << r.val_loss << ", val mIoU " << r.val_miou
            << "); non-finite values are recorded as null\n";
}

// Keeps the first `lines` lines: the log of the epochs the checkpoint holds.
void truncate_log(const std::string& path, size_t lines) {
  std::istringstream in(file_exists(path) ? read_text_file(path) : "");
  std::string kept, line;
  for (size_t i = 0; i < lines && std::getline(in, line); ++i) kept += line + "\n";
  write_file_atomic(path, kept);
}

void open_run_directory(Session& s) {
  make_directories(s.files.dir);
  const Json config = run_config_json(s);
  if (file_exists(s.files.config)) {
    if (!s.config.resume) {
      throw std::invalid_argument("--out " + s.files.dir +
                                  " already holds a run; pass --resume to continue it or choose another folder");
    }
    check_resume_compatible(read_json_file(s.files.config), config, s.files.dir);
  }
  write_json_atomic(s.files.config, config);
  if (file_exists(s.files.last)) {
    s.state = load_checkpoint(s.files.last, *s.model, *s.optimizer);
    if (s.state.next_epoch > s.config.epochs) {
      throw std::runtime_error(s.files.last + ": checkpoint is at epoch " + std::to_string(s.state.next_epoch) +
                               " but the run has " + std::to_string(s.config.epochs) + " epochs");
    }
    s.progress.note("resuming at epoch " + std::to_string(s.state.next_epoch + 1) + " from " + s.files.last);
  }
  truncate_log(s.files.log, s.state.log_lines);
}

void build_model(Session& s) {
  Generator gen(s.config.seed);
  s.model = models::make_model(s.config.model, 3, s.data.num_classes(), s.config.width, gen);
  // A resumed run takes its weights from last.safetensors; the starting weights were its epoch 0.
  const bool resuming = s.config.resume && file_exists(s.files.last);
  if (!resuming) {
    for (const std::string& line : load_starting_weights(s.config, *s.model)) s.progress.note(line);
  }
  s.model->to(s.device);
  nn::LossScalerOptions scaling;
  scaling.enabled = s.config.amp;
  s.optimizer = std::make_unique<nn::AdamW>(
      s.model->named_parameters(), nn::AdamWOptions{s.config.lr, 0.9, 0.999, 1e-8, s.config.weight_decay}, scaling);
  s.loss.weights = {s.config.weights.ce, s.config.weights.dice, s.config.weights.focal};
  s.loss.options.class_weight = losses::class_weight_tensor(s.data.class_weights).to(s.device);
  s.state.seed = s.config.seed;
}

double train_epoch(Session& s, int epoch, PhaseTimes& phases) {
  data::LoaderOptions options;
  options.batch_size = s.config.batch;
  options.seed = s.config.seed;
  options.threads = plan_threads(available_cpus(), s.config.threads, s.config.loader_threads).loader_threads;
  options.augment = s.config.augment;
  options.shuffle = s.config.shuffle;
  options.min_last_batch = static_cast<int>(s.model->min_training_batch());
  data::BatchLoader loader(*s.data.train_cache, options, static_cast<uint64_t>(epoch));
  size_t steps = loader.num_batches();
  if (steps == 0) {
    throw std::runtime_error("training split: " + std::to_string(s.data.train_cache->count()) +
                             " image(s), fewer than " + std::to_string(options.min_last_batch) +
                             ", the smallest batch " + s.config.model + " trains on");
  }
  if (s.config.max_steps_per_epoch > 0) steps = std::min(steps, static_cast<size_t>(s.config.max_steps_per_epoch));
  if (!s.steps) {
    s.step_context = std::make_unique<StepContext>(
        StepContext{*s.model, *s.optimizer, s.loss, s.config.clip_norm, s.device, s.config.amp});
    s.steps = std::make_unique<StepRunner>(*s.step_context, s.config.cuda_graph);
  }
  s.progress.start_epoch(epoch, s.config.epochs, steps);
  double loss_sum = 0;
  size_t counted = 0;
  // Step k's record is taken after step k+1 is launched, so the host never waits for the device
  // inside a step (on the CPU, where a launch runs to completion, the order of work is the same).
  struct InFlight {
    LaunchedStep step;
    long index = 0;
    size_t batch_position = 0, images = 0;
  };
  std::optional<InFlight> in_flight;
  const auto log_step = [&](InFlight& f) {
    StepRecord record = finish_step(f.step);
    phases.forward += record.phases.forward;
    phases.backward += record.phases.backward;
    phases.optimizer += record.phases.optimizer;
    record.epoch = epoch;
    record.step = f.index;
    s.state.next_step = f.index + 1;
    append_json_line(s.files.log, to_json(record));
    ++s.state.log_lines;
    if (std::isfinite(record.loss)) {
      loss_sum += record.loss;
      ++counted;
    }
    s.progress.step(f.batch_position + 1, record, f.images);
  };
  long next_index = s.state.next_step;
  data::Batch batch;
  PhaseClock wait_clock;
  for (size_t k = 0; k < steps && loader.next(batch); ++k) {
    phases.data_wait += wait_clock.lap();
    const long index = next_index++;
    const bool probe = s.config.grad_probe_every > 0 && index % s.config.grad_probe_every == 0;
    InFlight launched{s.steps->launch(batch, probe), index, k, batch.indices.size()};
    if (in_flight) log_step(*in_flight);
    in_flight = std::move(launched);
    wait_clock.lap();  // the next wait starts now
  }
  if (in_flight) log_step(*in_flight);
  return counted ? loss_sum / static_cast<double>(counted) : 0;
}

// Validates, logs the epoch, keeps the best epoch's predictions, then checkpoints.
void finish_epoch(Session& s, int epoch, double train_loss, Clock::time_point started, const PhaseTimes& phases) {
  PhaseClock validation_clock;
  const ValidationResult val =
      validate(*s.model, *s.data.val_cache, s.loss, s.data.num_classes(), s.config.batch, s.device, s.config.amp);
  EpochRecord record;
  record.phases = phases;
  record.phases.validation = validation_clock.lap();
  record.phases.checkpoint = s.previous_checkpoint_s;
  record.epoch = epoch;
  record.train_loss = train_loss;
  record.val_loss = val.loss;
  record.val_miou = val.metrics.miou;
  record.pixel_accuracy = val.metrics.pixel_accuracy;
  record.per_class_iou = val.metrics.iou;
  record.lr = s.optimizer->lr();
  record.time_s = std::chrono::duration<double>(Clock::now() - started).count();
  append_json_line(s.files.log, to_json(record));
  ++s.state.log_lines;
  warn_non_finite(s, record);
  const bool best = !s.state.has_best || improves_on(val.metrics.miou, s.state.best.miou);
  if (best) {
    s.state.has_best = true;
    s.state.best = {
        epoch, val.metrics.miou, val.metrics.pixel_accuracy, val.metrics.mean_dice, val.boundary_iou, val.metrics.iou};
    write_validation_outputs(s.files.dir, val, s.data.val_cache->width(), s.data.val_cache->height(), s.data.val_ids,
                             epoch);
  }
  s.state.next_epoch = epoch + 1;
  s.state.elapsed_s += record.time_s;
  // best.safetensors goes first: a kill before last.safetensors is written redoes this epoch on
  // --resume (and rewrites best), so there is never a finished epoch whose best weights are lost.
  PhaseClock checkpoint_clock;
  if (best) {
    save_checkpoint(s.files.best, *s.model, *s.optimizer, s.state);
    crash_point("between-checkpoint-files");
  }
  save_checkpoint(s.files.last, *s.model, *s.optimizer, s.state);
  s.previous_checkpoint_s = checkpoint_clock.lap();
  s.progress.end_epoch(record, best);
}

}  // namespace

RunState run_state(const std::string& run_dir) {
  if (file_exists(join_path(run_dir, "metrics.json"))) return RunState::Finished;
  if (file_exists(join_path(run_dir, "last.safetensors")) || file_exists(join_path(run_dir, "config.json"))) {
    return RunState::Interrupted;
  }
  return RunState::Empty;
}

std::optional<RunMetrics> run_training(const TrainConfig& config) {
  const RunFiles files(config.out);
  if (config.resume && run_state(config.out) == RunState::Finished)
    return metrics_from_json(read_json_file(files.metrics));
  if (config.threads > 0) set_cpu_threads(config.threads);
  make_directories(config.out);
  const DirectoryLock lock(config.out, "--out");
  data::remove_stale_temp_files(config.out);
  data::remove_stale_temp_files(join_path(config.out, "val_pred"));
  data::remove_stale_temp_files(config.cache_dir);
  Session s{config,
            files,
            load_training_data(config),
            Device::parse(config.device),
            nullptr,
            nullptr,
            {},
            {},
            Progress(std::filesystem::path(config.out).filename().string(), config.quiet),
            0,
            nullptr,
            nullptr};
  build_model(s);
  open_run_directory(s);
  for (int epoch = s.state.next_epoch; epoch < config.epochs; ++epoch) {
    const Clock::time_point started = Clock::now();
    s.optimizer->set_lr(nn::StepLR(config.lr, config.lr_step, config.lr_gamma).lr_at(epoch));
    PhaseTimes phases;
    const double train_loss = train_epoch(s, epoch, phases);
    finish_epoch(s, epoch, train_loss, started, phases);
    if (config.stop_after_epochs > 0 && epoch + 1 >= config.stop_after_epochs && epoch + 1 < config.epochs) {
      s.progress.note("stopped after epoch " + std::to_string(epoch + 1) + "; continue with --resume");
      return std::nullopt;
    }
  }
  const RunMetrics metrics = summarise_run(read_run_log(files.log), s.state.best, s.state.elapsed_s);
  write_json_atomic(files.metrics, to_json(metrics, s.data.train.info.class_names));
  return metrics;
}

}  // namespace segrun::training
