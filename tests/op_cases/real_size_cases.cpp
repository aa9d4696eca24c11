// Op cases at the sizes the models run. The small cases of each family check the arithmetic;
// these check what only shows at scale on a GPU: reductions that span many blocks (batch-norm
// statistics over 4x256x512 pixels per channel, and over a single channel), grid-stride loops
// that iterate, cross-block accumulation of bias and broadcast gradients (`sum_to`), the loss
// over 4x256x512 pixels of 19 classes, and f16 convolutions with enough channels (>= 8) for
// cuDNN's tensor-core kernels. On the CPU they run the f32 forward check and a directional
// gradient check (see OpCase::real_size).
#include "losses/losses.h"
#include "tests/support/op_cases.h"

namespace segrun::testing {
namespace {
using In = InputSpec;
using Inputs = std::vector<Tensor>;

// Batch 4 at 512x256 (the training size of the study): N, H, W.
constexpr int64_t kN = 4, kH = 256, kW = 512;

OpCase real_size(OpCase c) {
  c.real_size = true;
  return c;
}

OpCase batch_norm(const std::string& name, int64_t channels, bool training) {
  OpCase c{"batch_norm2d",
           name,
           {In::uniform({kN, kH, kW, channels}), In::uniform({channels}, 0.5, 1.5), In::uniform({channels}),
            In::fixed({channels}, -0.5, 0.5), In::fixed({channels}, 0.5, 1.5)},
           [training](const Inputs& x) { return batch_norm2d(x[0], x[1], x[2], x[3].clone(), x[4].clone(), training); }};
  c.f16_tol = kF16Normalised;
  // f32 statistics over 524288 pixels per channel: summation order differs from the f64 run.
  c.f32_tol = 1e-4;
  return real_size(c);
}
}  // namespace

SEGRUN_OP_CASES(real_size) {
  std::vector<OpCase> cases;
  cases.push_back(batch_norm("real size: training, 4x256x512x64", 64, true));
  cases.push_back(batch_norm("real size: evaluation, 4x256x512x64", 64, false));
  cases.push_back(batch_norm("real size: training, one channel (attention psi), 4x256x512x1", 1, true));

  // The loss is a mean over 524288 pixels: each logit moves it by ~1e-6 of the step, so a larger
  // step keeps the central difference well above the rounding of the loss itself.
  OpCase loss{"combined_loss",
              "real size: equal weights, 4x256x512x19",
              {In::uniform({kN, kH, kW, 19}, -3.0, 3.0), In::labels({kN, kH, kW}, 19)},
              [](const Inputs& x) { return losses::combined_loss(x[0], x[1], {1.0, 1.0, 1.0}).total; }};
  loss.fd_step = 1e-4;
  cases.push_back(real_size(loss));

  OpCase conv{"conv2d",
              "real size: 3x3 64 -> 64 pad 1, batch 2, 64x128",
              {In::uniform({2, 64, 128, 64}), In::uniform({64, 3, 3, 64}, -0.1, 0.1)},
              [](const Inputs& x) { return conv2d(x[0], x[1], Tensor(), Conv2dArgs::make(1, 1)); }};
  conv.f16_tol = kF16Convolution;
  cases.push_back(real_size(conv));

  cases.push_back(real_size({"add",
                             "real size: bias broadcast over N,H,W (sum_to), 4x256x512x64",
                             {In::uniform({kN, kH, kW, 64}), In::uniform({64})},
                             [](const Inputs& x) { return add(x[0], x[1]); }}));
  cases.push_back(real_size({"mul",
                             "real size: attention gate N,H,W,64 x N,H,W,1",
                             {In::uniform({kN, kH, kW, 64}), In::uniform({kN, kH, kW, 1})},
                             [](const Inputs& x) { return mul(x[0], x[1]); }}));
  cases.push_back(real_size({"sum", "real size: all of 4x256x512x64", {In::uniform({kN, kH, kW, 64})},
                             [](const Inputs& x) { return sum(x[0]); }}));

  // Max pooling's derivative jumps where two values of a window tie; the step must be far
  // below the typical gap between them (about 1e-6 of the range over 33 million inputs).
  OpCase pool{"max_pool2d",
              "real size: 2x2 stride 2 (U-Net encoder), 4x256x512x64",
              {In::uniform({kN, kH, kW, 64})},
              [](const Inputs& x) { return max_pool2d(x[0], 2, 2); }};
  pool.fd_step = 1e-9;
  pool.grad_tol = 1e-5;
  cases.push_back(real_size(pool));
  OpCase stem_pool{"max_pool2d",
                   "real size: 3x3 stride 2 pad 1 (ResNet stem), 4x128x256x64",
                   {In::uniform({kN, kH / 2, kW / 2, 64})},
                   [](const Inputs& x) { return max_pool2d(x[0], 3, 2, 1); }};
  stem_pool.fd_step = 1e-9;
  stem_pool.grad_tol = 1e-5;
  cases.push_back(real_size(stem_pool));
  cases.push_back(real_size({"global_avg_pool", "real size: ASPP image pooling, 4x16x32x512",
                             {In::uniform({kN, kH / 16, kW / 16, 512})},
                             [](const Inputs& x) { return global_avg_pool(x[0]); }}));

  cases.push_back(real_size({"resize_bilinear", "real size: DeepLabV3+ logits x4, 4x64x128x19 -> 4x256x512x19",
                             {In::uniform({kN, kH / 4, kW / 4, 19})},
                             [](const Inputs& x) { return resize_bilinear(x[0], kH, kW); }}));
  cases.push_back(real_size({"resize_bilinear", "real size: ASPP to decoder x4, 4x16x32x256 -> 4x64x128x256",
                             {In::uniform({kN, kH / 16, kW / 16, 256})},
                             [](const Inputs& x) { return resize_bilinear(x[0], kH / 4, kW / 4); }}));
  return cases;
}

}  // namespace segrun::testing
