#pragma once
// ResNet-34 encoder with torchvision's parameter names (conv1, bn1, layer1.0.conv1,
// layer2.0.downsample.0, ...) and no fc: 21,284,672 parameters at width 64. layer4 is dilated
// for output stride 16 the way segmentation_models_pytorch does it (torchvision's BasicBlock
// has no dilation option): every conv of layer4 gets stride 1, and its 3x3 convs dilation 2 and
// padding 2. `width` scales every stage (64, 128, 256, 512 at width 64) for small CPU runs.
#include <memory>
#include <string>
#include <vector>

#include "nn/layers.h"

namespace segrun::models {

// conv3x3 -> BN -> ReLU -> conv3x3 -> BN, plus the (1x1 conv -> BN) `downsample` shortcut when
// the shape changes, -> ReLU.
class BasicBlock : public nn::Module {
 public:
  BasicBlock(int64_t in_channels, int64_t out_channels, int stride, int dilation, Generator& gen);
  Tensor forward(const Tensor& x);

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv2_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn2_;
  std::shared_ptr<nn::Module> downsample_;
  std::shared_ptr<nn::Conv2d> down_conv_;
  std::shared_ptr<nn::BatchNorm2d> down_bn_;
};

// A stage of blocks named 0, 1, ...
class ResLayer : public nn::Module {
 public:
  ResLayer(int64_t in_channels, int64_t out_channels, int blocks, int stride, int dilation, Generator& gen);
  Tensor forward(const Tensor& x);

 private:
  std::vector<std::shared_ptr<BasicBlock>> blocks_;
};

struct EncoderFeatures {
  Tensor low;   // layer1 output, stride 4, width channels
  Tensor high;  // layer4 output, stride 16, 8 * width channels
};

class ResNet34Encoder : public nn::Module {
 public:
  ResNet34Encoder(int64_t in_channels, int64_t width, Generator& gen);
  EncoderFeatures forward(const Tensor& x);
  int64_t width() const { return width_; }

  // Loads a torchvision ResNet-34 state dict (its fc.* tensors are skipped).
  void load_imagenet_weights(const std::string& path);

 private:
  int64_t width_;
  std::shared_ptr<nn::Conv2d> conv1_;
  std::shared_ptr<nn::BatchNorm2d> bn1_;
  std::shared_ptr<ResLayer> layers_[4];
};

}  // namespace segrun::models
