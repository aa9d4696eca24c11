#include <cmath>

#include "cuda/check.h"
#include "cuda/kernels.cuh"
#include "cuda/pool.h"

namespace segrun::cuda {

namespace {

// Pixel position ih * w + iw of the first maximum of the window of output (n, oh, ow, ch), or
// -1 for an empty window; the same convention as the CPU kernel.
template <typename T>
__device__ int32_t window_argmax(const T* x, const PoolShape& s, int64_t n, int64_t oh, int64_t ow, int64_t ch) {
  float best = -INFINITY;
  int32_t best_pos = -1;
  for (int kh = 0; kh < s.kernel; ++kh) {
    const int64_t ih = oh * s.stride - s.pad + kh;
    if (ih < 0 || ih >= s.h) continue;
    for (int kw = 0; kw < s.kernel; ++kw) {
      const int64_t iw = ow * s.stride - s.pad + kw;
      if (iw < 0 || iw >= s.w) continue;
      const float v = to_float(x[((n * s.h + ih) * s.w + iw) * s.c + ch]);
      // Strict > keeps the first maximum; a NaN wins over any number, as on the CPU.
      if (best_pos < 0 || v > best || (isnan(v) && !isnan(best))) {
        best = v;
        best_pos = static_cast<int32_t>(ih * s.w + iw);
      }
    }
  }
  return best_pos;
}

template <typename T>
__global__ void max_pool_forward_kernel(PoolShape s, const T* x, T* y, int32_t* argmax, int64_t total) {
  SEGRUN_GRID_LOOP(i, total) {
    const int64_t ch = i % s.c, ow = (i / s.c) % s.out_w, oh = (i / (s.c * s.out_w)) % s.out_h,
                  n = i / (s.c * s.out_w * s.out_h);
    const int32_t pos = window_argmax(x, s, n, oh, ow, ch);
    y[i] = pos >= 0 ? x[(n * s.h * s.w + pos) * s.c + ch] : from_float<T>(-INFINITY);
    argmax[i] = pos;
  }
}

// Gather form (no atomics, fixed order): each input element sums the gradients of the
// windows whose argmax it is.
template <typename T>
__global__ void max_pool_backward_kernel(PoolShape s, const int32_t* argmax, const T* gy, T* gx, int64_t total) {
  SEGRUN_GRID_LOOP(i, total) {
    const int64_t ch = i % s.c, iw = (i / s.c) % s.w, ih = (i / (s.c * s.w)) % s.h, n = i / (s.c * s.w * s.h);
    const int32_t pos = static_cast<int32_t>(ih * s.w + iw);
    // Outputs whose window covers ih: oh * stride - pad <= ih <= oh * stride - pad + kernel - 1
    // (a negative lower bound truncates towards 0, which the clamp needs anyway).
    const int64_t oh_lo = max(int64_t{0}, (ih + s.pad - s.kernel + s.stride) / s.stride);
    const int64_t oh_hi = min(s.out_h - 1, (ih + s.pad) / s.stride);
    const int64_t ow_lo = max(int64_t{0}, (iw + s.pad - s.kernel + s.stride) / s.stride);
    const int64_t ow_hi = min(s.out_w - 1, (iw + s.pad) / s.stride);
    float acc = 0.0f;
    for (int64_t oh = oh_lo; oh <= oh_hi; ++oh)
      for (int64_t ow = ow_lo; ow <= ow_hi; ++ow) {
        const int64_t o = ((n * s.out_h + oh) * s.out_w + ow) * s.c + ch;
        if (argmax[o] == pos) acc += to_float(gy[o]);
      }
    gx[i] = from_float<T>(acc);
  }
}

template <typename T>
__global__ void global_avg_pool_forward_kernel(int64_t n, int64_t hw, int64_t c, const T* x, T* y) {
  SEGRUN_GRID_LOOP(i, n * c) {
    const int64_t b = i / c, ch = i % c;
    float acc = 0.0f;
    for (int64_t p = 0; p < hw; ++p) acc += to_float(x[(b * hw + p) * c + ch]);
    y[i] = from_float<T>(hw > 0 ? acc / static_cast<float>(hw) : 0.0f);  // no pixels: 0, as on the CPU
  }
}

template <typename T>
__global__ void global_avg_pool_backward_kernel(int64_t n, int64_t hw, int64_t c, const T* gy, T* gx) {
  SEGRUN_GRID_LOOP(i, n * hw * c) {
    const int64_t ch = i % c, b = i / (hw * c);
    gx[i] = from_float<T>(to_float(gy[b * c + ch]) / static_cast<float>(hw));
  }
}

}  // namespace

void max_pool_forward(DType dt, const PoolShape& s, const void* x, void* y, int32_t* argmax, cudaStream_t stream) {
  const int64_t total = s.n * s.out_h * s.out_w * s.c;
  if (total == 0) return;
  dispatch_storage(dt, "max_pool2d", [&](auto tag) {
    using T = decltype(tag);
    max_pool_forward_kernel<T>
        <<<blocks_for(total), kThreads, 0, stream>>>(s, static_cast<const T*>(x), static_cast<T*>(y), argmax, total);
  });
  SEGRUN_CUDA_CHECK_LAUNCH("max_pool_forward_kernel");
}

void max_pool_backward(DType dt, const PoolShape& s, const int32_t* argmax, const void* gy, void* gx,
                       cudaStream_t stream) {
  const int64_t total = s.n * s.h * s.w * s.c;
  if (total == 0) return;
  dispatch_storage(dt, "max_pool2d backward", [&](auto tag) {
    using T = decltype(tag);
    max_pool_backward_kernel<T>
        <<<blocks_for(total), kThreads, 0, stream>>>(s, argmax, static_cast<const T*>(gy), static_cast<T*>(gx), total);
  });
  SEGRUN_CUDA_CHECK_LAUNCH("max_pool_backward_kernel");
}

void global_avg_pool_forward(DType dt, int64_t n, int64_t hw, int64_t c, const void* x, void* y, cudaStream_t stream) {
  if (n * c == 0) return;
  dispatch_storage(dt, "global_avg_pool", [&](auto tag) {
    using T = decltype(tag);
    global_avg_pool_forward_kernel<T>
        <<<blocks_for(n * c), kThreads, 0, stream>>>(n, hw, c, static_cast<const T*>(x), static_cast<T*>(y));
  });
  SEGRUN_CUDA_CHECK_LAUNCH("global_avg_pool_forward_kernel");
}

void global_avg_pool_backward(DType dt, int64_t n, int64_t hw, int64_t c, const void* gy, void* gx,
                              cudaStream_t stream) {
  if (n * hw * c == 0) return;
  dispatch_storage(dt, "global_avg_pool backward", [&](auto tag) {
    using T = decltype(tag);
    global_avg_pool_backward_kernel<T>
        <<<blocks_for(n * hw * c), kThreads, 0, stream>>>(n, hw, c, static_cast<const T*>(gy), static_cast<T*>(gx));
  });
  SEGRUN_CUDA_CHECK_LAUNCH("global_avg_pool_backward_kernel");
}

}  // namespace segrun::cuda
