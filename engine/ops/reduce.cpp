#include "engine/ops/reduce.h"

#include "engine/autograd.h"
#include "engine/cpu/elementwise.h"
#include "engine/ops/device_check.h"
#include "engine/ops/elementwise.h"

namespace segrun {

Tensor sum(const Tensor& x) {
  check_defined(x, "sum", "input");
  require_cpu("sum", x);
  const double s = dispatch_float(x.dtype(), "sum", [&](auto tag) {
    using T = decltype(tag);
    return cpu::sum<T>(x.data<T>(), x.numel());
  });
  Tensor out = Tensor::full({1}, s, x.dtype(), x.device());
  const Shape shape = x.shape();
  return record("sum", out, {x}, [shape](const Tensor& g) {
    return std::vector<Tensor>{Tensor::full(shape, g.item(), g.dtype(), g.device())};
  });
}

Tensor mean(const Tensor& x) {
  check_defined(x, "mean", "input");
  const int64_t n = x.numel();
  return scale(sum(x), n ? 1.0 / static_cast<double>(n) : 0.0);
}

}  // namespace segrun
