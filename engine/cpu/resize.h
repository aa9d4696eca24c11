#pragma once
// CPU kernels for bilinear resize of NHWC tensors (PyTorch align_corners=False semantics,
// docs/REFERENCE.md section 3.6).
#include <cstdint>
#include <vector>

#include "engine/kernel_types.h"

namespace segrun::cpu {

// The two source indices and weights one output index reads along one axis.
template <typename T>
struct LinearTap {
  int64_t i0, i1;
  T w0, w1;
};

// PyTorch's area_pixel_compute_source_index with scale = in / out:
//   src = max(scale * (dst + 0.5) - 0.5, 0); i0 = min(floor(src), in - 1); i1 = min(i0 + 1, in - 1);
//   w1 = src - i0; w0 = 1 - w1.
template <typename T>
std::vector<LinearTap<T>> linear_taps(int64_t in_size, int64_t out_size);

// With h = taps[oh] along H and w = taps[ow] along W, and r(i) = w.w0 * x[i, w.i0] + w.w1 * x[i, w.i1]:
//   y[n, oh, ow] = h.w0 * r(h.i0) + h.w1 * r(h.i1).
template <typename T>
void resize_bilinear_forward(const T* x, const ResizeGeometry& geo, T* y);

// The transpose of the forward map, gathered per input row (no two threads write one element).
template <typename T>
void resize_bilinear_backward(const T* grad_y, const ResizeGeometry& geo, T* grad_x);

}  // namespace segrun::cpu
