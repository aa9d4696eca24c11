// Gradient statistics of the combined loss: norms of each weighted term's gradient wrt the
// logits and the cosine similarities between them, measured in the loss's own pass.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "engine/ops.h"
#include "losses/losses.h"

using namespace segrun;
using namespace segrun::losses;

namespace {
struct Batch {
  Tensor logits;
  Tensor target;
};

Batch random_batch(uint64_t seed) {
  Generator gen(seed);
  Batch b{gen.uniform({2, 6, 5, 4}, -2.5, 2.5, DType::F64), Tensor::empty({2, 6, 5}, DType::U8)};
  for (int64_t i = 0; i < b.target.numel(); ++i) {
    b.target.data<uint8_t>()[i] = i % 11 == 0 ? 255 : static_cast<uint8_t>(gen.next_below(3));
  }
  return b;
}

// Gradient of one separate loss wrt the logits, times `weight`.
template <typename LossFn>
std::vector<double> weighted_grad(const Tensor& logits, double weight, LossFn loss) {
  Tensor z = logits.clone().set_requires_grad(true);
  backward(loss(z));
  std::vector<double> g = z.grad().to_double_vector();
  for (double& v : g) v *= weight;
  return g;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}
}  // namespace

TEST_CASE("grad stats match the gradients of the separate losses") {
  const Batch b = random_batch(5);
  LossOptions options;
  options.grad_stats = true;
  Tensor z = b.logits.clone().set_requires_grad(true);
  const LossTerms call = combined_loss(z, b.target, {0.5, 1.0, 2.0}, options);
  const LossValues terms = call.read();
  backward(call.total);
  const LossGradStats& s = terms.grad_stats;
  REQUIRE(s.computed);
  const auto ce = weighted_grad(b.logits, 0.5, [&](const Tensor& x) { return cross_entropy(x, b.target); });
  const auto di = weighted_grad(b.logits, 1.0, [&](const Tensor& x) { return dice(x, b.target); });
  const auto fo = weighted_grad(b.logits, 2.0, [&](const Tensor& x) { return focal(x, b.target); });
  const std::vector<double> total = z.grad().to_double_vector();
  CHECK(s.ce_norm == doctest::Approx(std::sqrt(dot(ce, ce))).epsilon(1e-12));
  CHECK(s.dice_norm == doctest::Approx(std::sqrt(dot(di, di))).epsilon(1e-12));
  CHECK(s.focal_norm == doctest::Approx(std::sqrt(dot(fo, fo))).epsilon(1e-12));
  CHECK(s.total_norm == doctest::Approx(std::sqrt(dot(total, total))).epsilon(1e-12));
  CHECK(s.cos_ce_dice == doctest::Approx(dot(ce, di) / (s.ce_norm * s.dice_norm)).epsilon(1e-12));
  CHECK(s.cos_ce_focal == doctest::Approx(dot(ce, fo) / (s.ce_norm * s.focal_norm)).epsilon(1e-12));
  CHECK(s.cos_dice_focal == doctest::Approx(dot(di, fo) / (s.dice_norm * s.focal_norm)).epsilon(1e-12));
  // Per pixel the CE and focal gradients are non-negative multiples of p - onehot(t).
  CHECK(s.cos_ce_focal > 0.0);
}

// With gamma = 0 and alpha = 1 the focal loss is the unweighted cross-entropy, so the two
// weighted gradients are identical: cosine 1 and equal norms.
TEST_CASE("cosine of identical gradients is 1") {
  const Batch b = random_batch(8);
  LossOptions options;
  options.grad_stats = true;
  options.focal = {1.0, 0.0};
  const LossValues terms = combined_loss(b.logits, b.target, {1.0, 1.0, 1.0}, options).read();
  CHECK(terms.focal == doctest::Approx(terms.ce).epsilon(1e-12));
  CHECK(terms.grad_stats.cos_ce_focal == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(terms.grad_stats.focal_norm == doctest::Approx(terms.grad_stats.ce_norm).epsilon(1e-12));
  CHECK(terms.grad_stats.cos_ce_dice == doctest::Approx(terms.grad_stats.cos_dice_focal).epsilon(1e-12));
}

TEST_CASE("grad stats of a skipped term: norm 0 and cosine undefined") {
  const Batch b = random_batch(9);
  LossOptions options;
  options.grad_stats = true;
  const LossValues terms = combined_loss(b.logits, b.target, {1.0, 0.0, 0.0}, options).read();
  CHECK(terms.grad_stats.dice_norm == 0.0);
  CHECK(terms.grad_stats.focal_norm == 0.0);
  CHECK(terms.grad_stats.ce_norm > 0.0);
  CHECK(terms.grad_stats.total_norm == doctest::Approx(terms.grad_stats.ce_norm).epsilon(1e-12));
  CHECK(std::isnan(terms.grad_stats.cos_ce_dice));
  CHECK(std::isnan(terms.grad_stats.cos_dice_focal));
}

TEST_CASE("grad stats need no autograd and are off unless asked for") {
  const Batch b = random_batch(10);
  LossOptions options;
  options.grad_stats = true;
  const LossValues plain = combined_loss(b.logits, b.target, {1.0, 1.0, 1.0}, options).read();
  Tensor z = b.logits.clone().set_requires_grad(true);
  const LossValues recorded = combined_loss(z, b.target, {1.0, 1.0, 1.0}, options).read();
  CHECK(plain.grad_stats.total_norm == recorded.grad_stats.total_norm);
  CHECK(plain.grad_stats.cos_ce_dice == recorded.grad_stats.cos_ce_dice);
  CHECK_FALSE(combined_loss(z, b.target, {1.0, 1.0, 1.0}).read().grad_stats.computed);
}

TEST_CASE("per-class Dice gradient magnitude is 2 / (K (S_c + eps)) from the batch's soft sums") {
  const Batch b = random_batch(5);
  LossOptions options;
  options.grad_stats = true;
  const LossValues terms = combined_loss(b.logits, b.target, {0.5, 1.0, 0.5}, options).read();
  const int64_t C = b.logits.size(-1);
  REQUIRE(terms.grad_stats.dice_class_grad.size() == static_cast<size_t>(C));
  // S_c = sum of p_c over the valid pixels + the number of valid pixels of class c; K = C.
  const Tensor p = softmax(b.logits);
  const std::vector<double> pv = p.to_double_vector();
  std::vector<double> s(static_cast<size_t>(C), 0.0);
  for (int64_t i = 0; i < b.target.numel(); ++i) {
    const int t = b.target.data<uint8_t>()[i];
    if (t == 255) continue;
    for (int64_t c = 0; c < C; ++c) s[static_cast<size_t>(c)] += pv[static_cast<size_t>(i * C + c)];
    s[static_cast<size_t>(t)] += 1;
  }
  for (int64_t c = 0; c < C; ++c) {
    INFO("class " << c);
    CHECK(terms.grad_stats.dice_class_grad[static_cast<size_t>(c)] ==
          doctest::Approx(2.0 / (static_cast<double>(C) * (s[static_cast<size_t>(c)] + 1e-6))).epsilon(1e-12));
  }
  // Class 3 never occurs in the target (labels 0..2): the least mass, the largest pull.
  CHECK(terms.grad_stats.dice_class_grad[3] ==
        *std::max_element(terms.grad_stats.dice_class_grad.begin(), terms.grad_stats.dice_class_grad.end()));
  // Without a Dice term, or without statistics, there is nothing to report.
  CHECK(combined_loss(b.logits, b.target, {1.0, 0.0, 1.0}, options).read().grad_stats.dice_class_grad.empty());
  CHECK(combined_loss(b.logits, b.target, {0.5, 1.0, 0.5}).read().grad_stats.dice_class_grad.empty());
}
