// Op cases: softmax and log-softmax over the last dimension.
#include "tests/support/op_cases.h"

namespace segrun::testing {
namespace {
using In = InputSpec;
}

SEGRUN_OP_CASES(softmax) {
  std::vector<OpCase> cases;
  cases.push_back({"softmax",
                   "19 classes, wide range, batch 2",
                   {In::uniform({2, 3, 2, 19}, -6.0, 6.0)},
                   [](const std::vector<Tensor>& x) { return softmax(x[0]); }});
  cases.push_back(
      {"softmax", "3 classes", {In::uniform({4, 3})}, [](const std::vector<Tensor>& x) { return softmax(x[0]); }});
  cases.push_back({"log_softmax",
                   "19 classes, wide range, batch 2",
                   {In::uniform({2, 3, 2, 19}, -6.0, 6.0)},
                   [](const std::vector<Tensor>& x) { return log_softmax(x[0]); }});
  cases.push_back({"log_softmax", "2 classes", {In::uniform({5, 2})}, [](const std::vector<Tensor>& x) {
                     return log_softmax(x[0]);
                   }});
  return cases;
}

}  // namespace segrun::testing
