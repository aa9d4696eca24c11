#pragma once
// `segrun train`: one run of the paper's protocol into a run directory (config.json, log.jsonl,
// last/best.safetensors, metrics.json, per_image_miou.json, val_pred/).
#include <optional>
#include <string>

#include "training/run_records.h"
#include "training/train_config.h"

namespace segrun::training {

// Trains (or, with config.resume, continues from last.safetensors) and returns the summary
// written to metrics.json. A finished run is not retrained: its metrics are returned. Nothing
// is returned when config.stop_after_epochs ended the run early (it can be resumed).
std::optional<RunMetrics> run_training(const TrainConfig& config);

// The run directory's state: nothing there, interrupted (checkpoint, no metrics) or finished.
enum class RunState { Empty, Interrupted, Finished };
RunState run_state(const std::string& run_dir);

}  // namespace segrun::training
