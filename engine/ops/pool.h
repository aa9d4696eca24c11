#pragma once
// Pooling on NHWC tensors.
#include "engine/tensor.h"

namespace segrun {

// Max pooling, square window; padding counts as -inf (PyTorch semantics, floor mode).
// Used as 2x2 stride 2 (U-Net) and 3x3 stride 2 pad 1 (ResNet stem).
Tensor max_pool2d(const Tensor& x, int kernel, int stride, int pad = 0);

// (N,H,W,C) -> (N,1,1,C), the mean over H and W.
Tensor global_avg_pool(const Tensor& x);

}  // namespace segrun
