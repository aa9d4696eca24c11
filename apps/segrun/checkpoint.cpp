#include "apps/segrun/checkpoint.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "nn/safetensors.h"
#include "nn/state_dict.h"

namespace segrun::app {

namespace {

constexpr const char* kStateKey = "segrun.loop_state";

Json best_to_json(const BestScores& b) {
  Json per_class = Json::array();
  for (double v : b.per_class_iou) per_class.push_back(std::isfinite(v) ? Json(v) : Json(nullptr));
  return {{"epoch", b.epoch},
          {"miou", b.miou},
          {"pixel_accuracy", b.pixel_accuracy},
          {"mean_dice", b.mean_dice},
          {"boundary_iou", b.boundary_iou},
          {"per_class_iou", per_class}};
}

BestScores best_from_json(const Json& j) {
  BestScores b;
  b.epoch = j.at("epoch").get<int>();
  b.miou = j.at("miou").get<double>();
  b.pixel_accuracy = j.at("pixel_accuracy").get<double>();
  b.mean_dice = j.at("mean_dice").get<double>();
  b.boundary_iou = j.at("boundary_iou").get<double>();
  for (const Json& v : j.at("per_class_iou")) {
    b.per_class_iou.push_back(v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>());
  }
  return b;
}

}  // namespace

void save_checkpoint(const std::string& path, const nn::Module& model, const nn::AdamW& optimizer,
                     const nn::LossScaler& scaler, const LoopState& state) {
  std::vector<nn::FileTensor> tensors = nn::state_dict_tensors(model, "model.");
  for (nn::FileTensor& t : optimizer.state_tensors("optimizer.")) tensors.push_back(std::move(t));
  for (nn::FileTensor& t : scaler.state_tensors("scaler.")) tensors.push_back(std::move(t));
  Json loop = {{"next_epoch", state.next_epoch},
               {"next_step", state.next_step},
               {"log_lines", state.log_lines},
               {"elapsed_s", state.elapsed_s},
               {"rng", {{"seed", state.seed}, {"epoch", state.next_epoch}}}};
  loop["best"] = state.has_best ? best_to_json(state.best) : Json(nullptr);
  nn::write_safetensors(path, tensors, {{kStateKey, loop.dump()}});
}

LoopState load_checkpoint(const std::string& path, nn::Module& model, nn::AdamW& optimizer, nn::LossScaler& scaler) {
  const nn::TensorFile file = nn::read_safetensors(path);
  nn::LoadOptions model_options;
  model_options.prefix = "model.";
  nn::load_state_dict(model, file, path, model_options);
  optimizer.load_state(file, "optimizer.", path);
  scaler.load_state(file, "scaler.", path);
  const auto it = file.metadata.find(kStateKey);
  if (it == file.metadata.end())
    throw std::runtime_error(path + ": not a segrun training checkpoint (no " + kStateKey + ")");
  const Json loop = Json::parse(it->second);
  LoopState state;
  state.next_epoch = loop.at("next_epoch").get<int>();
  state.next_step = loop.at("next_step").get<long>();
  state.log_lines = loop.at("log_lines").get<size_t>();
  state.elapsed_s = loop.at("elapsed_s").get<double>();
  state.seed = loop.at("rng").at("seed").get<uint64_t>();
  state.has_best = !loop.at("best").is_null();
  if (state.has_best) state.best = best_from_json(loop.at("best"));
  return state;
}

}  // namespace segrun::app
