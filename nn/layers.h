#pragma once
// The layers segrun's networks are built from, with PyTorch's parameter names and default
// initialisation (Kaiming-uniform with a = sqrt(5): U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for
// weights and biases; BatchNorm weight 1, bias 0), drawn from a seeded Generator.
#include <memory>

#include "engine/ops.h"
#include "nn/module.h"

namespace segrun::nn {

struct Conv2dOptions {
  int kernel = 3;
  int stride = 1;
  int padding = 0;
  int dilation = 1;
  int groups = 1;
  bool bias = true;
};

// weight (Cout, KH, KW, Cin/groups) in memory, (Cout, Cin/groups, KH, KW) in files; bias (Cout).
class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, const Conv2dOptions& options, Generator& gen);
  Tensor forward(const Tensor& x) const;
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }

 private:
  Tensor weight_, bias_;
  Conv2dArgs args_;
};

// weight (Cin, KH, KW, Cout) in memory, (Cin, Cout, KH, KW) in files; bias (Cout). PyTorch
// computes fan_in from weight dim 1, i.e. Cout * KH * KW, for both weight and bias bounds.
class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, int kernel, int stride, Generator& gen, bool bias = true);
  Tensor forward(const Tensor& x) const;

 private:
  Tensor weight_, bias_;
  ConvTranspose2dArgs args_;
};

// PyTorch BatchNorm2d: affine, running statistics, momentum 0.1, eps 1e-5; counts training
// batches in num_batches_tracked (I64 in files).
class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t channels, double eps = 1e-5, double momentum = 0.1);
  Tensor forward(const Tensor& x);
  // relu(forward(x)) as one op (batch_norm2d_relu: fused kernels on the GPU).
  Tensor forward_relu(const Tensor& x);
  // relu(forward(x) + residual) as one op (batch_norm2d_add_relu).
  Tensor forward_add_relu(const Tensor& x, const Tensor& residual);
  int64_t batches_tracked() const;

 private:
  Tensor weight_, bias_, running_mean_, running_var_, num_batches_tracked_;
  double eps_, momentum_;
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) const { return relu(x); }
};

class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& x) const { return sigmoid(x); }
};

class MaxPool2d : public Module {
 public:
  MaxPool2d(int kernel, int stride, int padding = 0) : kernel_(kernel), stride_(stride), padding_(padding) {}
  Tensor forward(const Tensor& x) const { return max_pool2d(x, kernel_, stride_, padding_); }

 private:
  int kernel_, stride_, padding_;
};

// Depthwise-separable convolution: depthwise KxK (groups = Cin, no bias) -> pointwise 1x1
// (no bias). Children `depthwise` and `pointwise`.
class SeparableConv2d : public Module {
 public:
  SeparableConv2d(int64_t in_channels, int64_t out_channels, int kernel, int padding, int dilation, Generator& gen);
  Tensor forward(const Tensor& x) const;

 private:
  std::shared_ptr<Conv2d> depthwise_, pointwise_;
};

// Bilinear upsampling by an integer factor (align_corners = false).
class Upsample : public Module {
 public:
  explicit Upsample(int scale) : scale_(scale) {}
  Tensor forward(const Tensor& x) const;

 private:
  int scale_;
};

// conv -> BatchNorm -> ReLU, the unit most blocks repeat. Children `conv`, `bn`.
class ConvBnRelu : public Module {
 public:
  ConvBnRelu(int64_t in_channels, int64_t out_channels, const Conv2dOptions& options, Generator& gen);
  Tensor forward(const Tensor& x);

 private:
  std::shared_ptr<Conv2d> conv_;
  std::shared_ptr<BatchNorm2d> bn_;
};

}  // namespace segrun::nn
