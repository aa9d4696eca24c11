#include "engine/ops/reduce.h"

#include "engine/autograd.h"
#include "engine/cpu/reduce.h"
#include "engine/ops/device_check.h"
#include "engine/ops/elementwise.h"
#ifdef SEGRUN_WITH_CUDA
#include "engine/ops/cuda/reduce.h"
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
      return std::vector<Tensor>{Tensor::full(shape, cpu_scalar(g, "sum backward"), g.dtype(), g.device())};
    }
  });
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  Tensor out = Tensor::empty(shape, g.dtype(), g.device());
  const Shape aligned = right_align(shape, g.shape().size());
  SEGRUN_ON_CUDA(g, cuda_ops::sum_to(g, aligned, out)) {
    require_cpu("sum_to", g);
    dispatch_float(g.dtype(), "sum_to", [&](auto tag) {
      using T = decltype(tag);
      cpu::sum_to<T>(g.data<T>(), g.shape(), out.data<T>(), aligned);
    });
  }
  return out;
}

Tensor mean(const Tensor& x) {
  check_defined(x, "mean", "input");
  const int64_t n = x.numel();
  return scale(sum(x), n ? 1.0 / static_cast<double>(n) : 0.0);
}

}  // namespace segrun
