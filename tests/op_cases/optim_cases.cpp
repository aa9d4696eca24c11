// Op cases: the fused optimiser step (engine/ops/optim.h). Each case runs whole steps (gradient
// check and norm, AdamW, loss-scale update) on copies of its inputs and returns the new
// parameters, both moments and the state, so the f32-vs-f64 check and the CUDA parity suite
// compare everything the step writes.
#include <cmath>

#include "tests/support/op_cases.h"

namespace segrun::testing {
namespace {
using In = InputSpec;

struct StepPlan {
  std::vector<int64_t> segment_ends;  // one per parameter
  double max_norm = 1.0;
  double loss_scale = 1.0;  // what the gradients carry; 1 without loss scaling
  int steps = 2;
  int64_t inf_at = -1;  // an element made infinite for the second step only
};

// Inputs: parameters, gradients, exp_avg, exp_avg_sq (1-d, one length).
Tensor run_steps(const std::vector<Tensor>& x, const StepPlan& plan) {
  Tensor params = x[0].clone(), grads = x[1].clone(), m = x[2].clone(), v = x[3].clone();
  Tensor state = optim_state(plan.loss_scale, params.device());
  Tensor scale = Tensor::full({1}, plan.loss_scale, DType::F32, params.device());
  const AdamWHyper adamw{1e-2, 0.9, 0.999, 1e-8, 1e-2};
  const LossScaleHyper scaling{plan.loss_scale != 1.0, 2.0, 0.5, 1};  // grows after every clean step
  const Tensor finite = x[1];
  for (int step = 0; step < plan.steps; ++step) {
    if (plan.inf_at >= 0) {
      Tensor element = grads.slice(plan.inf_at, plan.inf_at + 1);
      if (step == 1)
        element.fill_(INFINITY);
      else
        element.copy_from(finite.slice(plan.inf_at, plan.inf_at + 1));
    }
    check_gradients(grads, plan.segment_ends, plan.max_norm, state);
    adamw_update(params, grads, m, v, state, adamw);
    update_loss_scale(state, scale, scaling);
  }
  // The state is f64 on every device; compared in the parameters' dtype with the rest. The
  // comparisons are relative to the largest value of the whole result, so the loss scales are
  // taken relative to the first one: at 8192 they would allow errors in the parameters larger
  // than the three steps' whole update.
  Tensor host_state = state.to(Device::cpu());
  host_state.data<double>()[kOptimStepScale] /= plan.loss_scale;
  host_state.data<double>()[kOptimLossScale] /= plan.loss_scale;
  const Tensor slots = host_state.to(params.dtype()).to(params.device());
  return concat_channels({params, m, v, slots});
}

OpCase step_case(const std::string& name, int64_t n, const StepPlan& plan, double grad_magnitude) {
  return update_rule({"optimizer_step",
                      name,
                      {In::fixed({n}, -1.0, 1.0), In::fixed({n}, -grad_magnitude, grad_magnitude),
                       In::fixed({n}, -0.01, 0.01), In::fixed({n}, 0.0, 1e-4)},
                      [plan](const std::vector<Tensor>& x) { return run_steps(x, plan); }});
}
}  // namespace

SEGRUN_OP_CASES(optim) {
  std::vector<OpCase> cases;
  cases.push_back(step_case("3 parameters, clipped (norm ~9 > 1), 2 steps", 250, {{100, 101, 250}, 1.0}, 1.0));
  cases.push_back(step_case("not clipped (norm ~0.09 < 1), 2 steps", 250, {{250}, 1.0}, 0.01));
  cases.push_back(
      step_case("loss scale 1024 growing each step, clipped", 300, {{7, 200, 300}, 0.5, 1024.0, 3}, 1024.0));
  cases.push_back(step_case("an inf gradient skips the second of 3 steps and halves the scale", 300,
                            {{150, 300}, 1.0, 512.0, 3, 211}, 512.0));
  // The multi-block norm and the grid-stride AdamW loop at a model's parameter count.
  std::vector<int64_t> ends;
  for (int64_t end = 0; end < 22'000'000;) ends.push_back(end = std::min<int64_t>(22'000'000, end + 2'359'296));
  cases.push_back(
      real_size(step_case("real size: 22M parameters in 10 tensors, clipped", 22'000'000, {ends, 1.0}, 1e-3)));
  return cases;
}

}  // namespace segrun::testing
