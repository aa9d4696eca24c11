#pragma once
// CPU kernels for softmax and log-softmax over the last dimension of a (rows, C) block.
#include <cstdint>

namespace segrun::cpu {

// y = exp(x - max) / sum exp(x - max), or for log_softmax y = x - max - log(sum exp(x - max)).
template <typename T>
void softmax_forward(const T* x, int64_t rows, int64_t cols, bool log_output, T* y);

// softmax: grad_x = y * (g - sum(g * y)); log_softmax: grad_x = g - exp(y) * sum(g).
template <typename T>
void softmax_backward(const T* y, const T* grad_y, int64_t rows, int64_t cols, bool log_output, T* grad_x);

}  // namespace segrun::cpu
