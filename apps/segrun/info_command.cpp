// segrun info: parameter count and named tensors (PyTorch names and layouts) of a model.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "apps/segrun/commands.h"
#include "engine/error.h"
#include "models/factory.h"
#include "nn/state_dict.h"

namespace segrun::app {

namespace {
struct InfoArgs {
  std::string model;
  int64_t classes = 0;
  int64_t width = 64;
  int64_t in_channels = 3;
  bool json = false;
};

const char* file_dtype(const nn::StateEntry& e) {
  if (e.file_int64) return "I64";
  return e.tensor->dtype() == DType::F64 ? "F64" : "F32";
}

void print_info(const InfoArgs& a) {
  Generator gen(42);
  const std::unique_ptr<nn::SegmentationModel> model =
      models::make_model(a.model, a.in_channels, a.classes, a.width, gen);
  const std::vector<nn::StateEntry> entries = model->state_entries();
  if (a.json) {
    nlohmann::ordered_json out = {
        {"model", a.model}, {"in_channels", a.in_channels},       {"classes", a.classes},
        {"width", a.width}, {"params", model->parameter_count()}, {"tensors", nlohmann::ordered_json::array()}};
    for (const nn::StateEntry& e : entries)
      out["tensors"].push_back({{"name", e.name},
                                {"shape", nn::file_shape(e)},
                                {"dtype", file_dtype(e)},
                                {"kind", e.is_buffer ? "buffer" : "parameter"}});
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  std::printf("model %s (in_channels %lld, classes %lld, width %lld)\n", a.model.c_str(),
              static_cast<long long>(a.in_channels), static_cast<long long>(a.classes),
              static_cast<long long>(a.width));
  std::printf("params %lld\n", static_cast<long long>(model->parameter_count()));
  for (const nn::StateEntry& e : entries)
    std::printf("%-9s %-3s %-20s %s\n", e.is_buffer ? "buffer" : "parameter", file_dtype(e),
                shape_str(nn::file_shape(e)).c_str(), e.name.c_str());
}
}  // namespace

void add_info_command(CLI::App& root) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* cmd = root.add_subcommand("info", "Print a model's parameter count and named tensors (PyTorch layout)");
  cmd->add_option("--model", args->model, "attention_unet or deeplabv3plus")->required();
  cmd->add_option("--classes", args->classes, "number of classes")->required()->check(CLI::PositiveNumber);
  cmd->add_option("--width", args->width, "base width (64 = full size)")->check(CLI::PositiveNumber);
  cmd->add_option("--in-channels", args->in_channels, "input channels")->check(CLI::PositiveNumber);
  cmd->add_flag("--json", args->json, "print JSON");
  cmd->callback([args] { print_info(*args); });
}

}  // namespace segrun::app
