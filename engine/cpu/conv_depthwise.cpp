// Depthwise convolution (one filter per channel): direct loops vectorised over the contiguous
// channel dimension, since im2col would copy KH*KW values for every single multiply-add.
#include <algorithm>
#include <vector>

#include "engine/cpu/conv.h"

namespace segrun::cpu {

namespace {

// Weights (C, KH, KW, 1) transposed to (KH*KW, C) so a tap's weights are contiguous in c.
template <typename T>
std::vector<T> taps_by_channel(const ConvGeometry& g, const T* w) {
  const int64_t taps = g.kernel_h * g.kernel_w, channels = g.out_c;
  std::vector<T> wt(static_cast<size_t>(taps * channels));
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t t = 0; t < taps; ++t) wt[t * channels + c] = w[c * taps + t];
  }
  return wt;
}

// The output index o with o*stride - pad + k*dilation == i, or -1 when there is none.
inline int64_t source_index(int64_t i, int64_t k, int64_t stride, int64_t pad, int64_t dilation, int64_t size) {
  const int64_t num = i + pad - k * dilation;
  if (num < 0 || num % stride != 0 || num / stride >= size) return -1;
  return num / stride;
}

}  // namespace

// y[n,ho,wo,c] = bias[c] + sum_{kh,kw} x[n, ho*s-p+kh*d, wo*s-p+kw*d, c] w[c,kh,kw].
template <typename T>
void depthwise_forward(const ConvGeometry& g, const T* x, const T* w, const T* bias, T* y) {
  const int64_t channels = g.out_c;
  const std::vector<T> wt = taps_by_channel(g, w);
#pragma omp parallel for schedule(static) if (g.macs() >= kConvParallelMinMacs)
  for (int64_t row = 0; row < g.batch * g.out_h; ++row) {
    const int64_t n = row / g.out_h, ho = row % g.out_h;
    for (int64_t wo = 0; wo < g.out_w; ++wo) {
      T* out = y + (row * g.out_w + wo) * channels;
      for (int64_t c = 0; c < channels; ++c) out[c] = bias ? bias[c] : T(0);
      for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
        const int64_t hi = ho * g.stride_h - g.pad_h + kh * g.dilation_h;
        if (hi < 0 || hi >= g.in_h) continue;
        for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
          const int64_t wi = wo * g.stride_w - g.pad_w + kw * g.dilation_w;
          if (wi < 0 || wi >= g.in_w) continue;
          const T* xp = x + ((n * g.in_h + hi) * g.in_w + wi) * channels;
          const T* wp = wt.data() + (kh * g.kernel_w + kw) * channels;
          for (int64_t c = 0; c < channels; ++c) out[c] += xp[c] * wp[c];
        }
      }
    }
  }
}

// Gathered per input pixel, so every gx element is written by one thread in a fixed order.
template <typename T>
void depthwise_backward_data(const ConvGeometry& g, const T* gy, const T* w, T* gx) {
  const int64_t channels = g.in_c;
  const std::vector<T> wt = taps_by_channel(g, w);
#pragma omp parallel for schedule(static) if (g.macs() >= kConvParallelMinMacs)
  for (int64_t row = 0; row < g.batch * g.in_h; ++row) {
    const int64_t n = row / g.in_h, hi = row % g.in_h;
    for (int64_t wi = 0; wi < g.in_w; ++wi) {
      T* out = gx + (row * g.in_w + wi) * channels;
      std::fill(out, out + channels, T(0));
      for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
        const int64_t ho = source_index(hi, kh, g.stride_h, g.pad_h, g.dilation_h, g.out_h);
        if (ho < 0) continue;
        for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
          const int64_t wo = source_index(wi, kw, g.stride_w, g.pad_w, g.dilation_w, g.out_w);
          if (wo < 0) continue;
          const T* gp = gy + ((n * g.out_h + ho) * g.out_w + wo) * channels;
          const T* wp = wt.data() + (kh * g.kernel_w + kw) * channels;
          for (int64_t c = 0; c < channels; ++c) out[c] += gp[c] * wp[c];
        }
      }
    }
  }
}

// One tap per parallel task: each weight sums over (n, ho, wo) in raster order.
template <typename T>
void depthwise_backward_filter(const ConvGeometry& g, const T* x, const T* gy, T* gw) {
  const int64_t channels = g.in_c, taps = g.kernel_h * g.kernel_w;
  std::vector<T> by_tap(static_cast<size_t>(taps * channels), T(0));
#pragma omp parallel for schedule(dynamic, 1) if (g.macs() >= kConvParallelMinMacs)
  for (int64_t t = 0; t < taps; ++t) {
    const int64_t kh = t / g.kernel_w, kw = t % g.kernel_w;
    T* acc = by_tap.data() + t * channels;
    for (int64_t n = 0; n < g.batch; ++n) {
      for (int64_t ho = 0; ho < g.out_h; ++ho) {
        const int64_t hi = ho * g.stride_h - g.pad_h + kh * g.dilation_h;
        if (hi < 0 || hi >= g.in_h) continue;
        for (int64_t wo = 0; wo < g.out_w; ++wo) {
          const int64_t wi = wo * g.stride_w - g.pad_w + kw * g.dilation_w;
          if (wi < 0 || wi >= g.in_w) continue;
          const T* gp = gy + ((n * g.out_h + ho) * g.out_w + wo) * channels;
          const T* xp = x + ((n * g.in_h + hi) * g.in_w + wi) * channels;
          for (int64_t c = 0; c < channels; ++c) acc[c] += gp[c] * xp[c];
        }
      }
    }
  }
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t t = 0; t < taps; ++t) gw[c * taps + t] = by_tap[t * channels + c];
  }
}

#define SEGRUN_DEPTHWISE_INSTANTIATE(T)                                                      \
  template void depthwise_forward<T>(const ConvGeometry&, const T*, const T*, const T*, T*); \
  template void depthwise_backward_data<T>(const ConvGeometry&, const T*, const T*, T*);     \
  template void depthwise_backward_filter<T>(const ConvGeometry&, const T*, const T*, T*);
SEGRUN_DEPTHWISE_INSTANTIATE(float)
SEGRUN_DEPTHWISE_INSTANTIATE(double)
#undef SEGRUN_DEPTHWISE_INSTANTIATE

}  // namespace segrun::cpu
