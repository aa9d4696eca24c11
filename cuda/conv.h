#pragma once
// Convolutions through cuDNN in NHWC (f32, or f16 storage with f32 accumulation), on the
// context's stream. Plans (descriptors + algorithms) are cached per ConvShape.
#include "cuda/conv_plan.h"

namespace segrun::cuda {

// y = conv(x, w): x (n,h,w,c), w (k,r,s,c/groups), y (n,out_h,out_w,k).
void conv_forward(const ConvShape& shape, const void* x, const void* w, void* y);
// dx = gradient of conv wrt its input; also the forward pass of a transposed convolution.
void conv_backward_data(const ConvShape& shape, const void* w, const void* dy, void* dx);
// dw = gradient of conv wrt its filter (overwritten, not accumulated).
void conv_backward_filter(const ConvShape& shape, const void* x, const void* dy, void* dw);

}  // namespace segrun::cuda
