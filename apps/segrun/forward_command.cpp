// segrun forward: eval-mode forward of a safetensors input through a model with given weights,
// for cross-checking against PyTorch.
#include <cstdio>
#include <memory>
#include <string>

#include "apps/segrun/commands.h"
#include "engine/autograd.h"
#include "engine/error.h"
#include "models/factory.h"
#include "nn/autocast.h"
#include "nn/state_dict.h"

namespace segrun::app {

namespace {
struct ForwardArgs {
  std::string model;
  int64_t classes = 0;
  int64_t width = 64;
  std::string weights, input, output;
  std::string device = "cpu";
  bool amp = false;
};

void run_forward(const ForwardArgs& a) {
  const Device device = Device::parse(a.device);
  SEGRUN_CHECK_ARG(!a.amp || device.is_cuda(), "forward: --amp needs --device cuda");
  Generator gen(42);
  std::unique_ptr<nn::SegmentationModel> model = models::make_model(a.model, 3, a.classes, a.width, gen);
  nn::load_state_dict(a.weights, *model);
  model->eval();
  model->to(device);
  const std::map<std::string, Tensor> inputs = nn::read_tensors(a.input);
  auto found = inputs.find("input");
  SEGRUN_CHECK_ARG(found != inputs.end(), "forward: ", a.input, " has no tensor named 'input'");
  const Tensor& x = found->second;
  SEGRUN_CHECK_ARG(x.dtype() == DType::F32 && x.dim() == 4 && x.size(3) == 3, "forward: ", a.input,
                   ": 'input' must be f32 (N,H,W,3), got ", x.str());
  NoGradGuard no_grad;
  const nn::AutocastGuard autocast(a.amp);
  const Tensor logits = model->forward(x.to(device)).to(Device::cpu());
  nn::write_tensors(a.output, {{"logits", logits}});
  std::printf("forward: %s -> logits %s written to %s\n", x.str().c_str(), shape_str(logits.shape()).c_str(),
              a.output.c_str());
}
}  // namespace

void add_forward_command(CLI::App& root) {
  auto args = std::make_shared<ForwardArgs>();
  CLI::App* cmd = root.add_subcommand("forward", "Eval-mode forward of tensor 'input' (N,H,W,3 f32) to 'logits'");
  cmd->add_option("--model", args->model, "attention_unet or deeplabv3plus")->required();
  cmd->add_option("--classes", args->classes, "number of classes")->required()->check(CLI::PositiveNumber);
  cmd->add_option("--width", args->width, "base width (64 = full size)")->check(CLI::PositiveNumber);
  cmd->add_option("--weights", args->weights, "state dict (.safetensors, PyTorch names and layout)")->required();
  cmd->add_option("--input", args->input, "safetensors file holding 'input'")->required();
  cmd->add_option("--output", args->output, "safetensors file to write 'logits' to")->required();
  cmd->add_option("--device", args->device, "cpu or cuda");
  cmd->add_flag("--amp", args->amp, "Mixed precision as in AMP training: f16 activations and convolutions (CUDA only)");
  cmd->callback([args] { run_forward(*args); });
}

}  // namespace segrun::app
