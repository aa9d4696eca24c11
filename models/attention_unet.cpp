#include "models/attention_unet.h"

#include <string>

#include "engine/error.h"
#include "models/input_check.h"

namespace segrun::models {

namespace {
nn::Conv2dOptions conv3x3() {
  return {3, 1, 1, 1, 1, false};
}
nn::Conv2dOptions conv1x1_bias() {
  return {1, 1, 0, 1, 1, true};
}
}  // namespace

ConvBlock::ConvBlock(int64_t in_channels, int64_t out_channels, Generator& gen) {
  conv1_ = register_module("conv1", std::make_shared<nn::Conv2d>(in_channels, out_channels, conv3x3(), gen));
  bn1_ = register_module("bn1", std::make_shared<nn::BatchNorm2d>(out_channels));
  conv2_ = register_module("conv2", std::make_shared<nn::Conv2d>(out_channels, out_channels, conv3x3(), gen));
  bn2_ = register_module("bn2", std::make_shared<nn::BatchNorm2d>(out_channels));
}

Tensor ConvBlock::forward(const Tensor& x) {
  Tensor h = bn1_->forward_relu(conv1_->forward(x));
  return bn2_->forward_relu(conv2_->forward(h));
}

AttentionGate::AttentionGate(int64_t gate_channels, int64_t skip_channels, int64_t inter_channels, Generator& gen) {
  w_g_ = register_module("w_g", std::make_shared<nn::Conv2d>(gate_channels, inter_channels, conv1x1_bias(), gen));
  bn_g_ = register_module("bn_g", std::make_shared<nn::BatchNorm2d>(inter_channels));
  w_x_ = register_module("w_x", std::make_shared<nn::Conv2d>(skip_channels, inter_channels, conv1x1_bias(), gen));
  bn_x_ = register_module("bn_x", std::make_shared<nn::BatchNorm2d>(inter_channels));
  psi_ = register_module("psi", std::make_shared<nn::Conv2d>(inter_channels, 1, conv1x1_bias(), gen));
  bn_psi_ = register_module("bn_psi", std::make_shared<nn::BatchNorm2d>(1));
}

Tensor AttentionGate::forward(const Tensor& g, const Tensor& x) {
  SEGRUN_CHECK_ARG(
      g.dim() == 4 && x.dim() == 4 && g.size(0) == x.size(0) && g.size(1) == x.size(1) && g.size(2) == x.size(2),
      "attention_gate: gate ", g.str(), " and skip ", x.str(), " must share N, H and W");
  // a = relu(bn_g(w_g g) + bn_x(w_x x)); out = x * sigmoid(bn_psi(psi a)), the coefficient
  // (N,H,W,1) broadcast over the skip's channels. Both steps are fused ops on the GPU.
  Tensor skip_projection = bn_x_->forward(w_x_->forward(x));
  Tensor a = bn_g_->forward_add_relu(w_g_->forward(g), skip_projection);
  return sigmoid_gate(x, bn_psi_->forward(psi_->forward(a)));
}

AttentionUNet::AttentionUNet(int64_t in_channels, int64_t classes, int64_t width, Generator& gen)
    : in_channels_(in_channels) {
  SEGRUN_CHECK_ARG(in_channels > 0 && classes > 0 && width >= 2 && width % 2 == 0,
                   "attention_unet: need in_channels > 0, ", "classes > 0 and an even width >= 2, got ", in_channels,
                   ", ", classes, ", ", width);
  int64_t channels[kLevels];
  for (int l = 0; l < kLevels; ++l) channels[l] = width << l;
  for (int l = 0; l < kLevels; ++l)
    encoders_[l] = register_module("encoder" + std::to_string(l + 1),
                                   std::make_shared<ConvBlock>(l ? channels[l - 1] : in_channels, channels[l], gen));
  for (int l = kLevels - 2; l >= 0; --l) {
    const std::string level = std::to_string(l + 1);
    const int64_t c = channels[l];
    ups_[l] = register_module("up" + level, std::make_shared<nn::ConvTranspose2d>(channels[l + 1], c, 2, 2, gen));
    gates_[l] = register_module("gate" + level, std::make_shared<AttentionGate>(c, c, c / 2, gen));
    decoders_[l] = register_module("decoder" + level, std::make_shared<ConvBlock>(2 * c, c, gen));
  }
  head_ = register_module("head", std::make_shared<nn::Conv2d>(width, classes, conv1x1_bias(), gen));
}

Tensor AttentionUNet::network(const Tensor& x) {
  check_model_input("attention_unet", x, in_channels_);
  Tensor skips[kLevels];
  Tensor h = x;
  for (int l = 0; l < kLevels; ++l) {
    if (l) h = max_pool2d(h, 2, 2);
    h = encoders_[l]->forward(h);
    skips[l] = h;
  }
  for (int l = kLevels - 2; l >= 0; --l) {
    Tensor up = ups_[l]->forward(h);
    Tensor gated = gates_[l]->forward(up, skips[l]);
    h = decoders_[l]->forward(concat_channels({gated, up}));
  }
  return head_->forward(h);
}

}  // namespace segrun::models
