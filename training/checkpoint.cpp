#include "training/checkpoint.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "nn/safetensors.h"
#include "nn/state_dict.h"

namespace segrun::training {

namespace {

constexpr const char* kStateKey = "segrun.loop_state";

Json best_to_json(const BestScores& b) {
  Json per_class = Json::array();
  for (double v : b.per_class_iou) per_class.push_back(number_or_null(v));
  return {{"epoch", b.epoch},
          {"miou", number_or_null(b.miou)},
          {"pixel_accuracy", number_or_null(b.pixel_accuracy)},
          {"mean_dice", number_or_null(b.mean_dice)},
          {"boundary_iou", number_or_null(b.boundary_iou)},
          {"per_class_iou", per_class}};
}

constexpr int64_t kMaxEpochs = 1000000;

BestScores best_from_json(const Json& j) {
  BestScores b;
  b.epoch = static_cast<int>(whole_number(j, "epoch", 0, kMaxEpochs));
  b.miou = number_from(j.at("miou"));
  b.pixel_accuracy = number_from(j.at("pixel_accuracy"));
  b.mean_dice = number_from(j.at("mean_dice"));
  b.boundary_iou = number_from(j.at("boundary_iou"));
  for (const Json& v : j.at("per_class_iou")) b.per_class_iou.push_back(number_from(v));
  return b;
}

LoopState loop_state_from_json(const Json& loop) {
  LoopState state;
  state.next_epoch = static_cast<int>(whole_number(loop, "next_epoch", 0, kMaxEpochs));
  state.next_step = whole_number(loop, "next_step", 0, std::numeric_limits<int64_t>::max());
  state.log_lines = static_cast<size_t>(whole_number(loop, "log_lines", 0, std::numeric_limits<int64_t>::max()));
  state.elapsed_s = number_from(loop.at("elapsed_s"));
  if (!(state.elapsed_s >= 0)) throw std::runtime_error("elapsed_s is " + loop.at("elapsed_s").dump());
  if (!loop.at("rng").at("seed").is_number_unsigned()) throw std::runtime_error("rng.seed is not a whole number");
  state.seed = loop.at("rng").at("seed").get<uint64_t>();
  state.has_best = !loop.at("best").is_null();
  if (state.has_best) state.best = best_from_json(loop.at("best"));
  return state;
}

}  // namespace

void save_checkpoint(const std::string& path, const nn::Module& model, const nn::AdamW& optimizer,
                     const LoopState& state) {
  std::vector<nn::FileTensor> tensors = nn::state_dict_tensors(model, "model.");
  for (nn::FileTensor& t : optimizer.state_tensors("optimizer.", "scaler.")) tensors.push_back(std::move(t));
  Json loop = {{"next_epoch", state.next_epoch},
               {"next_step", state.next_step},
               {"log_lines", state.log_lines},
               {"elapsed_s", number_or_null(state.elapsed_s)},
               {"rng", {{"seed", state.seed}, {"epoch", state.next_epoch}}}};
  loop["best"] = state.has_best ? best_to_json(state.best) : Json(nullptr);
  nn::write_safetensors(path, tensors, {{kStateKey, loop.dump()}});
}

LoopState parse_loop_state(const std::string& json_text, const std::string& path) {
  try {
    return loop_state_from_json(Json::parse(json_text));
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": checkpoint metadata " + kStateKey + " is invalid (" + e.what() + ")");
  }
}

LoopState load_checkpoint(const std::string& path, nn::Module& model, nn::AdamW& optimizer) {
  const nn::TensorFile file = nn::read_safetensors(path);
  nn::LoadOptions model_options;
  model_options.prefix = "model.";
  nn::load_state_dict(model, file, path, model_options);
  optimizer.load_state(file, "optimizer.", "scaler.", path);
  const auto it = file.metadata.find(kStateKey);
  if (it == file.metadata.end())
    throw std::runtime_error(path + ": not a segrun training checkpoint (no " + kStateKey + ")");
  return parse_loop_state(it->second, path);
}

}  // namespace segrun::training
