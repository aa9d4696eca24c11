#pragma once
// CUDA paths of the convolution front-ends: cuDNN in NHWC through cuda/conv.h, plus bias add
// and bias gradient through the elementwise and reduction kernels.
#include "cuda/conv.h"
#include "cuda/elementwise.h"
#include "engine/kernel_types.h"
#include "engine/ops/cuda/common.h"
#include "engine/ops/cuda/reduce.h"

namespace segrun::cuda_ops {

// The geometry's convolution (input in_*, output out_*, weight (out_c, KH, KW, in_c/groups)).
inline cuda::ConvShape conv_shape(const ConvGeometry& g, DType dt) {
  auto i = [](int64_t v) { return static_cast<int>(v); };
  cuda::ConvShape s;
  s.n = i(g.batch), s.h = i(g.in_h), s.w = i(g.in_w), s.c = i(g.in_c);
  s.k = i(g.out_c), s.r = i(g.kernel_h), s.s = i(g.kernel_w);
  s.out_h = i(g.out_h), s.out_w = i(g.out_w);
  s.stride_h = i(g.stride_h), s.stride_w = i(g.stride_w), s.pad_h = i(g.pad_h), s.pad_w = i(g.pad_w);
  s.dilation_h = i(g.dilation_h), s.dilation_w = i(g.dilation_w), s.groups = i(g.groups);
  s.half = dt == DType::F16;
  return s;
}

// y[r, c] += b[c] over the rows of an NHWC tensor, in place.
inline void add_bias(Tensor& y, const Tensor& b) {
  cuda::BroadcastShape s;
  s.rank = 2;
  s.out[0] = y.numel() / b.numel(), s.out[1] = b.numel();
  s.stride_a[0] = b.numel(), s.stride_a[1] = 1;
  s.stride_b[0] = 0, s.stride_b[1] = 1;
  cuda::binary(BinaryOp::Add, y.dtype(), y.raw_data(), b.raw_data(), y.raw_data(), s, stream());
}

inline void conv_forward(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor& b, Tensor& y) {
  cuda::conv_forward(conv_shape(g, x.dtype()), x.raw_data(), w.raw_data(), y.raw_data());
  if (b.defined()) add_bias(y, b);
}

inline void conv_data_grad(const ConvGeometry& g, const Tensor& gy, const Tensor& w, const Tensor& b, Tensor& gx) {
  cuda::conv_backward_data(conv_shape(g, gy.dtype()), w.raw_data(), gy.raw_data(), gx.raw_data());
  if (b.defined()) add_bias(gx, b);
}

inline void conv_filter_grad(const ConvGeometry& g, const Tensor& x, const Tensor& gy, Tensor& gw) {
  cuda::conv_backward_filter(conv_shape(g, gy.dtype()), x.raw_data(), gy.raw_data(), gw.raw_data());
}

// gb[c] = sum over the rows of gy[r, c].
inline void bias_grad(const Tensor& gy, int64_t channels, Tensor& gb) {
  cuda::ReduceShape s;
  s.rank = 2;
  s.in[0] = gy.numel() / channels, s.in[1] = channels;
  s.out[0] = 1, s.out[1] = channels;
  sum_to(gy, s, gb);
}

}  // namespace segrun::cuda_ops
