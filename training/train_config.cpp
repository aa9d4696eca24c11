#include "training/train_config.h"

#include <filesystem>
#include <stdexcept>
#include <string>

namespace segrun::training {

namespace {

// Fields of config.json that change what a resumed run computes.
const char* const kResumeKeys[] = {"model",
                                   "loss",
                                   "weights",
                                   "dataset",
                                   "root",
                                   "size",
                                   "epochs",
                                   "batch",
                                   "lr",
                                   "amp",
                                   "device",
                                   "seed",
                                   "width",
                                   "class_weights",
                                   "resize",
                                   "max_steps_per_epoch",
                                   "grad_probe_every",
                                   "augment",
                                   "shuffle",
                                   "weight_decay",
                                   "clip_norm",
                                   "init",
                                   "init_partial",
                                   "encoder_weights"};

}  // namespace

Json to_json(const TrainConfig& c) {
  return {{"model", c.model},
          {"loss", c.loss},
          {"weights", {{"ce", c.weights.ce}, {"dice", c.weights.dice}, {"focal", c.weights.focal}}},
          {"dataset", c.dataset},
          {"root", c.root},
          {"size", {c.width_px, c.height_px}},
          {"epochs", c.epochs},
          {"batch", c.batch},
          {"amp", c.amp},
          {"device", c.device},
          {"seed", c.seed},
          {"width", c.width},
          {"class_weights", c.class_weights},
          {"resize", c.resize},
          {"max_steps_per_epoch", c.max_steps_per_epoch},
          {"grad_probe_every", c.grad_probe_every},
          {"lr", c.lr},
          {"weight_decay", c.weight_decay},
          {"lr_step", c.lr_step},
          {"lr_gamma", c.lr_gamma},
          {"clip_norm", c.clip_norm},
          {"augment", c.augment},
          {"shuffle", c.shuffle},
          {"init", c.init},
          {"init_partial", c.init_partial},
          {"encoder_weights", c.encoder_weights},
          {"optimizer", "adamw"}};
}

namespace {

// The same path given relative or absolute (or through a symbolic link) is the same root or file.
Json comparable(const char* key, const Json& value) {
  const std::string name = key;
  const bool is_path = name == "root" || name == "init" || name == "encoder_weights";
  if (!is_path || !value.is_string() || value.get<std::string>().empty()) return value;
  std::error_code ec;
  const std::filesystem::path canonical = std::filesystem::weakly_canonical(value.get<std::string>(), ec);
  return ec ? value : Json(canonical.string());
}

}  // namespace

std::string recorded_resize(const Json& config) {
  return config.value("resize", "bilinear");
}

void check_resume_compatible(const Json& stored, const Json& requested, const std::string& run_dir) {
  // A run recorded before a flag existed was trained with that flag's default, except the image
  // filter, whose default changed when it became a flag.
  Json defaults = to_json(TrainConfig{});
  defaults["resize"] = recorded_resize(Json::object());
  for (const char* key : kResumeKeys) {
    const Json was = stored.contains(key) ? stored[key] : defaults.value(key, Json());
    if (comparable(key, was) != comparable(key, requested.value(key, Json()))) {
      throw std::invalid_argument("--resume: " + run_dir + " was started with --" + key + " " + was.dump() + ", not " +
                                  requested.value(key, Json()).dump());
    }
  }
}

}  // namespace segrun::training
