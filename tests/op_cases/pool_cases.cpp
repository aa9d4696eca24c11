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
  return cases;
}

}  // namespace segrun::testing
