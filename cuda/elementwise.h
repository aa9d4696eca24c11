#pragma once
// Launchers for elementwise kernels, broadcasts and whole-tensor reductions. Pointers are
// device pointers to contiguous data; f32 or f16 storage, math in f32.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "engine/dtype.h"

namespace segrun::cuda {

constexpr int kMaxRank = 5;

// Output dims and the element strides of both operands in them (0 where broadcast).
struct BroadcastShape {
  int rank = 0;
  int64_t out[kMaxRank] = {};
  int64_t stride_a[kMaxRank] = {};
  int64_t stride_b[kMaxRank] = {};
};

// Source dims and destination dims of sum_to, same rank; a destination dim is 1 where summed.
struct ReduceShape {
  int rank = 0;
  int64_t in[kMaxRank] = {};
  int64_t out[kMaxRank] = {};
};

enum class BinaryKind { Add, Sub, Mul };

void binary(BinaryKind op, DType dt, const void* a, const void* b, void* out, const BroadcastShape& shape,
            cudaStream_t stream);
void scale(DType dt, const void* x, float s, void* out, int64_t n, cudaStream_t stream);
void relu_forward(DType dt, const void* x, void* out, int64_t n, cudaStream_t stream);
void relu_backward(DType dt, const void* out, const void* g, void* gx, int64_t n, cudaStream_t stream);
void sigmoid_forward(DType dt, const void* x, void* out, int64_t n, cudaStream_t stream);
void sigmoid_backward(DType dt, const void* out, const void* g, void* gx, int64_t n, cudaStream_t stream);
void add_inplace(DType dt, void* dst, const void* src, int64_t n, cudaStream_t stream);
void sum_to(DType dt, const void* g, void* out, const ReduceShape& shape, cudaStream_t stream);

// Any dtype to any dtype (f32, f64, f16, i32, u8), element by element.
void cast(DType src_dtype, const void* src, DType dst_dtype, void* dst, int64_t n, cudaStream_t stream);
void fill(DType dt, void* dst, double value, int64_t n, cudaStream_t stream);

// out[0] = sum of x[0..n) in dt, accumulated in f32 in a fixed order; `scratch` holds
// kSumScratchFloats floats.
constexpr int kSumScratchFloats = 1024;
void sum(DType dt, const void* x, int64_t n, void* out, float* scratch, cudaStream_t stream);

// out[i] = value[0] for i < n: a device scalar broadcast (the gradient of sum and mean).
void broadcast_scalar(DType dt, const void* value, float multiplier, void* out, int64_t n, cudaStream_t stream);

}  // namespace segrun::cuda
