#pragma once
// Shared helpers of the CUDA paths of the op front-ends (included in CUDA builds only).
#include "cuda/context.h"
#include "engine/tensor.h"

namespace segrun::cuda_ops {

inline cudaStream_t stream() {
  return cuda::context().stream();
}

// f32 scratch on the device, returned to the stream-ordered pool when the tensor goes.
inline Tensor device_floats(int64_t count) {
  return Tensor::empty({count}, DType::F32, Device::cuda());
}

}  // namespace segrun::cuda_ops
