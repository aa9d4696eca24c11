#pragma once
// Launchers for sigmoid_gate: out = x * sigmoid(logit) over the rows (N*H*W pixels) of an NHWC
// tensor with c channels, logit one value per row. f32 or f16 storage, math in f32.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "engine/dtype.h"

namespace segrun::cuda {

void sigmoid_gate_forward(DType dt, const void* x, const void* logit, void* out, int64_t rows, int64_t c,
                          cudaStream_t stream);
// gx = g * sigmoid(logit) and glogit = s (1 - s) * sum over the row of g * x; either may be
// null. One warp per row, so each row's sum is one fixed-order warp reduction.
void sigmoid_gate_backward(DType dt, const void* x, const void* logit, const void* g, void* gx, void* glogit,
                           int64_t rows, int64_t c, cudaStream_t stream);

}  // namespace segrun::cuda
