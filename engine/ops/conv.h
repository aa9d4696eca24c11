#pragma once
// Convolutions on NHWC tensors. Weights are stored OHWI (Cout, KH, KW, Cin/groups) for conv2d
// and IHWO (Cin, KH, KW, Cout) for conv_transpose2d: the layouts cuDNN uses for NHWC, and a
// plain transpose of PyTorch's OIHW / IOHW (done at the safetensors boundary).
#include "engine/tensor.h"

namespace segrun {

struct Conv2dArgs {
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;
  int dilation_h = 1, dilation_w = 1;
  int groups = 1;
  static Conv2dArgs make(int stride, int pad, int dilation = 1, int groups = 1) {
    return {stride, stride, pad, pad, dilation, dilation, groups};
  }
};

// x (N,H,W,Cin), w (Cout,KH,KW,Cin/groups), b (Cout) or undefined -> (N,Ho,Wo,Cout).
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dArgs& args);

struct ConvTranspose2dArgs {
  int stride = 1;
  int pad = 0;
  int output_padding = 0;
};

// x (N,H,W,Cin), w (Cin,KH,KW,Cout), b (Cout) or undefined -> (N,Ho,Wo,Cout) with
// Ho = (H-1)*stride - 2*pad + KH + output_padding (PyTorch semantics, groups = 1).
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b, const ConvTranspose2dArgs& args);

}  // namespace segrun
