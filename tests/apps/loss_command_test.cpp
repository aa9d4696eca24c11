// segrun loss: safetensors in, unweighted terms, weighted loss and gradient out.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "apps/segrun/cli.h"
#include "nn/safetensors.h"

using namespace segrun;

namespace {
namespace fs = std::filesystem;

// A fresh folder in the system's temporary directory, removed with its files at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("segrun_loss_command_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

int run_segrun(std::vector<std::string> args) {
  args.insert(args.begin(), "segrun");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return app::run_cli(static_cast<int>(argv.size()), argv.data());
}

// Two pixels, two classes: logits (0, ln 3), so p = (1/4, 3/4), target 1; the second pixel is
// ignored. The target is written as I64, as PyTorch stores class ids.
void write_inputs(const TempDir& dir) {
  const float ln3 = static_cast<float>(std::log(3.0));
  nn::write_tensors(dir.file("logits.safetensors"),
                    {{"logits", Tensor::from_vector(std::vector<float>{0.0f, ln3, 0.5f, -0.5f}, {1, 1, 2, 2})}});
  nn::write_safetensors(dir.file("target.safetensors"),
                        {{"target", Tensor::from_vector(std::vector<int32_t>{1, 255}, {1, 1, 2}), true}});
}

double scalar(const std::map<std::string, Tensor>& out, const std::string& name) {
  REQUIRE(out.count(name) == 1);
  return out.at(name).item();
}
}  // namespace

TEST_CASE("segrun loss writes the terms, the weighted loss and its gradient") {
  TempDir dir;
  write_inputs(dir);
  REQUIRE(run_segrun({"loss", "--config", "dice_dominant", "--logits", dir.file("logits.safetensors"), "--target",
                      dir.file("target.safetensors"), "--output", dir.file("out.safetensors")}) == 0);
  const std::map<std::string, Tensor> out = nn::read_tensors(dir.file("out.safetensors"));
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
  TempDir dir;
  write_inputs(dir);
  REQUIRE(run_segrun({"loss", "--weights", "1,0,0", "--dice-absent", "mask", "--logits", dir.file("logits.safetensors"),
                      "--target", dir.file("target.safetensors"), "--output", dir.file("out.safetensors")}) == 0);
  const std::map<std::string, Tensor> out = nn::read_tensors(dir.file("out.safetensors"));
  // Only class 1 occurs: dice = 1 - (1.5 + eps) / (1.75 + eps) = 0.1428570612, reported though unweighted.
  CHECK(scalar(out, "dice") == doctest::Approx(0.1428570612).epsilon(1e-6));
  CHECK(scalar(out, "focal") == doctest::Approx(0.0179801295).epsilon(1e-6));
  CHECK(scalar(out, "loss") == doctest::Approx(0.2876820725).epsilon(1e-6));
  const std::vector<double> g = out.at("grad").to_double_vector();
  CHECK(g[0] == doctest::Approx(0.25).epsilon(1e-6));
  CHECK(g[1] == doctest::Approx(-0.25).epsilon(1e-6));
}

TEST_CASE("segrun loss rejects bad arguments with exit status 2") {
  TempDir dir;
  write_inputs(dir);
  const std::string logits = dir.file("logits.safetensors"), target = dir.file("target.safetensors");
  const std::string out = dir.file("out.safetensors");
  CHECK(run_segrun({"loss", "--config", "dice_heavy", "--logits", logits, "--target", target, "--output", out}) == 2);
  CHECK(run_segrun({"loss", "--logits", logits, "--target", target, "--output", out}) == 2);
  CHECK(run_segrun({"loss", "--config", "equal", "--dice-absent", "drop", "--logits", logits, "--target", target,
                    "--output", out}) == 2);
  // The target file passed as logits: it has no tensor `logits`.
  CHECK(run_segrun({"loss", "--config", "equal", "--logits", target, "--target", target, "--output", out}) == 2);
  CHECK_FALSE(fs::exists(out));
}
