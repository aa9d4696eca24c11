#pragma once
// CUDA paths of the resize front-end.
#include "cuda/resize.h"
#include "engine/kernel_types.h"
#include "engine/ops/cuda/common.h"

namespace segrun::cuda_ops {

inline cuda::ResizeShape resize_shape(const ResizeGeometry& g) {
  return {g.batch, g.in_height, g.in_width, g.channels, g.out_height, g.out_width};
}

inline void resize_forward(const Tensor& x, const ResizeGeometry& g, Tensor& out) {
  cuda::resize_bilinear_forward(x.dtype(), resize_shape(g), x.raw_data(), out.raw_data(), stream());
}

inline void resize_backward(const Tensor& g, const ResizeGeometry& geo, Tensor& gx) {
  // f16 gradients are accumulated in an f32 scratch first (atomics in f32).
  Tensor scratch = g.dtype() == DType::F32 ? Tensor() : device_floats(gx.numel());
  cuda::resize_bilinear_backward(g.dtype(), resize_shape(geo), g.raw_data(), gx.raw_data(),
                                 scratch.defined() ? scratch.data<float>() : nullptr, stream());
}

}  // namespace segrun::cuda_ops
