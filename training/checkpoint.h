#pragma once
// Training checkpoints (last.safetensors, best.safetensors): model weights and buffers, AdamW
// moments, loss-scaler state, and the loop position as safetensors metadata.
#include <string>

#include "nn/module.h"
#include "nn/optim.h"
#include "training/run_records.h"

namespace segrun::training {

// Where the loop stands after a completed epoch. Every random draw of training is keyed by
// (seed, epoch) (data order, augmentation), so seed and next_epoch are the whole RNG state.
struct LoopState {
  int next_epoch = 0;
  long next_step = 0;
  size_t log_lines = 0;  // log.jsonl lines belonging to the completed epochs
  double elapsed_s = 0;  // training wall time so far
  uint64_t seed = 0;
  bool has_best = false;
  BestScores best;
};

void save_checkpoint(const std::string& path, const nn::Module& model, const nn::AdamW& optimizer,
                     const LoopState& state);
// The loop position stored as the checkpoint metadata `segrun.loop_state` (JSON text), every
// number range-checked; errors name `path`, the metadata key and the field.
LoopState parse_loop_state(const std::string& json_text, const std::string& path);
// Restores model and optimiser (loss scaler included) in place; errors name the file and the key.
LoopState load_checkpoint(const std::string& path, nn::Module& model, nn::AdamW& optimizer);

}  // namespace segrun::training
