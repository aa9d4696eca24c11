// Op cases: batch normalisation in training and evaluation mode.
#include "tests/support/op_cases.h"

namespace segrun::testing {
namespace {
using In = InputSpec;

// x, weight, bias, running_mean, running_var; the running statistics are not differentiated.
std::vector<In> bn_inputs(const Shape& x_shape) {
  const int64_t c = x_shape.back();
  return {In::uniform(x_shape), In::uniform({c}, 0.5, 1.5), In::uniform({c}), In::fixed({c}, -0.5, 0.5),
          In::fixed({c}, 0.5, 1.5)};
}

// Training mode updates the running statistics in place: work on copies so that every forward
// of the finite-difference loop starts from the same state.
OpCase bn_case(const std::string& name, const Shape& x_shape, bool training) {
  OpCase c{"batch_norm2d", name, bn_inputs(x_shape), [training](const std::vector<Tensor>& x) {
             return batch_norm2d(x[0], x[1], x[2], x[3].clone(), x[4].clone(), training);
           }};
  c.f16_tol = kF16Normalised;
  return c;
}

// The fused batch_norm2d_relu. A value within the finite-difference step of ReLU's kink gets
// a wrong central difference. The small cases have none. The real-size case has millions of
// values, so a few always land there. Its random-direction probe sums millions of terms of
// random sign, so a few wrong terms show at 1e-3 with the usual 1e-6 step. A step of 1e-8 puts
// them (and f64 rounding) near 2e-5. A wrong ReLU mask would still be off by O(1).
OpCase bn_relu_case(const std::string& name, const Shape& x_shape, bool training) {
  OpCase c{"batch_norm2d_relu", name, bn_inputs(x_shape), [training](const std::vector<Tensor>& x) {
             return batch_norm2d_relu(x[0], x[1], x[2], x[3].clone(), x[4].clone(), training);
           }};
  c.f16_tol = kF16Normalised;
  return c;
}

OpCase with_kink_step(OpCase c) {
  c.fd_step = 1e-8;
  c.grad_tol = 1e-4;
  return c;
}

OpCase real_size_bn_relu_case(const std::string& name, const Shape& x_shape) {
  return with_kink_step(real_size(bn_relu_case(name, x_shape, true)));
}

// batch_norm2d_add_relu: the inputs of batch_norm2d_relu and a residual of x's shape, which
// the gradient check differentiates too. The ReLU's kink needs the same care as above.
OpCase bn_add_relu_case(const std::string& name, const Shape& x_shape, bool training) {
  std::vector<In> inputs = bn_inputs(x_shape);
  inputs.push_back(In::uniform(x_shape));
  OpCase c{"batch_norm2d_add_relu", name, inputs, [training](const std::vector<Tensor>& x) {
             return batch_norm2d_add_relu(x[0], x[1], x[2], x[3].clone(), x[4].clone(), x[5], training);
           }};
  c.f16_tol = kF16Normalised;
  return c;
}

// As under AMP: with f16 input (the CUDA f16 parity run), the parameters and running statistics
// are f32; in every other run they keep the input's dtype. The casts are differentiable, so the
// parameters' gradients reach the f16 inputs through them.
OpCase mixed_precision_case(const std::string& name, const Shape& x_shape, bool add_relu) {
  std::vector<In> inputs = bn_inputs(x_shape);
  if (add_relu) inputs.push_back(In::uniform(x_shape));
  OpCase c{add_relu ? "batch_norm2d_add_relu" : "batch_norm2d", name, inputs, [add_relu](const std::vector<Tensor>& x) {
             const DType pd = x[0].dtype() == DType::F16 ? DType::F32 : x[0].dtype();
             const Tensor w = cast(x[1], pd), b = cast(x[2], pd);
             const Tensor mean = cast(x[3].clone(), pd), var = cast(x[4].clone(), pd);
             return add_relu ? batch_norm2d_add_relu(x[0], w, b, mean, var, x[5], true)
                             : batch_norm2d(x[0], w, b, mean, var, true);
           }};
  c.f16_tol = kF16Normalised;
  return c;
}

OpCase real_size_bn_add_relu_case(const std::string& name, const Shape& x_shape) {
  return with_kink_step(real_size(bn_add_relu_case(name, x_shape, true)));
}
}  // namespace

SEGRUN_OP_CASES(norm) {
  const Shape real64{kRealBatch, kRealHeight, kRealWidth, 64}, real1{kRealBatch, kRealHeight, kRealWidth, 1};
  return {
      bn_case("training, batch 2, odd H and W", {2, 3, 5, 4}, true),
      bn_case("training, batch 1, 3 channels", {1, 5, 3, 3}, true),
      bn_case("evaluation (running statistics), batch 2", {2, 3, 5, 4}, false),
      bn_case("evaluation, batch 3, one channel", {3, 3, 3, 1}, false),
      real_size(bn_case("real size: training, 4x256x512x64", real64, true)),
      real_size(bn_case("real size: evaluation, 4x256x512x64", real64, false)),
      real_size(bn_case("real size: training, one channel (attention psi), 4x256x512x1", real1, true)),
      real_size(bn_case("real size: training, 40 channels (a partial column tile), 2x64x96x40", {2, 64, 96, 40}, true)),
      bn_relu_case("training, batch 2, odd H and W", {2, 3, 5, 4}, true),
      bn_relu_case("evaluation (running statistics), batch 2", {2, 3, 5, 4}, false),
      real_size_bn_relu_case("real size: training, 4x256x512x64", real64),
      bn_add_relu_case("training, batch 2, odd H and W", {2, 3, 5, 4}, true),
      bn_add_relu_case("evaluation (running statistics), batch 2", {2, 3, 5, 4}, false),
      real_size_bn_add_relu_case("real size: training, 4x256x512x32 (the first attention gate)",
                                 {kRealBatch, kRealHeight, kRealWidth, 32}),
      mixed_precision_case("f32 parameters for f16 input, batch 2", {2, 3, 5, 4}, false),
      mixed_precision_case("f32 parameters for f16 input, batch 2", {2, 3, 5, 4}, true),
      with_kink_step(real_size(
          mixed_precision_case("real size: f32 parameters for f16 input, 2x64x96x40", {2, 64, 96, 40}, true)))};
}

}  // namespace segrun::testing
