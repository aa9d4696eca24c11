#pragma once
// Everything that defines a training run: parsed from `segrun train` flags, stored as the run's
// config.json, compared on --resume.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "apps/segrun/run_files.h"

namespace segrun::app {

struct LossWeightsConfig {
  double ce = 0, dice = 0, focal = 0;
};

struct TrainConfig {
  std::string model = "attention_unet";
  std::string loss = "dice_dominant";  // a named configuration, or "custom" with --weights
  LossWeightsConfig weights;
  std::string dataset = "cityscapes";
  std::string root;
  int width_px = 512, height_px = 256;
  int epochs = 20;
  int batch = 4;
  bool amp = false;
  std::string device = "cpu";
  uint64_t seed = 42;
  int width = 64;  // model width (channels of the first level)
  std::string class_weights = "enet";
  std::string out;
  std::string cache_dir;  // preprocessed splits; default: <parent of out>/.segrun-cache
  bool resume = false;
  int threads = 0;              // CPU threads for the kernels (0 = OpenMP default)
  int loader_threads = 0;       // batch preparation threads (0 = plan_threads: half the available cores)
  int max_steps_per_epoch = 0;  // 0 = the whole split (smoke tests use a few)
  int grad_probe_every = 0;     // 0 = off
  int stop_after_epochs = 0;    // stop as if interrupted once this many epochs are done (0 = never)
  bool quiet = false;

  // The paper's protocol (docs/REFERENCE.md section 4.7).
  double lr = 1e-4;
  double weight_decay = 1e-4;
  int lr_step = 20;
  double lr_gamma = 0.5;
  double clip_norm = 1.0;
};

// Resolves --loss / --weights into `weights` and `loss`; checks combinations the parser cannot
// (std::invalid_argument, one line, exit 2).
void finalize_train_config(TrainConfig& config, const std::string& weights_text);

// The fields that define the computation (not --resume, --threads or --quiet).
Json to_json(const TrainConfig& config);
// The flags a run's definition has to agree on for --resume to continue it.
void check_resume_compatible(const Json& stored, const Json& requested, const std::string& run_dir);

// Adds the shared training flags (data, size, schedule, device, ...) to a command.
void add_training_flags(CLI::App& cmd, TrainConfig& config);
// "512x256" -> width, height (both positive multiples of 16).
void parse_size(const std::string& text, int& width, int& height);

std::string default_cache_dir(const std::string& out);
// The seven configurations of the study, in table order (from losses/).
std::vector<std::string> loss_config_names();

}  // namespace segrun::app
