#pragma once
// Attention U-Net (docs/REFERENCE.md section 3.2; Oktay et al. 2018). With width 64, 3 input channels
// and 19 classes: 31,390,335 parameters. Parameter names:
//   encoder{1..5}.{conv1,bn1,conv2,bn2}.*      ConvBlocks at widths w, 2w, 4w, 8w, 16w
//   up{4..1}.{weight,bias}                     ConvTranspose 2x2 stride 2, halves the channels
//   gate{4..1}.{w_g,bn_g,w_x,bn_x,psi,bn_psi}.* attention gate on the skip of that level
//   decoder{4..1}.{conv1,bn1,conv2,bn2}.*      ConvBlock after concat [gated skip, upsampled]
//   head.{weight,bias}                         1x1 conv to the classes
#include <memory>

#include "nn/layers.h"

namespace segrun::models {

// 2 x (conv3x3 pad 1, no bias -> BN -> ReLU).
class ConvBlock : public nn::Module {
 public:
  ConvBlock(int64_t in_channels, int64_t out_channels, Generator& gen);
  Tensor forward(const Tensor& x);

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv2_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn2_;
};

// a = ReLU(BN(W_g g + b_g) + BN(W_x x + b_x)); alpha = sigmoid(BN(psi a + b_psi)); out = x * alpha.
class AttentionGate : public nn::Module {
 public:
  AttentionGate(int64_t gate_channels, int64_t skip_channels, int64_t inter_channels, Generator& gen);
  // g (N,H,W,gate_channels), x (N,H,W,skip_channels) -> (N,H,W,skip_channels).
  Tensor forward(const Tensor& g, const Tensor& x);

 private:
  std::shared_ptr<nn::Conv2d> w_g_, w_x_, psi_;
  std::shared_ptr<nn::BatchNorm2d> bn_g_, bn_x_, bn_psi_;
};

class AttentionUNet : public nn::SegmentationModel {
 public:
  static constexpr int kLevels = 5;
  AttentionUNet(int64_t in_channels, int64_t classes, int64_t width, Generator& gen);

 protected:
  // (N,H,W,in_channels), H and W divisible by 16 -> logits (N,H,W,classes).
  Tensor network(const Tensor& x) override;

 private:
  int64_t in_channels_;
  std::shared_ptr<ConvBlock> encoders_[kLevels];
  std::shared_ptr<nn::ConvTranspose2d> ups_[kLevels - 1];
  std::shared_ptr<AttentionGate> gates_[kLevels - 1];
  std::shared_ptr<ConvBlock> decoders_[kLevels - 1];
  std::shared_ptr<nn::Conv2d> head_;
};

}  // namespace segrun::models
