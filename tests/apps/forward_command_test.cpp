// segrun forward: eval-mode logits from a state dict and an input file match the library's.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "apps/segrun/cli.h"
#include "engine/ops.h"
#include "models/factory.h"
#include "nn/state_dict.h"

using namespace segrun;

namespace {
int run(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return app::run_cli(static_cast<int>(argv.size()), argv.data());
}
}  // namespace

TEST_CASE("segrun forward writes the eval-mode logits of the given weights") {
  const auto dir = std::filesystem::temp_directory_path() / ("segrun_forward_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string weights = (dir / "w.safetensors").string(), input = (dir / "x.safetensors").string(),
                    output = (dir / "y.safetensors").string();
  Generator gen(123);  // not the command's seed: the weights must come from the file
  auto model = models::make_model("attention_unet", 3, 4, 4, gen);
  // Non-trivial running statistics, so eval mode is distinguishable from training mode.
  model->forward(gen.uniform({2, 16, 16, 3}, -1.0, 1.0));
  nn::save_state_dict(weights, *model);
  const Tensor x = gen.uniform({1, 16, 32, 3}, -1.0, 1.0);
  nn::write_tensors(input, {{"input", x}});

  CHECK(run({"segrun", "forward", "--model", "attention_unet", "--classes", "4", "--width", "4", "--weights", weights,
             "--input", input, "--output", output}) == 0);
  model->eval();
  NoGradGuard no_grad;
  const Tensor expected = model->forward(x);
  const Tensor logits = nn::read_tensors(output).at("logits");
  CHECK(logits.shape() == Shape{1, 16, 32, 4});
  CHECK(logits.to_double_vector() == expected.to_double_vector());

  CHECK(run({"segrun", "forward", "--model", "attention_unet", "--classes", "5", "--width", "4", "--weights", weights,
             "--input", input, "--output", output}) == 1);  // head shape mismatch: a runtime error
  CHECK(run({"segrun", "forward", "--model", "attention_unet", "--classes", "4", "--width", "4", "--weights", weights,
             "--input", input, "--output", output, "--device", "tpu"}) == 2);
  std::filesystem::remove_all(dir);
}
