#include "engine/ops/resize.h"

#include "engine/autograd.h"
#include "engine/cpu/resize.h"
#include "engine/error.h"
#include "engine/ops/device_check.h"
#ifdef SEGRUN_WITH_CUDA
#include "engine/ops/cuda/resize.h"
#endif

namespace segrun {

Tensor resize_bilinear(const Tensor& x, int64_t out_h, int64_t out_w) {
  check_defined(x, "resize_bilinear", "input");
  SEGRUN_CHECK_ARG(x.dim() == 4, "resize_bilinear: input must be N,H,W,C, got shape ", shape_str(x.shape()));
  SEGRUN_CHECK_ARG(out_h > 0 && out_w > 0 && x.size(1) > 0 && x.size(2) > 0, "resize_bilinear: cannot resize shape ",
                   shape_str(x.shape()), " to ", out_h, "x", out_w);
  const Shape& s = x.shape();
  const ResizeGeometry geo{s[0], s[1], s[2], s[3], out_h, out_w};
  Tensor out = Tensor::empty({s[0], out_h, out_w, s[3]}, x.dtype(), x.device());
  SEGRUN_ON_CUDA(x, cuda_ops::resize_forward(x, geo, out)) {
    require_cpu("resize_bilinear", x);
    dispatch_float(x.dtype(), "resize_bilinear", [&](auto tag) {
      using T = decltype(tag);
      cpu::resize_bilinear_forward<T>(x.data<T>(), geo, out.data<T>());
    });
  }
  const Shape in_shape = s;
  return record("resize_bilinear", out, {x}, [geo, in_shape](const Tensor& g) {
    Tensor gx = Tensor::empty(in_shape, g.dtype(), g.device());
    SEGRUN_ON_CUDA(g, cuda_ops::resize_backward(g, geo, gx)) {
      dispatch_float(g.dtype(), "resize_bilinear", [&](auto tag) {
        using T = decltype(tag);
        cpu::resize_bilinear_backward<T>(g.data<T>(), geo, gx.data<T>());
      });
    }
    return std::vector<Tensor>{gx};
  });
}

}  // namespace segrun
