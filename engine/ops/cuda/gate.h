#pragma once
// CUDA path of sigmoid_gate. The node saves x and the logit (one value per pixel), never the
// coefficients: the backward kernel recomputes each pixel's sigmoid.
#include <vector>

#include "cuda/gate.h"
#include "engine/autograd.h"
#include "engine/ops/cuda/common.h"

namespace segrun::cuda_ops {

inline Tensor sigmoid_gate(const Tensor& x, const Tensor& logit) {
  const int64_t channels = x.size(-1), rows = channels > 0 ? x.numel() / channels : 0;
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  cuda::sigmoid_gate_forward(x.dtype(), x.raw_data(), logit.raw_data(), out.raw_data(), rows, channels, stream());
  if (!any_requires_grad({x, logit})) return out;
  const std::vector<bool> need = grad_needed({x, logit});
  const Tensor saved_x = x.detach(), saved_logit = logit.detach();
  return record("sigmoid_gate", out, {x, logit}, [=](const Tensor& g) {
    Tensor gx = need[0] ? Tensor::empty(saved_x.shape(), g.dtype(), g.device()) : Tensor();
    // Without channels no kernel runs, and the logit's gradient is the empty sum: zero.
    Tensor glogit = !need[1]   ? Tensor()
                    : rows > 0 ? Tensor::empty(saved_logit.shape(), g.dtype(), g.device())
                               : Tensor::zeros(saved_logit.shape(), g.dtype(), g.device());
    cuda::sigmoid_gate_backward(g.dtype(), saved_x.raw_data(), saved_logit.raw_data(), g.raw_data(),
                                gx.defined() ? gx.raw_data() : nullptr, glogit.defined() ? glogit.raw_data() : nullptr,
                                rows, channels, stream());
    return std::vector<Tensor>{gx, glogit};
  });
}

}  // namespace segrun::cuda_ops
