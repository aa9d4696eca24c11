#include "engine/random.h"

#include <cmath>

namespace segrun {

Tensor Generator::uniform(const Shape& shape, double lo, double hi, DType dtype, Device device) {
  Tensor t = Tensor::empty(shape, DType::F64);
  double* p = t.data<double>();
  const int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) p[i] = lo + (hi - lo) * random_unit(seed_, offset_ + static_cast<uint64_t>(i));
  offset_ += static_cast<uint64_t>(n);
  return t.contiguous_copy_on(device, dtype);
}

Tensor Generator::normal(const Shape& shape, double mean, double stddev, DType dtype, Device device) {
  // Box-Muller on counter pairs (2i, 2i+1): element i uses two counters.
  Tensor t = Tensor::empty(shape, DType::F64);
  double* p = t.data<double>();
  const int64_t n = t.numel();
  constexpr double kTwoPi = 6.283185307179586;
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t c = offset_ + 2 * static_cast<uint64_t>(i);
    const double u1 = 1.0 - random_unit(seed_, c);  // (0, 1]: log is finite
    const double u2 = random_unit(seed_, c + 1);
    p[i] = mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
  }
  offset_ += 2 * static_cast<uint64_t>(n);
  return t.contiguous_copy_on(device, dtype);
}

}  // namespace segrun
