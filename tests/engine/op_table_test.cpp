// The engine's ops are all in the op-case table (tests/op_cases/), whose cases the checks of
// tests/support/op_case_checks.cpp run in this suite.
#include <doctest/doctest.h>

#include <set>

#include "tests/support/op_cases.h"

using namespace segrun;
using namespace segrun::testing;

TEST_CASE("every op is in the op-case table") {
  const std::set<std::string> required = {"conv2d",
                                          "conv_transpose2d",
                                          "batch_norm2d",
                                          "batch_norm2d_relu",
                                          "batch_norm2d_add_relu",
                                          "sigmoid_gate",
                                          "relu",
                                          "sigmoid",
                                          "add",
                                          "sub",
                                          "mul",
                                          "concat",
                                          "max_pool2d",
                                          "global_avg_pool",
                                          "resize_bilinear",
                                          "softmax",
                                          "log_softmax",
                                          "cast_with_copy",
                                          "sum",
                                          "mean",
                                          "optimizer_step"};
  std::set<std::string> present;
  for (const OpCase& c : op_case_registry()) present.insert(c.op);
  for (const std::string& op : required) {
    INFO("op missing from the table: " << op);
    CHECK(present.count(op) == 1);
  }
}
