#include "engine/ops/optim.h"

#include "engine/cpu/optim.h"
#include "engine/error.h"
#include "engine/ops/device_check.h"
#ifdef SEGRUN_WITH_CUDA
#include "engine/ops/cuda/optim.h"
#endif

namespace segrun {

namespace {
void check_flat(const Tensor& t, const Tensor& like, const char* op, const char* what) {
  check_defined(t, op, what);
  SEGRUN_CHECK_ARG(t.dim() == 1 && t.numel() == like.numel(), op, ": ", what, " must be 1-d with ", like.numel(),
                   " elements, got ", t.str());
  check_same_device_dtype(t, like, op);
}

void check_state(const Tensor& state, const Tensor& like, const char* op) {
  check_defined(state, op, "state");
  SEGRUN_CHECK_ARG(
      state.dtype() == DType::F64 && state.shape() == Shape{kOptimSlots} && state.device() == like.device(), op,
      ": state must be f64[", static_cast<int>(kOptimSlots), "] on ", like.device().str(), ", got ", state.str());
}

void check_buffer(const Tensor& t, const char* op) {
  check_defined(t, op, "buffer");
  SEGRUN_CHECK_ARG(t.dim() == 1, op, ": buffers are 1-d, got ", t.str());
  SEGRUN_CHECK_ARG(t.dtype() == DType::F32 || (t.dtype() == DType::F64 && t.device().is_cpu()), op,
                   ": buffers are f32 (or f64 on the cpu), got ", t.str());
}
}  // namespace

Tensor optim_state(double loss_scale, Device device) {
  std::vector<double> slots(kOptimSlots, 0.0);
  slots[kOptimLossScale] = loss_scale;
  slots[kOptimStepScale] = loss_scale;
  slots[kOptimClipCoef] = 1.0;
  const Tensor host = Tensor::from_vector(slots, {kOptimSlots});
  return device.is_cpu() ? host : host.to(device);
}

void check_gradients(const Tensor& grads, const std::vector<int64_t>& segment_ends, double max_norm, Tensor& state) {
  const char* op = "check_gradients";
  check_buffer(grads, op);
  check_state(state, grads, op);
  SEGRUN_CHECK_ARG(max_norm >= 0, op, ": max_norm must be >= 0, got ", max_norm);
  int64_t previous = 0;
  for (int64_t end : segment_ends) {
    SEGRUN_CHECK_ARG(end >= previous, op, ": segment ends must not decrease");
    previous = end;
  }
  SEGRUN_CHECK_ARG(previous == grads.numel(), op, ": segments end at ", previous, ", the buffer has ", grads.numel(),
                   " elements");
  SEGRUN_ON_CUDA(grads, cuda_ops::check_gradients(grads, max_norm, state)) {
    require_cpu(op, grads);
    dispatch_float(grads.dtype(), op, [&](auto tag) {
      using T = decltype(tag);
      cpu::check_gradients<T>(grads.data<T>(), segment_ends.data(), static_cast<int64_t>(segment_ends.size()), max_norm,
                              state.data<double>());
    });
  }
}

void adamw_update(Tensor& params, const Tensor& grads, Tensor& exp_avg, Tensor& exp_avg_sq, Tensor& state,
                  const AdamWHyper& hyper, Tensor* params_f16) {
  const char* op = "adamw_update";
  check_buffer(params, op);
  check_flat(grads, params, op, "gradients");
  check_flat(exp_avg, params, op, "exp_avg");
  check_flat(exp_avg_sq, params, op, "exp_avg_sq");
  check_state(state, params, op);
  if (params_f16) {
    SEGRUN_CHECK_ARG(params_f16->dtype() == DType::F16 && params_f16->numel() == params.numel() &&
                         params_f16->device() == params.device(),
                     op, ": the f16 copy must be f16 with ", params.numel(), " elements on ", params.device().str(),
                     ", got ", params_f16->str());
  }
  SEGRUN_ON_CUDA(params, cuda_ops::adamw_update(params, grads, exp_avg, exp_avg_sq, state, hyper, params_f16)) {
    require_cpu(op, params);
    dispatch_float(params.dtype(), op, [&](auto tag) {
      using T = decltype(tag);
      cpu::adamw_update<T>(params.data<T>(), grads.data<T>(), exp_avg.data<T>(), exp_avg_sq.data<T>(),
                           params_f16 ? params_f16->data<uint16_t>() : nullptr, params.numel(), hyper,
                           state.data<double>());
    });
  }
}

void update_loss_scale(Tensor& state, Tensor& loss_scale, const LossScaleHyper& hyper) {
  const char* op = "update_loss_scale";
  check_defined(loss_scale, op, "loss scale");
  SEGRUN_CHECK_ARG(loss_scale.dtype() == DType::F32 && loss_scale.numel() == 1, op,
                   ": the loss scale must be one f32 value, got ", loss_scale.str());
  check_state(state, loss_scale, op);
  SEGRUN_ON_CUDA(state, cuda_ops::update_loss_scale(state, loss_scale, hyper)) {
    require_cpu(op, state);
    cpu::update_loss_scale(state.data<double>(), loss_scale.data<float>(), hyper);
  }
}

}  // namespace segrun
