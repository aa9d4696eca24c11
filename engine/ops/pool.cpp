#include "engine/ops/pool.h"

#include <limits>

#include "engine/autograd.h"
#include "engine/cpu/pool.h"
#include "engine/error.h"
#include "engine/ops/device_check.h"
#ifdef SEGRUN_WITH_CUDA
#include "engine/ops/cuda/pool.h"
#endif

namespace segrun {

namespace {
PoolGeometry max_pool_geometry(const Tensor& x, int kernel, int stride, int pad) {
  check_defined(x, "max_pool2d", "input");
  SEGRUN_CHECK_ARG(x.dim() == 4, "max_pool2d: input must be N,H,W,C, got shape ", shape_str(x.shape()));
  SEGRUN_CHECK_ARG(kernel > 0 && stride > 0 && pad >= 0 && pad <= kernel / 2, "max_pool2d: kernel ", kernel, " stride ",
                   stride, " pad ", pad, " invalid (need kernel, stride > 0 and 0 <= pad <= kernel/2)");
  const Shape& s = x.shape();
  SEGRUN_CHECK_ARG(s[1] + 2 * pad >= kernel && s[2] + 2 * pad >= kernel, "max_pool2d: input shape ", shape_str(s),
                   " is smaller than the ", kernel, "x", kernel, " window with pad ", pad);
  SEGRUN_CHECK_ARG(s[1] * s[2] <= std::numeric_limits<int32_t>::max(), "max_pool2d: input shape ", shape_str(s),
                   " has too many pixels per image");
  PoolGeometry geo{s[0], s[1], s[2], s[3], 0, 0, kernel, stride, pad};
  geo.out_height = (s[1] + 2 * pad - kernel) / stride + 1;
  geo.out_width = (s[2] + 2 * pad - kernel) / stride + 1;
  return geo;
}
}  // namespace

Tensor max_pool2d(const Tensor& x, int kernel, int stride, int pad) {
  const PoolGeometry geo = max_pool_geometry(x, kernel, stride, pad);
  const Shape out_shape{geo.batch, geo.out_height, geo.out_width, geo.channels};
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
  Tensor argmax = Tensor::empty(out_shape, DType::I32, x.device());
  SEGRUN_ON_CUDA(x, cuda_ops::max_pool_forward(x, geo, out, argmax)) {
    require_cpu("max_pool2d", x);
    dispatch_float(x.dtype(), "max_pool2d", [&](auto tag) {
      using T = decltype(tag);
      cpu::max_pool_forward<T>(x.data<T>(), geo, out.data<T>(), argmax.data<int32_t>());
    });
  }
  const Shape in_shape = x.shape();
  return record("max_pool2d", out, {x}, [geo, argmax, in_shape](const Tensor& g) {
    Tensor gx = Tensor::empty(in_shape, g.dtype(), g.device());
    SEGRUN_ON_CUDA(g, cuda_ops::max_pool_backward(g, argmax, geo, gx)) {
      dispatch_float(g.dtype(), "max_pool2d", [&](auto tag) {
        using T = decltype(tag);
        cpu::max_pool_backward<T>(g.data<T>(), argmax.data<int32_t>(), geo, gx.data<T>());
      });
    }
    return std::vector<Tensor>{gx};
  });
}

Tensor global_avg_pool(const Tensor& x) {
  check_defined(x, "global_avg_pool", "input");
  SEGRUN_CHECK_ARG(x.dim() == 4, "global_avg_pool: input must be N,H,W,C, got shape ", shape_str(x.shape()));
  const Shape in_shape = x.shape();
  const int64_t batch = in_shape[0], pixels = in_shape[1] * in_shape[2], channels = in_shape[3];
  Tensor out = Tensor::empty({batch, 1, 1, channels}, x.dtype(), x.device());
  SEGRUN_ON_CUDA(x, cuda_ops::global_avg_pool_forward(x, batch, pixels, channels, out)) {
    require_cpu("global_avg_pool", x);
    dispatch_float(x.dtype(), "global_avg_pool", [&](auto tag) {
      using T = decltype(tag);
      cpu::global_avg_pool_forward<T>(x.data<T>(), batch, pixels, channels, out.data<T>());
    });
  }
  return record("global_avg_pool", out, {x}, [=](const Tensor& g) {
    Tensor gx = Tensor::empty(in_shape, g.dtype(), g.device());
    SEGRUN_ON_CUDA(g, cuda_ops::global_avg_pool_backward(g, batch, pixels, channels, gx)) {
      dispatch_float(g.dtype(), "global_avg_pool", [&](auto tag) {
        using T = decltype(tag);
        cpu::global_avg_pool_backward<T>(g.data<T>(), batch, pixels, channels, gx.data<T>());
      });
    }
    return std::vector<Tensor>{gx};
  });
}

}  // namespace segrun
