#include "nn/layers.h"

#include <cmath>

#include "engine/error.h"
#include "nn/autocast.h"

namespace segrun::nn {

namespace {
// kaiming_uniform_(a=sqrt(5)) gives bound gain*sqrt(3/fan_in) with gain sqrt(2/(1+5)), i.e.
// 1/sqrt(fan_in); PyTorch draws the bias from the same bound.
Tensor kaiming_uniform(const Shape& shape, int64_t fan_in, Generator& gen) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  return gen.uniform(shape, -bound, bound);
}
}  // namespace

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, const Conv2dOptions& o, Generator& gen)
    : args_(Conv2dArgs::make(o.stride, o.padding, o.dilation, o.groups)) {
  SEGRUN_CHECK_ARG(o.groups > 0 && in_channels % o.groups == 0 && out_channels % o.groups == 0, "Conv2d: channels ",
                   in_channels, " -> ", out_channels, " not divisible by groups ", o.groups);
  SEGRUN_CHECK_ARG(o.kernel > 0 && o.stride > 0 && o.dilation > 0 && o.padding >= 0, "Conv2d: invalid kernel ",
                   o.kernel, " stride ", o.stride, " padding ", o.padding, " dilation ", o.dilation);
  const int64_t fan_in = in_channels / o.groups * o.kernel * o.kernel;
  weight_ = kaiming_uniform({out_channels, o.kernel, o.kernel, in_channels / o.groups}, fan_in, gen);
  register_parameter("weight", &weight_, FileLayout::KernelChannelsLast);
  if (o.bias) {
    bias_ = kaiming_uniform({out_channels}, fan_in, gen);
    register_parameter("bias", &bias_);
  }
}

Tensor Conv2d::forward(const Tensor& x) const {
  return autocast_conv(x, weight_, bias_,
                       [this](const Tensor& xi, const Tensor& w, const Tensor& b) { return conv2d(xi, w, b, args_); });
}

ConvTranspose2d::ConvTranspose2d(int64_t in_channels, int64_t out_channels, int kernel, int stride, Generator& gen,
                                 bool bias)
    : args_{stride, 0, 0} {
  SEGRUN_CHECK_ARG(kernel > 0 && stride > 0, "ConvTranspose2d: invalid kernel ", kernel, " stride ", stride);
  const int64_t fan_in = out_channels * kernel * kernel;
  weight_ = kaiming_uniform({in_channels, kernel, kernel, out_channels}, fan_in, gen);
  register_parameter("weight", &weight_, FileLayout::KernelChannelsLast);
  if (bias) {
    bias_ = kaiming_uniform({out_channels}, fan_in, gen);
    register_parameter("bias", &bias_);
  }
}

Tensor ConvTranspose2d::forward(const Tensor& x) const {
  return autocast_conv(x, weight_, bias_, [this](const Tensor& xi, const Tensor& w, const Tensor& b) {
    return conv_transpose2d(xi, w, b, args_);
  });
}

BatchNorm2d::BatchNorm2d(int64_t channels, double eps, double momentum)
    : weight_(Tensor::full({channels}, 1.0)),
      bias_(Tensor::zeros({channels})),
      running_mean_(Tensor::zeros({channels})),
      running_var_(Tensor::full({channels}, 1.0)),
      num_batches_tracked_(Tensor::zeros({}, DType::I32)),  // 0-dim, as in PyTorch state dicts
      eps_(eps),
      momentum_(momentum) {
  register_parameter("weight", &weight_);
  register_parameter("bias", &bias_);
  register_buffer("running_mean", &running_mean_);
  register_buffer("running_var", &running_var_);
  register_buffer("num_batches_tracked", &num_batches_tracked_, true);
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  Tensor out = batch_norm2d(x, weight_, bias_, running_mean_, running_var_, is_training(), momentum_, eps_);
  if (is_training()) ++num_batches_tracked_.data<int32_t>()[0];
  return out;
}

Tensor BatchNorm2d::forward_relu(const Tensor& x) {
  Tensor out = batch_norm2d_relu(x, weight_, bias_, running_mean_, running_var_, is_training(), momentum_, eps_);
  if (is_training()) ++num_batches_tracked_.data<int32_t>()[0];
  return out;
}

Tensor BatchNorm2d::forward_add_relu(const Tensor& x, const Tensor& residual) {
  Tensor out =
      batch_norm2d_add_relu(x, weight_, bias_, running_mean_, running_var_, residual, is_training(), momentum_, eps_);
  if (is_training()) ++num_batches_tracked_.data<int32_t>()[0];
  return out;
}

int64_t BatchNorm2d::batches_tracked() const {
  return num_batches_tracked_.data<int32_t>()[0];
}

SeparableConv2d::SeparableConv2d(int64_t in_channels, int64_t out_channels, int kernel, int padding, int dilation,
                                 Generator& gen) {
  Conv2dOptions depthwise{kernel, 1, padding, dilation, static_cast<int>(in_channels), false};
  depthwise_ = register_module("depthwise", std::make_shared<Conv2d>(in_channels, in_channels, depthwise, gen));
  Conv2dOptions pointwise{1, 1, 0, 1, 1, false};
  pointwise_ = register_module("pointwise", std::make_shared<Conv2d>(in_channels, out_channels, pointwise, gen));
}

Tensor SeparableConv2d::forward(const Tensor& x) const {
  return pointwise_->forward(depthwise_->forward(x));
}

Tensor Upsample::forward(const Tensor& x) const {
  SEGRUN_CHECK_ARG(x.dim() == 4, "Upsample: expected an N,H,W,C tensor, got ", x.str());
  return resize_bilinear(x, x.size(1) * scale_, x.size(2) * scale_);
}

ConvBnRelu::ConvBnRelu(int64_t in_channels, int64_t out_channels, const Conv2dOptions& options, Generator& gen) {
  conv_ = register_module("conv", std::make_shared<Conv2d>(in_channels, out_channels, options, gen));
  bn_ = register_module("bn", std::make_shared<BatchNorm2d>(out_channels));
}

Tensor ConvBnRelu::forward(const Tensor& x) {
  return bn_->forward_relu(conv_->forward(x));
}

}  // namespace segrun::nn
