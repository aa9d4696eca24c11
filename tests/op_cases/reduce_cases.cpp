// Op cases: whole-tensor reductions (sum_to, the gradient of a broadcast, is exercised by the
// broadcasting cases of elementwise_cases.cpp).
#include "tests/support/op_cases.h"

namespace segrun::testing {
namespace {
using In = InputSpec;
}

SEGRUN_OP_CASES(reduce) {
  std::vector<OpCase> cases;
  cases.push_back(
      {"sum", "all elements", {In::uniform({2, 3, 4, 5})}, [](const std::vector<Tensor>& x) { return sum(x[0]); }});
  cases.push_back(
      {"mean", "all elements", {In::uniform({3, 5, 2})}, [](const std::vector<Tensor>& x) { return mean(x[0]); }});
  cases.push_back(real_size({"sum",
                             "real size: all of 4x256x512x64",
                             {In::uniform({kRealBatch, kRealHeight, kRealWidth, 64})},
                             [](const std::vector<Tensor>& x) { return sum(x[0]); }}));
  return cases;
}

}  // namespace segrun::testing
