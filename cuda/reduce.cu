#include <algorithm>

#include "cuda/check.h"
#include "cuda/column_sums.cuh"
#include "cuda/kernels.cuh"
#include "cuda/reduce.h"

namespace segrun::cuda {

namespace {

// One block per destination element; its threads walk the summed source elements.
template <typename T>
__global__ void sum_to_kernel(const T* g, T* out, ReduceShape s, int64_t summed) {
  const int64_t o = blockIdx.x;
  int64_t kept_offset = 0, rem = o, stride = 1;
  int64_t in_stride[kMaxRank];
  for (int d = s.rank - 1; d >= 0; --d) {
    in_stride[d] = stride;
    stride *= s.in[d];
  }
  for (int d = s.rank - 1; d >= 0; --d) {
    const int64_t coord = rem % s.out[d];
    rem /= s.out[d];
    kept_offset += coord * in_stride[d];
  }
  float acc = 0.0f;
  for (int64_t k = threadIdx.x; k < summed; k += blockDim.x) {
    int64_t r = k, offset = kept_offset;
    for (int d = s.rank - 1; d >= 0; --d) {
      if (s.out[d] != 1 || s.in[d] == 1) continue;
      offset += (r % s.in[d]) * in_stride[d];
      r /= s.in[d];
    }
    acc += to_float(g[offset]);
  }
  acc = block_sum(acc);
  if (threadIdx.x == 0) out[o] = from_float<T>(acc);
}

template <typename T>
struct Element {
  const T* g;
  int64_t cols;
  __device__ void operator()(int64_t r, int64_t col, float* v) const { v[0] = to_float(g[r * cols + col]); }
};

template <typename T>
struct StoreSum {
  T* out;
  __device__ void operator()(int64_t col, const float* sums) const { out[col] = from_float<T>(sums[0]); }
};

// sum_to that keeps the trailing dims whole and sums all leading ones (a bias or per-channel
// gradient: [N, H, W, C] -> [1, 1, 1, C]) is a column sum of a [rows x cols] matrix; cols = 0
// when the shape is not of that form.
int64_t kept_trailing_columns(const ReduceShape& s) {
  int first_kept = s.rank;
  while (first_kept > 0 && s.out[first_kept - 1] == s.in[first_kept - 1]) --first_kept;
  int64_t cols = 1;
  for (int d = 0; d < s.rank; ++d) {
    if (d < first_kept && s.out[d] != 1) return 0;
    if (d >= first_kept) cols *= s.in[d];
  }
  return cols;
}

template <typename T>
__global__ void partial_sum_kernel(const T* x, int64_t n, float* partial) {
  float acc = 0.0f;
  SEGRUN_GRID_LOOP(i, n) acc += to_float(x[i]);
  acc = block_sum(acc);
  if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

template <typename T>
__global__ void final_sum_kernel(const float* partial, int count, T* out) {
  float acc = 0.0f;
  for (int i = threadIdx.x; i < count; i += blockDim.x) acc += partial[i];
  acc = block_sum(acc);
  if (threadIdx.x == 0) out[0] = from_float<T>(acc);
}

template <typename T>
__global__ void broadcast_scalar_kernel(const T* value, float multiplier, T* out, int64_t n) {
  const float v = to_float(value[0]) * multiplier;
  SEGRUN_GRID_LOOP(i, n) out[i] = from_float<T>(v);
}

}  // namespace

namespace {
int64_t summed_count(const ReduceShape& s) {
  int64_t summed = 1;
  for (int d = 0; d < s.rank; ++d)
    if (s.out[d] == 1) summed *= s.in[d];
  return summed;
}
}  // namespace

int64_t sum_to_scratch_floats(const ReduceShape& shape) {
  const int64_t cols = kept_trailing_columns(shape), summed = summed_count(shape);
  return cols > 0 && summed > 1 ? column_sums_scratch(summed, cols, 1) : 0;
}

void sum_to(DType dt, const void* g, void* out, const ReduceShape& shape, float* scratch, cudaStream_t stream) {
  int64_t outputs = 1;
  for (int d = 0; d < shape.rank; ++d) outputs *= shape.out[d];
  const int64_t summed = summed_count(shape);
  if (outputs == 0) return;
  const int64_t cols = kept_trailing_columns(shape);
  if (cols > 0 && summed > 1) {
    // Coalesced two-stage column sums (cuda/column_sums.cuh).
    dispatch_storage(dt, "sum_to", [&](auto tag) {
      using T = decltype(tag);
      column_sums<1>(summed, cols, Element<T>{static_cast<const T*>(g), cols}, StoreSum<T>{static_cast<T*>(out)},
                     scratch, stream);
    });
    return;
  }
  dispatch_storage(dt, "sum_to", [&](auto tag) {
    using T = decltype(tag);
    sum_to_kernel<T><<<static_cast<unsigned>(outputs), kThreads, 0, stream>>>(static_cast<const T*>(g),
                                                                              static_cast<T*>(out), shape, summed);
  });
  SEGRUN_CUDA_CHECK_LAUNCH("sum_to_kernel");
}

void sum(DType dt, const void* x, int64_t n, void* out, float* scratch, cudaStream_t stream) {
  const int blocks =
      static_cast<int>(std::min<int64_t>(kSumScratchFloats, std::max<int64_t>(1, (n + kThreads - 1) / kThreads)));
  dispatch_storage(dt, "sum", [&](auto tag) {
    using T = decltype(tag);
    partial_sum_kernel<T><<<blocks, kThreads, 0, stream>>>(static_cast<const T*>(x), n, scratch);
    final_sum_kernel<T><<<1, 1024, 0, stream>>>(scratch, blocks, static_cast<T*>(out));
  });
  SEGRUN_CUDA_CHECK_LAUNCH("sum_kernel");
}

void broadcast_scalar(DType dt, const void* value, float multiplier, void* out, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  dispatch_storage(dt, "broadcast_scalar", [&](auto tag) {
    using T = decltype(tag);
    broadcast_scalar_kernel<T>
        <<<blocks_for(n), kThreads, 0, stream>>>(static_cast<const T*>(value), multiplier, static_cast<T*>(out), n);
  });
  SEGRUN_CUDA_CHECK_LAUNCH("broadcast_scalar_kernel");
}

}  // namespace segrun::cuda
