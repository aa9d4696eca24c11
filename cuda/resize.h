#pragma once
// Launchers for bilinear resize (PyTorch align_corners=False) of NHWC tensors (f32 or f16
// storage, math in f32).
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

}  // namespace segrun::cuda
