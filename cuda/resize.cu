#include "cuda/check.h"
#include "cuda/kernels.cuh"
#include "cuda/resize.h"

namespace segrun::cuda {

namespace {

// Source taps of one output coordinate (PyTorch align_corners=False):
// src = (dst + 0.5) * in/out - 0.5, clamped at 0; i1 = min(i0 + 1, in - 1); weights 1-l, l.
struct Taps {
  int64_t i0, i1;
  float l0, l1;
};

__device__ Taps source_taps(int64_t dst, int64_t in, int64_t out) {
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  float src = (static_cast<float>(dst) + 0.5f) * scale - 0.5f;
  if (src < 0.0f) src = 0.0f;
  int64_t i0 = static_cast<int64_t>(src);
  if (i0 > in - 1) i0 = in - 1;
  const int64_t i1 = i0 < in - 1 ? i0 + 1 : i0;
  const float l1 = src - static_cast<float>(i0);
  return {i0, i1, 1.0f - l1, l1};
}

template <typename T>
__global__ void resize_forward_kernel(ResizeShape s, const T* x, T* y, int64_t total) {
  SEGRUN_GRID_LOOP(i, total) {
    const int64_t ch = i % s.c, ow = (i / s.c) % s.out_w, oh = (i / (s.c * s.out_w)) % s.out_h,
                  n = i / (s.c * s.out_w * s.out_h);
    const Taps th = source_taps(oh, s.in_h, s.out_h), tw = source_taps(ow, s.in_w, s.out_w);
    auto at = [&](int64_t h, int64_t w) { return to_float(x[((n * s.in_h + h) * s.in_w + w) * s.c + ch]); };
    const float v = th.l0 * (tw.l0 * at(th.i0, tw.i0) + tw.l1 * at(th.i0, tw.i1)) +
                    th.l1 * (tw.l0 * at(th.i1, tw.i0) + tw.l1 * at(th.i1, tw.i1));
    y[i] = from_float<T>(v);
  }
}

template <typename T>
__global__ void resize_backward_kernel(ResizeShape s, const T* gy, float* gx, int64_t total) {
  SEGRUN_GRID_LOOP(i, total) {
    const int64_t ch = i % s.c, ow = (i / s.c) % s.out_w, oh = (i / (s.c * s.out_w)) % s.out_h,
                  n = i / (s.c * s.out_w * s.out_h);
    const Taps th = source_taps(oh, s.in_h, s.out_h), tw = source_taps(ow, s.in_w, s.out_w);
    const float g = to_float(gy[i]);
    auto add = [&](int64_t h, int64_t w, float weight) {
      atomicAdd(&gx[((n * s.in_h + h) * s.in_w + w) * s.c + ch], weight * g);
    };
    add(th.i0, tw.i0, th.l0 * tw.l0);
    add(th.i0, tw.i1, th.l0 * tw.l1);
    add(th.i1, tw.i0, th.l1 * tw.l0);
    add(th.i1, tw.i1, th.l1 * tw.l1);
  }
}

__global__ void float_to_half_kernel(const float* src, __half* dst, int64_t n) {
  SEGRUN_GRID_LOOP(i, n) dst[i] = __float2half_rn(src[i]);
}

}  // namespace

void resize_bilinear_forward(DType dt, const ResizeShape& s, const void* x, void* y, cudaStream_t stream) {
  const int64_t total = s.n * s.out_h * s.out_w * s.c;
  if (total == 0) return;
  dispatch_storage(dt, "resize_bilinear", [&](auto tag) {
    using T = decltype(tag);
    resize_forward_kernel<T>
        <<<blocks_for(total), kThreads, 0, stream>>>(s, static_cast<const T*>(x), static_cast<T*>(y), total);
  });
  SEGRUN_CUDA_CHECK_LAUNCH("resize_forward_kernel");
}

void resize_bilinear_backward(DType dt, const ResizeShape& s, const void* gy, void* gx, float* scratch,
                              cudaStream_t stream) {
  const int64_t in_total = s.n * s.in_h * s.in_w * s.c, out_total = s.n * s.out_h * s.out_w * s.c;
  if (in_total == 0) return;
  float* accum = dt == DType::F32 ? static_cast<float*>(gx) : scratch;
  SEGRUN_CUDA_CHECK(cudaMemsetAsync(accum, 0, static_cast<size_t>(in_total) * sizeof(float), stream));
  dispatch_storage(dt, "resize_bilinear backward", [&](auto tag) {
    using T = decltype(tag);
    if (out_total > 0)
      resize_backward_kernel<T>
          <<<blocks_for(out_total), kThreads, 0, stream>>>(s, static_cast<const T*>(gy), accum, out_total);
  });
  SEGRUN_CUDA_CHECK_LAUNCH("resize_backward_kernel");
  if (dt == DType::F16) {
    float_to_half_kernel<<<blocks_for(in_total), kThreads, 0, stream>>>(accum, static_cast<__half*>(gx), in_total);
    SEGRUN_CUDA_CHECK_LAUNCH("float_to_half_kernel");
  }
}

}  // namespace segrun::cuda
