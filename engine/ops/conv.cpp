#include "engine/ops/conv.h"

#include "engine/autograd.h"
#include "engine/cpu/conv.h"
#include "engine/error.h"
#include "engine/ops/device_check.h"
#ifdef SEGRUN_WITH_CUDA
#include "engine/ops/cuda/conv.h"
#endif

namespace segrun {

namespace {

void check_operands(const char* op, const Tensor& x, const Tensor& w, const Tensor& b) {
  check_defined(x, op, "input");
  check_defined(w, op, "weight");
  SEGRUN_CHECK_ARG(x.dim() == 4 && x.numel() > 0, op, ": input ", shape_str(x.shape()),
                   " must be a non-empty 4-D (N,H,W,C) tensor (weight ", shape_str(w.shape()), ")");
  SEGRUN_CHECK_ARG(w.dim() == 4 && w.numel() > 0, op, ": weight ", shape_str(w.shape()),
                   " must be a non-empty 4-D tensor (input ", shape_str(x.shape()), ")");
  check_same_device_dtype(x, w, op);
  if (b.defined()) check_same_device_dtype(x, b, op);
}

void check_bias(const char* op, const Tensor& b, const Tensor& w, int64_t out_c) {
  if (!b.defined()) return;
  SEGRUN_CHECK_ARG(b.dim() == 1 && b.size(0) == out_c, op, ": bias ", shape_str(b.shape()), " does not match weight ",
                   shape_str(w.shape()), " with ", out_c, " output channels");
}

// Output size of a convolution along one axis; throws when the dilated kernel does not fit.
int64_t conv_out_size(const char* op, const Tensor& x, const Tensor& w, int64_t in, int64_t k, int64_t stride,
                      int64_t pad, int64_t dilation) {
  const int64_t span = dilation * (k - 1) + 1;
  SEGRUN_CHECK_ARG(in + 2 * pad >= span, op, ": input ", shape_str(x.shape()), " padded by ", pad,
                   " is smaller than the kernel of weight ", shape_str(w.shape()), " dilated by ", dilation);
  return (in + 2 * pad - span) / stride + 1;
}

ConvGeometry conv2d_geometry(const Tensor& x, const Tensor& w, const Conv2dArgs& a) {
  SEGRUN_CHECK_ARG(a.stride_h >= 1 && a.stride_w >= 1 && a.pad_h >= 0 && a.pad_w >= 0 && a.dilation_h >= 1 &&
                       a.dilation_w >= 1 && a.groups >= 1,
                   "conv2d: invalid arguments for input ", shape_str(x.shape()), " and weight ", shape_str(w.shape()),
                   ": stride ", a.stride_h, "x", a.stride_w, ", padding ", a.pad_h, "x", a.pad_w, ", dilation ",
                   a.dilation_h, "x", a.dilation_w, ", groups ", a.groups,
                   " (stride, dilation, groups >= 1, padding >= 0)");
  ConvGeometry g;
  g.batch = x.size(0), g.in_h = x.size(1), g.in_w = x.size(2), g.in_c = x.size(3);
  g.out_c = w.size(0), g.kernel_h = w.size(1), g.kernel_w = w.size(2), g.groups = a.groups;
  SEGRUN_CHECK_ARG(g.in_c % g.groups == 0 && g.out_c % g.groups == 0, "conv2d: input ", shape_str(x.shape()), " has ",
                   g.in_c, " channels and weight ", shape_str(w.shape()), " has ", g.out_c,
                   " output channels; both must be divisible by groups ", g.groups);
  SEGRUN_CHECK_ARG(w.size(3) * g.groups == g.in_c, "conv2d: input ", shape_str(x.shape()), " has ", g.in_c,
                   " channels but weight ", shape_str(w.shape()), " expects ", w.size(3) * g.groups, " (groups ",
                   g.groups, ")");
  g.stride_h = a.stride_h, g.stride_w = a.stride_w, g.pad_h = a.pad_h, g.pad_w = a.pad_w;
  g.dilation_h = a.dilation_h, g.dilation_w = a.dilation_w;
  g.out_h = conv_out_size("conv2d", x, w, g.in_h, g.kernel_h, g.stride_h, g.pad_h, g.dilation_h);
  g.out_w = conv_out_size("conv2d", x, w, g.in_w, g.kernel_w, g.stride_w, g.pad_w, g.dilation_w);
  return g;
}

// The transposed convolution of x is the data gradient of the convolution whose input has the
// transposed output's shape and whose OHWI weight is w (Cin, KH, KW, Cout) itself.
ConvGeometry conv_transpose2d_geometry(const Tensor& x, const Tensor& w, const ConvTranspose2dArgs& a) {
  SEGRUN_CHECK_ARG(a.stride >= 1 && a.pad >= 0 && a.output_padding >= 0 && a.output_padding < a.stride,
                   "conv_transpose2d: invalid arguments for input ", shape_str(x.shape()), " and weight ",
                   shape_str(w.shape()), ": stride ", a.stride, ", padding ", a.pad, ", output_padding ",
                   a.output_padding, " (stride >= 1, padding >= 0, 0 <= output_padding < stride)");
  SEGRUN_CHECK_ARG(w.size(0) == x.size(3), "conv_transpose2d: input ", shape_str(x.shape()), " has ", x.size(3),
                   " channels but weight ", shape_str(w.shape()), " expects ", w.size(0), " (groups 1)");
  ConvGeometry g;
  g.batch = x.size(0), g.out_h = x.size(1), g.out_w = x.size(2), g.out_c = x.size(3);
  g.kernel_h = w.size(1), g.kernel_w = w.size(2), g.in_c = w.size(3);
  g.stride_h = g.stride_w = a.stride;
  g.pad_h = g.pad_w = a.pad;
  g.in_h = (g.out_h - 1) * a.stride - 2 * a.pad + g.kernel_h + a.output_padding;
  g.in_w = (g.out_w - 1) * a.stride - 2 * a.pad + g.kernel_w + a.output_padding;
  SEGRUN_CHECK_ARG(g.in_h > 0 && g.in_w > 0, "conv_transpose2d: input ", shape_str(x.shape()), " and weight ",
                   shape_str(w.shape()), " with padding ", a.pad, " give an empty output ", g.in_h, "x", g.in_w);
  return g;
}

Shape input_shape(const ConvGeometry& g) {
  return {g.batch, g.in_h, g.in_w, g.in_c};
}
Shape output_shape(const ConvGeometry& g) {
  return {g.batch, g.out_h, g.out_w, g.out_c};
}

Tensor conv_forward(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor& b) {
  Tensor y = Tensor::empty(output_shape(g), x.dtype(), x.device());
  SEGRUN_ON_CUDA(x, cuda_ops::conv_forward(g, x, w, b, y)) {
    require_cpu("conv2d", x);
    dispatch_float(x.dtype(), "conv2d", [&](auto tag) {
      using T = decltype(tag);
      cpu::conv2d_forward<T>(g, x.data<T>(), w.data<T>(), b.defined() ? b.data<T>() : nullptr, y.data<T>());
    });
  }
  return y;
}

Tensor conv_data_grad(const ConvGeometry& g, const Tensor& gy, const Tensor& w, const Tensor& b) {
  Tensor gx = Tensor::empty(input_shape(g), gy.dtype(), gy.device());
  SEGRUN_ON_CUDA(gy, cuda_ops::conv_data_grad(g, gy, w, b, gx)) {
    require_cpu("conv2d", gy);
    dispatch_float(gy.dtype(), "conv2d backward", [&](auto tag) {
      using T = decltype(tag);
      cpu::conv2d_backward_data<T>(g, gy.data<T>(), w.data<T>(), gx.data<T>());
      if (b.defined()) cpu::add_bias<T>(gx.data<T>(), b.data<T>(), g.batch * g.in_h * g.in_w, g.in_c);
    });
  }
  return gx;
}

Tensor conv_filter_grad(const ConvGeometry& g, const Tensor& x, const Tensor& gy, const Shape& w_shape) {
  Tensor gw = Tensor::empty(w_shape, gy.dtype(), gy.device());
  SEGRUN_ON_CUDA(gy, cuda_ops::conv_filter_grad(g, x, gy, gw)) {
    require_cpu("conv2d", gy);
    dispatch_float(gy.dtype(), "conv2d backward", [&](auto tag) {
      using T = decltype(tag);
      cpu::conv2d_backward_filter<T>(g, x.data<T>(), gy.data<T>(), gw.data<T>());
    });
  }
  return gw;
}

Tensor bias_grad(const Tensor& gy, int64_t channels) {
  Tensor gb = Tensor::empty({channels}, gy.dtype(), gy.device());
  SEGRUN_ON_CUDA(gy, cuda_ops::bias_grad(gy, channels, gb)) {
    require_cpu("conv2d", gy);
    dispatch_float(gy.dtype(), "conv bias backward", [&](auto tag) {
      using T = decltype(tag);
      cpu::bias_backward<T>(gy.data<T>(), gy.numel() / channels, channels, gb.data<T>());
    });
  }
  return gb;
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dArgs& args) {
  check_operands("conv2d", x, w, b);
  const ConvGeometry g = conv2d_geometry(x, w, args);
  check_bias("conv2d", b, w, g.out_c);
  Tensor y = conv_forward(g, x, w, b);
  const std::vector<bool> need = grad_needed({x, w, b});
  const Tensor saved_x = need[1] ? x.detach() : Tensor(), saved_w = need[0] ? w.detach() : Tensor();
  const Shape w_shape = w.shape();
  return record("conv2d", y, {x, w, b}, [g, need, saved_x, saved_w, w_shape](const Tensor& gy) {
    return std::vector<Tensor>{need[0] ? conv_data_grad(g, gy, saved_w, Tensor()) : Tensor(),
                               need[1] ? conv_filter_grad(g, saved_x, gy, w_shape) : Tensor(),
                               need[2] ? bias_grad(gy, g.out_c) : Tensor()};
  });
}

// y = conv2d_backward_data(x) + b; its input gradient is the forward convolution of gy, its
// weight gradient the filter gradient with the roles of input and output gradient swapped.
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b, const ConvTranspose2dArgs& args) {
  check_operands("conv_transpose2d", x, w, b);
  const ConvGeometry g = conv_transpose2d_geometry(x, w, args);
  check_bias("conv_transpose2d", b, w, g.in_c);
  Tensor y = conv_data_grad(g, x, w, b);
  const std::vector<bool> need = grad_needed({x, w, b});
  const Tensor saved_x = need[1] ? x.detach() : Tensor(), saved_w = need[0] ? w.detach() : Tensor();
  const Shape w_shape = w.shape();
  return record("conv_transpose2d", y, {x, w, b}, [g, need, saved_x, saved_w, w_shape](const Tensor& gy) {
    return std::vector<Tensor>{need[0] ? conv_forward(g, gy, saved_w, Tensor()) : Tensor(),
                               need[1] ? conv_filter_grad(g, gy, saved_x, w_shape) : Tensor(),
                               need[2] ? bias_grad(gy, g.in_c) : Tensor()};
  });
}

}  // namespace segrun
