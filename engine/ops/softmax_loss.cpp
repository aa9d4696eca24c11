#include "engine/ops/softmax_loss.h"

#include <cmath>
#include <vector>

#include "engine/autograd.h"
#include "engine/cpu/softmax_loss.h"
#include "engine/error.h"
#include "engine/ops/device_check.h"
#ifdef SEGRUN_WITH_CUDA
#include "engine/ops/cuda/softmax_loss.h"
#endif

namespace segrun {

namespace {

// The inputs of one CPU call after checking: targets as i32, class weights as doubles.
struct LossInputs {
  Tensor target;
  int64_t pixels = 0, classes = 0;
  std::vector<double> class_weight;
};

void check_spec(const char* op, const SoftmaxLossSpec& s) {
  for (double w : {s.w_ce, s.w_dice, s.w_focal}) {
    SEGRUN_CHECK_ARG(std::isfinite(w) && w >= 0, op, ": weights must be finite and non-negative, got ce=", s.w_ce,
                     " dice=", s.w_dice, " focal=", s.w_focal);
  }
  SEGRUN_CHECK_ARG(std::isfinite(s.focal_alpha) && std::isfinite(s.focal_gamma) && s.focal_gamma >= 0, op,
                   ": focal alpha ", s.focal_alpha, " and gamma ", s.focal_gamma, " must be finite with gamma >= 0");
}

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
  require_cpu(op, w);
  const std::vector<double> v = dispatch_float(w.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    return std::vector<double>(w.data<T>(), w.data<T>() + w.numel());
  });
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

template <typename T>
SoftmaxLossSums run_cpu_kernel(const Tensor& logits, const LossInputs& in, const SoftmaxLossSpec& spec, T* grad) {
  cpu::SoftmaxLossProblem<T> pb;
  pb.logits = logits.data<T>();
  pb.target = in.target.data<int32_t>();
  pb.pixels = in.pixels;
  pb.classes = in.classes;
  pb.class_weight = in.class_weight.empty() ? nullptr : in.class_weight.data();
  pb.w_ce = spec.w_ce;
  pb.w_dice = spec.w_dice;
  pb.w_focal = spec.w_focal;
  pb.dice_mask_absent = spec.dice_mask_absent;
  pb.focal_alpha = spec.focal_alpha;
  pb.focal_gamma = spec.focal_gamma;
  pb.want_grad_stats = spec.grad_stats;
  return cpu::softmax_losses<T>(pb, grad);
}

// The host struct in the packed layout; `total` as the op's f32 or f64 total tensor holds it.
template <typename T>
Tensor pack_sums(const SoftmaxLossSums& s, int64_t classes) {
  std::vector<double> p(static_cast<size_t>(kLossSumSlots + classes), 0.0);
  p[kLossCe] = s.ce, p[kLossDice] = s.dice, p[kLossFocal] = s.focal;
  p[kLossTotal] = static_cast<double>(static_cast<T>(s.total));
  p[kLossValidPixels] = static_cast<double>(s.valid_pixels);
  p[kLossCeSq] = s.ce_sq, p[kLossDiceSq] = s.dice_sq, p[kLossFocalSq] = s.focal_sq, p[kLossTotalSq] = s.total_sq;
  p[kLossCeDice] = s.ce_dice, p[kLossCeFocal] = s.ce_focal, p[kLossDiceFocal] = s.dice_focal;
  p[kLossHasDiceClassGrad] = s.dice_class_grad.empty() ? 0.0 : 1.0;
  for (size_t c = 0; c < s.dice_class_grad.size(); ++c) p[kLossSumSlots + c] = s.dice_class_grad[c];
  return Tensor::from_vector(p, {static_cast<int64_t>(p.size())});
}

}  // namespace

SoftmaxLossSums unpack_loss_sums(const std::vector<double>& p) {
  SEGRUN_CHECK_ARG(p.size() >= kLossSumSlots, "unpack_loss_sums: ", p.size(), " values, at least ",
                   static_cast<int>(kLossSumSlots), " expected");
  SoftmaxLossSums s;
  s.ce = p[kLossCe], s.dice = p[kLossDice], s.focal = p[kLossFocal], s.total = p[kLossTotal];
  s.valid_pixels = static_cast<int64_t>(p[kLossValidPixels]);
  s.ce_sq = p[kLossCeSq], s.dice_sq = p[kLossDiceSq], s.focal_sq = p[kLossFocalSq], s.total_sq = p[kLossTotalSq];
  s.ce_dice = p[kLossCeDice], s.ce_focal = p[kLossCeFocal], s.dice_focal = p[kLossDiceFocal];
  if (p[kLossHasDiceClassGrad] != 0.0) s.dice_class_grad.assign(p.begin() + kLossSumSlots, p.end());
  return s;
}

SoftmaxLossResult softmax_loss(const Tensor& logits, const Tensor& target, const SoftmaxLossSpec& spec,
                               const char* op) {
  check_spec(op, spec);
  SoftmaxLossResult result;
  SEGRUN_ON_CUDA(logits, result.total = cuda_ops::softmax_loss(op, logits, target, spec, &result.sums)) {
    const LossInputs in = check_inputs(op, logits, target, spec.class_weight);
    const bool need_grad = any_requires_grad({logits});
    Tensor grad = need_grad || spec.grad_stats ? Tensor::empty(logits.shape(), logits.dtype()) : Tensor();
    const SoftmaxLossSums sums = dispatch_float(logits.dtype(), op, [&](auto tag) {
      using T = decltype(tag);
      return run_cpu_kernel<T>(logits, in, spec, grad.defined() ? grad.data<T>() : nullptr);
    });
    result.sums =
        dispatch_float(logits.dtype(), op, [&](auto tag) { return pack_sums<decltype(tag)>(sums, in.classes); });
    // The gradient is computed here, in the same pass as the values; the node only scales it.
    const Tensor saved = need_grad ? grad.detach() : Tensor();
    result.total = record(op, Tensor::full({1}, sums.total, logits.dtype()), {logits}, [saved](const Tensor& g) {
      // The node runs once and then drops `saved`, so it can be scaled in place and handed on.
      const double s = cpu_scalar(g, "softmax_loss backward");
      if (s != 1.0) {
        dispatch_float(saved.dtype(), "softmax_loss backward", [&](auto tag) {
          using T = decltype(tag);
          cpu::scale_gradient<T>(saved.data<T>(), saved.numel(), static_cast<T>(s));
        });
      }
      return std::vector<Tensor>{saved};
    });
  }
  return result;
}

}  // namespace segrun
