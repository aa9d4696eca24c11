#pragma once
// CUDA path of the softmax-loss op: the fused kernels of cuda/softmax_loss.h. The forward pass
// computes the statistics and the loss values; the node's backward runs the gradient pass with
// the incoming gradient folded in (read from device memory). The values stay on the device,
// packed into the f64 sums tensor (engine/kernel_types.h LossSumSlot): nothing is read back.
#include <vector>

#include "cuda/softmax_loss.h"
#include "engine/autograd.h"
#include "engine/error.h"
#include "engine/ops/cuda/common.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/softmax_loss.h"

namespace segrun::cuda_ops {

// Loss values (and, with spec.grad_stats, the gradient sums) into `sums`; returns the total
// as one recorded node. Labels are not range-checked here (that would cost a device-to-host
// copy per step): a value outside [0, C) other than kIgnoreLabel counts as ignored.
inline Tensor softmax_loss(const char* op, const Tensor& logits, const Tensor& target, const SoftmaxLossSpec& spec,
                           Tensor* sums) {
  SEGRUN_CHECK_ARG(target.defined() && target.device() == logits.device(), op, ": target ", target.str(),
                   " must be on the logits' device ", logits.device().str());
  SEGRUN_CHECK_ARG(logits.dtype() == DType::F32 || logits.dtype() == DType::F16, op, ": logits ", logits.str(),
                   " must be f32 or f16 on the GPU");
  SEGRUN_CHECK_ARG(target.dtype() == DType::U8 || target.dtype() == DType::I32, op, ": target ", target.str(),
                   " must be u8 or i32");
  const Shape pixel_shape(logits.shape().begin(), logits.shape().end() - 1);
  SEGRUN_CHECK_ARG(logits.dim() >= 2 && target.shape() == pixel_shape, op, ": target ", shape_str(target.shape()),
                   " does not match logits ", shape_str(logits.shape()), " (expected ", shape_str(pixel_shape), ")");
  cuda::SoftmaxLossArgs a;
  a.logits_dt = logits.dtype();
  a.label_dt = target.dtype();
  a.classes = logits.size(-1);
  a.pixels = target.numel();
  a.w_ce = static_cast<float>(spec.w_ce), a.w_dice = static_cast<float>(spec.w_dice);
  a.w_focal = static_cast<float>(spec.w_focal);
  a.focal_alpha = static_cast<float>(spec.focal_alpha);
  a.focal_gamma = static_cast<float>(spec.focal_gamma);
  a.dice_mask_absent = spec.dice_mask_absent;
  Tensor class_weight;
  if (spec.class_weight.defined()) {
    SEGRUN_CHECK_ARG(spec.class_weight.shape() == Shape{a.classes}, op, ": class_weight ", spec.class_weight.str(),
                     " must have ", a.classes, " entries (one per class)");
    class_weight = cast(spec.class_weight.detach().to(logits.device()), DType::F32).detach();
    a.class_weights = class_weight.data<float>();
  }
  Tensor stats = device_floats(cuda::softmax_loss_stats_floats(a.classes));
  Tensor values = device_floats(4);
  cuda::softmax_loss_forward(a, logits.raw_data(), target.raw_data(), stats.data<float>(), values.data<float>(),
                             stream());
  // With gradient statistics the gradient pass runs here, once: the node keeps its result and
  // its backward is one elementwise product with the incoming scalar, not a second pass.
  Tensor unscaled_grad, grad_sums;
  if (spec.grad_stats) {
    unscaled_grad = Tensor::empty(logits.shape(), logits.dtype(), logits.device());
    grad_sums = device_floats(cuda::kLossGradSums);
    cuda::softmax_loss_backward(a, logits.raw_data(), target.raw_data(), stats.data<float>(), nullptr,
                                unscaled_grad.raw_data(), grad_sums.data<float>(), stream());
  }
  *sums = Tensor::empty({kLossSumSlots + a.classes}, DType::F64, logits.device());
  cuda::pack_loss_sums(values.data<float>(), stats.data<float>(), spec.grad_stats ? grad_sums.data<float>() : nullptr,
                       a.classes, spec.grad_stats && spec.w_dice != 0, sums->data<double>(), stream());
  const Tensor total = cast(values.slice(3, 4), logits.dtype()).detach();
  if (unscaled_grad.defined()) {
    return record(op, total, {logits},
                  [unscaled_grad](const Tensor& g) { return std::vector<Tensor>{mul(unscaled_grad, g)}; });
  }
  const Tensor saved_logits = logits.detach(), saved_target = target.detach();
  // class_weight is captured so the weights the kernel reads live until the gradient pass.
  return record(op, total, {logits}, [a, stats, saved_logits, saved_target, class_weight](const Tensor& g) {
    Tensor grad = Tensor::empty(saved_logits.shape(), saved_logits.dtype(), saved_logits.device());
    const Tensor scale = cast(g, DType::F32);
    cuda::softmax_loss_backward(a, saved_logits.raw_data(), saved_target.raw_data(), stats.data<float>(),
                                scale.data<float>(), grad.raw_data(), nullptr, stream());
    return std::vector<Tensor>{grad};
  });
}

}  // namespace segrun::cuda_ops
