// The segmentation models: exact parameter counts, torchvision names and encoder weight
// loading, the shared model tester (shapes, finite gradients), the input contract, BatchNorm
// batch counting, encoder strides and determinism. Overfitting one batch: overfit_test.cpp.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>
#include <stdexcept>

#include "engine/ops.h"
#include "models/attention_unet.h"
#include "models/deeplabv3plus.h"
#include "models/factory.h"
#include "nn/optim.h"
#include "nn/state_dict.h"

using namespace segrun;

namespace {
// Shared tester: every model maps (N,H,W,in) to finite (N,H,W,classes) logits and gives every
// parameter a finite gradient of sum(logits).
void check_model(const std::string& name, int64_t width, int64_t h, int64_t w) {
  INFO(name << " width " << width << " at " << h << "x" << w);
  Generator gen(7);
  auto model = models::make_model(name, 3, 5, width, gen);
  Tensor x = gen.uniform({2, h, w, 3}, -1.0, 1.0);
  Tensor logits = model->forward(x);
  CHECK(logits.shape() == Shape{2, h, w, 5});
  int non_finite = 0;
  for (double v : logits.to_double_vector()) non_finite += !std::isfinite(v);
  CHECK(non_finite == 0);
  backward(sum(logits));
  int with_signal = 0;
  for (const auto& [pname, p] : model->named_parameters()) {
    INFO(pname);
    REQUIRE(p.grad().defined());
    CHECK(p.grad().shape() == p.shape());
    double norm = 0;
    for (double g : p.grad().to_double_vector()) norm += g * g;
    CHECK(std::isfinite(norm));
    with_signal += norm > 0;
  }
  // Conv biases feeding a training-mode BN get exactly zero gradient (the batch mean removes them).
  CHECK(with_signal > static_cast<int>(model->named_parameters().size()) / 2);
}
}  // namespace

TEST_CASE("Attention U-Net has exactly 31,390,335 parameters (3 in, 19 classes, width 64)") {
  Generator gen(42);
  models::AttentionUNet model(3, 19, 64, gen);
  CHECK(model.parameter_count() == 31390335);
  int64_t gates = 0;
  for (const auto& [name, p] : model.named_parameters())
    if (name.rfind("gate", 0) == 0) gates += p.numel();
  CHECK(gates == 351532);  // docs/REFERENCE.md section 3.2: U-Net part 31,038,803 + gates
}

TEST_CASE("DeepLabV3+ has exactly 22,442,083 parameters, its ResNet-34 encoder 21,284,672") {
  Generator gen(42);
  models::DeepLabV3Plus model(3, 19, 64, gen);
  CHECK(model.parameter_count() == 22442083);
  int64_t encoder = 0;
  for (const auto& [name, p] : model.named_parameters())
    if (name.rfind("encoder.", 0) == 0) encoder += p.numel();
  CHECK(encoder == 21284672);
}

TEST_CASE("ResNet-34 encoder uses torchvision names and shapes") {
  Generator gen(1);
  models::ResNet34Encoder enc(3, 64, gen);
  std::set<std::string> names;
  for (const nn::StateEntry& e : enc.state_entries()) names.insert(e.name);
  for (const char* n : {"conv1.weight", "bn1.running_mean", "bn1.num_batches_tracked", "layer1.0.conv1.weight",
                        "layer1.2.bn2.bias", "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_var",
                        "layer3.5.conv2.weight", "layer4.0.downsample.0.weight", "layer4.2.bn2.weight"})
    CHECK_MESSAGE(names.count(n) == 1, n);
  CHECK(names.count("layer1.0.downsample.0.weight") == 0);
  CHECK(names.size() == 216);  // torchvision resnet34 state_dict has 218 with fc.weight and fc.bias
  for (const nn::StateEntry& e : enc.state_entries())
    if (e.name == "layer2.0.downsample.0.weight") CHECK(nn::file_shape(e) == Shape{128, 64, 1, 1});
}

TEST_CASE("a torchvision-style encoder state dict with fc loads into the DeepLabV3+ encoder") {
  Generator gen(1), other(2);
  models::ResNet34Encoder source(3, 8, gen);
  std::vector<nn::FileTensor> tensors = nn::state_dict_tensors(source);
  tensors.push_back({"fc.weight", Tensor::zeros({1000, 64}), false});
  tensors.push_back({"fc.bias", Tensor::zeros({1000}), false});
  const std::string path = "/tmp/segrun_models_test_encoder.safetensors";
  nn::write_safetensors(path, tensors);
  models::DeepLabV3Plus model(3, 4, 8, other);
  model.load_encoder_weights(path);
  const auto loaded = model.named_parameters();
  CHECK(loaded[0].first == "encoder.conv1.weight");
  CHECK(loaded[0].second.to_double_vector() == source.named_parameters()[0].second.to_double_vector());
}

TEST_CASE("shared model tester: Attention U-Net, width 8, 32x32") {
  check_model("attention_unet", 8, 32, 32);
}

TEST_CASE("shared model tester: DeepLabV3+, width 8, 32x48") {
  check_model("deeplabv3plus", 8, 32, 48);
}

TEST_CASE("inputs whose H or W is not divisible by 16 are rejected with their sizes") {
  Generator gen(3);
  for (const std::string& name : models::model_names()) {
    auto model = models::make_model(name, 3, 4, 8, gen);
    CHECK_THROWS_WITH_AS(model->forward(Tensor::zeros({1, 30, 32, 3})),
                         (name + ": input height 30 and width 32 must both be divisible by 16").c_str(),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(model->forward(Tensor::zeros({1, 32, 32, 4})),
                         (name + ": input has 4 channels, the model takes 3").c_str(), std::invalid_argument);
  }
  CHECK_THROWS_WITH_AS(models::make_model("unet", 3, 4, 8, gen),
                       "model: unknown model 'unet' (expected attention_unet or deeplabv3plus)", std::invalid_argument);
}

TEST_CASE("training-mode forward counts BatchNorm batches, eval-mode forward does not") {
  Generator gen(4);
  models::AttentionUNet model(3, 2, 4, gen);
  const Tensor x = gen.uniform({2, 16, 16, 3}, -1.0, 1.0);
  auto counter = [&] {
    for (const nn::StateEntry& e : model.state_entries())
      if (e.name == "encoder1.bn1.num_batches_tracked") return e.tensor->at(0);
    return -1.0;
  };
  model.forward(x);
  CHECK(counter() == 1);
  model.eval();
  NoGradGuard no_grad;
  model.forward(x);
  CHECK(counter() == 1);
}

TEST_CASE("ResNet-34 encoder: layer1 at stride 4, dilated layer4 at stride 16") {
  Generator gen(6);
  models::ResNet34Encoder enc(3, 4, gen);
  const models::EncoderFeatures f = enc.forward(gen.uniform({1, 64, 96, 3}, -1.0, 1.0));
  CHECK(f.low.shape() == Shape{1, 16, 24, 4});
  CHECK(f.high.shape() == Shape{1, 4, 6, 32});
}

TEST_CASE("same seed and input give bitwise-identical logits and gradients") {
  auto run = [] {
    Generator gen(8);
    auto model = models::make_model("deeplabv3plus", 3, 3, 4, gen);
    Tensor logits = model->forward(gen.uniform({2, 16, 16, 3}, -1.0, 1.0));
    backward(sum(mul(logits, logits)));
    return std::make_pair(logits.to_double_vector(), model->named_parameters()[0].second.grad().to_double_vector());
  };
  const auto a = run(), b = run();
  CHECK(a.first == b.first);
  CHECK(a.second == b.second);
}
