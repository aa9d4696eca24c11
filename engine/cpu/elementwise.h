#pragma once
// CPU kernels for elementwise ops. Sizes explicit; pointers to contiguous data.
#include <cstdint>

#include "engine/tensor.h"

namespace segrun::cpu {

enum class BinaryOp { Add, Sub, Mul };

// out = a (op) b with broadcasting; shapes already right-aligned to out's rank.
template <typename T>
void binary(BinaryOp op, const T* a, const Shape& sa, const T* b, const Shape& sb, T* out, const Shape& so);

template <typename T> void scale(const T* x, T s, T* out, int64_t n);
template <typename T> void relu_forward(const T* x, T* out, int64_t n);
template <typename T> void relu_backward(const T* out, const T* g, T* gx, int64_t n);
template <typename T> void sigmoid_forward(const T* x, T* out, int64_t n);
template <typename T> void sigmoid_backward(const T* out, const T* g, T* gx, int64_t n);
template <typename T> void add_inplace(T* dst, const T* src, int64_t n);

// Sums g (shape so) down to shape sa (right-aligned, same rank, 1 where broadcast).
template <typename T>
void sum_to(const T* g, const Shape& so, T* out, const Shape& sa);

// Any dtype to any dtype, element by element.
void cast(const Tensor& src, Tensor& dst);
void fill(Tensor& t, double value);

template <typename T> double sum(const T* x, int64_t n);

}  // namespace segrun::cpu
