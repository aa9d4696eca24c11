// segrun forward: eval-mode logits from a state dict and an input file match the library's.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "engine/ops.h"
#include "models/factory.h"
#include "nn/state_dict.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/segrun_cli.h"

using namespace segrun;

using test::run_segrun;

TEST_CASE("segrun forward writes the eval-mode logits of the given weights") {
  const test::ScratchDir dir("forward_command");
  const std::string weights = dir.str("w.safetensors"), input = dir.str("x.safetensors"),
                    output = dir.str("y.safetensors");
  Generator gen(123);  // not the command's seed: the weights must come from the file
  auto model = models::make_model("attention_unet", 3, 4, 4, gen);
  // Non-trivial running statistics, so eval mode is distinguishable from training mode.
  model->forward(gen.uniform({2, 16, 16, 3}, -1.0, 1.0));
  nn::save_state_dict(weights, *model);
  const Tensor x = gen.uniform({1, 16, 32, 3}, -1.0, 1.0);
  nn::write_tensors(input, {{"input", x}});

  CHECK(run_segrun({"forward", "--model", "attention_unet", "--classes", "4", "--width", "4", "--weights", weights,
                    "--input", input, "--output", output})
            .code == 0);
  model->eval();
  NoGradGuard no_grad;
  const Tensor expected = model->forward(x);
  const Tensor logits = nn::read_tensors(output).at("logits");
  CHECK(logits.shape() == Shape{1, 16, 32, 4});
  CHECK(logits.to_double_vector() == expected.to_double_vector());

  CHECK(run_segrun({"forward", "--model", "attention_unet", "--classes", "5", "--width", "4", "--weights", weights,
                    "--input", input, "--output", output})
            .code == 1);  // head shape mismatch: a runtime error
  CHECK(run_segrun({"forward", "--model", "attention_unet", "--classes", "4", "--width", "4", "--weights", weights,
                    "--input", input, "--output", output, "--device", "tpu"})
            .code == 2);
}
