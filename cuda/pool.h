#pragma once
// Launchers for pooling on NHWC tensors (f32 or f16 storage, math in f32).
#include <cuda_runtime_api.h>

#include <cstdint>

#include "engine/dtype.h"

namespace segrun::cuda {

struct PoolShape {
  int64_t n = 0, h = 0, w = 0, c = 0;
  int64_t out_h = 0, out_w = 0;
  int kernel = 1, stride = 1, pad = 0;
};

// Max over each window; padding counts as -inf. argmax (one per output) receives the pixel
// position ih * w + iw of the first maximum in row-major window order (the CPU convention);
// the backward pass routes each output's gradient there.
void max_pool_forward(DType dt, const PoolShape& s, const void* x, void* y, int32_t* argmax, cudaStream_t stream);
void max_pool_backward(DType dt, const PoolShape& s, const int32_t* argmax, const void* gy, void* gx,
                       cudaStream_t stream);

// (n,h,w,c) -> (n,c) means, and the gradient gy/(h*w) spread back.
void global_avg_pool_forward(DType dt, int64_t n, int64_t hw, int64_t c, const void* x, void* y, cudaStream_t stream);
void global_avg_pool_backward(DType dt, int64_t n, int64_t hw, int64_t c, const void* gy, void* gx,
                              cudaStream_t stream);

}  // namespace segrun::cuda
