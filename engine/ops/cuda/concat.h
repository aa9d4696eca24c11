#pragma once
// CUDA paths of the concat front-end: per part, one strided copy of its channels.
#include <vector>

#include "cuda/concat.h"
#include "engine/ops/cuda/common.h"

namespace segrun::cuda_ops {

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
