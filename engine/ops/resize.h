#pragma once
// Bilinear resize of NHWC tensors, PyTorch F.interpolate(mode="bilinear", align_corners=False)
// semantics for any scale (source index = (dst + 0.5) * in/out - 0.5, clamped at 0).
#include "engine/tensor.h"

namespace segrun {

Tensor resize_bilinear(const Tensor& x, int64_t out_h, int64_t out_w);

}  // namespace segrun
