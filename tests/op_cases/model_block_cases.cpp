// Op cases for the composite blocks of the models: the attention gate (Attention U-Net) and ASPP
// (DeepLabV3+). Each run builds the block afresh from a fixed seed in the inputs' dtype, in
// training mode, so BatchNorm uses the batch statistics of that run, on the inputs' device.
// The weights are rounded through f16 first on every device, so that the f16 CUDA run and its
// CPU reference use the same weights (ASPP's input gradient magnifies a difference of weight
// rounding alone past the f16 tolerance).
#include "models/attention_unet.h"
#include "models/deeplabv3plus.h"
#include "tests/support/op_cases.h"

namespace segrun::testing {
namespace {
using In = InputSpec;
}

SEGRUN_OP_CASES(model_blocks) {
  std::vector<OpCase> cases;
  OpCase gate{"attention_gate",
              "g 4 ch, x 6 ch, F_int 3, batch 2, 4x3",
              {In::uniform({2, 4, 3, 4}), In::uniform({2, 4, 3, 6})},
              [](const std::vector<Tensor>& x) {
                Generator gen(11);
                models::AttentionGate block(4, 6, 3, gen);
                block.to(DType::F16);
                block.to(x[0].dtype());
                block.to(x[0].device());
                return block.forward(x[0], x[1]);
              }};
  gate.f16_tol = kF16Composite;
  cases.push_back(gate);
  OpCase aspp{
      "aspp", "4 -> 3 ch, rates 1, 2, 3, batch 2, 5x4", {In::uniform({2, 5, 4, 4})}, [](const std::vector<Tensor>& x) {
        Generator gen(12);
        models::ASPP block(4, 3, {1, 2, 3}, gen);
        block.to(DType::F16);
        block.to(x[0].dtype());
        block.to(x[0].device());
        return block.forward(x[0]);
      }};
  aspp.f16_tol = kF16Composite;
  cases.push_back(aspp);
  return cases;
}

}  // namespace segrun::testing
