// Op cases: concatenation along channels.
#include "tests/support/op_cases.h"

namespace segrun::testing {
namespace {
using In = InputSpec;
}

SEGRUN_OP_CASES(concat) {
  std::vector<OpCase> cases;
  cases.push_back({"concat",
                   "three inputs, 3 + 5 + 1 channels, batch 2",
                   {In::uniform({2, 3, 4, 3}), In::uniform({2, 3, 4, 5}), In::uniform({2, 3, 4, 1})},
                   [](const std::vector<Tensor>& x) {
                     return concat_channels({x[0], x[1], x[2]});
                   }});
  cases.push_back(
      {"concat", "same input twice (gradients add)", {In::uniform({1, 3, 5, 2})}, [](const std::vector<Tensor>& x) {
         return concat_channels({x[0], x[0]});
       }});
  return cases;
}

}  // namespace segrun::testing
