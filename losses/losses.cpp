#include "losses/losses.h"

#include <cmath>
#include <limits>

#include "engine/ops/softmax_loss.h"

namespace segrun::losses {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double cosine(double dot, double sq_a, double sq_b) {
  return sq_a > 0 && sq_b > 0 ? dot / (std::sqrt(sq_a) * std::sqrt(sq_b)) : kNaN;
}

LossGradStats grad_stats_from(const SoftmaxLossSums& s) {
  LossGradStats g;
  g.computed = true;
  g.ce_norm = std::sqrt(s.ce_sq);
  g.dice_norm = std::sqrt(s.dice_sq);
  g.focal_norm = std::sqrt(s.focal_sq);
  g.total_norm = std::sqrt(s.total_sq);
  g.cos_ce_dice = cosine(s.ce_dice, s.ce_sq, s.dice_sq);
  g.cos_ce_focal = cosine(s.ce_focal, s.ce_sq, s.focal_sq);
  g.cos_dice_focal = cosine(s.dice_focal, s.dice_sq, s.focal_sq);
  g.dice_class_grad = s.dice_class_grad;
  return g;
}

// The engine's fused softmax-loss op with the selected terms; LossTerms from its sums.
LossTerms softmax_losses(const char* op, const Tensor& logits, const Tensor& target, const LossWeights& weights,
                         const LossOptions& options) {
  SoftmaxLossSpec spec;
  spec.w_ce = weights.ce;
  spec.w_dice = weights.dice;
  spec.w_focal = weights.focal;
  spec.class_weight = options.class_weight;
  spec.dice_mask_absent = options.dice_absent == DiceAbsent::Mask;
  spec.focal_alpha = options.focal.alpha;
  spec.focal_gamma = options.focal.gamma;
  spec.grad_stats = options.grad_stats;
  const SoftmaxLossResult r = softmax_loss(logits, target, spec, op);
  LossTerms terms;
  terms.total = r.total;
  terms.sums = r.sums;
  terms.weights = weights;
  terms.grad_stats = options.grad_stats;
  return terms;
}
}  // namespace

LossValues loss_values(const std::vector<double>& packed, const LossWeights& weights, bool grad_stats) {
  const SoftmaxLossSums s = unpack_loss_sums(packed);
  LossValues v;
  v.total = s.total;
  v.ce = weights.ce != 0 ? s.ce : kNaN;
  v.dice = weights.dice != 0 ? s.dice : kNaN;
  v.focal = weights.focal != 0 ? s.focal : kNaN;
  v.valid_pixels = s.valid_pixels;
  if (grad_stats) v.grad_stats = grad_stats_from(s);
  return v;
}

LossValues LossTerms::read() const {
  return loss_values(sums.to_double_vector(), weights, grad_stats);
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& class_weight) {
  LossOptions options;
  options.class_weight = class_weight;
  return softmax_losses("cross_entropy", logits, target, {1, 0, 0}, options).total;
}

Tensor dice(const Tensor& logits, const Tensor& target, DiceAbsent absent) {
  LossOptions options;
  options.dice_absent = absent;
  return softmax_losses("dice", logits, target, {0, 1, 0}, options).total;
}

Tensor focal(const Tensor& logits, const Tensor& target, const FocalParams& params) {
  LossOptions options;
  options.focal = params;
  return softmax_losses("focal", logits, target, {0, 0, 1}, options).total;
}

LossTerms combined_loss(const Tensor& logits, const Tensor& target, const LossWeights& weights,
                        const LossOptions& options) {
  return softmax_losses("combined_loss", logits, target, weights, options);
}

}  // namespace segrun::losses
