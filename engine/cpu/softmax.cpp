#include "engine/cpu/softmax.h"

#include <algorithm>
#include <cmath>

#include "engine/cpu/parallel.h"

namespace segrun::cpu {

template <typename T>
void softmax_forward(const T* x, int64_t rows, int64_t cols, bool log_output, T* y) {
#pragma omp parallel for if (rows * cols > kParallelMinElements)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    const T max = *std::max_element(xr, xr + cols);
    double total = 0;
    for (int64_t c = 0; c < cols; ++c) {
      yr[c] = std::exp(xr[c] - max);
      total += static_cast<double>(yr[c]);
    }
    if (log_output) {
      const T log_total = static_cast<T>(std::log(total));
      for (int64_t c = 0; c < cols; ++c) yr[c] = xr[c] - max - log_total;
    } else {
      const T inv = static_cast<T>(1.0 / total);
      for (int64_t c = 0; c < cols; ++c) yr[c] *= inv;
    }
  }
}

template <typename T>
void softmax_backward(const T* y, const T* grad_y, int64_t rows, int64_t cols, bool log_output, T* grad_x) {
#pragma omp parallel for if (rows * cols > kParallelMinElements)
  for (int64_t r = 0; r < rows; ++r) {
    const T* yr = y + r * cols;
    const T* gr = grad_y + r * cols;
    T* gx = grad_x + r * cols;
    double dot = 0;
    for (int64_t c = 0; c < cols; ++c)
      dot += static_cast<double>(gr[c]) * (log_output ? 1.0 : static_cast<double>(yr[c]));
    const T s = static_cast<T>(dot);
    if (log_output) {
      for (int64_t c = 0; c < cols; ++c) gx[c] = gr[c] - std::exp(yr[c]) * s;
    } else {
      for (int64_t c = 0; c < cols; ++c) gx[c] = yr[c] * (gr[c] - s);
    }
  }
}

#define SEGRUN_INSTANTIATE(T)                                             \
  template void softmax_forward<T>(const T*, int64_t, int64_t, bool, T*); \
  template void softmax_backward<T>(const T*, const T*, int64_t, int64_t, bool, T*);
SEGRUN_INSTANTIATE(float)
SEGRUN_INSTANTIATE(double)
#undef SEGRUN_INSTANTIATE

}  // namespace segrun::cpu
