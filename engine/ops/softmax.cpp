#include "engine/ops/softmax.h"

#include "engine/autograd.h"
#include "engine/cpu/softmax.h"
#include "engine/error.h"
#include "engine/ops/device_check.h"
#ifdef SEGRUN_WITH_CUDA
#include "engine/ops/cuda/softmax.h"
#endif

namespace segrun {

namespace {
// Shared by softmax and log_softmax: both backward rules need only the output.
Tensor softmax_last_dim(const Tensor& x, bool log_output, const char* name) {
  check_defined(x, name, "input");
  SEGRUN_CHECK_ARG(x.dim() >= 1 && x.size(-1) > 0, name, ": input shape ", shape_str(x.shape()),
                   " has no last dimension to normalise over");
  const int64_t cols = x.size(-1), rows = x.numel() / cols;
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  SEGRUN_ON_CUDA(x, cuda_ops::softmax_forward(x, rows, cols, log_output, out)) {
    require_cpu(name, x);
    dispatch_float(x.dtype(), name, [&](auto tag) {
      using T = decltype(tag);
      cpu::softmax_forward<T>(x.data<T>(), rows, cols, log_output, out.data<T>());
    });
  }
  Tensor saved = any_requires_grad({x}) ? out.detach() : Tensor();
  return record(name, out, {x}, [saved, rows, cols, log_output, name](const Tensor& g) {
    Tensor gx = Tensor::empty(g.shape(), g.dtype(), g.device());
    SEGRUN_ON_CUDA(g, cuda_ops::softmax_backward(saved, g, rows, cols, log_output, gx)) {
      dispatch_float(g.dtype(), name, [&](auto tag) {
        using T = decltype(tag);
        cpu::softmax_backward<T>(saved.data<T>(), g.data<T>(), rows, cols, log_output, gx.data<T>());
      });
    }
    return std::vector<Tensor>{gx};
  });
}
}  // namespace

Tensor softmax(const Tensor& x) {
  return softmax_last_dim(x, false, "softmax");
}

Tensor log_softmax(const Tensor& x) {
  return softmax_last_dim(x, true, "log_softmax");
}

}  // namespace segrun
