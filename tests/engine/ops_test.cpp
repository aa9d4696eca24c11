// Hand-computed values for batch norm, pooling, bilinear resize, concat and softmax, and the
// errors their front-ends raise for bad shapes.
#include "engine/ops.h"

#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

using namespace segrun;

namespace {
Tensor leaf(const std::vector<double>& v, const Shape& s) {
  Tensor t = Tensor::from_vector(v, s);
  t.set_requires_grad(true);
  return t;
}

void check_values(const Tensor& t, const std::vector<double>& expected) {
  const std::vector<double> got = t.to_double_vector();
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-12));
  }
}

// The message of the std::invalid_argument that f throws (empty if it throws nothing).
template <typename F>
std::string invalid_argument_message(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

void check_mentions(const std::string& message, const std::vector<std::string>& parts) {
  INFO("message: " << message);
  for (const std::string& p : parts) CHECK(message.find(p) != std::string::npos);
}
}  // namespace

TEST_CASE("batch_norm2d training step: batch statistics, running update with the unbiased variance") {
  // x (2,1,2,2), rows (ch0, ch1): (1,0) (2,0) (3,2) (4,2).
  // ch0: mean 2.5, squared deviations 5 -> biased var 1.25, unbiased 5/3.
  // ch1: mean 1,   squared deviations 4 -> biased var 1,    unbiased 4/3.
  Tensor x = Tensor::from_vector(std::vector<double>{1, 0, 2, 0, 3, 2, 4, 2}, {2, 1, 2, 2});
  Tensor w = Tensor::from_vector(std::vector<double>{2, 1}, {2});
  Tensor b = Tensor::from_vector(std::vector<double>{0.5, 0}, {2});
  Tensor rm = Tensor::from_vector(std::vector<double>{0, 0}, {2});
  Tensor rv = Tensor::from_vector(std::vector<double>{1, 1}, {2});
  const Tensor y = batch_norm2d(x, w, b, rm, rv, true, 0.1, 0.0);
  // running_mean = 0.9 * 0 + 0.1 * mean; running_var = 0.9 * 1 + 0.1 * unbiased var.
  check_values(rm, {0.25, 0.1});
  check_values(rv, {0.9 + 0.1 * 5.0 / 3.0, 0.9 + 0.1 * 4.0 / 3.0});
  // ch0: 2 * (x - 2.5) / sqrt(1.25) + 0.5; ch1: (x - 1) / 1.
  const double s = 2.0 / std::sqrt(1.25);
  check_values(y, {-1.5 * s + 0.5, -1, -0.5 * s + 0.5, -1, 0.5 * s + 0.5, 1, 1.5 * s + 0.5, 1});
}

TEST_CASE("batch_norm2d evaluation mode uses the running statistics and leaves them unchanged") {
  // mean (0.5, -1), var (4, 0.25), weight (2, 1), bias (0, 3), eps 0:
  // ch0: (x - 0.5) / 2 * 2 = x - 0.5; ch1: (x + 1) / 0.5 + 3 = 2x + 5.
  Tensor x = leaf({1, 0, 3, 2}, {1, 1, 2, 2});
  Tensor w = Tensor::from_vector(std::vector<double>{2, 1}, {2});
  Tensor b = Tensor::from_vector(std::vector<double>{0, 3}, {2});
  Tensor rm = Tensor::from_vector(std::vector<double>{0.5, -1}, {2});
  Tensor rv = Tensor::from_vector(std::vector<double>{4, 0.25}, {2});
  const Tensor y = batch_norm2d(x, w, b, rm, rv, false, 0.1, 0.0);
  check_values(y, {0.5, 5, 2.5, 9});
  check_values(rm, {0.5, -1});
  check_values(rv, {4, 0.25});
  // dy/dx = weight / sqrt(var): 1 for ch0, 2 for ch1.
  backward(y, Tensor::from_vector(std::vector<double>{1, 1, 3, 1}, {1, 1, 2, 2}));
  check_values(x.grad(), {1, 2, 3, 2});
}

TEST_CASE("batch_norm2d training needs more than one value per channel") {
  Tensor x = Tensor::zeros({1, 1, 1, 3}, DType::F64);
  Tensor p = Tensor::zeros({3}, DType::F64), v = Tensor::full({3}, 1.0, DType::F64);
  check_mentions(invalid_argument_message([&] { batch_norm2d(x, p, p, p.clone(), v.clone(), true); }),
                 {"batch_norm2d", "[1,1,1,3]"});
}

TEST_CASE("max_pool2d 3x3 stride 2 pad 1: padding never wins, even over negative values") {
  // -1 -2 -3 / -4 -5 -6 / -7 -8 -9: windows rows {0,1}x cols {0,1}, {0,1}x{1,2}, {1,2}x{0,1}, {1,2}x{1,2}.
  Tensor x = leaf({-1, -2, -3, -4, -5, -6, -7, -8, -9}, {1, 3, 3, 1});
  const Tensor y = max_pool2d(x, 3, 2, 1);
  CHECK(y.shape() == Shape{1, 2, 2, 1});
  check_values(y, {-1, -2, -4, -5});
  backward(y, Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {1, 2, 2, 1}));
  check_values(x.grad(), {1, 2, 0, 3, 4, 0, 0, 0, 0});
}

TEST_CASE("max_pool2d backward adds the gradients of overlapping windows sharing one argmax") {
  // The centre 9 is the maximum of all four 3x3 windows: its gradient is 1 + 2 + 3 + 4.
  Tensor x = leaf({1, 2, 1, 2, 9, 2, 1, 2, 1}, {1, 3, 3, 1});
  const Tensor y = max_pool2d(x, 3, 2, 1);
  check_values(y, {9, 9, 9, 9});
  backward(y, Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {1, 2, 2, 1}));
  check_values(x.grad(), {0, 0, 0, 0, 10, 0, 0, 0, 0});
}

TEST_CASE("max_pool2d 2x2 stride 2 routes a tie to the first maximum and floors odd sizes") {
  // 3x3 input -> 1x1 output over the top-left 2x2 block, all equal.
  Tensor x = leaf({3, 3, 7, 3, 3, 7, 7, 7, 7}, {1, 3, 3, 1});
  const Tensor y = max_pool2d(x, 2, 2);
  CHECK(y.shape() == Shape{1, 1, 1, 1});
  check_values(y, {3});
  backward(y, Tensor::from_vector(std::vector<double>{5}, {1, 1, 1, 1}));
  check_values(x.grad(), {5, 0, 0, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("global_avg_pool averages each channel of each image") {
  // Image 0: ch0 (1+2+3+4)/4 = 2.5, ch1 (0+0+2+2)/4 = 1; image 1 is image 0 times 10.
  Tensor x = leaf({1, 0, 2, 0, 3, 2, 4, 2, 10, 0, 20, 0, 30, 20, 40, 20}, {2, 2, 2, 2});
  const Tensor y = global_avg_pool(x);
  CHECK(y.shape() == Shape{2, 1, 1, 2});
  check_values(y, {2.5, 1, 25, 10});
  backward(y, Tensor::from_vector(std::vector<double>{4, 8, 12, 16}, {2, 1, 1, 2}));
  check_values(x.grad(), {1, 2, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 3, 4});
}

TEST_CASE("resize_bilinear 2x2 -> 4x4 matches PyTorch align_corners=False") {
  // scale = 2/4 = 0.5; src = 0.5 * (dst + 0.5) - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25.
  // dst 0: x0; dst 1: 0.75 x0 + 0.25 x1; dst 2: 0.25 x0 + 0.75 x1; dst 3: i0 = 1, i1 clamped to 1: x1.
  // Rows of [[1, 2], [3, 4]] along W: [1, 1.25, 1.75, 2] and [3, 3.25, 3.75, 4]; then along H.
  Tensor x = leaf({1, 2, 3, 4}, {1, 2, 2, 1});
  const Tensor y = resize_bilinear(x, 4, 4);
  check_values(y, {1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4});
  // With a gradient of ones, each input receives (1 + 0.75 + 0.25 + 0)^2 = 4.
  backward(y, Tensor::full({1, 4, 4, 1}, 1.0, DType::F64));
  check_values(x.grad(), {4, 4, 4, 4});
}

TEST_CASE("resize_bilinear down by 2 averages pairs and by 1.5 interpolates") {
  // 4 -> 2: scale 2, src = 0.5, 2.5 -> (x0 + x1) / 2, (x2 + x3) / 2.
  check_values(resize_bilinear(Tensor::from_vector(std::vector<double>{1, 2, 3, 5}, {1, 1, 4, 1}), 1, 2), {1.5, 4});
  // 3 -> 2: scale 1.5, src = 0.25, 1.75 -> 0.75 x0 + 0.25 x1, 0.25 x1 + 0.75 x2.
  Tensor x = leaf({0, 4, 8}, {1, 3, 1, 1});
  const Tensor y = resize_bilinear(x, 2, 1);
  check_values(y, {1, 7});
  backward(y, Tensor::from_vector(std::vector<double>{1, 2}, {1, 2, 1, 1}));
  check_values(x.grad(), {0.75, 0.25 + 0.5, 1.5});
}

TEST_CASE("concat joins channels and splits the gradient back") {
  Tensor a = leaf({1, 2, 3, 4}, {1, 1, 2, 2});
  Tensor b = leaf({5, 6}, {1, 1, 2, 1});
  const Tensor y = concat_channels({a, b});
  CHECK(y.shape() == Shape{1, 1, 2, 3});
  check_values(y, {1, 2, 5, 3, 4, 6});
  backward(y, Tensor::from_vector(std::vector<double>{10, 20, 30, 40, 50, 60}, {1, 1, 2, 3}));
  check_values(a.grad(), {10, 20, 40, 50});
  check_values(b.grad(), {30, 60});
}

TEST_CASE("concat names both shapes when they disagree outside the last dim") {
  const Tensor a = Tensor::zeros({2, 3, 4, 3}), b = Tensor::zeros({2, 3, 5, 3});
  check_mentions(invalid_argument_message([&] { concat_channels({a, b}); }), {"concat", "[2,3,4,3]", "[2,3,5,3]"});
}

TEST_CASE("softmax rows sum to one; log_softmax is stable for large logits") {
  // softmax(0, ln 3) = (1/4, 3/4).
  check_values(softmax(Tensor::from_vector(std::vector<double>{0, std::log(3.0)}, {1, 2})), {0.25, 0.75});
  const Tensor p = softmax(Tensor::from_vector(std::vector<double>{-3, 0.5, 2, 7, 7, -1}, {2, 3}));
  const std::vector<double> v = p.to_double_vector();
  CHECK(v[0] + v[1] + v[2] == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(v[3] + v[4] + v[5] == doctest::Approx(1.0).epsilon(1e-15));
  // log_softmax(1000, 1000) = (-ln 2, -ln 2), no overflow.
  check_values(log_softmax(Tensor::from_vector(std::vector<float>{1000, 1000}, {1, 2})),
               {static_cast<double>(-std::log(2.0f)), static_cast<double>(-std::log(2.0f))});
}

TEST_CASE("bad shapes throw std::invalid_argument naming the op and the shape") {
  const Tensor x3 = Tensor::zeros({2, 4, 3});
  const Tensor x = Tensor::zeros({2, 4, 4, 3}), p = Tensor::zeros({3}), p4 = Tensor::zeros({4});
  check_mentions(invalid_argument_message([&] { batch_norm2d(x, p4, p, p, p, false); }),
                 {"batch_norm2d", "weight", "[4]", "[2,4,4,3]"});
  check_mentions(invalid_argument_message([&] { batch_norm2d(x3, p, p, p, p, false); }), {"batch_norm2d", "[2,4,3]"});
  check_mentions(invalid_argument_message([&] { max_pool2d(x3, 2, 2); }), {"max_pool2d", "[2,4,3]"});
  check_mentions(invalid_argument_message([&] {
                   max_pool2d(Tensor::zeros({1, 1, 2, 1}), 3, 2, 0);
                 }),
                 {"max_pool2d", "[1,1,2,1]"});
  check_mentions(invalid_argument_message([&] { global_avg_pool(x3); }), {"global_avg_pool", "[2,4,3]"});
  check_mentions(invalid_argument_message([&] { resize_bilinear(x3, 8, 8); }), {"resize_bilinear", "[2,4,3]"});
  check_mentions(invalid_argument_message([&] { softmax(Tensor::zeros({2, 0})); }), {"softmax", "[2,0]"});
  check_mentions(invalid_argument_message([&] {
                   concat_channels({x, Tensor::zeros({2, 4, 4, 3}, DType::F64)});
                 }),
                 {"concat", "dtype"});
}

TEST_CASE("batch norm, pooling and resize (forward and backward) do not depend on the thread count") {
  // Large enough for several reduction chunks and parallel loops.
  Generator gen(3);
  const Tensor x0 = gen.uniform({2, 40, 36, 8}, -1.0, 1.0, DType::F32);
  const Tensor g = gen.uniform({2, 27, 50, 8}, -1.0, 1.0, DType::F32);
  const Tensor w = Tensor::full({8}, 1.5), b = Tensor::full({8}, 0.25);
  auto run = [&] {
    Tensor x = x0.clone();
    x.set_requires_grad(true);
    Tensor rm = Tensor::zeros({8}), rv = Tensor::full({8}, 1.0);
    const Tensor y = batch_norm2d(x, w, b, rm, rv, true);
    const Tensor z = resize_bilinear(max_pool2d(y, 3, 2, 1), 27, 50);
    std::vector<float> all = z.to_float_vector();
    backward(z, g);
    for (const Tensor& t : {rm, rv, global_avg_pool(y), x.grad()})
      for (float v : t.to_float_vector()) all.push_back(v);
    return all;
  };
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const std::vector<float> serial = run();
  omp_set_num_threads(4);
  const std::vector<float> parallel = run();
  omp_set_num_threads(threads);
  CHECK(serial == parallel);
}
