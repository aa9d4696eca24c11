#include "engine/ops/reduce.h"

#include "engine/autograd.h"
#include "engine/cpu/elementwise.h"
#include "engine/ops/device_check.h"
#include "engine/ops/elementwise.h"
#ifdef SEGRUN_WITH_CUDA
#include "engine/ops/cuda/elementwise.h"
#endif

namespace segrun {

Tensor sum(const Tensor& x) {
  check_defined(x, "sum", "input");
  Tensor out;
  SEGRUN_ON_CUDA(x, out = cuda_ops::sum_all(x)) {
    require_cpu("sum", x);
    const double s = dispatch_float(x.dtype(), "sum", [&](auto tag) {
      using T = decltype(tag);
      return cpu::sum<T>(x.data<T>(), x.numel());
    });
    out = Tensor::full({1}, s, x.dtype(), x.device());
  }
  const Shape shape = x.shape();
  return record("sum", out, {x}, [shape](const Tensor& g) {
    SEGRUN_ON_CUDA(g, return std::vector<Tensor>{cuda_ops::broadcast_scalar(g, shape)}) {
      return std::vector<Tensor>{Tensor::full(shape, g.item(), g.dtype(), g.device())};
    }
  });
}

Tensor mean(const Tensor& x) {
  check_defined(x, "mean", "input");
  const int64_t n = x.numel();
  return scale(sum(x), n ? 1.0 / static_cast<double>(n) : 0.0);
}

}  // namespace segrun
