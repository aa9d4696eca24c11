#pragma once
// The weights a run starts from instead of its seeded initialisation: a whole-model state dict
// (--init, strict unless --init-partial) and, for DeepLabV3+, an ImageNet ResNet-34 encoder
// (--encoder-weights, torchvision/timm names, fc.* ignored). Both are PyTorch-layout safetensors.
#include <string>
#include <vector>

#include "nn/module.h"
#include "training/train_config.h"

namespace segrun::training {

// Loads what `config` names into `model` (on the CPU, before it moves to its device): --init
// first, then --encoder-weights over it. Returns the lines to show (a partial load's key lists).
// A missing, unexpected or mis-shaped key throws one line naming the flag, the file and the key.
std::vector<std::string> load_starting_weights(const TrainConfig& config, nn::SegmentationModel& model);

// Checks the combination without reading files (std::invalid_argument, one line).
void check_starting_weight_flags(const TrainConfig& config);

}  // namespace segrun::training
