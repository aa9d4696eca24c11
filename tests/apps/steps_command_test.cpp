// segrun steps: N optimiser steps on one fixed batch, per-step records and the final weights.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "models/factory.h"
#include "nn/state_dict.h"
#include "tests/apps/app_test_util.h"
#include "training/run_files.h"

namespace segrun::test {

namespace {

constexpr int kClasses = 3;

// input (2,32,32,3) f32 and target (2,32,32) u8 with a few ignored pixels.
void write_batch(const std::string& path) {
  std::vector<float> input(2 * 32 * 32 * 3);
  std::vector<uint8_t> target(2 * 32 * 32);
  for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
  for (size_t i = 0; i < target.size(); ++i) target[i] = i % 17 == 0 ? 255 : static_cast<uint8_t>((i / 7) % kClasses);
  nn::write_tensors(path, {{"input", Tensor::from_vector(input, {2, 32, 32, 3})},
                           {"target", Tensor::from_vector(target, {2, 32, 32})}});
}

std::vector<std::string> steps_args(const ScratchDir& dir, const std::string& out, const std::string& clip) {
  return {"steps",
          "--model",
          "attention_unet",
          "--classes",
          std::to_string(kClasses),
          "--width",
          "4",
          "--init",
          dir.str("init.safetensors"),
          "--batch-file",
          dir.str("batch.safetensors"),
          "--steps",
          "3",
          "--lr",
          "1e-3",
          "--clip-norm",
          clip,
          "--threads",
          "2",
          "--out",
          dir.str(out)};
}

std::vector<training::Json> read_records(const std::string& path) {
  std::vector<training::Json> records;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) records.push_back(training::Json::parse(line));
  return records;
}

}  // namespace

TEST_CASE("segrun steps writes per-step loss and gradient norm and the final weights, deterministically") {
  ScratchDir dir("steps_command");
  write_batch(dir.str("batch.safetensors"));
  Generator gen(11);
  auto model = models::make_model("attention_unet", 3, kClasses, 4, gen);
  nn::save_state_dict(dir.str("init.safetensors"), *model);

  const CliResult r = run_segrun(steps_args(dir, "a", "0.1"));
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const std::vector<training::Json> records = read_records(dir.str("a/steps.jsonl"));
  REQUIRE(records.size() == 3);
  for (int k = 0; k < 3; ++k) {
    CHECK(records[k]["step"] == k);
    CHECK(std::isfinite(records[k]["loss"].get<double>()));
    CHECK(records[k]["grad_norm"].get<double>() > 0.1);  // the clip is active on every step
  }

  // The final weights are a complete state dict with PyTorch names, and they moved.
  Generator other(12);
  auto trained = models::make_model("attention_unet", 3, kClasses, 4, other);
  nn::load_state_dict(dir.str("a/final.safetensors"), *trained);
  const std::map<std::string, Tensor> start = nn::read_tensors(dir.str("init.safetensors"));
  const std::map<std::string, Tensor> end = nn::read_tensors(dir.str("a/final.safetensors"));
  CHECK(start.at("head.weight").to_double_vector() != end.at("head.weight").to_double_vector());
  CHECK(end.at("encoder1.bn1.num_batches_tracked").to_double_vector() == std::vector<double>{3.0});

  // Same inputs, same bits.
  REQUIRE(run_segrun(steps_args(dir, "b", "0.1")).code == 0);
  CHECK(training::read_text_file(dir.str("a/steps.jsonl")) == training::read_text_file(dir.str("b/steps.jsonl")));
  CHECK(training::read_text_file(dir.str("a/final.safetensors")) ==
        training::read_text_file(dir.str("b/final.safetensors")));

  // The recorded norm is the one before clipping: the first step's does not depend on the clip.
  REQUIRE(run_segrun(steps_args(dir, "c", "1000")).code == 0);
  const std::vector<training::Json> unclipped = read_records(dir.str("c/steps.jsonl"));
  CHECK(unclipped[0]["grad_norm"] == records[0]["grad_norm"]);
  CHECK(unclipped[1]["loss"] != records[1]["loss"]);
}

TEST_CASE("segrun steps: a batch file without target or with a wrong input gives one line naming it") {
  ScratchDir dir("steps_errors");
  Generator gen(11);
  auto model = models::make_model("attention_unet", 3, kClasses, 4, gen);
  nn::save_state_dict(dir.str("init.safetensors"), *model);
  nn::write_tensors(dir.str("batch.safetensors"), {{"input", Tensor::zeros({2, 32, 32, 3})}});
  CliResult r = run_segrun(steps_args(dir, "a", "1"));
  CHECK(r.code == 2);
  CHECK(r.err == "segrun: --batch-file " + dir.str("batch.safetensors") + ": no tensor 'target'\n");

  nn::write_tensors(dir.str("batch.safetensors"),
                    {{"input", Tensor::zeros({2, 32, 32})}, {"target", Tensor::zeros({2, 32, 32}, DType::U8)}});
  r = run_segrun(steps_args(dir, "b", "1"));
  CHECK(r.code == 2);
  CHECK(r.err.find("input is f32[2,32,32]") != std::string::npos);
  CHECK(r.err.find("expected f32 (N,H,W,3)") != std::string::npos);
}

}  // namespace segrun::test
