#pragma once
// CUDA paths of the pooling front-ends.
#include "cuda/pool.h"
#include "engine/kernel_types.h"
#include "engine/ops/cuda/common.h"

namespace segrun::cuda_ops {

inline cuda::PoolShape pool_shape(const PoolGeometry& g) {
  return {g.batch, g.height, g.width, g.channels, g.out_height, g.out_width, g.kernel, g.stride, g.pad};
}

inline void max_pool_forward(const Tensor& x, const PoolGeometry& g, Tensor& out, Tensor& argmax) {
  cuda::max_pool_forward(x.dtype(), pool_shape(g), x.raw_data(), out.raw_data(), argmax.data<int32_t>(), stream());
}

inline void max_pool_backward(const Tensor& g, const Tensor& argmax, const PoolGeometry& geo, Tensor& gx) {
  cuda::max_pool_backward(g.dtype(), pool_shape(geo), argmax.data<int32_t>(), g.raw_data(), gx.raw_data(), stream());
}

inline void global_avg_pool_forward(const Tensor& x, int64_t batch, int64_t pixels, int64_t channels, Tensor& out) {
  cuda::global_avg_pool_forward(x.dtype(), batch, pixels, channels, x.raw_data(), out.raw_data(), stream());
}

inline void global_avg_pool_backward(const Tensor& g, int64_t batch, int64_t pixels, int64_t channels, Tensor& gx) {
  cuda::global_avg_pool_backward(g.dtype(), batch, pixels, channels, g.raw_data(), gx.raw_data(), stream());
}

}  // namespace segrun::cuda_ops
