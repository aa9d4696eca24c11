// segrun bench train: times a full training step (forward, combined loss, backward, unscale,
// clip, AdamW) on synthetic batches; prints one JSON object.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include "apps/segrun/commands.h"
#include "apps/segrun/flag_limits.h"
#include "apps/segrun/training_flags.h"
#include "engine/backend_info.h"
#include "losses/configs.h"
#include "models/factory.h"
#include "training/step_graph.h"
#include "training/train_step.h"

namespace segrun::app {

using training::finish_step;
using training::launch_step;
using training::LaunchedStep;
using training::LossSetup;
using training::StepContext;
using training::StepRunner;

namespace {

struct TrainBenchOptions {
  std::string model = "attention_unet";
  std::string loss = "dice_dominant";
  std::string size = "512x256";
  int batch = 4;
  int width = 64;
  int classes = 19;
  bool amp = false;
  bool cuda_graph = true;
  std::string device = "cpu";
  int threads = 0;
  int warmup = 2, runs = 7;
  bool profile_step = false;
};

double peak_host_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

data::Batch synthetic_batch(const TrainBenchOptions& o, int width, int height) {
  Generator gen(7);
  data::Batch batch;
  batch.images = gen.normal({o.batch, height, width, 3}, 0.0, 1.0);
  std::vector<uint8_t> labels(static_cast<size_t>(o.batch) * width * height);
  for (uint8_t& l : labels) l = static_cast<uint8_t>(gen.next_below(static_cast<uint64_t>(o.classes)));
  batch.labels = Tensor::from_vector(labels, {o.batch, height, width});
  return batch;
}

// --profile-step: the warm-up steps, then one step alone inside the profiler's range, so that
// Nsight Compute (--profile-from-start off) records that step's kernels and nothing else.
void profile_one_step(const TrainBenchOptions& o, StepRunner& steps, const data::Batch& batch, const Device& device) {
  for (int i = 0; i < o.warmup; ++i) {
    LaunchedStep step = steps.launch(batch, false);
    finish_step(step);
  }
  synchronize_device(device);
  set_profiler_range(true);
  LaunchedStep step = steps.launch(batch, false);
  const std::string mode = steps.last_mode();
  finish_step(step);
  synchronize_device(device);
  set_profiler_range(false);
  const nlohmann::json out = {{"bench", "train"}, {"model", o.model},   {"device", device.str()},
                              {"amp", o.amp},     {"warmup", o.warmup}, {"profiled_step_mode", mode}};
  std::printf("%s\n", out.dump().c_str());
}

void run_train_bench(const TrainBenchOptions& o) {
  int width = 0, height = 0;
  parse_size(o.size, width, height);
  if (o.amp && o.device == "cpu") throw std::invalid_argument("bench train: --amp needs --device cuda");
  if (o.runs < 3) throw std::invalid_argument("bench train: --runs must be >= 3");
  if (o.profile_step && o.device != "cuda")
    throw std::invalid_argument("bench train: --profile-step needs --device cuda");
  const Device device = Device::parse(o.device);
  if (device.is_cuda() && !cuda_info().built)
    throw std::invalid_argument("bench train: this segrun was built without CUDA");
  set_cpu_threads(o.threads);
  Generator gen(42);
  std::unique_ptr<nn::SegmentationModel> model = models::make_model(o.model, 3, o.classes, o.width, gen);
  model->to(device);
  nn::LossScalerOptions scaling;
  scaling.enabled = o.amp;
  nn::AdamW optimizer(model->named_parameters(), nn::AdamWOptions{}, scaling);
  LossSetup loss;
  loss.weights = losses::loss_config(o.loss);
  StepContext ctx{*model, optimizer, loss, 1.0, device, o.amp};
  StepRunner steps(ctx, o.cuda_graph);
  const data::Batch batch = synthetic_batch(o, width, height);
  if (o.profile_step) {
    profile_one_step(o, steps, batch, device);
    return;
  }
  using Clock = std::chrono::steady_clock;
  // With graphs on, the first warm-up step runs eagerly and the second records the graph.
  for (int i = 0; i < o.warmup; ++i) {
    LaunchedStep step = steps.launch(batch, false);
    finish_step(step);
  }
  reset_cuda_peak();
  // As training runs: step k's record is taken after step k+1 is launched. A step's time is the
  // interval between two records taken, i.e. the steady-state time per step.
  std::vector<double> ms;
  LaunchedStep in_flight = steps.launch(batch, false);
  Clock::time_point last;
  for (int i = 0; i <= o.runs; ++i) {
    LaunchedStep next = steps.launch(batch, false);
    finish_step(in_flight);
    in_flight = std::move(next);
    const Clock::time_point now = Clock::now();
    if (i > 0) ms.push_back(std::chrono::duration<double, std::milli>(now - last).count());
    last = now;
  }
  finish_step(in_flight);
  const std::string timed_mode = steps.last_mode();
  const double peak_bytes = device.is_cuda() ? static_cast<double>(cuda_peak_bytes()) : 0.0;
  std::sort(ms.begin(), ms.end());
  const double median = ms[ms.size() / 2];
  // Where an eager step's time goes: the same steps once more, waiting for the device at each
  // phase boundary (so a phase's time is the device's, launch overhead included).
  ctx.phase_sync = true;
  std::vector<double> forward_ms, backward_ms, optimizer_ms;
  for (int i = 0; i < o.runs; ++i) {
    LaunchedStep step = steps.launch(batch, false);
    const training::StepRecord r = finish_step(step);
    forward_ms.push_back(1000.0 * r.phases.forward);
    backward_ms.push_back(1000.0 * r.phases.backward);
    optimizer_ms.push_back(1000.0 * r.phases.optimizer);
  }
  const auto median_of = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const nlohmann::json out = {
      {"bench", "train"},
      {"model", o.model},
      {"loss", o.loss},
      {"device", device.str()},
      {"amp", o.amp},
      {"threads", cpu_thread_count()},
      {"batch", o.batch},
      {"width", width},
      {"height", height},
      {"model_width", o.width},
      {"params", model->parameter_count()},
      {"warmup", o.warmup},
      {"runs", o.runs},
      {"step_ms", median},
      {"step_mode", timed_mode},
      {"cuda_graph", o.cuda_graph && device.is_cuda()},
      {"graph_off_reason", steps.graph_off_reason()},
      {"eager_phase_ms",
       {{"forward", median_of(forward_ms)},
        {"backward", median_of(backward_ms)},
        {"optimizer", median_of(optimizer_ms)}}},
      {"step_ms_min", ms.front()},
      {"img_per_s", 1000.0 * o.batch / median},
      {"peak_mib", device.is_cuda() ? peak_bytes / (1 << 20) : peak_host_mib()},
      {"peak_mib_source",
       device.is_cuda() ? "CUDA memory pool + CUDA graph allocations, in use (high-water marks)" : "host peak RSS"}};
  std::printf("%s\n", out.dump().c_str());
}

}  // namespace

void add_bench_train(CLI::App& bench) {
  auto o = std::make_shared<TrainBenchOptions>();
  CLI::App* cmd = bench.add_subcommand("train", "Time one full training step on synthetic batches");
  cmd->add_option("--model", o->model, "Network")->check(CLI::IsMember(models::model_names()))->capture_default_str();
  cmd->add_option("--loss", o->loss, "Loss configuration")
      ->check(CLI::IsMember(loss_config_names()))
      ->capture_default_str();
  cmd->add_option("--size", o->size, "Input WIDTHxHEIGHT (multiples of 16)")->capture_default_str();
  cmd->add_option("--batch", o->batch, "Batch size")->check(CLI::Range(1, kMaxBatch))->capture_default_str();
  cmd->add_option("--width", o->width, "Model width")->check(CLI::Range(1, kMaxModelWidth))->capture_default_str();
  cmd->add_option("--classes", o->classes, "Classes")->check(CLI::Range(2, 255))->capture_default_str();
  cmd->add_flag("--amp", o->amp, "FP16 mixed precision with loss scaling (CUDA)");
  cmd->add_option_function<std::string>(
         "--cuda-graph", [o](const std::string& v) { o->cuda_graph = v == "on"; },
         "CUDA: time the step replayed from a CUDA graph (on, the default) or launched eagerly (off)")
      ->check(CLI::IsMember({"on", "off"}));
  cmd->add_option("--device", o->device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (0: OpenMP default)")->check(CLI::Range(0, kMaxThreads));
  cmd->add_option("--warmup", o->warmup, "Untimed steps first")->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd->add_option("--runs", o->runs, "Timed steps; the median is reported")->capture_default_str();
  cmd->add_flag("--profile-step", o->profile_step,
                "CUDA: after the warm-up, run one step inside the profiler range (cudaProfilerStart/Stop) for "
                "`ncu --profile-from-start off`, and time nothing");
  cmd->callback([o] { run_train_bench(*o); });
}

}  // namespace segrun::app
