#pragma once
// Softmax and log-softmax over the last dimension (numerically stable: max subtracted).
#include "engine/tensor.h"

namespace segrun {

Tensor softmax(const Tensor& x);
Tensor log_softmax(const Tensor& x);

}  // namespace segrun
