#pragma once
// CUDA path of batch_norm2d, batch_norm2d_relu and batch_norm2d_add_relu. The statistics stay on
// the device (FP32), so this path records its own node: it saves device tensors where the CPU
// path saves host vectors. With relu, the node also keeps its output, whose sign masks the
// incoming gradient; a residual (may be undefined) is added before the ReLU and takes that
// masked gradient.
#include <vector>

#include "cuda/norm.h"
#include "engine/autograd.h"
#include "engine/ops/cuda/common.h"

namespace segrun::cuda_ops {

inline void* data_or_null(const Tensor& t) {
  return t.defined() ? t.raw_data() : nullptr;
}

inline Tensor batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                           Tensor& running_var, bool training, double momentum, double eps, bool relu,
                           const Tensor& residual = Tensor()) {
  const int64_t channels = x.size(-1);
  cuda::NormArgs a;
  a.dt = x.dtype();
  a.param_dt = weight.dtype();
  a.rows = x.numel() / channels;
  a.c = channels;
  a.momentum = static_cast<float>(momentum);
  a.eps = static_cast<float>(eps);
  a.relu = relu;
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor mean = device_floats(channels), invstd = device_floats(channels);
  if (training) {
    Tensor scratch = device_floats(cuda::batch_norm_scratch_floats(a));
    cuda::batch_norm_forward_training(a, x.raw_data(), weight.raw_data(), bias.raw_data(), data_or_null(running_mean),
                                      data_or_null(running_var), data_or_null(residual), mean.data<float>(),
                                      invstd.data<float>(), out.raw_data(), scratch.data<float>(), stream());
  } else {
    cuda::batch_norm_forward_eval(a, x.raw_data(), weight.raw_data(), bias.raw_data(), running_mean.raw_data(),
                                  running_var.raw_data(), data_or_null(residual), mean.data<float>(),
                                  invstd.data<float>(), out.raw_data(), stream());
  }
  if (!any_requires_grad({x, weight, bias, residual})) return out;
  const std::vector<bool> need = grad_needed({x, weight, bias, residual});
  const Tensor saved_x = x.detach(), saved_w = weight.detach();
  const Tensor saved_out = relu ? out.detach() : Tensor();
  const char* name = residual.defined() ? "batch_norm2d_add_relu" : relu ? "batch_norm2d_relu" : "batch_norm2d";
  return record(name, out, {x, weight, bias, residual}, [=](const Tensor& g) {
    Tensor gx = need[0] ? Tensor::empty(saved_x.shape(), g.dtype(), g.device()) : Tensor();
    Tensor gw = need[1] ? Tensor::empty(saved_w.shape(), saved_w.dtype(), g.device()) : Tensor();
    Tensor gb = need[2] ? Tensor::empty(saved_w.shape(), saved_w.dtype(), g.device()) : Tensor();
    Tensor gr = need[3] ? Tensor::empty(saved_x.shape(), g.dtype(), g.device()) : Tensor();
    Tensor scratch = device_floats(cuda::batch_norm_scratch_floats(a));
    cuda::batch_norm_backward(a, training, saved_x.raw_data(), data_or_null(saved_out), g.raw_data(),
                              saved_w.raw_data(), mean.data<float>(), invstd.data<float>(), data_or_null(gx),
                              data_or_null(gw), data_or_null(gb), data_or_null(gr), scratch.data<float>(), stream());
    return std::vector<Tensor>{gx, gw, gb, gr};
  });
}

}  // namespace segrun::cuda_ops
