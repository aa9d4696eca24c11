#pragma once
// CUDA paths of the elementwise and reduction front-ends: tensors to launcher arguments.
#include "cuda/elementwise.h"
#include "engine/cpu/elementwise.h"
#include "engine/ops/cuda/common.h"

namespace segrun::cuda_ops {

inline cuda::BinaryKind binary_kind(cpu::BinaryOp op) {
  switch (op) {
    case cpu::BinaryOp::Add:
      return cuda::BinaryKind::Add;
    case cpu::BinaryOp::Sub:
      return cuda::BinaryKind::Sub;
    case cpu::BinaryOp::Mul:
      return cuda::BinaryKind::Mul;
  }
  return cuda::BinaryKind::Add;
}

// sa, sb: the operands' shapes right-aligned to out's rank.
inline void binary(cpu::BinaryOp op, const Tensor& a, const Shape& sa, const Tensor& b, const Shape& sb, Tensor& out) {
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
  cuda::binary(binary_kind(op), out.dtype(), a.raw_data(), b.raw_data(), out.raw_data(), s, stream());
}

// out (shape `aligned`, right-aligned to g's rank) = g summed over the broadcast dims.
inline void sum_to(const Tensor& g, const Shape& aligned, Tensor& out) {
  cuda::ReduceShape s;
  s.rank = static_cast<int>(g.dim());
  for (int d = 0; d < s.rank; ++d) {
    s.in[d] = g.size(d);
    s.out[d] = aligned[static_cast<size_t>(d)];
  }
  cuda::sum_to(g.dtype(), g.raw_data(), out.raw_data(), s, stream());
}

// relu or sigmoid; the backward pass needs only the forward output y.
inline void activation_forward(bool relu, const Tensor& x, Tensor& out) {
  (relu ? cuda::relu_forward : cuda::sigmoid_forward)(x.dtype(), x.raw_data(), out.raw_data(), x.numel(), stream());
}

inline void activation_backward(bool relu, const Tensor& y, const Tensor& g, Tensor& gx) {
  (relu ? cuda::relu_backward : cuda::sigmoid_backward)(g.dtype(), y.raw_data(), g.raw_data(), gx.raw_data(), g.numel(),
                                                        stream());
}

inline Tensor sum_all(const Tensor& x) {
  Tensor out = Tensor::empty({1}, x.dtype(), x.device());
  Tensor scratch = device_floats(cuda::kSumScratchFloats);
  cuda::sum(x.dtype(), x.raw_data(), x.numel(), out.raw_data(), scratch.data<float>(), stream());
  return out;
}

// A tensor of `shape` filled with the device scalar g[0], without a host round trip.
inline Tensor broadcast_scalar(const Tensor& g, const Shape& shape) {
  Tensor out = Tensor::empty(shape, g.dtype(), g.device());
  cuda::broadcast_scalar(g.dtype(), g.raw_data(), 1.0f, out.raw_data(), out.numel(), stream());
  return out;
}

}  // namespace segrun::cuda_ops
