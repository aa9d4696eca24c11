#pragma once
// CPU convolution kernels on NHWC data with OHWI weights (Cout, KH, KW, Cin/groups).
// Grouped and dense convolutions run as im2col + GEMM over bands of output rows; depthwise
// convolutions (groups == Cin == Cout) have direct kernels. Every kernel overwrites its output
// and sums in an order fixed by the shapes alone, so results do not depend on the thread count.
#include <cstdint>

#include "engine/kernel_types.h"

namespace segrun::cpu {

// y[n,ho,wo,co] = sum_{kh,kw,ci in group(co)} x[n, ho*s-p+kh*d, wo*s-p+kw*d, ci] w[co,kh,kw,ci]
//                 + bias[co] (bias may be null).
template <typename T>
void conv2d_forward(const ConvGeometry& g, const T* x, const T* w, const T* bias, T* y);

// gx = d(sum gy * y)/dx: the transpose of the forward map applied to gy.
template <typename T>
void conv2d_backward_data(const ConvGeometry& g, const T* gy, const T* w, T* gx);

// gw[co,kh,kw,ci] = sum_{n,ho,wo} gy[n,ho,wo,co] x[n, ho*s-p+kh*d, wo*s-p+kw*d, ci].
template <typename T>
void conv2d_backward_filter(const ConvGeometry& g, const T* x, const T* gy, T* gw);

// gb[c] = sum over the rows of gy (rows x channels).
template <typename T>
void bias_backward(const T* gy, int64_t rows, int64_t channels, T* gb);

// y[r, c] += bias[c] for every row.
template <typename T>
void add_bias(T* y, const T* bias, int64_t rows, int64_t channels);

// Below this many multiply-adds a convolution runs on one thread: waking the others costs more.
constexpr int64_t kConvParallelMinMacs = 1 << 18;

// Direct depthwise kernels (ConvGeometry::is_depthwise), same contracts as above.
template <typename T>
void depthwise_forward(const ConvGeometry& g, const T* x, const T* w, const T* bias, T* y);
template <typename T>
void depthwise_backward_data(const ConvGeometry& g, const T* gy, const T* w, T* gx);
template <typename T>
void depthwise_backward_filter(const ConvGeometry& g, const T* x, const T* gy, T* gw);

}  // namespace segrun::cpu
