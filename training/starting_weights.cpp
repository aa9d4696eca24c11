#include "training/starting_weights.h"

#include <stdexcept>

#include "models/deeplabv3plus.h"
#include "nn/state_dict.h"

namespace segrun::training {

namespace {

std::string joined(const std::vector<std::string>& keys) {
  if (keys.empty()) return "(none)";
  std::string out;
  for (const std::string& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

std::vector<std::string> load_init(const TrainConfig& config, nn::SegmentationModel& model) {
  const nn::TensorFile file = nn::read_safetensors(config.init);
  if (!config.init_partial) {
    nn::load_state_dict(model, file, config.init);
    return {"--init: loaded " + config.init};
  }
  const nn::PartialLoad result = nn::load_matching_state(model, file);
  if (result.loaded.empty()) throw std::runtime_error(config.init + ": no tensor matches the model");
  return {"--init-partial: " + config.init + ": loaded " + std::to_string(result.loaded.size()) + ": " +
              joined(result.loaded),
          "--init-partial: missing " + std::to_string(result.missing.size()) + ": " + joined(result.missing),
          "--init-partial: unexpected " + std::to_string(result.unexpected.size()) + ": " + joined(result.unexpected)};
}

}  // namespace

void check_starting_weight_flags(const TrainConfig& config) {
  if (config.init_partial && config.init.empty()) {
    throw std::invalid_argument("--init-partial: needs --init W.safetensors");
  }
  if (!config.encoder_weights.empty() && config.model != "deeplabv3plus") {
    throw std::invalid_argument("--encoder-weights: only DeepLabV3+ has a ResNet-34 encoder, not --model " +
                                config.model);
  }
}

std::vector<std::string> load_starting_weights(const TrainConfig& config, nn::SegmentationModel& model) {
  check_starting_weight_flags(config);
  std::vector<std::string> lines;
  try {
    if (!config.init.empty()) lines = load_init(config, model);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(config.init_partial ? "--init-partial: " : "--init: ") + e.what());
  }
  if (!config.encoder_weights.empty()) {
    try {
      dynamic_cast<models::DeepLabV3Plus&>(model).load_encoder_weights(config.encoder_weights);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(std::string("--encoder-weights: ") + e.what());
    }
    lines.push_back("--encoder-weights: loaded the encoder from " + config.encoder_weights);
  }
  return lines;
}

}  // namespace segrun::training
