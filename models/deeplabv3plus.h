#pragma once
// DeepLabV3+ with a ResNet-34 encoder (docs/REFERENCE.md section 3.5): 22,442,083 parameters for 19
// classes at width 64, the size of segmentation_models_pytorch's DeepLabV3Plus("resnet34").
// Parameter names:
//   encoder.*                        torchvision ResNet-34 names (see resnet34.h)
//   aspp.branch0.{conv,bn}.*         1x1 conv-BN-ReLU
//   aspp.branch{1,2,3}.{conv.depthwise,conv.pointwise,bn}.*   separable 3x3 atrous, rates 6, 12, 18
//   aspp.pool.{conv,bn}.*            image pooling: global average -> 1x1 conv-BN-ReLU -> upsample
//   aspp.project.{conv,bn}.*         1x1 conv-BN-ReLU on the concat of the five branches
//   aspp.refine.{conv.depthwise,conv.pointwise,bn}.*          separable 3x3 conv-BN-ReLU
//   low_level.{conv,bn}.*            1x1 conv-BN-ReLU on layer1 (48 channels at width 64)
//   fuse.{conv.depthwise,conv.pointwise,bn}.*                 separable 3x3 conv-BN-ReLU on the concat
//   head.{weight,bias}               1x1 conv to the classes
// `width` scales every channel count by width/64 (64: the real model; small widths for tests).
#include <array>
#include <memory>
#include <string>

#include "models/resnet34.h"
#include "nn/layers.h"

namespace segrun::models {

// SeparableConv2d (3x3, given dilation) -> BN -> ReLU. Children `conv`, `bn`.
class SeparableConvBnRelu : public nn::Module {
 public:
  SeparableConvBnRelu(int64_t in_channels, int64_t out_channels, int dilation, Generator& gen);
  Tensor forward(const Tensor& x);

 private:
  std::shared_ptr<nn::SeparableConv2d> conv_;
  std::shared_ptr<nn::BatchNorm2d> bn_;
};

class ASPP : public nn::Module {
 public:
  ASPP(int64_t in_channels, int64_t out_channels, const std::array<int, 3>& rates, Generator& gen);
  // (N,H,W,in_channels) -> (N,H,W,out_channels).
  Tensor forward(const Tensor& x);

 private:
  std::shared_ptr<nn::ConvBnRelu> branch0_, pool_, project_;
  std::shared_ptr<SeparableConvBnRelu> atrous_[3], refine_;
};

class DeepLabV3Plus : public nn::SegmentationModel {
 public:
  DeepLabV3Plus(int64_t in_channels, int64_t classes, int64_t width, Generator& gen);

  // ImageNet weights for the encoder: a torchvision ResNet-34 state dict in safetensors.
  void load_encoder_weights(const std::string& path) { encoder_->load_imagenet_weights(path); }
  // ASPP's image-pooling branch normalises one value per image and channel.
  static constexpr int64_t kMinTrainingBatch = 2;
  int64_t min_training_batch() const override { return kMinTrainingBatch; }

 protected:
  // (N,H,W,in_channels), H and W divisible by 16 -> logits (N,H,W,classes).
  Tensor network(const Tensor& x) override;

 private:
  int64_t in_channels_;
  std::shared_ptr<ResNet34Encoder> encoder_;
  std::shared_ptr<ASPP> aspp_;
  std::shared_ptr<nn::ConvBnRelu> low_level_;
  std::shared_ptr<SeparableConvBnRelu> fuse_;
  std::shared_ptr<nn::Conv2d> head_;
};

}  // namespace segrun::models
