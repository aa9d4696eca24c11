#pragma once
// Launchers for bilinear resize (PyTorch align_corners=False) and channel concatenation on
// NHWC tensors (f32 or f16 storage, math in f32).
#include <cuda_runtime_api.h>

#include <cstdint>

#include "engine/dtype.h"

namespace segrun::cuda {

struct ResizeShape {
  int64_t n = 0, in_h = 0, in_w = 0, c = 0;
  int64_t out_h = 0, out_w = 0;
};

void resize_bilinear_forward(DType dt, const ResizeShape& s, const void* x, void* y, cudaStream_t stream);
// Scatters gy into gx with atomics in f32; `scratch` (n*in_h*in_w*c floats) is needed for f16
// and may be null for f32.
void resize_bilinear_backward(DType dt, const ResizeShape& s, const void* gy, void* gx, float* scratch,
                              cudaStream_t stream);

// dst[r, dst_offset + j] = src[r, src_offset + j] for rows r < rows, j < width; the row
// lengths are src_row and dst_row. Concat forward and backward are both such copies.
void copy_channels(DType dt, const void* src, int64_t src_row, int64_t src_offset, void* dst, int64_t dst_row,
                   int64_t dst_offset, int64_t rows, int64_t width, cudaStream_t stream);

}  // namespace segrun::cuda
