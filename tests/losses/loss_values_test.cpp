// Loss values and gradients against hand-computed small cases (docs/REFERENCE.md section 2).
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "engine/backend_info.h"
#include "engine/ops.h"
#include "losses/losses.h"

using namespace segrun;
using namespace segrun::losses;

namespace {
const double kLn3 = std::log(3.0);

Tensor leaf_logits(const std::vector<double>& v, const Shape& shape) {
  Tensor t = Tensor::from_vector(v, shape);
  t.set_requires_grad(true);
  return t;
}

Tensor labels_u8(const std::vector<uint8_t>& v, const Shape& shape) {
  return Tensor::from_vector(v, shape);
}

struct ValueAndGrad {
  double value;
  std::vector<double> grad;
};

// Value of a loss and its gradient wrt the logits from backward().
template <typename LossFn>
ValueAndGrad evaluate(const std::vector<double>& logits, const Shape& shape, LossFn loss) {
  Tensor z = leaf_logits(logits, shape);
  Tensor l = loss(z);
  backward(l);
  return {l.item(), z.grad().to_double_vector()};
}

void check_close(const std::vector<double>& got, const std::vector<double>& want, double eps = 1e-7) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == doctest::Approx(want[i]).epsilon(eps));
  }
}
}  // namespace

// One pixel, two classes, logits (0, ln 3): e^0 = 1, e^ln3 = 3, so p = (1/4, 3/4).
TEST_CASE("cross-entropy of one pixel with two classes") {
  const Tensor t1 = labels_u8({1}, {1, 1, 1});
  // target 1: -log(3/4) = ln(4/3) = 0.2876820725; dL/dz = p - onehot = (0.25, -0.25).
  ValueAndGrad r = evaluate({0.0, kLn3}, {1, 1, 1, 2}, [&](const Tensor& z) { return cross_entropy(z, t1); });
  CHECK(r.value == doctest::Approx(0.2876820725).epsilon(1e-9));
  check_close(r.grad, {0.25, -0.25});
  // target 0: -log(1/4) = ln 4 = 1.3862943611; dL/dz = (0.25 - 1, 0.75) = (-0.75, 0.75).
  const Tensor t0 = labels_u8({0}, {1, 1, 1});
  r = evaluate({0.0, kLn3}, {1, 1, 1, 2}, [&](const Tensor& z) { return cross_entropy(z, t0); });
  CHECK(r.value == doctest::Approx(1.3862943611).epsilon(1e-9));
  check_close(r.grad, {-0.75, 0.75});
}

TEST_CASE("cross-entropy in f32 matches the hand value") {
  Tensor z = Tensor::from_vector(std::vector<float>{0.0f, static_cast<float>(kLn3)}, {1, 1, 1, 2});
  z.set_requires_grad(true);
  Tensor l = cross_entropy(z, labels_u8({1}, {1, 1, 1}));
  CHECK(l.dtype() == DType::F32);
  backward(l);
  CHECK(l.item() == doctest::Approx(0.2876820725).epsilon(1e-6));
  check_close(z.grad().to_double_vector(), {0.25, -0.25}, 1e-6);
}

// Same pixel, target 1: p_t = 3/4, q = 1 - p_t = 1/4.
TEST_CASE("focal of one pixel with two classes") {
  const Tensor t1 = labels_u8({1}, {1, 1, 1});
  ValueAndGrad r = evaluate({0.0, kLn3}, {1, 1, 1, 2}, [&](const Tensor& z) { return focal(z, t1); });
  // -(1/4)^2 log(3/4) = ln(4/3) / 16 = 0.0179801295.
  CHECK(r.value == doctest::Approx(0.0179801295).epsilon(1e-9));
  // f = gamma q p_t log p_t - q^2 = 2 (1/4)(3/4)(-0.2876820725) - 1/16 = -0.1078807772 - 0.0625
  //   = -0.1703807772; dL/dz_j = f ([j = t] - p_j) = (f (-1/4), f (1/4)) = (0.0425951943, -0.0425951943).
  check_close(r.grad, {0.0425951943, -0.0425951943});
}

// Same pixel, target 1. Class 0 is absent: I_0 = 0, S_0 = 1/4; class 1: I_1 = 3/4, S_1 = 3/4 + 1.
TEST_CASE("dice of one pixel: absent class included or masked") {
  const Tensor t1 = labels_u8({1}, {1, 1, 1});
  // include: d_0 = 1 - eps / (1/4 + eps) = 0.999996; d_1 = 1 - (1.5 + eps) / (1.75 + eps) = 0.1428570612;
  // mean 0.5714265306. dL/dz adds class 0's tiny term eps / (p_0 + eps)^2 to half the mask gradient.
  ValueAndGrad r = evaluate({0.0, kLn3}, {1, 1, 1, 2}, [&](const Tensor& z) { return dice(z, t1); });
  CHECK(r.value == doctest::Approx(0.5714265306).epsilon(1e-9));
  check_close(r.grad, {0.0612259504, -0.0612259504});
  // mask: only class 1 counts, L = 1 - (2 p_1 + eps) / (p_1 + 1 + eps) = 0.1428570612;
  // dL/dp_1 = -(2 + eps) / (1.75 + eps)^2 = -0.6530606, dp_1/dz = (-p_0 p_1, p_0 p_1) = (-0.1875, 0.1875),
  // so dL/dz = (0.1224489009, -0.1224489009).
  r = evaluate({0.0, kLn3}, {1, 1, 1, 2}, [&](const Tensor& z) { return dice(z, t1, DiceAbsent::Mask); });
  CHECK(r.value == doctest::Approx(0.1428570612).epsilon(1e-9));
  check_close(r.grad, {0.1224489009, -0.1224489009});
}

// One pixel, logits (0, 1000) in f32, target 0: p = (e^-1000, 1) underflows to (0, 1) but
// log p_0 = 0 - logsumexp = -1000 stays exact.
TEST_CASE("extreme logits give finite f32 losses and gradients") {
  const Tensor t0 = labels_u8({0}, {1, 1, 1});
  auto run = [&](auto loss) {
    Tensor z = Tensor::from_vector(std::vector<float>{0.0f, 1000.0f}, {1, 1, 1, 2});
    z.set_requires_grad(true);
    Tensor l = loss(z);
    backward(l);
    return ValueAndGrad{l.item(), z.grad().to_double_vector()};
  };
  // CE: -log p_0 = 1000; dL/dz = p - onehot = (-1, 1).
  ValueAndGrad r = run([&](const Tensor& z) { return cross_entropy(z, t0); });
  CHECK(r.value == doctest::Approx(1000.0));
  check_close(r.grad, {-1.0, 1.0});
  // Focal: q = 1, -(1)^2 log p_0 = 1000; f = 2 q p_0 log p_0 - q^2 = -1, dL/dz = f ([j = t] - p_j) = (-1, 1).
  r = run([&](const Tensor& z) { return focal(z, t0); });
  CHECK(r.value == doctest::Approx(1000.0));
  check_close(r.grad, {-1.0, 1.0});
  // Dice: class 0 has I = 0, S = 0 + 1; class 1 has I = 0, S = 1 + 0: both 1 - eps / (1 + eps), mean
  // 0.999999; the softmax Jacobian p_0 p_1 = 0 makes the gradient 0.
  r = run([&](const Tensor& z) { return dice(z, t0); });
  CHECK(r.value == doctest::Approx(0.999999).epsilon(1e-6));
  check_close(r.grad, {0.0, 0.0});
}

// Three pixels with logits (0, ln 3): targets 1, 0 and 255 (ignored); class weights (2, 1).
TEST_CASE("class-weighted cross-entropy against hand computation") {
  const std::vector<double> logits = {0.0, kLn3, 0.0, kLn3, 0.0, kLn3};
  const Tensor w = Tensor::from_vector(std::vector<double>{2.0, 1.0}, {2});
  // L = (w_1 ln(4/3) + w_0 ln 4) / (w_1 + w_0) = (0.2876820725 + 2 x 1.3862943611) / 3 = 1.0200902649.
  // dL/dz: pixel 1 (1/3)(0.25, -0.25); pixel 2 (2/3)(-0.75, 0.75) = (-0.5, 0.5); pixel 3 zero.
  const std::vector<double> want = {1.0 / 12, -1.0 / 12, -0.5, 0.5, 0.0, 0.0};
  for (DType label_dtype : {DType::U8, DType::I32}) {
    const Tensor t = labels_u8({1, 0, 255}, {1, 1, 3}).to(label_dtype);
    ValueAndGrad r = evaluate(logits, {1, 1, 3, 2}, [&](const Tensor& z) { return cross_entropy(z, t, w); });
    CHECK(r.value == doctest::Approx(1.0200902649).epsilon(1e-9));
    check_close(r.grad, want);
  }
}

TEST_CASE("an all-ignored batch gives loss 0 and gradient 0 for every loss") {
  const std::vector<double> logits = {0.3, -1.2, 2.0, 0.7, 0.1, -0.4, 1.5, 0.9, -2.2, 0.0, 0.6, 1.1};
  const Tensor t = labels_u8({255, 255, 255, 255}, {1, 2, 2});
  const Tensor w = Tensor::from_vector(std::vector<double>{1.0, 2.0, 3.0}, {3});
  auto check_zero = [&](auto loss) {
    ValueAndGrad r = evaluate(logits, {1, 2, 2, 3}, loss);
    CHECK(r.value == 0.0);
    check_close(r.grad, std::vector<double>(12, 0.0));
  };
  check_zero([&](const Tensor& z) { return cross_entropy(z, t, w); });
  check_zero([&](const Tensor& z) { return dice(z, t, DiceAbsent::Include); });
  check_zero([&](const Tensor& z) { return dice(z, t, DiceAbsent::Mask); });
  check_zero([&](const Tensor& z) { return focal(z, t); });
  check_zero([&](const Tensor& z) { return combined_loss(z, t, {1.0, 1.0, 1.0}).total; });
  Tensor z = leaf_logits(logits, {1, 2, 2, 3});
  CHECK(combined_loss(z, t, {1.0, 1.0, 1.0}).read().valid_pixels == 0);
}

// The one-pixel case with weights (ce 1, dice 0, focal 2).
TEST_CASE("combined loss with a zero weight skips that term") {
  const Tensor t1 = labels_u8({1}, {1, 1, 1});
  Tensor z = leaf_logits({0.0, kLn3}, {1, 1, 1, 2});
  const LossTerms terms = combined_loss(z, t1, {1.0, 0.0, 2.0});
  const LossValues values = terms.read();
  CHECK(std::isnan(values.dice));  // not computed
  CHECK(values.ce == doctest::Approx(0.2876820725).epsilon(1e-9));
  CHECK(values.focal == doctest::Approx(0.0179801295).epsilon(1e-9));
  CHECK(values.total == terms.total.item());
  // total = ln(4/3) + 2 x 0.0179801295 = 0.3236423315.
  CHECK(terms.total.item() == doctest::Approx(0.3236423315).epsilon(1e-9));
  backward(terms.total);
  // (0.25, -0.25) + 2 x (0.0425951943, -0.0425951943) = (0.3351903886, -0.3351903886).
  check_close(z.grad().to_double_vector(), {0.3351903886, -0.3351903886});
}

TEST_CASE("combined loss equals the weighted sum of the separate losses") {
  Generator gen(3);
  const Tensor logits = gen.uniform({2, 5, 7, 4}, -2.0, 2.0, DType::F64);
  Tensor t = Tensor::empty({2, 5, 7}, DType::U8);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<uint8_t>()[i] = i % 9 == 0 ? 255 : static_cast<uint8_t>(i % 3);
  const Tensor w = Tensor::from_vector(std::vector<double>{0.5, 1.5, 2.0, 1.0}, {4});
  LossOptions options;
  options.class_weight = w;
  options.dice_absent = DiceAbsent::Mask;
  Tensor z = logits.clone().set_requires_grad(true);
  const LossTerms terms = combined_loss(z, t, {0.5, 1.0, 0.5}, options);
  backward(terms.total);
  Tensor zc = logits.clone().set_requires_grad(true), zd = logits.clone().set_requires_grad(true),
         zf = logits.clone().set_requires_grad(true);
  const Tensor ce = cross_entropy(zc, t, w), di = dice(zd, t, DiceAbsent::Mask), fo = focal(zf, t);
  backward(ce);
  backward(di);
  backward(fo);
  const LossValues values = terms.read();
  CHECK(values.ce == doctest::Approx(ce.item()).epsilon(1e-12));
  CHECK(values.dice == doctest::Approx(di.item()).epsilon(1e-12));
  CHECK(values.focal == doctest::Approx(fo.item()).epsilon(1e-12));
  CHECK(terms.total.item() == doctest::Approx(0.5 * ce.item() + di.item() + 0.5 * fo.item()).epsilon(1e-12));
  const std::vector<double> gc = zc.grad().to_double_vector(), gd = zd.grad().to_double_vector(),
                            gf = zf.grad().to_double_vector();
  std::vector<double> want(gc.size());
  for (size_t i = 0; i < want.size(); ++i) want[i] = 0.5 * gc[i] + gd[i] + 0.5 * gf[i];
  check_close(z.grad().to_double_vector(), want, 1e-10);
}

TEST_CASE("backward scales the loss gradient by the incoming gradient") {
  const Tensor t1 = labels_u8({1}, {1, 1, 1});
  Tensor z = leaf_logits({0.0, kLn3}, {1, 1, 1, 2});
  backward(scale(cross_entropy(z, t1), 4.0));
  check_close(z.grad().to_double_vector(), {1.0, -1.0});
}

TEST_CASE("results do not depend on the thread count") {
  Generator gen(11);
  const Tensor logits = gen.uniform({2, 24, 40, 5}, -3.0, 3.0, DType::F32);  // 1920 pixels: several blocks
  Tensor t = Tensor::empty({2, 24, 40}, DType::U8);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<uint8_t>()[i] = static_cast<uint8_t>(i % 7 == 0 ? 255 : i % 5);
  const int default_threads = cpu_thread_count();
  auto run = [&](int threads) {
    set_cpu_threads(threads);
    Tensor z = logits.clone().set_requires_grad(true);
    LossOptions options;
    options.grad_stats = true;
    const LossTerms terms = combined_loss(z, t, {1.0, 1.0, 1.0}, options);
    backward(terms.total);
    return std::make_pair(terms.read(), z.grad().to_float_vector());
  };
  const auto one = run(1), two = run(2);
  set_cpu_threads(default_threads);
  CHECK(one.first.total == two.first.total);
  CHECK(one.first.dice == two.first.dice);
  CHECK(one.first.grad_stats.cos_ce_dice == two.first.grad_stats.cos_ce_dice);
  CHECK(one.second == two.second);
}

TEST_CASE("bad inputs are rejected with the op's name") {
  const Tensor z = Tensor::zeros({1, 2, 2, 3}, DType::F32);
  auto message_of = [](auto call) {
    try {
      call();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string bad_label = message_of([&] { cross_entropy(z, labels_u8({0, 1, 3, 255}, {1, 2, 2})); });
  CHECK(bad_label.find("cross_entropy: target value 3") != std::string::npos);
  const std::string bad_shape = message_of([&] { dice(z, labels_u8({0, 1}, {1, 1, 2})); });
  CHECK(bad_shape.find("dice: target [1,1,2] does not match logits [1,2,2,3]") != std::string::npos);
  const Tensor w = Tensor::from_vector(std::vector<float>{1.0f, 2.0f}, {2});
  const std::string bad_weight = message_of([&] { cross_entropy(z, labels_u8({0, 1, 2, 0}, {1, 2, 2}), w); });
  CHECK(bad_weight.find("cross_entropy: class_weight") != std::string::npos);
  const std::string bad_dtype = message_of([&] { focal(z, Tensor::zeros({1, 2, 2}, DType::F32)); });
  CHECK(bad_dtype.find("focal: target") != std::string::npos);
  const std::string bad_combo = message_of([&] { combined_loss(z, labels_u8({0, 1, 2, 0}, {1, 2, 2}), {1, -1, 0}); });
  CHECK(bad_combo.find("combined_loss: weights must be finite and non-negative") != std::string::npos);
}
