#include "engine/cpu/pool.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/cpu/channel_sums.h"
#include "engine/cpu/parallel.h"

namespace segrun::cpu {

namespace {
// Input index range [begin, end) covered by the window of output index o.
void window_range(int64_t o, const PoolGeometry& geo, int64_t size, int64_t* begin, int64_t* end) {
  const int64_t start = o * geo.stride - geo.pad;
  *begin = std::max<int64_t>(start, 0);
  *end = std::min<int64_t>(start + geo.kernel, size);
}

// Output index range [begin, end) of the windows that cover input index i.
void covering_outputs(int64_t i, const PoolGeometry& geo, int64_t out_size, int64_t* begin, int64_t* end) {
  const int64_t lowest = i + geo.pad - geo.kernel + 1;
  *begin = lowest <= 0 ? 0 : (lowest + geo.stride - 1) / geo.stride;
  *end = std::min<int64_t>((i + geo.pad) / geo.stride + 1, out_size);
}
}  // namespace

template <typename T>
void max_pool_forward(const T* x, const PoolGeometry& geo, T* y, int32_t* argmax) {
  const int64_t C = geo.channels, rows = geo.batch * geo.out_height;
#pragma omp parallel for if (rows * geo.out_width * C > kParallelMinElements)
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t n = row / geo.out_height, oh = row % geo.out_height;
    int64_t h0, h1;
    window_range(oh, geo, geo.height, &h0, &h1);
    for (int64_t ow = 0; ow < geo.out_width; ++ow) {
      int64_t w0, w1;
      window_range(ow, geo, geo.width, &w0, &w1);
      T* yo = y + (row * geo.out_width + ow) * C;
      int32_t* ao = argmax + (row * geo.out_width + ow) * C;
      std::fill(yo, yo + C, -std::numeric_limits<T>::infinity());
      std::fill(ao, ao + C, -1);
      for (int64_t ih = h0; ih < h1; ++ih) {
        for (int64_t iw = w0; iw < w1; ++iw) {
          const T* xi = x + ((n * geo.height + ih) * geo.width + iw) * C;
          const int32_t at = static_cast<int32_t>(ih * geo.width + iw);
          for (int64_t c = 0; c < C; ++c) {
            // Strict > keeps the first maximum; NaN propagates as in PyTorch.
            if (xi[c] > yo[c] || ao[c] < 0 || (std::isnan(xi[c]) && !std::isnan(yo[c]))) {
              yo[c] = xi[c];
              ao[c] = at;
            }
          }
        }
      }
    }
  }
}

template <typename T>
void max_pool_backward(const T* grad_y, const int32_t* argmax, const PoolGeometry& geo, T* grad_x) {
  const int64_t C = geo.channels, rows = geo.batch * geo.height;
  // Gathered per input row (windows may overlap): no two threads write one element.
#pragma omp parallel for if (rows * geo.width * C > kParallelMinElements)
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t n = row / geo.height, ih = row % geo.height;
    int64_t oh0, oh1;
    covering_outputs(ih, geo, geo.out_height, &oh0, &oh1);
    for (int64_t iw = 0; iw < geo.width; ++iw) {
      T* gx = grad_x + (row * geo.width + iw) * C;
      std::fill(gx, gx + C, T(0));
      int64_t ow0, ow1;
      covering_outputs(iw, geo, geo.out_width, &ow0, &ow1);
      const int32_t at = static_cast<int32_t>(ih * geo.width + iw);
      for (int64_t oh = oh0; oh < oh1; ++oh) {
        for (int64_t ow = ow0; ow < ow1; ++ow) {
          const int64_t o = ((n * geo.out_height + oh) * geo.out_width + ow) * C;
          for (int64_t c = 0; c < C; ++c)
            if (argmax[o + c] == at) gx[c] += grad_y[o + c];
        }
      }
    }
  }
}

template <typename T>
void global_avg_pool_forward(const T* x, int64_t batch, int64_t pixels, int64_t channels, T* y) {
  std::vector<double> sums(static_cast<size_t>(channels));
  const double inv = pixels ? 1.0 / static_cast<double>(pixels) : 0.0;
  for (int64_t n = 0; n < batch; ++n) {
    const T* xn = x + n * pixels * channels;
    channel_sums(pixels, channels, sums.data(),
                 [&](int64_t r, int64_t c) { return static_cast<double>(xn[r * channels + c]); });
    for (int64_t c = 0; c < channels; ++c) y[n * channels + c] = static_cast<T>(sums[c] * inv);
  }
}

template <typename T>
void global_avg_pool_backward(const T* grad_y, int64_t batch, int64_t pixels, int64_t channels, T* grad_x) {
  const T inv = pixels ? T(1) / static_cast<T>(pixels) : T(0);
  const int64_t rows = batch * pixels;
#pragma omp parallel for if (rows * channels > kParallelMinElements)
  for (int64_t r = 0; r < rows; ++r) {
    const T* g = grad_y + (r / pixels) * channels;
    T* gx = grad_x + r * channels;
    for (int64_t c = 0; c < channels; ++c) gx[c] = g[c] * inv;
  }
}

#define SEGRUN_INSTANTIATE(T)                                                            \
  template void max_pool_forward<T>(const T*, const PoolGeometry&, T*, int32_t*);        \
  template void max_pool_backward<T>(const T*, const int32_t*, const PoolGeometry&, T*); \
  template void global_avg_pool_forward<T>(const T*, int64_t, int64_t, int64_t, T*);     \
  template void global_avg_pool_backward<T>(const T*, int64_t, int64_t, int64_t, T*);
SEGRUN_INSTANTIATE(float)
SEGRUN_INSTANTIATE(double)
#undef SEGRUN_INSTANTIATE

}  // namespace segrun::cpu
