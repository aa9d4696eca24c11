#include "models/deeplabv3plus.h"

#include "engine/error.h"
#include "models/input_check.h"

namespace segrun::models {

namespace {
nn::Conv2dOptions conv1x1() {
  return {1, 1, 0, 1, 1, false};
}
constexpr std::array<int, 3> kAtrousRates = {6, 12, 18};
}  // namespace

SeparableConvBnRelu::SeparableConvBnRelu(int64_t in_channels, int64_t out_channels, int dilation, Generator& gen) {
  conv_ = register_module("conv",
                          std::make_shared<nn::SeparableConv2d>(in_channels, out_channels, 3, dilation, dilation, gen));
  bn_ = register_module("bn", std::make_shared<nn::BatchNorm2d>(out_channels));
}

Tensor SeparableConvBnRelu::forward(const Tensor& x) {
  return bn_->forward_relu(conv_->forward(x));
}

ASPP::ASPP(int64_t in_channels, int64_t out_channels, const std::array<int, 3>& rates, Generator& gen) {
  branch0_ = register_module("branch0", std::make_shared<nn::ConvBnRelu>(in_channels, out_channels, conv1x1(), gen));
  for (int b = 0; b < 3; ++b)
    atrous_[b] = register_module("branch" + std::to_string(b + 1),
                                 std::make_shared<SeparableConvBnRelu>(in_channels, out_channels, rates[b], gen));
  pool_ = register_module("pool", std::make_shared<nn::ConvBnRelu>(in_channels, out_channels, conv1x1(), gen));
  project_ =
      register_module("project", std::make_shared<nn::ConvBnRelu>(5 * out_channels, out_channels, conv1x1(), gen));
  refine_ = register_module("refine", std::make_shared<SeparableConvBnRelu>(out_channels, out_channels, 1, gen));
}

Tensor ASPP::forward(const Tensor& x) {
  SEGRUN_CHECK_ARG(x.dim() == 4, "aspp: expected an N,H,W,C input, got ", x.str());
  Tensor pooled = pool_->forward(global_avg_pool(x));
  std::vector<Tensor> branches = {branch0_->forward(x), atrous_[0]->forward(x), atrous_[1]->forward(x),
                                  atrous_[2]->forward(x), resize_bilinear(pooled, x.size(1), x.size(2))};
  return refine_->forward(project_->forward(concat_channels(branches)));
}

DeepLabV3Plus::DeepLabV3Plus(int64_t in_channels, int64_t classes, int64_t width, Generator& gen)
    : in_channels_(in_channels) {
  SEGRUN_CHECK_ARG(classes > 0 && width >= 4 && width % 4 == 0, "deeplabv3plus: need classes > 0 and a width ",
                   "divisible by 4, got ", classes, " and ", width);
  const int64_t aspp_channels = 4 * width, low_channels = 3 * width / 4;  // 256 and 48 at width 64
  encoder_ = register_module("encoder", std::make_shared<ResNet34Encoder>(in_channels, width, gen));
  aspp_ = register_module("aspp", std::make_shared<ASPP>(8 * width, aspp_channels, kAtrousRates, gen));
  low_level_ = register_module("low_level", std::make_shared<nn::ConvBnRelu>(width, low_channels, conv1x1(), gen));
  fuse_ = register_module("fuse",
                          std::make_shared<SeparableConvBnRelu>(aspp_channels + low_channels, aspp_channels, 1, gen));
  head_ = register_module(
      "head", std::make_shared<nn::Conv2d>(aspp_channels, classes, nn::Conv2dOptions{1, 1, 0, 1, 1, true}, gen));
}

Tensor DeepLabV3Plus::network(const Tensor& x) {
  check_model_input("deeplabv3plus", x, in_channels_);
  const EncoderFeatures f = encoder_->forward(x);
  Tensor high = aspp_->forward(f.high);
  high = resize_bilinear(high, f.low.size(1), f.low.size(2));  // x4: stride 16 -> 4
  Tensor h = fuse_->forward(concat_channels({high, low_level_->forward(f.low)}));
  return resize_bilinear(head_->forward(h), x.size(1), x.size(2));
}

}  // namespace segrun::models
