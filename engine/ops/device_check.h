#pragma once
// Until an op has a CUDA kernel, its front-end calls require_cpu, which names the op.
#include "engine/error.h"
#include "engine/tensor.h"

namespace segrun {

inline void require_cpu(const char* op, const Tensor& t) {
  if (!t.device().is_cpu()) throw_invalid(op, ": no kernel for device ", t.device().str());
}

}  // namespace segrun
