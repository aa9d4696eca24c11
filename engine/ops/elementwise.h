#pragma once
// Elementwise ops with NumPy broadcasting (trailing dimensions aligned; size-1 dims stretch),
// activations, casts and in-place helpers.
#include "engine/tensor.h"

namespace segrun {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor scale(const Tensor& a, double s);  // a * s
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);

// Floating casts are differentiable (gradient cast back); casts to/from integers are not.
Tensor cast(const Tensor& x, DType dtype);

// Sum of g over the dims that were broadcast to reach g's shape from `shape`.
Tensor sum_to(const Tensor& g, const Shape& shape);

// Shape two operands broadcast to; throws std::invalid_argument naming `op` and both shapes.
Shape broadcast_shape(const Shape& a, const Shape& b, const char* op);

// In place, never recorded: dst += src (same shape), t = value.
void add_inplace(Tensor& dst, const Tensor& src);
void fill(Tensor& t, double value);

}  // namespace segrun
