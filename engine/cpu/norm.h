#pragma once
// CPU kernels for batch normalisation of a (rows, C) block (rows = N*H*W of an NHWC tensor).
// Statistics are accumulated in double in a fixed order (deterministic for any thread count).
#include <cstdint>

namespace segrun::cpu {

// mean[c] = sum_r x / rows; sq_dev[c] = sum_r (x - mean)^2 (two passes, for accuracy).
template <typename T>
void batch_norm_statistics(const T* x, int64_t rows, int64_t channels, double* mean, double* sq_dev);

// y = (x - mean) * invstd * weight + bias.
template <typename T>
void batch_norm_apply(const T* x, int64_t rows, int64_t channels, const double* mean, const double* invstd,
                      const T* weight, const T* bias, T* y);

// Gradients of batch_norm_apply. With batch_statistics, mean and invstd are functions of x and
// grad_x carries the terms through them. grad_x may be null (not needed).
template <typename T>
void batch_norm_backward(const T* x, const T* grad_y, int64_t rows, int64_t channels, const double* mean,
                         const double* invstd, const T* weight, bool batch_statistics, T* grad_x, T* grad_weight,
                         T* grad_bias);

}  // namespace segrun::cpu
