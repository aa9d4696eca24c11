#pragma once
// Launchers for the elementwise kernels (broadcasting binary ops, activations, casts, fills).
// Pointers are device pointers to contiguous data; f32 or f16 storage, math in f32.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "engine/dtype.h"
#include "engine/kernel_types.h"

namespace segrun::cuda {

// Output dims and the element strides of both operands in them (0 where broadcast).
struct BroadcastShape {
  int rank = 0;
  int64_t out[kMaxRank] = {};
  int64_t stride_a[kMaxRank] = {};
  int64_t stride_b[kMaxRank] = {};
};

void binary(BinaryOp op, DType dt, const void* a, const void* b, void* out, const BroadcastShape& shape,
            cudaStream_t stream);
void scale(DType dt, const void* x, float s, void* out, int64_t n, cudaStream_t stream);
void relu_forward(DType dt, const void* x, void* out, int64_t n, cudaStream_t stream);
void relu_backward(DType dt, const void* out, const void* g, void* gx, int64_t n, cudaStream_t stream);
void sigmoid_forward(DType dt, const void* x, void* out, int64_t n, cudaStream_t stream);
void sigmoid_backward(DType dt, const void* out, const void* g, void* gx, int64_t n, cudaStream_t stream);
void add_inplace(DType dt, void* dst, const void* src, int64_t n, cudaStream_t stream);

// Any dtype to any dtype (f32, f64, f16, i32, u8), element by element.
void cast(DType src_dtype, const void* src, DType dst_dtype, void* dst, int64_t n, cudaStream_t stream);
void fill(DType dt, void* dst, double value, int64_t n, cudaStream_t stream);

}  // namespace segrun::cuda
