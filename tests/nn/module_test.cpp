// Module naming, ordering, modes, device/dtype moves and PyTorch default initialisation.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "nn/layers.h"

using namespace segrun;
using namespace segrun::nn;

namespace {
// A two-level module shaped like a ResNet stem: conv1, bn1, and a child with its own layers.
class Stem : public Module {
 public:
  explicit Stem(Generator& gen) {
    conv1 = register_module("conv1", std::make_shared<Conv2d>(3, 4, Conv2dOptions{3, 1, 1, 1, 1, false}, gen));
    bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(4));
    block = register_module("layer1", std::make_shared<ConvBnRelu>(4, 2, Conv2dOptions{1, 1, 0, 1, 1, true}, gen));
  }
  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<ConvBnRelu> block;
};

double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : t.to_double_vector()) m = std::max(m, std::abs(v));
  return m;
}
}  // namespace

TEST_CASE("state entries follow PyTorch's state_dict names and order") {
  Generator gen(1);
  Stem stem(gen);
  std::vector<std::string> names;
  for (const StateEntry& e : stem.state_entries()) names.push_back(e.name);
  const std::vector<std::string> expected = {"conv1.weight",
                                             "bn1.weight",
                                             "bn1.bias",
                                             "bn1.running_mean",
                                             "bn1.running_var",
                                             "bn1.num_batches_tracked",
                                             "layer1.conv.weight",
                                             "layer1.conv.bias",
                                             "layer1.bn.weight",
                                             "layer1.bn.bias",
                                             "layer1.bn.running_mean",
                                             "layer1.bn.running_var",
                                             "layer1.bn.num_batches_tracked"};
  CHECK(names == expected);
  // 3*4*9 + 4 + 4 + (4*2 + 2) + 2 + 2 = 108 + 8 + 10 + 4
  CHECK(stem.parameter_count() == 130);
  CHECK(stem.named_parameters().size() == 7);
  const StateEntry counter = stem.state_entries()[5];
  CHECK(counter.is_buffer);
  CHECK(counter.file_int64);
  CHECK(counter.tensor->dtype() == DType::I32);
  CHECK(stem.state_entries()[0].layout == FileLayout::KernelChannelsLast);
  CHECK(stem.state_entries()[1].layout == FileLayout::Same);
}

TEST_CASE("parameters require grad, buffers do not; zero_grad clears gradients") {
  Generator gen(1);
  Stem stem(gen);
  for (const StateEntry& e : stem.state_entries()) CHECK(e.tensor->requires_grad() == !e.is_buffer);
  Tensor w = stem.conv1->weight();
  w.set_grad(Tensor::full(w.shape(), 1.0));
  stem.zero_grad();
  CHECK_FALSE(stem.conv1->weight().grad().defined());
}

TEST_CASE("train and eval propagate to every child") {
  Generator gen(1);
  Stem stem(gen);
  CHECK(stem.bn1->is_training());
  stem.eval();
  CHECK_FALSE(stem.is_training());
  CHECK_FALSE(stem.bn1->is_training());
  CHECK_FALSE(stem.block->is_training());
  stem.train();
  CHECK(stem.block->is_training());
}

TEST_CASE("casting a module keeps its values and its parameters' requires_grad") {
  Generator gen(1);
  Stem stem(gen);
  const std::vector<double> before = stem.conv1->weight().to_double_vector();
  stem.to(DType::F64);
  CHECK(stem.conv1->weight().dtype() == DType::F64);
  CHECK(stem.conv1->weight().requires_grad());
  CHECK(stem.state_entries()[5].tensor->dtype() == DType::I32);  // counters stay integers
  const std::vector<double> after = stem.conv1->weight().to_double_vector();
  CHECK(after == before);  // f32 -> f64 is exact
  CHECK_THROWS_WITH_AS(stem.to(DType::U8), "module: cannot cast parameters to u8", std::invalid_argument);
}

TEST_CASE("moving a module to the device it is on changes nothing") {
  Generator gen(1);
  Stem stem(gen);
  const Tensor w = stem.conv1->weight();
  stem.to(Device::cpu());
  CHECK(stem.conv1->weight().same_storage(w));
}

TEST_CASE("Conv2d uses PyTorch's default bounds 1/sqrt(Cin/groups*KH*KW)") {
  Generator gen(5);
  Conv2d conv(8, 16, Conv2dOptions{3, 1, 1, 1, 2, true}, gen);
  CHECK(conv.weight().shape() == Shape{16, 3, 3, 4});
  const double bound = 1.0 / std::sqrt(4.0 * 9.0);  // fan_in = 8/2 * 3 * 3 = 36
  CHECK(max_abs(conv.weight()) <= bound);
  CHECK(max_abs(conv.weight()) > 0.9 * bound);  // 576 draws fill the interval
  CHECK(max_abs(conv.bias()) <= bound);
  CHECK(conv.parameter_count() == 16 * 36 + 16);
}

TEST_CASE("ConvTranspose2d draws from 1/sqrt(Cout*KH*KW) like PyTorch (fan_in from weight dim 1)") {
  Generator gen(5);
  ConvTranspose2d up(32, 4, 2, 2, gen);
  std::vector<StateEntry> entries = up.state_entries();
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].tensor->shape() == Shape{32, 2, 2, 4});
  const double bound = 1.0 / std::sqrt(4.0 * 4.0);  // Cout * 2 * 2 = 16, not Cin * 4 = 128
  CHECK(max_abs(*entries[0].tensor) <= bound);
  CHECK(max_abs(*entries[0].tensor) > 0.9 * bound);
  CHECK(max_abs(*entries[1].tensor) <= bound);
}

TEST_CASE("BatchNorm2d starts at weight 1, bias 0, mean 0, var 1, no batches") {
  BatchNorm2d bn(3);
  const std::vector<StateEntry> e = bn.state_entries();
  CHECK(e[0].tensor->to_double_vector() == std::vector<double>{1, 1, 1});
  CHECK(e[1].tensor->to_double_vector() == std::vector<double>{0, 0, 0});
  CHECK(e[2].tensor->to_double_vector() == std::vector<double>{0, 0, 0});
  CHECK(e[3].tensor->to_double_vector() == std::vector<double>{1, 1, 1});
  CHECK(bn.batches_tracked() == 0);
  CHECK(bn.parameter_count() == 6);
}

TEST_CASE("SeparableConv2d is a depthwise 3x3 and a pointwise 1x1, both without bias") {
  Generator gen(2);
  SeparableConv2d sep(512, 256, 3, 6, 6, gen);
  std::vector<std::string> names;
  for (const StateEntry& e : sep.state_entries()) names.push_back(e.name);
  CHECK(names == std::vector<std::string>{"depthwise.weight", "pointwise.weight"});
  CHECK(sep.parameter_count() == 512 * 9 + 512 * 256);
  CHECK(sep.state_entries()[0].tensor->shape() == Shape{512, 3, 3, 1});
}

TEST_CASE("the same seed gives the same initial weights") {
  Generator a(9), b(9), c(10);
  Conv2d ca(4, 4, {}, a), cb(4, 4, {}, b), cc(4, 4, {}, c);
  CHECK(ca.weight().to_double_vector() == cb.weight().to_double_vector());
  CHECK(ca.weight().to_double_vector() != cc.weight().to_double_vector());
}
