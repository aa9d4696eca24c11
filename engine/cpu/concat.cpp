#include "engine/cpu/concat.h"

#include <algorithm>
#include <numeric>

#include "engine/cpu/parallel.h"

namespace segrun::cpu {

template <typename T>
void concat_last(const std::vector<const T*>& parts, const std::vector<int64_t>& widths, int64_t rows, T* out) {
  const int64_t total = std::accumulate(widths.begin(), widths.end(), int64_t{0});
#pragma omp parallel for if (rows * total > kParallelMinElements)
  for (int64_t r = 0; r < rows; ++r) {
    T* o = out + r * total;
    for (size_t k = 0; k < parts.size(); ++k) {
      const T* src = parts[k] + r * widths[k];
      o = std::copy(src, src + widths[k], o);
    }
  }
}

template <typename T>
void split_last(const T* in, int64_t rows, const std::vector<int64_t>& widths, const std::vector<T*>& parts) {
  const int64_t total = std::accumulate(widths.begin(), widths.end(), int64_t{0});
#pragma omp parallel for if (rows * total > kParallelMinElements)
  for (int64_t r = 0; r < rows; ++r) {
    const T* src = in + r * total;
    for (size_t k = 0; k < parts.size(); ++k) {
      if (parts[k]) std::copy(src, src + widths[k], parts[k] + r * widths[k]);
      src += widths[k];
    }
  }
}

#define SEGRUN_INSTANTIATE(T)                                                                           \
  template void concat_last<T>(const std::vector<const T*>&, const std::vector<int64_t>&, int64_t, T*); \
  template void split_last<T>(const T*, int64_t, const std::vector<int64_t>&, const std::vector<T*>&);
SEGRUN_INSTANTIATE(float)
SEGRUN_INSTANTIATE(double)
#undef SEGRUN_INSTANTIATE

}  // namespace segrun::cpu
