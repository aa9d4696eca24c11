#include "cuda/check.h"
#include "cuda/gate.h"
#include "cuda/kernels.cuh"

namespace segrun::cuda {

namespace {

__device__ __forceinline__ float sigmoidf(float v) {
  return 1.0f / (1.0f + expf(-v));
}

template <typename T, typename Index>
__global__ void sigmoid_gate_forward_kernel(const T* x, const T* logit, T* out, Index n, Index c) {
  SEGRUN_GRID_LOOP_AS(Index, i, n) out[i] = from_float<T>(to_float(x[i]) * sigmoidf(to_float(logit[i / c])));
}

constexpr int kWarpsPerBlock = kThreads / 32;

// Warp w of the grid takes rows w, w + warps, ...: its lanes stride over the row's channels,
// so the loads of g and x are coalesced, and the row's sum stays within the warp.
template <typename T>
__global__ void sigmoid_gate_backward_kernel(const T* x, const T* logit, const T* g, T* gx, T* glogit, int64_t rows,
                                             int64_t c) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * kWarpsPerBlock;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5); r < rows; r += warps) {
    const float s = sigmoidf(to_float(logit[r]));
    const T* xr = x + r * c;
    const T* gr = g + r * c;
    float g_dot_x = 0.0f;
    for (int64_t ch = lane; ch < c; ch += 32) {
      const float gv = to_float(gr[ch]);
      g_dot_x += gv * to_float(xr[ch]);
      if (gx) gx[r * c + ch] = from_float<T>(gv * s);
    }
    g_dot_x = warp_sum(g_dot_x);  // every lane takes part: r is the same across the warp
    if (lane == 0 && glogit) glogit[r] = from_float<T>(g_dot_x * s * (1.0f - s));
  }
}

}  // namespace

void sigmoid_gate_forward(DType dt, const void* x, const void* logit, void* out, int64_t rows, int64_t c,
                          cudaStream_t stream) {
  const int64_t n = rows * c;
  if (n == 0) return;
  dispatch_storage(dt, "sigmoid_gate", [&](auto tag) {
    using T = decltype(tag);
    dispatch_index(n, [&](auto index) {
      using Index = decltype(index);
      sigmoid_gate_forward_kernel<T, Index>
          <<<blocks_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<const T*>(logit),
                                                   static_cast<T*>(out), static_cast<Index>(n), static_cast<Index>(c));
    });
  });
  SEGRUN_CUDA_CHECK_LAUNCH("sigmoid_gate_forward_kernel");
}

void sigmoid_gate_backward(DType dt, const void* x, const void* logit, const void* g, void* gx, void* glogit,
                           int64_t rows, int64_t c, cudaStream_t stream) {
  if (rows * c == 0 || (!gx && !glogit)) return;
  dispatch_storage(dt, "sigmoid_gate backward", [&](auto tag) {
    using T = decltype(tag);
    sigmoid_gate_backward_kernel<T><<<blocks_for(rows, kWarpsPerBlock), kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<const T*>(logit), static_cast<const T*>(g), static_cast<T*>(gx),
        static_cast<T*>(glogit), rows, c);
  });
  SEGRUN_CUDA_CHECK_LAUNCH("sigmoid_gate_backward_kernel");
}

}  // namespace segrun::cuda
