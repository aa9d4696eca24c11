#pragma once
// The input contract shared by the segmentation models.
#include "engine/error.h"
#include "engine/tensor.h"

namespace segrun::models {

// x must be (N,H,W,in_channels) with H and W divisible by 16 (four 2x downsamplings).
inline void check_model_input(const char* model, const Tensor& x, int64_t in_channels) {
  SEGRUN_CHECK_ARG(x.defined() && x.dim() == 4, model, ": expected an N,H,W,C input, got ",
                   x.defined() ? x.str() : "undefined");
  SEGRUN_CHECK_ARG(x.size(3) == in_channels, model, ": input has ", x.size(3), " channels, the model takes ",
                   in_channels);
  SEGRUN_CHECK_ARG(x.size(1) % 16 == 0 && x.size(2) % 16 == 0, model, ": input height ", x.size(1), " and width ",
                   x.size(2), " must both be divisible by 16");
}

}  // namespace segrun::models
