#pragma once
// CUDA paths of the reduction front-ends: tensors to launcher arguments.
#include "cuda/reduce.h"
#include "engine/ops/cuda/common.h"

namespace segrun::cuda_ops {

// out = g summed to s.out, with the scratch the launcher asks for.
inline void sum_to(const Tensor& g, const cuda::ReduceShape& s, Tensor& out) {
  const int64_t scratch_floats = cuda::sum_to_scratch_floats(s);
  Tensor scratch = scratch_floats > 0 ? device_floats(scratch_floats) : Tensor();
  cuda::sum_to(g.dtype(), g.raw_data(), out.raw_data(), s, scratch_floats > 0 ? scratch.data<float>() : nullptr,
               stream());
}

// out (shape `aligned`, right-aligned to g's rank) = g summed over the broadcast dims.
inline void sum_to(const Tensor& g, const Shape& aligned, Tensor& out) {
  cuda::ReduceShape s;
  s.rank = static_cast<int>(g.dim());
  for (int d = 0; d < s.rank; ++d) {
    s.in[d] = g.size(d);
    s.out[d] = aligned[static_cast<size_t>(d)];
  }
  sum_to(g, s, out);
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
