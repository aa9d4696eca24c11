#pragma once
// Whole-tensor reductions to a scalar of shape [1].
#include "engine/tensor.h"

namespace segrun {

Tensor sum(const Tensor& x);
Tensor mean(const Tensor& x);

}  // namespace segrun
