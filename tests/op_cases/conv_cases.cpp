// Op cases: conv2d (dense, strided, dilated, grouped, depthwise, pointwise) and
// conv_transpose2d. Kept small (the gradient check runs two forwards per input element), except
// one real-size layer with enough channels for cuDNN's f16 tensor-core kernels.
#include "tests/support/op_cases.h"

namespace segrun::testing {
namespace {

using In = InputSpec;

OpCase conv_case(const char* name, Shape x, Shape w, bool bias, Conv2dArgs args) {
  std::vector<In> inputs = {In::uniform(std::move(x)), In::uniform(w)};
  if (bias) inputs.push_back(In::uniform({w[0]}));
  OpCase c{"conv2d", name, inputs,
           [args, bias](const std::vector<Tensor>& t) { return conv2d(t[0], t[1], bias ? t[2] : Tensor(), args); }};
  c.f16_tol = kF16Convolution;
  return c;
}

OpCase transpose_case(const char* name, Shape x, Shape w, bool bias, ConvTranspose2dArgs args) {
  std::vector<In> inputs = {In::uniform(std::move(x)), In::uniform(w)};
  if (bias) inputs.push_back(In::uniform({w[3]}));
  OpCase c{"conv_transpose2d", name, inputs, [args, bias](const std::vector<Tensor>& t) {
             return conv_transpose2d(t[0], t[1], bias ? t[2] : Tensor(), args);
           }};
  c.f16_tol = kF16Convolution;
  return c;
}

}  // namespace

SEGRUN_OP_CASES(conv) {
  using A = Conv2dArgs;
  return {
      conv_case("3x3 pad 1, odd sizes, bias, batch 2", {2, 5, 7, 3}, {4, 3, 3, 3}, true, A::make(1, 1)),
      conv_case("3x3 stride 2 pad 1, no bias", {1, 7, 6, 3}, {5, 3, 3, 3}, false, A::make(2, 1)),
      conv_case("3x3 dilation 2 pad 2", {1, 7, 7, 2}, {3, 3, 3, 2}, false, A::make(1, 2, 2)),
      conv_case("3x3 dilation 6 pad 6 (ASPP rate), bias", {1, 8, 7, 2}, {2, 3, 3, 2}, true, A::make(1, 6, 6)),
      conv_case("depthwise 3x3 pad 1, groups = channels, batch 2", {2, 5, 6, 4}, {4, 3, 3, 1}, false,
                A::make(1, 1, 1, 4)),
      conv_case("depthwise 3x3 stride 2 dilation 2 pad 2, bias", {1, 7, 6, 3}, {3, 3, 3, 1}, true, A::make(2, 2, 2, 3)),
      conv_case("groups 2, 3x3 pad 1, bias", {1, 5, 5, 4}, {6, 3, 3, 2}, true, A::make(1, 1, 1, 2)),
      conv_case("1x1 pointwise, bias, batch 2", {2, 4, 5, 6}, {3, 1, 1, 6}, true, A::make(1, 0)),
      conv_case("1x1 stride 2 (downsample shortcut), no bias", {1, 7, 5, 4}, {3, 1, 1, 4}, false, A::make(2, 0)),
      conv_case("7x7 stride 2 pad 3 (ResNet stem)", {1, 9, 8, 3}, {2, 7, 7, 3}, false, A::make(2, 3)),
      conv_case("5x3 kernel, stride 2x1, pad 1x2", {1, 8, 6, 2}, {3, 5, 3, 2}, true, A{2, 1, 1, 2, 1, 1, 1}),
      transpose_case("2x2 stride 2 with bias (U-Net up-sampler), batch 2", {2, 3, 4, 4}, {4, 2, 2, 3}, true, {2, 0, 0}),
      transpose_case("3x3 stride 2 pad 1 output_padding 1", {1, 4, 3, 3}, {3, 3, 3, 2}, false, {2, 1, 1}),
      transpose_case("3x3 stride 1 pad 1, bias", {1, 5, 4, 2}, {2, 3, 3, 3}, true, {1, 1, 0}),
      real_size(conv_case("real size: 3x3 64 -> 64 pad 1, batch 2, 64x128", {2, 64, 128, 64}, {64, 3, 3, 64}, false,
                          A::make(1, 1))),
  };
}

}  // namespace segrun::testing
