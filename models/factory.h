#pragma once
// Builds a segmentation model by name: "attention_unet" or "deeplabv3plus".
#include <memory>
#include <string>
#include <vector>

#include "engine/random.h"
#include "nn/module.h"

namespace segrun::models {

const std::vector<std::string>& model_names();

// The fewest images a training batch of the named model may hold
// (nn::SegmentationModel::min_training_batch), known without building it.
int64_t min_training_batch(const std::string& name);

// width 64 is the full-size network; smaller widths scale every channel count for CPU runs.
std::unique_ptr<nn::SegmentationModel> make_model(const std::string& name, int64_t in_channels, int64_t classes,
                                                  int64_t width, Generator& gen);

}  // namespace segrun::models
