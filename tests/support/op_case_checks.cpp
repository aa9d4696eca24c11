// The checks every op case gets, in whichever suite links the cases (tests/CMakeLists.txt):
// the f64 central-difference gradient check and the f32-vs-f64 forward check.
#include <doctest/doctest.h>

#include <cstdio>
#include <map>

#include "tests/support/gradcheck.h"

using namespace segrun;
using namespace segrun::testing;

TEST_CASE("gradient check (f64 central differences) for every op case") {
  std::map<std::string, int> checked;
  int update_rules = 0;
  for (const OpCase& c : op_case_registry()) {
    if (c.update_rule) {  // no gradient to check; the f32-vs-f64 and CUDA parity checks cover it
      ++update_rules;
      continue;
    }
    const GradCheckResult r = gradcheck(c);
    INFO(c.op << " [" << c.name << "] " << r.worst_input << " max relative error " << r.max_rel_error);
    CHECK(r.max_rel_error <= c.grad_tol);
    std::printf("gradcheck %-18s %-48s max rel err %.2e (tol %.0e)\n", c.op.c_str(), c.name.c_str(), r.max_rel_error,
                c.grad_tol);
    ++checked[c.op];
  }
  std::printf("gradcheck: %zu ops, %zu cases (%d update-rule cases have no gradient)\n", checked.size(),
              op_case_registry().size() - static_cast<size_t>(update_rules), update_rules);
  CHECK(!checked.empty());
}

TEST_CASE("f32 forward agrees with f64 forward for every op case") {
  for (const OpCase& c : op_case_registry()) {
    if (!c.check_f32) continue;
    NoGradGuard no_grad;
    const Tensor out64 = c.run(make_inputs(c, DType::F64, Device::cpu(), 7));
    const Tensor out32 = c.run(make_inputs(c, DType::F32, Device::cpu(), 7));
    CHECK(out32.dtype() == DType::F32);
    const double err = max_rel_diff(out32, out64);
    INFO(c.op << " [" << c.name << "] f32 vs f64 relative difference " << err);
    CHECK(err <= c.f32_tol);
  }
}
