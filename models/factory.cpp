#include "models/factory.h"

#include "engine/error.h"
#include "models/attention_unet.h"
#include "models/deeplabv3plus.h"

namespace segrun::models {

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> kNames = {"attention_unet", "deeplabv3plus"};
  return kNames;
}

int64_t min_training_batch(const std::string& name) {
  return name == "deeplabv3plus" ? DeepLabV3Plus::kMinTrainingBatch : 1;
}

std::unique_ptr<nn::SegmentationModel> make_model(const std::string& name, int64_t in_channels, int64_t classes,
                                                  int64_t width, Generator& gen) {
  if (name == "attention_unet") return std::make_unique<AttentionUNet>(in_channels, classes, width, gen);
  if (name == "deeplabv3plus") return std::make_unique<DeepLabV3Plus>(in_channels, classes, width, gen);
  throw_invalid("model: unknown model '", name, "' (expected attention_unet or deeplabv3plus)");
}

}  // namespace segrun::models
