#include "engine/cpu/norm.h"

#include <vector>

#include "engine/cpu/channel_sums.h"
#include "engine/cpu/parallel.h"

namespace segrun::cpu {

template <typename T>
void batch_norm_statistics(const T* x, int64_t rows, int64_t channels, double* mean, double* sq_dev) {
  channel_sums(rows, channels, mean, [&](int64_t r, int64_t c) { return static_cast<double>(x[r * channels + c]); });
  const double inv_rows = rows ? 1.0 / static_cast<double>(rows) : 0.0;
  for (int64_t c = 0; c < channels; ++c) mean[c] *= inv_rows;
  channel_sums(rows, channels, sq_dev, [&](int64_t r, int64_t c) {
    const double d = static_cast<double>(x[r * channels + c]) - mean[c];
    return d * d;
  });
}

template <typename T>
void batch_norm_apply(const T* x, int64_t rows, int64_t channels, const double* mean, const double* invstd,
                      const T* weight, const T* bias, T* y) {
  // Folded per channel: y = x * scale + shift, scale = invstd * weight, shift = bias - mean * scale.
  std::vector<T> scale(static_cast<size_t>(channels)), shift(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    const double s = invstd[c] * static_cast<double>(weight[c]);
    scale[c] = static_cast<T>(s);
    shift[c] = static_cast<T>(static_cast<double>(bias[c]) - mean[c] * s);
  }
#pragma omp parallel for if (rows * channels > kParallelMinElements)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * channels;
    T* yr = y + r * channels;
    for (int64_t c = 0; c < channels; ++c) yr[c] = xr[c] * scale[c] + shift[c];
  }
}

// With xhat = (x - mean) * invstd (BN paper, Ioffe & Szegedy 2015, section 3):
//   grad_bias = sum g;  grad_weight = sum g * xhat;
//   grad_x = weight * invstd * (g - [sum g / M + xhat * sum(g * xhat) / M])   (bracket: batch statistics only)
template <typename T>
void batch_norm_backward(const T* x, const T* grad_y, int64_t rows, int64_t channels, const double* mean,
                         const double* invstd, const T* weight, bool batch_statistics, T* grad_x, T* grad_weight,
                         T* grad_bias) {
  std::vector<double> sum_g(static_cast<size_t>(channels)), sum_g_xhat(static_cast<size_t>(channels));
  channel_sums(rows, channels, sum_g.data(),
               [&](int64_t r, int64_t c) { return static_cast<double>(grad_y[r * channels + c]); });
  channel_sums(rows, channels, sum_g_xhat.data(), [&](int64_t r, int64_t c) {
    const int64_t i = r * channels + c;
    return static_cast<double>(grad_y[i]) * (static_cast<double>(x[i]) - mean[c]) * invstd[c];
  });
  for (int64_t c = 0; c < channels; ++c) {
    if (grad_weight) grad_weight[c] = static_cast<T>(sum_g_xhat[c]);
    if (grad_bias) grad_bias[c] = static_cast<T>(sum_g[c]);
  }
  if (!grad_x) return;
  const double inv_rows = rows ? 1.0 / static_cast<double>(rows) : 0.0;
  std::vector<double> gain(static_cast<size_t>(channels)), mean_g(static_cast<size_t>(channels), 0.0),
      mean_g_xhat(static_cast<size_t>(channels), 0.0);
  for (int64_t c = 0; c < channels; ++c) {
    gain[c] = static_cast<double>(weight[c]) * invstd[c];
    if (batch_statistics) {
      mean_g[c] = sum_g[c] * inv_rows;
      mean_g_xhat[c] = sum_g_xhat[c] * inv_rows;
    }
  }
#pragma omp parallel for if (rows * channels > kParallelMinElements)
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t i = r * channels + c;
      const double xhat = (static_cast<double>(x[i]) - mean[c]) * invstd[c];
      grad_x[i] = static_cast<T>(gain[c] * (static_cast<double>(grad_y[i]) - mean_g[c] - xhat * mean_g_xhat[c]));
    }
  }
}

#define SEGRUN_INSTANTIATE(T)                                                                                          \
  template void batch_norm_statistics<T>(const T*, int64_t, int64_t, double*, double*);                                \
  template void batch_norm_apply<T>(const T*, int64_t, int64_t, const double*, const double*, const T*, const T*, T*); \
  template void batch_norm_backward<T>(const T*, const T*, int64_t, int64_t, const double*, const double*, const T*,   \
                                       bool, T*, T*, T*);
SEGRUN_INSTANTIATE(float)
SEGRUN_INSTANTIATE(double)
#undef SEGRUN_INSTANTIATE

}  // namespace segrun::cpu
