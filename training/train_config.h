#pragma once
// Everything that defines a training run: filled from `segrun train` flags (apps/segrun/
// training_flags.h), stored as the run's config.json, compared on --resume.
#include <string>
#include <vector>

#include "training/run_files.h"

namespace segrun::training {

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
  // Image filter to the training size ("antialias": PIL's bilinear, or "bilinear": 4 taps);
  // labels are always nearest.
  std::string resize = "antialias";
  std::string out;
  std::string cache_dir;  // preprocessed splits; default: <parent of out>/.segrun-cache
  bool resume = false;
  int threads = 0;              // CPU threads for the kernels (0 = OpenMP default)
  int loader_threads = 0;       // batch preparation threads (0 = plan_threads: half the available cores)
  int max_steps_per_epoch = 0;  // 0 = the whole split (smoke tests use a few)
  int grad_probe_every = 0;     // 0 = off
  int stop_after_epochs = 0;    // stop as if interrupted once this many epochs are done (0 = never)
  bool quiet = false;
  bool cuda_graph = true;  // replay the step from a CUDA graph where it can be (training/step_graph.h)
  bool augment = true;     // random flips and colour jitter of the training samples (REFERENCE 5.6)
  bool shuffle = true;     // a new sample order every epoch

  // Starting weights (empty = the seeded initialisation).
  std::string init;             // a whole-model state dict
  bool init_partial = false;    // load the keys of `init` that match, list the rest
  std::string encoder_weights;  // a ResNet-34 state dict for DeepLabV3+'s encoder

  // The paper's protocol (docs/REFERENCE.md section 4.7).
  double lr = 1e-4;
  double weight_decay = 1e-4;
  int lr_step = 20;
  double lr_gamma = 0.5;
  double clip_norm = 1.0;
};

// The fields that define the computation (not --resume, --threads or --quiet).
Json to_json(const TrainConfig& config);

// The image filter a stored run was trained with: its config.json's `resize`, or 4-tap
// bilinear for runs stored before the filter was recorded.
std::string recorded_resize(const Json& config);
// The flags a run's definition has to agree on for --resume to continue it.
void check_resume_compatible(const Json& stored, const Json& requested, const std::string& run_dir);

}  // namespace segrun::training
