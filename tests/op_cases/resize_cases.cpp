// Op cases: bilinear resize (align_corners=False) up, down and by non-integer factors.
#include "tests/support/op_cases.h"

namespace segrun::testing {
namespace {
using In = InputSpec;

OpCase resize_case(const std::string& name, const Shape& x_shape, int64_t out_h, int64_t out_w) {
  return {"resize_bilinear", name, {In::uniform(x_shape)}, [out_h, out_w](const std::vector<Tensor>& x) {
            return resize_bilinear(x[0], out_h, out_w);
          }};
}
}  // namespace

SEGRUN_OP_CASES(resize) {
  return {
      resize_case("up x4, batch 2", {2, 3, 4, 3}, 12, 16),
      resize_case("down 9x7 -> 4x3", {1, 9, 7, 2}, 4, 3),
      resize_case("non-integer up 5x7 -> 12x9, batch 2", {2, 5, 7, 3}, 12, 9),
      resize_case("mixed 7x5 -> 3x8", {1, 7, 5, 2}, 3, 8),
      resize_case("1x1 -> 3x4 (image pooling branch)", {2, 1, 1, 3}, 3, 4),
      resize_case("same size", {1, 3, 4, 2}, 3, 4),
      real_size(resize_case("real size: DeepLabV3+ logits x4, 4x64x128x19 -> 4x256x512x19",
                            {kRealBatch, kRealHeight / 4, kRealWidth / 4, 19}, kRealHeight, kRealWidth)),
      real_size(resize_case("real size: ASPP to decoder x4, 4x16x32x256 -> 4x64x128x256",
                            {kRealBatch, kRealHeight / 16, kRealWidth / 16, 256}, kRealHeight / 4, kRealWidth / 4))};
}

}  // namespace segrun::testing
