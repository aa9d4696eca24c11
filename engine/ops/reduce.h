#pragma once
// Reductions: whole-tensor sums to a scalar of shape [1], and sum_to, the gradient of a
// broadcast.
#include "engine/tensor.h"

namespace segrun {

Tensor sum(const Tensor& x);
Tensor mean(const Tensor& x);

// Sum of g over the dims that were broadcast to reach g's shape from `shape` (not recorded).
Tensor sum_to(const Tensor& g, const Shape& shape);

}  // namespace segrun
