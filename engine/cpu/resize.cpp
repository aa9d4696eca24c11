#include "engine/cpu/resize.h"

#include <algorithm>
#include <cmath>

#include "engine/cpu/parallel.h"

namespace segrun::cpu {

namespace {
// For each source index, the (output index, weight) pairs that read it, in output order.
template <typename T>
struct Contributions {
  std::vector<int64_t> begin;  // begin[i] .. begin[i + 1] index into `from` and `weight`
  std::vector<int64_t> from;
  std::vector<T> weight;
};

template <typename T>
Contributions<T> invert_taps(const std::vector<LinearTap<T>>& taps, int64_t in_size) {
  std::vector<std::vector<std::pair<int64_t, T>>> lists(static_cast<size_t>(in_size));
  for (size_t o = 0; o < taps.size(); ++o) {
    lists[static_cast<size_t>(taps[o].i0)].push_back({static_cast<int64_t>(o), taps[o].w0});
    lists[static_cast<size_t>(taps[o].i1)].push_back({static_cast<int64_t>(o), taps[o].w1});
  }
  Contributions<T> inv;
  inv.begin.push_back(0);
  for (const auto& list : lists) {
    for (const auto& [o, w] : list) {
      inv.from.push_back(o);
      inv.weight.push_back(w);
    }
    inv.begin.push_back(static_cast<int64_t>(inv.from.size()));
  }
  return inv;
}
}  // namespace

template <typename T>
std::vector<LinearTap<T>> linear_taps(int64_t in_size, int64_t out_size) {
  const T scale = static_cast<T>(in_size) / static_cast<T>(out_size);
  std::vector<LinearTap<T>> taps(static_cast<size_t>(out_size));
  for (int64_t o = 0; o < out_size; ++o) {
    const T src = std::max(scale * (static_cast<T>(o) + T(0.5)) - T(0.5), T(0));
    const int64_t i0 = std::min(static_cast<int64_t>(std::floor(src)), in_size - 1);
    const T w1 = std::min(std::max(src - static_cast<T>(i0), T(0)), T(1));
    taps[static_cast<size_t>(o)] = {i0, i0 < in_size - 1 ? i0 + 1 : i0, T(1) - w1, w1};
  }
  return taps;
}

template <typename T>
void resize_bilinear_forward(const T* x, const ResizeGeometry& geo, T* y) {
  const std::vector<LinearTap<T>> rows = linear_taps<T>(geo.in_height, geo.out_height);
  const std::vector<LinearTap<T>> cols = linear_taps<T>(geo.in_width, geo.out_width);
  const int64_t C = geo.channels, out_rows = geo.batch * geo.out_height;
#pragma omp parallel for if (out_rows * geo.out_width * C > kParallelMinElements)
  for (int64_t r = 0; r < out_rows; ++r) {
    const int64_t n = r / geo.out_height;
    const LinearTap<T>& h = rows[static_cast<size_t>(r % geo.out_height)];
    const T* x0 = x + (n * geo.in_height + h.i0) * geo.in_width * C;
    const T* x1 = x + (n * geo.in_height + h.i1) * geo.in_width * C;
    for (int64_t ow = 0; ow < geo.out_width; ++ow) {
      const LinearTap<T>& w = cols[static_cast<size_t>(ow)];
      T* yo = y + (r * geo.out_width + ow) * C;
      for (int64_t c = 0; c < C; ++c) {
        yo[c] = h.w0 * (w.w0 * x0[w.i0 * C + c] + w.w1 * x0[w.i1 * C + c]) +
                h.w1 * (w.w0 * x1[w.i0 * C + c] + w.w1 * x1[w.i1 * C + c]);
      }
    }
  }
}

template <typename T>
void resize_bilinear_backward(const T* grad_y, const ResizeGeometry& geo, T* grad_x) {
  const Contributions<T> rows = invert_taps(linear_taps<T>(geo.in_height, geo.out_height), geo.in_height);
  const Contributions<T> cols = invert_taps(linear_taps<T>(geo.in_width, geo.out_width), geo.in_width);
  const int64_t C = geo.channels, in_rows = geo.batch * geo.in_height, out_row_len = geo.out_width * C;
#pragma omp parallel if (in_rows * geo.in_width * C > kParallelMinElements)
  {
    std::vector<T> row_sum(static_cast<size_t>(out_row_len));
#pragma omp for
    for (int64_t r = 0; r < in_rows; ++r) {
      const int64_t n = r / geo.in_height, ih = r % geo.in_height;
      // First along H: the gradient rows that read input row ih, weighted; then along W.
      std::fill(row_sum.begin(), row_sum.end(), T(0));
      for (int64_t k = rows.begin[ih]; k < rows.begin[ih + 1]; ++k) {
        const T* g = grad_y + (n * geo.out_height + rows.from[k]) * out_row_len;
        const T a = rows.weight[k];
        for (int64_t i = 0; i < out_row_len; ++i) row_sum[i] += a * g[i];
      }
      for (int64_t iw = 0; iw < geo.in_width; ++iw) {
        T* gx = grad_x + (r * geo.in_width + iw) * C;
        std::fill(gx, gx + C, T(0));
        for (int64_t k = cols.begin[iw]; k < cols.begin[iw + 1]; ++k) {
          const T* s = row_sum.data() + cols.from[k] * C;
          const T b = cols.weight[k];
          for (int64_t c = 0; c < C; ++c) gx[c] += b * s[c];
        }
      }
    }
  }
}

#define SEGRUN_INSTANTIATE(T)                                                    \
  template std::vector<LinearTap<T>> linear_taps<T>(int64_t, int64_t);           \
  template void resize_bilinear_forward<T>(const T*, const ResizeGeometry&, T*); \
  template void resize_bilinear_backward<T>(const T*, const ResizeGeometry&, T*);
SEGRUN_INSTANTIATE(float)
SEGRUN_INSTANTIATE(double)
#undef SEGRUN_INSTANTIATE

}  // namespace segrun::cpu
