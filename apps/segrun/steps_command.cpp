// segrun steps: N optimiser steps of the training protocol on one fixed batch, no data set and no
// validation, so a training trajectory can be replayed step for step outside segrun (PyTorch).
#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "apps/segrun/commands.h"
#include "apps/segrun/flag_limits.h"
#include "apps/segrun/training_flags.h"
#include "engine/backend_info.h"
#include "losses/configs.h"
#include "models/factory.h"
#include "nn/state_dict.h"
#include "training/run_files.h"
#include "training/train_step.h"

namespace segrun::app {

namespace {

struct StepsArgs {
  std::string model = "attention_unet";
  int classes = 19;
  int width = 64;
  uint64_t seed = 42;
  std::string init, batch_file, out;
  int steps = 5;
  double lr = 1e-4, weight_decay = 1e-4, clip_norm = 1.0;
  std::string loss = "dice_dominant", weights;
  int threads = 0;
};

Tensor tensor_named(const std::map<std::string, Tensor>& file, const std::string& name, const std::string& path) {
  auto it = file.find(name);
  if (it == file.end()) throw std::invalid_argument("--batch-file " + path + ": no tensor '" + name + "'");
  return it->second;
}

// `input` (N,H,W,3) f32, `target` (N,H,W) u8/i32/i64 and an optional `class_weight` (C).
data::Batch read_batch(const std::string& path, training::LossSetup& loss) {
  const std::map<std::string, Tensor> file = nn::read_tensors(path);
  data::Batch batch;
  batch.images = tensor_named(file, "input", path);
  batch.labels = tensor_named(file, "target", path);
  const Shape& in = batch.images.shape();
  if (batch.images.dtype() != DType::F32 || in.size() != 4 || in[3] != 3) {
    throw std::invalid_argument("--batch-file " + path + ": input is " + batch.images.str() +
                                "; expected f32 (N,H,W,3)");
  }
  const DType t = batch.labels.dtype();  // I64 in the file is read as i32
  if ((t != DType::U8 && t != DType::I32) || batch.labels.shape() != Shape{in[0], in[1], in[2]}) {
    throw std::invalid_argument("--batch-file " + path + ": target is " + batch.labels.str() +
                                "; expected u8, i32 or i64 (N,H,W) matching input");
  }
  auto weight = file.find("class_weight");
  if (weight != file.end()) loss.options.class_weight = weight->second;
  for (int64_t i = 0; i < in[0]; ++i) batch.indices.push_back(static_cast<size_t>(i));
  return batch;
}

void run_steps(const StepsArgs& args) {
  if (args.threads > 0) set_cpu_threads(args.threads);
  training::LossSetup loss;
  loss.weights = args.weights.empty() ? losses::loss_config(args.loss) : losses::parse_loss_weights(args.weights);
  const data::Batch batch = read_batch(args.batch_file, loss);
  Generator gen(args.seed);
  std::unique_ptr<nn::SegmentationModel> model = models::make_model(args.model, 3, args.classes, args.width, gen);
  if (!args.init.empty()) {
    try {
      nn::load_state_dict(args.init, *model);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(std::string("--init: ") + e.what());
    }
  }
  model->train();  // batch norm normalises with the batch's statistics and updates its running ones
  // FP32: no loss scaling; a non-finite gradient still skips the step.
  nn::AdamW optimizer(model->named_parameters(), nn::AdamWOptions{args.lr, 0.9, 0.999, 1e-8, args.weight_decay});
  training::StepContext ctx{*model, optimizer, loss, args.clip_norm, Device::cpu(), false};
  training::make_directories(args.out);
  const std::string log_path = training::join_path(args.out, "steps.jsonl");
  training::write_file_atomic(log_path, "");
  for (int step = 0; step < args.steps; ++step) {
    const training::StepRecord r = training::train_step(ctx, batch, false);
    training::append_json_line(log_path, {{"step", step}, {"loss", r.loss}, {"grad_norm", r.grad_norm}});
    std::printf("step %d: loss %.9g, grad norm %.9g\n", step, r.loss, r.grad_norm);
  }
  const std::string weights_path = training::join_path(args.out, "final.safetensors");
  nn::save_state_dict(weights_path, *model);
  std::printf("per-step records: %s\nfinal weights: %s\n", log_path.c_str(), weights_path.c_str());
}

}  // namespace

void add_steps_command(CLI::App& root) {
  auto args = std::make_shared<StepsArgs>();
  CLI::App* cmd = root.add_subcommand(
      "steps", "N training steps (AdamW, clipping, batch norm in training mode) on one fixed batch, no validation");
  cmd->add_option("--model", args->model, "Network")
      ->check(CLI::IsMember(models::model_names()))
      ->capture_default_str();
  cmd->add_option("--classes", args->classes, "Number of classes")->check(CLI::Range(1, 255))->capture_default_str();
  cmd->add_option("--width", args->width, "Model width")->check(CLI::Range(1, kMaxModelWidth))->capture_default_str();
  cmd->add_option("--seed", args->seed, "Initialisation seed when --init is not given")
      ->check(whole_number_u64())
      ->capture_default_str();
  cmd->add_option("--init", args->init, "Starting weights: whole-model state dict (safetensors, PyTorch names)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--batch-file", args->batch_file,
                  "safetensors with `input` (N,H,W,3 f32), `target` (N,H,W u8/i32/i64; 255 = ignored) and optional "
                  "`class_weight` (C)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--steps", args->steps, "Optimiser steps")->check(CLI::Range(1, 1000000))->capture_default_str();
  cmd->add_option("--lr", args->lr, "AdamW learning rate")->check(finite_positive())->capture_default_str();
  cmd->add_option("--weight-decay", args->weight_decay, "AdamW decoupled weight decay")
      ->check(finite_non_negative())
      ->capture_default_str();
  cmd->add_option("--clip-norm", args->clip_norm, "Clip the gradients at this global L2 norm")
      ->check(finite_positive())
      ->capture_default_str();
  CLI::Option* loss = cmd->add_option("--loss", args->loss, "Loss configuration")
                          ->check(CLI::IsMember(loss_config_names()))
                          ->capture_default_str();
  cmd->add_option("--weights", args->weights, "Custom loss weights w_ce,w_dice,w_focal (instead of --loss)")
      ->excludes(loss);
  cmd->add_option("--threads", args->threads, "CPU threads for the kernels (0 = all)")
      ->check(CLI::Range(0, kMaxThreads));
  cmd->add_option("--out", args->out,
                  "Folder for steps.jsonl (step, loss, grad_norm before clipping) and "
                  "final.safetensors")
      ->required();
  cmd->callback([args] {
    if (!args->weights.empty()) {
      try {
        losses::parse_loss_weights(args->weights);
      } catch (const std::invalid_argument& e) {
        throw CLI::ValidationError(std::string("--weights: ") + e.what());
      }
    }
    run_steps(*args);
  });
}

}  // namespace segrun::app
