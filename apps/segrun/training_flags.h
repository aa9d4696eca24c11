#pragma once
// The command-line side of a training run: the flags `train` and `ablation` share, and turning
// what was typed into a checked TrainConfig.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "training/train_config.h"

namespace segrun::app {

using training::TrainConfig;

// Resolves --loss / --weights into `weights` and `loss`; checks combinations the parser cannot
// (std::invalid_argument, one line, exit 2).
void finalize_train_config(TrainConfig& config, const std::string& weights_text);
// Refuses a --batch below the smallest batch `model` trains on (std::invalid_argument).
void check_training_batch(const std::string& model, int batch);

// Adds the shared training flags (data, size, schedule, device, ...) to a command.
void add_training_flags(CLI::App& cmd, TrainConfig& config);
// "512x256" -> width, height (both positive multiples of 16).
void parse_size(const std::string& text, int& width, int& height);

// The preprocessed-split cache when --cache-dir is not given: .segrun-cache beside the run.
std::string default_cache_dir(const std::string& out);
// The seven configurations of the study, in table order (from losses/).
std::vector<std::string> loss_config_names();

}  // namespace segrun::app
