#pragma once
// Device dispatch for op front-ends. require_cpu names the op when a tensor is on a device
// the op has no kernel for.
#include "engine/error.h"
#include "engine/tensor.h"

namespace segrun {

inline void require_cpu(const char* op, const Tensor& t) {
  if (!t.device().is_cpu()) throw_invalid(op, ": no kernel for device ", t.device().str());
}

// The value of a one-element floating CPU tensor, as a CPU kernel reads its input: not a host
// read of engine/host_traffic.h (the CUDA paths keep such scalars on the device).
inline double cpu_scalar(const Tensor& t, const char* op) {
  require_cpu(op, t);
  return dispatch_float(t.dtype(), op, [&](auto tag) { return static_cast<double>(t.data<decltype(tag)>()[0]); });
}

}  // namespace segrun

// `SEGRUN_ON_CUDA(t, cuda_path) { cpu_path }`: runs cuda_path when t is on the GPU and the
// block otherwise. CPU-only builds (where no tensor can be on the GPU) keep only the block.
#ifdef SEGRUN_WITH_CUDA
#define SEGRUN_ON_CUDA(t, ...) \
  if ((t).is_cuda()) {         \
    __VA_ARGS__;               \
  } else
#else
#define SEGRUN_ON_CUDA(t, ...)
#endif
