#pragma once
// CUDA paths of the softmax and log-softmax front-ends.
#include "cuda/softmax.h"
#include "engine/ops/cuda/common.h"

namespace segrun::cuda_ops {

inline void softmax_forward(const Tensor& x, int64_t rows, int64_t cols, bool log_output, Tensor& out) {
  cuda::softmax_forward(x.dtype(), log_output, x.raw_data(), out.raw_data(), rows, cols, stream());
}

inline void softmax_backward(const Tensor& y, const Tensor& g, int64_t rows, int64_t cols, bool log_output,
                             Tensor& gx) {
  cuda::softmax_backward(g.dtype(), log_output, y.raw_data(), g.raw_data(), gx.raw_data(), rows, cols, stream());
}

}  // namespace segrun::cuda_ops
