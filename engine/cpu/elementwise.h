#pragma once
// CPU kernels for elementwise ops. Sizes explicit; pointers to contiguous data.
#include <cstdint>
#include <vector>

#include "engine/kernel_types.h"
#include "engine/tensor.h"

namespace segrun::cpu {

// Row-major strides of `s` (right-aligned to out's rank), with 0 where the dim is 1 and out's
// dim is larger: the element step of a broadcast operand along each output dim.
std::vector<int64_t> broadcast_strides(const Shape& s, const Shape& out);

// out = a (op) b with broadcasting; shapes already right-aligned to out's rank.
template <typename T>
void binary(BinaryOp op, const T* a, const Shape& sa, const T* b, const Shape& sb, T* out, const Shape& so);

template <typename T>
void scale(const T* x, T s, T* out, int64_t n);
template <typename T>
void relu_forward(const T* x, T* out, int64_t n);
template <typename T>
void relu_backward(const T* out, const T* g, T* gx, int64_t n);
template <typename T>
void sigmoid_forward(const T* x, T* out, int64_t n);
template <typename T>
void sigmoid_backward(const T* out, const T* g, T* gx, int64_t n);
template <typename T>
void add_inplace(T* dst, const T* src, int64_t n);

// Any dtype to any dtype, element by element.
void cast(const Tensor& src, Tensor& dst);
void fill(Tensor& t, double value);

}  // namespace segrun::cpu
