// Op cases: max pooling and global average pooling. Uniform f64 inputs have distinct values, so
// each window's argmax is stable under the finite-difference step.
#include "tests/support/op_cases.h"

namespace segrun::testing {
namespace {
using In = InputSpec;
}

SEGRUN_OP_CASES(pool) {
  std::vector<OpCase> cases;
  cases.push_back({"max_pool2d",
                   "2x2 stride 2, odd H and W (floor), batch 2",
                   {In::uniform({2, 5, 7, 3})},
                   [](const std::vector<Tensor>& x) { return max_pool2d(x[0], 2, 2); }});
  cases.push_back({"max_pool2d",
                   "3x3 stride 2 pad 1, odd H and W, batch 2",
                   {In::uniform({2, 7, 5, 3})},
                   [](const std::vector<Tensor>& x) { return max_pool2d(x[0], 3, 2, 1); }});
  cases.push_back(
      {"max_pool2d", "3x3 stride 2 pad 1, even H and W", {In::uniform({1, 6, 8, 2})}, [](const std::vector<Tensor>& x) {
         return max_pool2d(x[0], 3, 2, 1);
       }});
  cases.push_back(
      {"global_avg_pool", "batch 2, odd H and W", {In::uniform({2, 3, 5, 4})}, [](const std::vector<Tensor>& x) {
         return global_avg_pool(x[0]);
       }});
  cases.push_back({"global_avg_pool", "1x1 spatial", {In::uniform({3, 1, 1, 5})}, [](const std::vector<Tensor>& x) {
                     return global_avg_pool(x[0]);
                   }});
  // Max pooling's derivative jumps where two values of a window tie; the real-size cases' step
  // must be far below the typical gap between them (about 1e-6 of the range over 33 million).
  OpCase pool{"max_pool2d",
              "real size: 2x2 stride 2 (U-Net encoder), 4x256x512x64",
              {In::uniform({kRealBatch, kRealHeight, kRealWidth, 64})},
              [](const std::vector<Tensor>& x) { return max_pool2d(x[0], 2, 2); }};
  OpCase stem{"max_pool2d",
              "real size: 3x3 stride 2 pad 1 (ResNet stem), 4x128x256x64",
              {In::uniform({kRealBatch, kRealHeight / 2, kRealWidth / 2, 64})},
              [](const std::vector<Tensor>& x) { return max_pool2d(x[0], 3, 2, 1); }};
  for (OpCase* c : {&pool, &stem}) {
    c->fd_step = 1e-9;
    c->grad_tol = 1e-5;
    cases.push_back(real_size(*c));
  }
  cases.push_back(real_size({"global_avg_pool",
                             "real size: ASPP image pooling, 4x16x32x512",
                             {In::uniform({kRealBatch, kRealHeight / 16, kRealWidth / 16, 512})},
                             [](const std::vector<Tensor>& x) { return global_avg_pool(x[0]); }}));
  return cases;
}

}  // namespace segrun::testing
