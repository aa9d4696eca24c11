#pragma once
// Device helpers shared by the kernel files: f16/f32 loads and stores (math in f32), block
// reductions, launch sizes and the storage-dtype dispatch.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "engine/dtype.h"

namespace segrun::cuda {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 65535LL * 32;

inline int blocks_for(int64_t n, int threads = kThreads) {
  const int64_t b = (n + threads - 1) / threads;
  return static_cast<int>(b < 1 ? 1 : (b > kMaxBlocks ? kMaxBlocks : b));
}

__device__ __forceinline__ float to_float(float v) {
  return v;
}
__device__ __forceinline__ float to_float(__half v) {
  return __half2float(v);
}
template <typename T>
__device__ __forceinline__ T from_float(float v);
template <>
__device__ __forceinline__ float from_float<float>(float v) {
  return v;
}
template <>
__device__ __forceinline__ __half from_float<__half>(float v) {
  return __float2half_rn(v);
}

// Grid-stride loop over [0, n).
#define SEGRUN_GRID_LOOP(i, n)                                                           \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

// The same loop with an index of type Index: kernels instantiated with int32_t for tensors
// that fit_32bit_index avoid 64-bit division and modulo (tens of instructions each) per element.
#define SEGRUN_GRID_LOOP_AS(Index, i, n)                                             \
  for (Index i = static_cast<Index>(blockIdx.x * blockDim.x + threadIdx.x); i < (n); \
       i += static_cast<Index>(blockDim.x * gridDim.x))

// Up to 2^30 elements an int32 index cannot overflow, even one grid stride past the end.
inline bool fits_32bit_index(int64_t n) {
  return n <= (int64_t{1} << 30);
}

// Calls f(int32_t{}) when n fits a 32-bit index, else f(int64_t{}).
template <typename F>
void dispatch_index(int64_t n, F&& f) {
  if (fits_32bit_index(n)) {
    f(int32_t{});
  } else {
    f(int64_t{});
  }
}

template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

// Sum over the block (blockDim.x a multiple of 32), in f32 or f64; the result is valid in
// thread 0. The reduction order is fixed, so results are reproducible for a fixed launch
// configuration.
template <typename T>
__device__ __forceinline__ T block_sum(T v) {
  __shared__ T partial[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_sum(v);
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  const int warps = (blockDim.x + 31) >> 5;
  v = threadIdx.x < warps ? partial[threadIdx.x] : T(0);
  if (warp == 0) v = warp_sum(v);
  __syncthreads();  // partial[] may be reused by the next call
  return v;
}

// Calls f(T{}) with T = float or __half; CUDA kernels store f32 or f16 only.
template <typename F>
void dispatch_storage(DType dt, const char* op, F&& f) {
  if (dt == DType::F32) {
    f(float{});
  } else if (dt == DType::F16) {
    f(__half{});
  } else {
    throw std::invalid_argument(std::string(op) + ": cuda kernels take f32 or f16 tensors, got " + dtype_name(dt));
  }
}

// Any of the engine's dtypes, element i, as float (labels, per-channel parameters, casts).
__device__ __forceinline__ float load_any(DType dt, const void* p, int64_t i) {
  switch (dt) {
    case DType::F32:
      return static_cast<const float*>(p)[i];
    case DType::F64:
      return static_cast<float>(static_cast<const double*>(p)[i]);
    case DType::F16:
      return __half2float(static_cast<const __half*>(p)[i]);
    case DType::I32:
      return static_cast<float>(static_cast<const int32_t*>(p)[i]);
    case DType::U8:
      return static_cast<float>(static_cast<const uint8_t*>(p)[i]);
  }
  return 0.0f;
}

}  // namespace segrun::cuda
