#pragma once
// CUDA paths of the elementwise front-ends: tensors to launcher arguments.
#include "cuda/elementwise.h"
#include "engine/kernel_types.h"
#include "engine/ops/cuda/common.h"

namespace segrun::cuda_ops {

// sa, sb: the operands' shapes right-aligned to out's rank.
inline void binary(BinaryOp op, const Tensor& a, const Shape& sa, const Tensor& b, const Shape& sb, Tensor& out) {
  cuda::BroadcastShape s;
  s.rank = static_cast<int>(out.dim());
  int64_t stride_a = 1, stride_b = 1;
  for (int d = s.rank - 1; d >= 0; --d) {
    s.out[d] = out.size(d);
    s.stride_a[d] = sa[d] == 1 && s.out[d] != 1 ? 0 : stride_a;
    s.stride_b[d] = sb[d] == 1 && s.out[d] != 1 ? 0 : stride_b;
    stride_a *= sa[d];
    stride_b *= sb[d];
  }
  cuda::binary(op, out.dtype(), a.raw_data(), b.raw_data(), out.raw_data(), s, stream());
}

// The backward pass of an activation needs only the forward output y.
inline void activation_forward(Activation kind, const Tensor& x, Tensor& out) {
  const auto launch = kind == Activation::Relu ? cuda::relu_forward : cuda::sigmoid_forward;
  launch(x.dtype(), x.raw_data(), out.raw_data(), x.numel(), stream());
}

inline void activation_backward(Activation kind, const Tensor& y, const Tensor& g, Tensor& gx) {
  const auto launch = kind == Activation::Relu ? cuda::relu_backward : cuda::sigmoid_backward;
  launch(g.dtype(), y.raw_data(), g.raw_data(), gx.raw_data(), g.numel(), stream());
}

}  // namespace segrun::cuda_ops
