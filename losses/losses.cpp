#include "losses/losses.h"

#include <cmath>
#include <limits>
#include <vector>

#include "engine/autograd.h"
#include "engine/error.h"
#include "engine/ops/device_check.h"
#include "losses/cpu_softmax_losses.h"
#ifdef SEGRUN_WITH_CUDA
#include "losses/cuda_softmax_losses.h"
#endif

namespace segrun::losses {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The inputs of one loss call after checking: targets as i32, class weights as doubles.
struct LossInputs {
  Tensor target;
  int64_t pixels = 0, classes = 0;
  std::vector<double> class_weight;
};

void check_labels(const char* op, const Tensor& target, int64_t classes) {
  const int32_t* t = target.data<int32_t>();
  for (int64_t i = 0; i < target.numel(); ++i) {
    SEGRUN_CHECK_ARG((t[i] >= 0 && t[i] < classes) || t[i] == kIgnoreLabel, op, ": target value ", t[i], " at element ",
                     i, " is neither a class in [0, ", classes, ") nor the ignore label ", kIgnoreLabel);
  }
}

std::vector<double> checked_class_weight(const char* op, const Tensor& w, int64_t classes) {
  if (!w.defined()) return {};
  SEGRUN_CHECK_ARG(is_floating(w.dtype()) && w.dim() == 1 && w.size(0) == classes, op, ": class_weight ", w.str(),
                   " must be a floating vector of ", classes, " entries (one per class)");
  std::vector<double> v = w.to_double_vector();
  for (size_t c = 0; c < v.size(); ++c) {
    SEGRUN_CHECK_ARG(std::isfinite(v[c]) && v[c] >= 0, op, ": class_weight[", c, "] = ", v[c],
                     " is not a finite non-negative number");
  }
  return v;
}

LossInputs check_inputs(const char* op, const Tensor& logits, const Tensor& target, const Tensor& class_weight) {
  check_defined(logits, op, "logits");
  check_defined(target, op, "target");
  require_cpu(op, logits);
  require_cpu(op, target);
  SEGRUN_CHECK_ARG(logits.dtype() == DType::F32 || logits.dtype() == DType::F64, op, ": logits ", logits.str(),
                   " must be f32 or f64");
  SEGRUN_CHECK_ARG(target.dtype() == DType::U8 || target.dtype() == DType::I32, op, ": target ", target.str(),
                   " must be u8 or i32");
  SEGRUN_CHECK_ARG(logits.dim() >= 2 && logits.size(-1) >= 1, op, ": logits ", shape_str(logits.shape()),
                   " must be (N,H,W,C) with at least one class");
  const Shape pixel_shape(logits.shape().begin(), logits.shape().end() - 1);
  SEGRUN_CHECK_ARG(target.shape() == pixel_shape, op, ": target ", shape_str(target.shape()), " does not match logits ",
                   shape_str(logits.shape()), " (expected ", shape_str(pixel_shape), ")");
  LossInputs in;
  in.classes = logits.size(-1);
  in.pixels = target.numel();
  in.target = target.dtype() == DType::I32 ? target : target.to(DType::I32);
  check_labels(op, in.target, in.classes);
  in.class_weight = checked_class_weight(op, class_weight, in.classes);
  return in;
}

void check_weights(const LossWeights& w) {
  for (double x : {w.ce, w.dice, w.focal}) {
    SEGRUN_CHECK_ARG(std::isfinite(x) && x >= 0,
                     "combined_loss: weights must be finite and non-negative, got ce=", w.ce, " dice=", w.dice,
                     " focal=", w.focal);
  }
}

double cosine(double dot, double sq_a, double sq_b) {
  return sq_a > 0 && sq_b > 0 ? dot / (std::sqrt(sq_a) * std::sqrt(sq_b)) : kNaN;
}

LossGradStats grad_stats_from(const cpu::SoftmaxLossSums& s) {
  LossGradStats g;
  g.computed = true;
  g.ce_norm = std::sqrt(s.ce_sq);
  g.dice_norm = std::sqrt(s.dice_sq);
  g.focal_norm = std::sqrt(s.focal_sq);
  g.total_norm = std::sqrt(s.total_sq);
  g.cos_ce_dice = cosine(s.ce_dice, s.ce_sq, s.dice_sq);
  g.cos_ce_focal = cosine(s.ce_focal, s.ce_sq, s.focal_sq);
  g.cos_dice_focal = cosine(s.dice_focal, s.dice_sq, s.focal_sq);
  return g;
}

template <typename T>
cpu::SoftmaxLossSums run_kernel(const Tensor& logits, const LossInputs& in, const LossWeights& w,
                                const LossOptions& options, T* grad) {
  cpu::SoftmaxLossProblem<T> pb;
  pb.logits = logits.data<T>();
  pb.target = in.target.data<int32_t>();
  pb.pixels = in.pixels;
  pb.classes = in.classes;
  pb.class_weight = in.class_weight.empty() ? nullptr : in.class_weight.data();
  pb.w_ce = w.ce;
  pb.w_dice = w.dice;
  pb.w_focal = w.focal;
  pb.dice_mask_absent = options.dice_absent == DiceAbsent::Mask;
  pb.focal_alpha = options.focal.alpha;
  pb.focal_gamma = options.focal.gamma;
  pb.want_grad_stats = options.grad_stats;
  return cpu::softmax_losses<T>(pb, grad);
}

LossTerms terms_from(const cpu::SoftmaxLossSums& sums, const LossWeights& weights, const LossOptions& options) {
  LossTerms terms;
  terms.ce = weights.ce != 0 ? sums.ce : kNaN;
  terms.dice = weights.dice != 0 ? sums.dice : kNaN;
  terms.focal = weights.focal != 0 ? sums.focal : kNaN;
  terms.valid_pixels = sums.valid_pixels;
  if (options.grad_stats) terms.grad_stats = grad_stats_from(sums);
  return terms;
}

// One softmax, the selected terms, and one autograd node `op` whose backward scales the
// gradient computed here by the incoming scalar gradient.
LossTerms softmax_losses(const char* op, const Tensor& logits, const Tensor& target, const LossWeights& weights,
                         const LossOptions& options) {
  check_weights(weights);
  SEGRUN_CHECK_ARG(std::isfinite(options.focal.alpha) && std::isfinite(options.focal.gamma) && options.focal.gamma >= 0,
                   op, ": focal alpha ", options.focal.alpha, " and gamma ", options.focal.gamma,
                   " must be finite with gamma >= 0");
#ifdef SEGRUN_WITH_CUDA
  if (logits.defined() && logits.is_cuda()) {
    cpu::SoftmaxLossSums sums;
    const Tensor total = cuda_path::softmax_losses(op, logits, target, weights, options, &sums);
    LossTerms terms = terms_from(sums, weights, options);
    terms.total = total;
    return terms;
  }
#endif
  const LossInputs in = check_inputs(op, logits, target, options.class_weight);
  const bool need_grad = any_requires_grad({logits});
  Tensor grad = need_grad || options.grad_stats ? Tensor::empty(logits.shape(), logits.dtype()) : Tensor();
  const cpu::SoftmaxLossSums sums = dispatch_float(logits.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    return run_kernel<T>(logits, in, weights, options, grad.defined() ? grad.data<T>() : nullptr);
  });
  LossTerms terms = terms_from(sums, weights, options);
  const Tensor saved = need_grad ? grad.detach() : Tensor();
  terms.total = record(op, Tensor::full({1}, sums.total, logits.dtype()), {logits}, [saved](const Tensor& g) {
    // The node runs once and then drops `saved`, so it can be scaled in place and handed on.
    const double s = g.item();
    if (s != 1.0) {
      dispatch_float(saved.dtype(), "loss backward", [&](auto tag) {
        using T = decltype(tag);
        cpu::scale_gradient<T>(saved.data<T>(), saved.numel(), static_cast<T>(s));
      });
    }
    return std::vector<Tensor>{saved};
  });
  return terms;
}
}  // namespace

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
