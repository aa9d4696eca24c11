#pragma once
// The attention gate's output: the skip connection scaled, pixel by pixel, by its attention
// coefficient.
#include "engine/tensor.h"

namespace segrun {

// x (N,H,W,C) times sigmoid(logit), logit (N,H,W,1) broadcast over the channels: the
// mul(x, sigmoid(logit)) that ends an attention gate. On the GPU one node with two kernels:
// the forward pass never stores the coefficients, and the backward pass writes x's gradient
// and sums g * x over each pixel's channels in the same sweep (the composition would store
// g * x at full size first). On the CPU it is the composition itself.
Tensor sigmoid_gate(const Tensor& x, const Tensor& logit);

}  // namespace segrun
