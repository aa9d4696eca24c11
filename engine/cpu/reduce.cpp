#include "engine/cpu/reduce.h"

#include <algorithm>
#include <vector>

#include "engine/cpu/elementwise.h"

namespace segrun::cpu {

namespace {
constexpr int64_t kParallelMin = 1 << 14;  // below this, threads cost more than they save
}  // namespace

template <typename T>
void sum_to(const T* g, const Shape& so, T* out, const Shape& sa) {
  const int64_t n_out = shape_numel(sa);
  const int64_t n = shape_numel(so);
  std::fill(out, out + n_out, T(0));
  const std::vector<int64_t> st = broadcast_strides(sa, so);
  // Serial over the source keeps the summation order fixed (deterministic, any thread count).
  const size_t rank = so.size();
  std::vector<int64_t> idx(rank, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t o = 0;
    for (size_t d = 0; d < rank; ++d) o += idx[d] * st[d];
    out[o] += g[i];
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < so[d]) break;
      idx[d] = 0;
    }
  }
}

template <typename T>
double sum(const T* x, int64_t n) {
  // Fixed-size blocks summed in order: the result does not depend on the thread count.
  constexpr int64_t kBlock = 4096;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(static_cast<size_t>(blocks), 0.0);
#pragma omp parallel for if (n > kParallelMin)
  for (int64_t b = 0; b < blocks; ++b) {
    double s = 0;
    const int64_t end = std::min(n, (b + 1) * kBlock);
    for (int64_t i = b * kBlock; i < end; ++i) s += static_cast<double>(x[i]);
    partial[static_cast<size_t>(b)] = s;
  }
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

#define SEGRUN_INSTANTIATE(T)                                        \
  template void sum_to<T>(const T*, const Shape&, T*, const Shape&); \
  template double sum<T>(const T*, int64_t);
SEGRUN_INSTANTIATE(float)
SEGRUN_INSTANTIATE(double)
#undef SEGRUN_INSTANTIATE

}  // namespace segrun::cpu
