// Op cases: sigmoid_gate, the attention gate's coefficient applied to its skip connection.
#include "tests/support/op_cases.h"

namespace segrun::testing {
namespace {
using In = InputSpec;

OpCase gate_case(const std::string& name, const Shape& x_shape) {
  const Shape logit_shape{x_shape[0], x_shape[1], x_shape[2], 1};
  return {"sigmoid_gate",
          name,
          {In::uniform(x_shape), In::uniform(logit_shape, -4.0, 4.0)},
          [](const std::vector<Tensor>& x) { return sigmoid_gate(x[0], x[1]); }};
}
}  // namespace

SEGRUN_OP_CASES(gate) {
  return {gate_case("batch 2, 6 channels, odd H and W", {2, 5, 3, 6}), gate_case("one channel", {1, 4, 3, 1}),
          // Channel counts around the warp width: lanes past the row's end, rows of several strides.
          real_size(gate_case("real size: 40 channels, 2x64x96x40", {2, 64, 96, 40})),
          real_size(gate_case("real size: 4x256x512x64 (the first attention gate)",
                              {kRealBatch, kRealHeight, kRealWidth, 64}))};
}

}  // namespace segrun::testing
