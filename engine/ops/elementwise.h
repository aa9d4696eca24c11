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
// cast(x, copy.dtype()) with the result already at hand: `copy` must hold x's values in its
// own dtype (the optimiser's f16 copy of the weights under AMP). Returns an alias of copy with
// cast's gradient (cast back to x's dtype), and runs no kernel in the forward pass.
Tensor cast_with_copy(const Tensor& x, const Tensor& copy);
// dst = src converted to dst's dtype, in place and not recorded (same shape and device).
void cast_into(Tensor& dst, const Tensor& src);

// Shape two operands broadcast to; throws std::invalid_argument naming `op` and both shapes.
Shape broadcast_shape(const Shape& a, const Shape& b, const char* op);
// `s` with leading 1s up to `rank` dims, as broadcasting aligns it.
Shape right_align(const Shape& s, size_t rank);

// In place, never recorded: dst += src (same shape), t = value.
void add_inplace(Tensor& dst, const Tensor& src);
void fill(Tensor& t, double value);

}  // namespace segrun
