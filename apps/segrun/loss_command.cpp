// segrun loss: the combined loss and its gradient wrt the logits for tensors read from
// safetensors files, so every number can be cross-checked against PyTorch.
#include <cstdio>
#include <map>
#include <string>

#include "apps/segrun/commands.h"
#include "engine/autograd.h"
#include "engine/error.h"
#include "losses/configs.h"
#include "losses/losses.h"
#include "nn/safetensors.h"

namespace segrun::app {

namespace {
struct LossCommandArgs {
  std::string config;
  std::string weights;
  std::string logits_path, target_path, output_path;
  std::string dice_absent = "include";
};

Tensor tensor_named(const std::map<std::string, Tensor>& file, const std::string& name, const std::string& path) {
  auto it = file.find(name);
  SEGRUN_CHECK_ARG(it != file.end(), "loss: ", path, " has no tensor '", name, "'");
  return it->second;
}

// `class_weight` may sit in either input file; the target file wins when both have one.
Tensor optional_class_weight(const std::map<std::string, Tensor>& target_file,
                             const std::map<std::string, Tensor>& logits_file) {
  for (const auto* file : {&target_file, &logits_file}) {
    auto it = file->find("class_weight");
    if (it != file->end()) return it->second;
  }
  return Tensor();
}

Tensor scalar(double value) {
  return Tensor::full({}, value, DType::F32);
}

void run_loss_command(const LossCommandArgs& args) {
  const losses::LossWeights weights =
      args.weights.empty() ? losses::loss_config(args.config) : losses::parse_loss_weights(args.weights);
  const std::map<std::string, Tensor> logits_file = nn::read_tensors(args.logits_path);
  const std::map<std::string, Tensor> target_file = nn::read_tensors(args.target_path);
  Tensor logits = tensor_named(logits_file, "logits", args.logits_path);
  SEGRUN_CHECK_ARG(logits.dtype() == DType::F32, "loss: logits in ", args.logits_path, " are ", logits.str(),
                   "; expected f32 (N,H,W,C)");
  const Tensor target = tensor_named(target_file, "target", args.target_path);
  losses::LossOptions options;
  options.class_weight = optional_class_weight(target_file, logits_file);
  options.dice_absent = args.dice_absent == "mask" ? losses::DiceAbsent::Mask : losses::DiceAbsent::Include;

  // The unweighted terms are reported even where the configuration skips them.
  losses::LossValues all_terms;
  {
    NoGradGuard no_grad;
    all_terms = losses::combined_loss(logits, target, {1.0, 1.0, 1.0}, options).read();
  }
  logits.set_requires_grad(true);
  const losses::LossTerms terms = losses::combined_loss(logits, target, weights, options);
  backward(terms.total);
  const double loss = terms.total.item();
  nn::write_tensors(args.output_path, {{"ce", scalar(all_terms.ce)},
                                       {"dice", scalar(all_terms.dice)},
                                       {"focal", scalar(all_terms.focal)},
                                       {"loss", scalar(loss)},
                                       {"grad", logits.grad()}});
  std::printf("loss %.6g (ce %.6g, dice %.6g, focal %.6g; weights %g, %g, %g) -> %s\n", loss, all_terms.ce,
              all_terms.dice, all_terms.focal, weights.ce, weights.dice, weights.focal, args.output_path.c_str());
}
}  // namespace

void add_loss_command(CLI::App& root) {
  CLI::App* cmd = root.add_subcommand(
      "loss", "Combined loss and its gradient wrt the logits (ce, dice, focal, loss, grad) for safetensors inputs");
  auto args = std::make_shared<LossCommandArgs>();
  std::string names;
  for (const losses::NamedLossConfig& c : losses::named_loss_configs()) names += (names.empty() ? "" : ", ") + c.name;
  CLI::Option* config = cmd->add_option("--config", args->config, "Named loss configuration: " + names);
  cmd->add_option("--weights", args->weights, "Loss weights ce,dice,focal instead of --config (e.g. 1,0.5,0.5)")
      ->excludes(config);
  cmd->add_option("--logits", args->logits_path, "safetensors file with `logits` (N,H,W,C f32)")->required();
  cmd->add_option("--target", args->target_path,
                  "safetensors file with `target` (N,H,W u8, i32 or i64; 255 = ignored) and optional "
                  "`class_weight` (C)")
      ->required();
  cmd->add_option("--output", args->output_path, "safetensors file to write ce, dice, focal, loss and grad")
      ->required();
  cmd->add_option("--dice-absent", args->dice_absent, "Classes absent from the target: include (default) or mask")
      ->check(CLI::IsMember({"include", "mask"}));
  cmd->callback([args] {
    if (args->config.empty() && args->weights.empty()) throw std::invalid_argument("loss: give --config or --weights");
    run_loss_command(*args);
  });
}

}  // namespace segrun::app
