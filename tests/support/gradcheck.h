#pragma once
// Central finite-difference gradient check in f64 and forward agreement between dtypes.
#include <string>
#include <vector>

#include "tests/support/op_cases.h"

namespace segrun::testing {

struct GradCheckResult {
  double max_rel_error = 0;  // over all differentiable inputs
  std::string worst_input;   // "input 1" etc.
};

// L = sum(out * w) with fixed random w; compares dL/dx from backward() with central
// differences for every element of every differentiable input (real-size cases: with the
// directional derivative along two random sign vectors instead).
GradCheckResult gradcheck(const OpCase& c, uint64_t seed = 7);

// max |a - b| / max(max |b|, 1e-12), both brought to the CPU in f64.
double max_rel_diff(const Tensor& a, const Tensor& b);

}  // namespace segrun::testing
