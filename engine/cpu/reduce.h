#pragma once
// CPU kernels for the reductions. Both sum in an order fixed by the shapes alone, so results do
// not depend on the thread count.
#include <cstdint>

#include "engine/tensor.h"

namespace segrun::cpu {

// Sums g (shape so) down to shape sa (right-aligned, same rank, 1 where broadcast).
template <typename T>
void sum_to(const T* g, const Shape& so, T* out, const Shape& sa);

// Sum of x[0..n) in double, over fixed blocks added in block order.
template <typename T>
double sum(const T* x, int64_t n);

}  // namespace segrun::cpu
