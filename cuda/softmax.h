#pragma once
// Launchers for softmax and log-softmax over the last dimension (rows of length `cols`),
// f32 or f16 storage with f32 math.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "engine/dtype.h"

namespace segrun::cuda {

void softmax_forward(DType dt, bool log, const void* x, void* y, int64_t rows, int64_t cols, cudaStream_t stream);
// From the forward output y: softmax gx = y (g - sum(g y)); log-softmax gx = g - e^y sum(g).
void softmax_backward(DType dt, bool log, const void* y, const void* g, void* gx, int64_t rows, int64_t cols,
                      cudaStream_t stream);

}  // namespace segrun::cuda
