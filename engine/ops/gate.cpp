#include "engine/ops/gate.h"

#include "engine/error.h"
#include "engine/ops/device_check.h"
#include "engine/ops/elementwise.h"
#ifdef SEGRUN_WITH_CUDA
#include "engine/ops/cuda/gate.h"
#endif

namespace segrun {

Tensor sigmoid_gate(const Tensor& x, const Tensor& logit) {
  constexpr const char* kOp = "sigmoid_gate";
  check_defined(x, kOp, "input");
  check_defined(logit, kOp, "logit");
  check_same_device_dtype(x, logit, kOp);
  SEGRUN_CHECK_ARG(x.dim() == 4 && logit.dim() == 4 && logit.size(0) == x.size(0) && logit.size(1) == x.size(1) &&
                       logit.size(2) == x.size(2) && logit.size(3) == 1,
                   kOp, ": logit ", logit.str(), " must be (N,H,W,1) for input ", x.str());
  SEGRUN_ON_CUDA(x, return cuda_ops::sigmoid_gate(x, logit)) {
    require_cpu(kOp, x);
  }
  return mul(x, sigmoid(logit));
}

}  // namespace segrun
