#pragma once
// CUDA paths of the resize and concat front-ends.
#include <vector>

#include "cuda/resize.h"
#include "engine/cpu/resize.h"
#include "engine/ops/cuda/common.h"

namespace segrun::cuda_ops {

inline cuda::ResizeShape resize_shape(const cpu::ResizeGeometry& g) {
  return {g.batch, g.in_height, g.in_width, g.channels, g.out_height, g.out_width};
}

inline void resize_forward(const Tensor& x, const cpu::ResizeGeometry& g, Tensor& out) {
  cuda::resize_bilinear_forward(x.dtype(), resize_shape(g), x.raw_data(), out.raw_data(), stream());
}

inline void resize_backward(const Tensor& g, const cpu::ResizeGeometry& geo, Tensor& gx) {
  // f16 gradients are accumulated in an f32 scratch first (atomics in f32).
  Tensor scratch = g.dtype() == DType::F32 ? Tensor() : device_floats(gx.numel());
  cuda::resize_bilinear_backward(g.dtype(), resize_shape(geo), g.raw_data(), gx.raw_data(),
                                 scratch.defined() ? scratch.data<float>() : nullptr, stream());
}

// out[r, offset_k : offset_k + width_k] = parts[k][r, :], rows = out.numel() / out.size(-1).
inline void concat_forward(const std::vector<Tensor>& parts, Tensor& out) {
  const int64_t width = out.size(-1), rows = width ? out.numel() / width : 0;
  int64_t offset = 0;
  for (const Tensor& p : parts) {
    const int64_t w = p.size(-1);
    cuda::copy_channels(out.dtype(), p.raw_data(), w, 0, out.raw_data(), width, offset, rows, w, stream());
    offset += w;
  }
}

// The inverse: grads[k] (undefined ones skipped) = g's columns of part k.
inline void concat_backward(const Tensor& g, const std::vector<int64_t>& widths, std::vector<Tensor>& grads) {
  const int64_t width = g.size(-1), rows = width ? g.numel() / width : 0;
  int64_t offset = 0;
  for (size_t k = 0; k < widths.size(); ++k) {
    if (grads[k].defined())
      cuda::copy_channels(g.dtype(), g.raw_data(), width, offset, grads[k].raw_data(), widths[k], 0, rows, widths[k],
                          stream());
    offset += widths[k];
  }
}

}  // namespace segrun::cuda_ops
