#include "models/resnet34.h"

#include "engine/error.h"
#include "nn/state_dict.h"

namespace segrun::models {

namespace {
// The `downsample` shortcut: children named 0 (conv) and 1 (BN) as in torchvision's Sequential.
class Shortcut : public nn::Module {
 public:
  Shortcut(std::shared_ptr<nn::Conv2d> conv, std::shared_ptr<nn::BatchNorm2d> bn) {
    register_module("0", std::move(conv));
    register_module("1", std::move(bn));
  }
};

constexpr int kBlocks[4] = {3, 4, 6, 3};
}  // namespace

BasicBlock::BasicBlock(int64_t in_channels, int64_t out_channels, int stride, int dilation, Generator& gen) {
  const nn::Conv2dOptions first{3, stride, dilation, dilation, 1, false};
  const nn::Conv2dOptions second{3, 1, dilation, dilation, 1, false};
  conv1_ = register_module("conv1", std::make_shared<nn::Conv2d>(in_channels, out_channels, first, gen));
  bn1_ = register_module("bn1", std::make_shared<nn::BatchNorm2d>(out_channels));
  conv2_ = register_module("conv2", std::make_shared<nn::Conv2d>(out_channels, out_channels, second, gen));
  bn2_ = register_module("bn2", std::make_shared<nn::BatchNorm2d>(out_channels));
  if (stride != 1 || in_channels != out_channels) {
    const nn::Conv2dOptions shortcut{1, stride, 0, 1, 1, false};
    down_conv_ = std::make_shared<nn::Conv2d>(in_channels, out_channels, shortcut, gen);
    down_bn_ = std::make_shared<nn::BatchNorm2d>(out_channels);
    downsample_ = register_module("downsample", std::make_shared<Shortcut>(down_conv_, down_bn_));
  }
}

Tensor BasicBlock::forward(const Tensor& x) {
  Tensor h = bn1_->forward_relu(conv1_->forward(x));
  Tensor identity = downsample_ ? down_bn_->forward(down_conv_->forward(x)) : x;
  return bn2_->forward_add_relu(conv2_->forward(h), identity);
}

ResLayer::ResLayer(int64_t in_channels, int64_t out_channels, int blocks, int stride, int dilation, Generator& gen) {
  for (int b = 0; b < blocks; ++b) {
    auto block =
        std::make_shared<BasicBlock>(b ? out_channels : in_channels, out_channels, b ? 1 : stride, dilation, gen);
    blocks_.push_back(register_module(std::to_string(b), block));
  }
}

Tensor ResLayer::forward(const Tensor& x) {
  Tensor h = x;
  for (const auto& block : blocks_) h = block->forward(h);
  return h;
}

ResNet34Encoder::ResNet34Encoder(int64_t in_channels, int64_t width, Generator& gen) : width_(width) {
  SEGRUN_CHECK_ARG(in_channels > 0 && width > 0, "resnet34: need in_channels > 0 and width > 0, got ", in_channels,
                   " and ", width);
  conv1_ = register_module(
      "conv1", std::make_shared<nn::Conv2d>(in_channels, width, nn::Conv2dOptions{7, 2, 3, 1, 1, false}, gen));
  bn1_ = register_module("bn1", std::make_shared<nn::BatchNorm2d>(width));
  int64_t channels = width;
  for (int l = 0; l < 4; ++l) {
    const int64_t out = width << l;
    const int stride = (l == 1 || l == 2) ? 2 : 1;  // layer4 trades its stride for dilation 2
    const int dilation = l == 3 ? 2 : 1;
    layers_[l] = register_module("layer" + std::to_string(l + 1),
                                 std::make_shared<ResLayer>(channels, out, kBlocks[l], stride, dilation, gen));
    channels = out;
  }
}

EncoderFeatures ResNet34Encoder::forward(const Tensor& x) {
  Tensor h = max_pool2d(bn1_->forward_relu(conv1_->forward(x)), 3, 2, 1);
  EncoderFeatures f;
  f.low = layers_[0]->forward(h);
  h = layers_[2]->forward(layers_[1]->forward(f.low));
  f.high = layers_[3]->forward(h);
  return f;
}

void ResNet34Encoder::load_imagenet_weights(const std::string& path) {
  nn::LoadOptions options;
  options.ignore_prefixes = {"fc."};
  nn::load_state_dict(path, *this, options);
}

}  // namespace segrun::models
