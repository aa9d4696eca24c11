#pragma once
// CPU kernels for pooling on NHWC tensors.
#include <cstdint>

#include "engine/kernel_types.h"

namespace segrun::cpu {

// y = max over the window (padding never wins); argmax = h * width + w of the first maximum in
// window raster order, per output element.
template <typename T>
void max_pool_forward(const T* x, const PoolGeometry& geo, T* y, int32_t* argmax);

// grad_x[p] = sum of grad_y over the outputs whose argmax is p (outputs in raster order).
template <typename T>
void max_pool_backward(const T* grad_y, const int32_t* argmax, const PoolGeometry& geo, T* grad_x);

// y[n, c] = mean over the `pixels` rows of image n; backward spreads grad_y / pixels evenly.
template <typename T>
void global_avg_pool_forward(const T* x, int64_t batch, int64_t pixels, int64_t channels, T* y);
template <typename T>
void global_avg_pool_backward(const T* grad_y, int64_t batch, int64_t pixels, int64_t channels, T* grad_x);

}  // namespace segrun::cpu
