#include "cuda/check.h"
#include "cuda/kernels.cuh"
#include "cuda/softmax.h"

namespace segrun::cuda {

namespace {

// One thread per row: rows are class vectors (a few tens of values) in segmentation.
// softmax_j = e^(x_j - m) / sum_k e^(x_k - m), m = max_k x_k; log-softmax = x_j - m - log(sum).
template <typename T>
__global__ void softmax_forward_kernel(bool log, const T* x, T* y, int64_t rows, int64_t cols) {
  SEGRUN_GRID_LOOP(r, rows) {
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    float m = to_float(xr[0]);
    for (int64_t j = 1; j < cols; ++j) m = fmaxf(m, to_float(xr[j]));
    float sum = 0.0f;
    for (int64_t j = 0; j < cols; ++j) sum += expf(to_float(xr[j]) - m);
    const float log_sum = logf(sum);
    for (int64_t j = 0; j < cols; ++j) {
      const float shifted = to_float(xr[j]) - m;
      yr[j] = from_float<T>(log ? shifted - log_sum : expf(shifted) / sum);
    }
  }
}

template <typename T>
__global__ void softmax_backward_kernel(bool log, const T* y, const T* g, T* gx, int64_t rows, int64_t cols) {
  SEGRUN_GRID_LOOP(r, rows) {
    const T* yr = y + r * cols;
    const T* gr = g + r * cols;
    T* out = gx + r * cols;
    float dot = 0.0f;
    for (int64_t j = 0; j < cols; ++j) dot += log ? to_float(gr[j]) : to_float(gr[j]) * to_float(yr[j]);
    for (int64_t j = 0; j < cols; ++j) {
      const float yj = to_float(yr[j]), gj = to_float(gr[j]);
      out[j] = from_float<T>(log ? gj - expf(yj) * dot : yj * (gj - dot));
    }
  }
}

}  // namespace

void softmax_forward(DType dt, bool log, const void* x, void* y, int64_t rows, int64_t cols, cudaStream_t stream) {
  if (rows == 0 || cols == 0) return;
  dispatch_storage(dt, log ? "log_softmax" : "softmax", [&](auto tag) {
    using T = decltype(tag);
    softmax_forward_kernel<T>
        <<<blocks_for(rows), kThreads, 0, stream>>>(log, static_cast<const T*>(x), static_cast<T*>(y), rows, cols);
  });
  SEGRUN_CUDA_CHECK_LAUNCH("softmax_forward_kernel");
}

void softmax_backward(DType dt, bool log, const void* y, const void* g, void* gx, int64_t rows, int64_t cols,
                      cudaStream_t stream) {
  if (rows == 0 || cols == 0) return;
  dispatch_storage(dt, log ? "log_softmax backward" : "softmax backward", [&](auto tag) {
    using T = decltype(tag);
    softmax_backward_kernel<T><<<blocks_for(rows), kThreads, 0, stream>>>(
        log, static_cast<const T*>(y), static_cast<const T*>(g), static_cast<T*>(gx), rows, cols);
  });
  SEGRUN_CUDA_CHECK_LAUNCH("softmax_backward_kernel");
}

}  // namespace segrun::cuda
