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

// Shape two operands broadcast to; throws std::invalid_argument naming `op` and both shapes.
Shape broadcast_shape(const Shape& a, const Shape& b, const char* op);
// `s` with leading 1s up to `rank` dims, as broadcasting aligns it.
Shape right_align(const Shape& s, size_t rank);

// In place, never recorded: dst += src (same shape), t = value.
void add_inplace(Tensor& dst, const Tensor& src);
void fill(Tensor& t, double value);

}  // namespace segrun
