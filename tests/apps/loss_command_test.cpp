// segrun loss: safetensors in, unweighted terms, weighted loss and gradient out.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "nn/safetensors.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/segrun_cli.h"

using namespace segrun;

namespace {
using test::ScratchDir;

// The exit status of `segrun args...`.
int run_segrun(const std::vector<std::string>& args) {
  return test::run_segrun(args).code;
}

// Two pixels, two classes: logits (0, ln 3), so p = (1/4, 3/4), target 1; the second pixel is
// ignored. The target is written as I64, as PyTorch stores class ids.
void write_inputs(const ScratchDir& dir) {
  const float ln3 = static_cast<float>(std::log(3.0));
  nn::write_tensors(dir.str("logits.safetensors"),
                    {{"logits", Tensor::from_vector(std::vector<float>{0.0f, ln3, 0.5f, -0.5f}, {1, 1, 2, 2})}});
  nn::write_safetensors(dir.str("target.safetensors"),
                        {{"target", Tensor::from_vector(std::vector<int32_t>{1, 255}, {1, 1, 2}), true}});
}

double scalar(const std::map<std::string, Tensor>& out, const std::string& name) {
  REQUIRE(out.count(name) == 1);
  return out.at(name).item();
}
}  // namespace

TEST_CASE("segrun loss writes the terms, the weighted loss and its gradient") {
  ScratchDir dir("loss_command_1");
  write_inputs(dir);
  REQUIRE(run_segrun({"loss", "--config", "dice_dominant", "--logits", dir.str("logits.safetensors"), "--target",
                      dir.str("target.safetensors"), "--output", dir.str("out.safetensors")}) == 0);
  const std::map<std::string, Tensor> out = nn::read_tensors(dir.str("out.safetensors"));
  // ce = ln(4/3); dice = mean(1 - eps / (1/4 + eps), 1 - (1.5 + eps) / (1.75 + eps)); focal = ln(4/3) / 16.
  CHECK(scalar(out, "ce") == doctest::Approx(0.2876820725).epsilon(1e-6));
  CHECK(scalar(out, "dice") == doctest::Approx(0.5714265306).epsilon(1e-6));
  CHECK(scalar(out, "focal") == doctest::Approx(0.0179801295).epsilon(1e-6));
  // dice_dominant: 0.5 x 0.2876820725 + 0.5714265306 + 0.5 x 0.0179801295 = 0.7242576316.
  CHECK(scalar(out, "loss") == doctest::Approx(0.7242576316).epsilon(1e-6));
  // 0.5 (0.25, -0.25) + (0.0612259504, -0.0612259504) + 0.5 (0.0425951943, -0.0425951943); ignored pixel 0.
  const Tensor grad = out.at("grad");
  CHECK(grad.shape() == Shape{1, 1, 2, 2});
  CHECK(grad.dtype() == DType::F32);
  const std::vector<double> g = grad.to_double_vector();
  CHECK(g[0] == doctest::Approx(0.2075235476).epsilon(1e-6));
  CHECK(g[1] == doctest::Approx(-0.2075235476).epsilon(1e-6));
  CHECK(g[2] == 0.0);
  CHECK(g[3] == 0.0);
}

TEST_CASE("segrun loss reports skipped terms and honours --dice-absent mask") {
  ScratchDir dir("loss_command_2");
  write_inputs(dir);
  REQUIRE(run_segrun({"loss", "--weights", "1,0,0", "--dice-absent", "mask", "--logits", dir.str("logits.safetensors"),
                      "--target", dir.str("target.safetensors"), "--output", dir.str("out.safetensors")}) == 0);
  const std::map<std::string, Tensor> out = nn::read_tensors(dir.str("out.safetensors"));
  // Only class 1 occurs: dice = 1 - (1.5 + eps) / (1.75 + eps) = 0.1428570612, reported though unweighted.
  CHECK(scalar(out, "dice") == doctest::Approx(0.1428570612).epsilon(1e-6));
  CHECK(scalar(out, "focal") == doctest::Approx(0.0179801295).epsilon(1e-6));
  CHECK(scalar(out, "loss") == doctest::Approx(0.2876820725).epsilon(1e-6));
  const std::vector<double> g = out.at("grad").to_double_vector();
  CHECK(g[0] == doctest::Approx(0.25).epsilon(1e-6));
  CHECK(g[1] == doctest::Approx(-0.25).epsilon(1e-6));
}

TEST_CASE("segrun loss rejects bad arguments with exit status 2") {
  ScratchDir dir("loss_command_3");
  write_inputs(dir);
  const std::string logits = dir.str("logits.safetensors"), target = dir.str("target.safetensors");
  const std::string out = dir.str("out.safetensors");
  CHECK(run_segrun({"loss", "--config", "dice_heavy", "--logits", logits, "--target", target, "--output", out}) == 2);
  CHECK(run_segrun({"loss", "--logits", logits, "--target", target, "--output", out}) == 2);
  CHECK(run_segrun({"loss", "--config", "equal", "--dice-absent", "drop", "--logits", logits, "--target", target,
                    "--output", out}) == 2);
  // The target file passed as logits: it has no tensor `logits`.
  CHECK(run_segrun({"loss", "--config", "equal", "--logits", target, "--target", target, "--output", out}) == 2);
  CHECK_FALSE(std::filesystem::exists(out));
}
