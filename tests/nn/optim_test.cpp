// AdamW, StepLR, gradient clipping and the loss scaler against steps computed by hand.
#include "nn/optim.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "nn/grad_scaling.h"

using namespace segrun;
using namespace segrun::nn;

namespace {
Tensor param(std::vector<double> v) {
  Tensor t = Tensor::from_vector(v, {static_cast<int64_t>(v.size())});
  t.set_requires_grad(true);
  return t;
}

void set_grad(Tensor& p, std::vector<double> g) {
  p.set_grad(Tensor::from_vector(g, p.shape()));
}

AdamWOptions test_options() {
  AdamWOptions o;
  o.lr = 0.1;
  o.weight_decay = 0.01;
  return o;  // betas 0.9, 0.999, eps 1e-8
}
}  // namespace

TEST_CASE("AdamW: two steps by hand") {
  Tensor p = param({1.0});
  AdamW opt({{"p", p}}, test_options());
  // t=1, g=0.5: theta = 1 - 0.1*0.01*1 = 0.999; m = 0.05, v = 0.00025; m^ = 0.5, v^ = 0.25;
  // theta -= 0.1 * 0.5 / (0.5 + 1e-8) -> 0.999 - 0.099999998 = 0.899000002.
  set_grad(p, {0.5});
  opt.step();
  CHECK(p.at(0) == doctest::Approx(0.899000002).epsilon(1e-13));
  // t=2, g=-0.25: theta = 0.899000002 * 0.999 = 0.898101001998; m = 0.045 - 0.025 = 0.02;
  // v = 0.999*0.00025 + 0.001*0.0625 = 0.00031225; m^ = 0.02/0.19 = 0.105263157895;
  // v^ = 0.00031225/0.001999 = 0.156203101551, sqrt 0.395225381; step 0.1*0.105263157895/0.395225391
  // = 0.026633703; theta = 0.871467298706.
  set_grad(p, {-0.25});
  opt.step();
  CHECK(p.at(0) == doctest::Approx(0.871467298706).epsilon(1e-11));
  CHECK(opt.step_count() == 2);
}

TEST_CASE("AdamW: weight decay applies before the moment update, even for a zero gradient") {
  Tensor p = param({2.0, -4.0});
  AdamW opt({{"p", p}}, test_options());
  set_grad(p, {0.0, 0.0});
  opt.step();
  // m = v = 0: the Adam term is 0 / (0 + eps) = 0; only theta *= 1 - 0.001 remains.
  CHECK(p.at(0) == doctest::Approx(1.998).epsilon(1e-14));
  CHECK(p.at(1) == doctest::Approx(-3.996).epsilon(1e-14));
}

TEST_CASE("AdamW: parameters without a gradient are left unchanged") {
  Tensor a = param({1.0}), b = param({1.0});
  AdamW opt({{"a", a}, {"b", b}}, test_options());
  set_grad(a, {0.5});
  opt.step();
  CHECK(a.at(0) == doctest::Approx(0.899000002).epsilon(1e-13));
  CHECK(b.at(0) == 1.0);
}

TEST_CASE("AdamW: state round trip restores the step count and moments") {
  Tensor p = param({1.0});
  AdamW opt({{"p", p}}, test_options());
  set_grad(p, {0.5});
  opt.step();
  TensorFile file;
  for (const FileTensor& t : opt.state_tensors("optim.")) file.tensors[t.name] = t.tensor;
  CHECK(file.tensors.at("optim.exp_avg.p").at(0) == doctest::Approx(0.05));
  CHECK(file.tensors.at("optim.exp_avg_sq.p").at(0) == doctest::Approx(0.00025));
  Tensor q = param({0.899000002});
  AdamW resumed({{"p", q}}, test_options());
  resumed.load_state(file, "optim.", "checkpoint");
  CHECK(resumed.step_count() == 1);
  set_grad(q, {-0.25});
  resumed.step();
  CHECK(q.at(0) == doctest::Approx(0.871467298706).epsilon(1e-11));
  file.tensors.erase("optim.exp_avg.p");
  CHECK_THROWS_WITH(resumed.load_state(file, "optim.", "ckpt.safetensors"),
                    "AdamW: ckpt.safetensors: missing tensor 'optim.exp_avg.p'");
}

TEST_CASE("StepLR halves every 20 epochs") {
  StepLR sched(1e-4, 20, 0.5);
  CHECK(sched.lr_at(0) == 1e-4);
  CHECK(sched.lr_at(19) == 1e-4);
  CHECK(sched.lr_at(20) == 5e-5);
  CHECK(sched.lr_at(45) == 2.5e-5);
}

TEST_CASE("clip_grad_norm returns the total norm before clipping and scales by max/(total+1e-6)") {
  Tensor a = param({0.0, 0.0}), b = param({0.0});
  set_grad(a, {3.0, 0.0});
  set_grad(b, {4.0});
  const double total = clip_grad_norm({a, b}, 1.0);
  CHECK(total == 5.0);
  CHECK(a.grad().at(0) == doctest::Approx(3.0 / 5.000001).epsilon(1e-15));
  CHECK(b.grad().at(0) == doctest::Approx(4.0 / 5.000001).epsilon(1e-15));
  // Below the limit nothing changes.
  set_grad(a, {0.3, 0.0});
  set_grad(b, {0.4});
  CHECK(clip_grad_norm({a, b}, 1.0) == doctest::Approx(0.5));
  CHECK(a.grad().at(0) == 0.3);
  CHECK(b.grad().at(0) == 0.4);
}

TEST_CASE("loss scaler: unscale divides by 65536 and finds no overflow in finite gradients") {
  LossScaler scaler;
  CHECK(scaler.scale() == 65536.0);
  Tensor p = param({0.0, 0.0});
  set_grad(p, {32768.0, -131072.0});
  CHECK_FALSE(scaler.unscale({p}));
  CHECK(p.grad().to_double_vector() == std::vector<double>{0.5, -2.0});
  const Tensor loss = Tensor::full({1}, 0.25, DType::F64);
  CHECK(scaler.scale_loss(loss).item() == 16384.0);
}

TEST_CASE("loss scaler: an overflow step is skipped, does not advance t, and halves the scale") {
  Tensor p = param({1.0});
  AdamW opt({{"p", p}}, test_options());
  LossScaler scaler;
  set_grad(p, {std::numeric_limits<double>::infinity()});
  bool found_inf = scaler.unscale({p});
  CHECK(found_inf);
  CHECK_FALSE(scaler.step(opt, found_inf));
  scaler.update(found_inf);
  CHECK(p.at(0) == 1.0);
  CHECK(opt.step_count() == 0);
  CHECK(scaler.scale() == 32768.0);
  CHECK(scaler.skipped_steps() == 1);
  // NaN counts as overflow too.
  set_grad(p, {std::nan("")});
  CHECK(scaler.unscale({p}));
  // The next clean step is step t=1: the same result as a fresh optimiser's first step.
  set_grad(p, {0.5 * 32768.0});
  found_inf = scaler.unscale({p});
  CHECK_FALSE(found_inf);
  CHECK(scaler.step(opt, found_inf));
  scaler.update(found_inf);
  CHECK(opt.step_count() == 1);
  CHECK(p.at(0) == doctest::Approx(0.899000002).epsilon(1e-13));
}

TEST_CASE("loss scaler: the scale doubles after exactly 2000 clean steps; overflow resets the count") {
  LossScaler scaler;
  for (int i = 0; i < 1999; ++i) scaler.update(false);
  CHECK(scaler.scale() == 65536.0);
  CHECK(scaler.growth_tracker() == 1999);
  scaler.update(false);
  CHECK(scaler.scale() == 131072.0);
  CHECK(scaler.growth_tracker() == 0);
  for (int i = 0; i < 1500; ++i) scaler.update(false);
  scaler.update(true);
  CHECK(scaler.scale() == 65536.0);
  for (int i = 0; i < 1999; ++i) scaler.update(false);
  CHECK(scaler.scale() == 65536.0);
  scaler.update(false);
  CHECK(scaler.scale() == 131072.0);
}

TEST_CASE("loss scaler: state round trip and the disabled scaler") {
  LossScaler scaler;
  scaler.update(true);
  scaler.update(false);
  TensorFile file;
  for (const FileTensor& t : scaler.state_tensors("scaler.")) file.tensors[t.name] = t.tensor;
  LossScaler restored;
  restored.load_state(file, "scaler.", "checkpoint");
  CHECK(restored.scale() == 32768.0);
  CHECK(restored.growth_tracker() == 1);

  LossScalerOptions off;
  off.enabled = false;
  LossScaler disabled(off);
  CHECK(disabled.scale() == 1.0);
  disabled.update(true);
  CHECK(disabled.scale() == 1.0);
}
