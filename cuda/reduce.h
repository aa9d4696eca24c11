#pragma once
// Launchers for the reductions: sum_to (the gradient of a broadcast: sum over the broadcast
// dims), the sum of a whole tensor, and the broadcast of a device scalar (their gradients).
// Pointers are device pointers to contiguous data; f32 or f16 storage, sums in f32.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "engine/dtype.h"
#include "engine/kernel_types.h"

namespace segrun::cuda {

// Source dims and destination dims of sum_to, same rank; a destination dim is 1 where summed.
struct ReduceShape {
  int rank = 0;
  int64_t in[kMaxRank] = {};
  int64_t out[kMaxRank] = {};
};

// A shape that keeps its trailing dims whole and sums the leading ones (a per-channel gradient)
// runs as coalesced column sums, with `scratch` of sum_to_scratch_floats(shape) floats (0
// for other shapes, whose scratch may be null).
int64_t sum_to_scratch_floats(const ReduceShape& shape);
void sum_to(DType dt, const void* g, void* out, const ReduceShape& shape, float* scratch, cudaStream_t stream);

// out[0] = sum of x[0..n) in dt, accumulated in f32 in a fixed order; `scratch` holds
// kSumScratchFloats floats.
constexpr int kSumScratchFloats = 1024;
void sum(DType dt, const void* x, int64_t n, void* out, float* scratch, cudaStream_t stream);

// out[i] = value[0] for i < n: a device scalar broadcast (the gradient of sum and mean).
void broadcast_scalar(DType dt, const void* value, float multiplier, void* out, int64_t n, cudaStream_t stream);

}  // namespace segrun::cuda
