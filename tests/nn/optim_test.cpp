// The training optimiser (AdamW with clipping and loss scaling over flat buffers) and StepLR
// against steps computed by hand.
#include "nn/optim.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "engine/backend_info.h"
#include "engine/host_traffic.h"

using namespace segrun;
using namespace segrun::nn;

namespace {
constexpr double kNoClip = std::numeric_limits<double>::infinity();

Tensor param(std::vector<double> v) {
  Tensor t = Tensor::from_vector(v, {static_cast<int64_t>(v.size())});
  t.set_requires_grad(true);
  return t;
}

// What backward would leave: the values in the parameter's view of the gradient buffer.
void set_grad(const Tensor& p, std::vector<double> g) {
  Tensor view = p.grad();
  view.copy_from(Tensor::from_vector(g, p.shape()).contiguous_copy_on(Device::cpu(), view.dtype()));
}

AdamWOptions test_options() {
  AdamWOptions o;
  o.lr = 0.1;
  o.weight_decay = 0.01;
  return o;  // betas 0.9, 0.999, eps 1e-8
}

LossScalerOptions scaling_on() {
  LossScalerOptions s;
  s.enabled = true;
  return s;
}

double exp_avg(const AdamW& opt, const std::string& name, int64_t i) {
  for (const FileTensor& t : opt.state_tensors("optim.", "scaler."))
    if (t.name == "optim.exp_avg." + name) return t.tensor.to_double_vector()[static_cast<size_t>(i)];
  FAIL("no exp_avg for " << name);
  return 0;
}
}  // namespace

TEST_CASE("AdamW: two steps by hand") {
  Tensor p = param({1.0});
  AdamW opt({{"p", p}}, test_options());
  // t=1, g=0.5: theta = 1 - 0.1*0.01*1 = 0.999; m = 0.05, v = 0.00025; m^ = 0.5, v^ = 0.25;
  // theta -= 0.1 * 0.5 / (0.5 + 1e-8) -> 0.999 - 0.099999998 = 0.899000002.
  opt.zero_grad();
  set_grad(p, {0.5});
  opt.step(kNoClip);
  CHECK(p.at(0) == doctest::Approx(0.899000002).epsilon(1e-13));
  // t=2, g=-0.25: theta = 0.899000002 * 0.999 = 0.898101001998; m = 0.045 - 0.025 = 0.02;
  // v = 0.999*0.00025 + 0.001*0.0625 = 0.00031225; m^ = 0.02/0.19 = 0.105263157895;
  // v^ = 0.00031225/0.001999 = 0.156203101551, sqrt 0.395225381; step 0.1*0.105263157895/0.395225391
  // = 0.026633703; theta = 0.871467298706.
  opt.zero_grad();
  set_grad(p, {-0.25});
  opt.step(kNoClip);
  CHECK(p.at(0) == doctest::Approx(0.871467298706).epsilon(1e-11));
  CHECK(opt.step_count() == 2);
  CHECK(opt.last_step().grad_norm == 0.25);
}

TEST_CASE("AdamW: weight decay applies before the moment update, even for a zero gradient") {
  Tensor p = param({2.0, -4.0});
  AdamW opt({{"p", p}}, test_options());
  opt.zero_grad();
  opt.step(kNoClip);
  // m = v = 0: the Adam term is 0 / (0 + eps) = 0; only theta *= 1 - 0.001 remains.
  CHECK(p.at(0) == doctest::Approx(1.998).epsilon(1e-14));
  CHECK(p.at(1) == doctest::Approx(-3.996).epsilon(1e-14));
}

TEST_CASE("AdamW: parameters become views of one buffer, values kept; gradients must be its views") {
  Tensor a = param({1.0, 2.0}), b = param({3.0});
  const Tensor a_handle = a;  // another handle to the same parameter, as a module holds
  AdamW opt({{"a", a}, {"b", b}}, test_options());
  CHECK(a.same_storage(b));
  CHECK(a_handle.to_double_vector() == std::vector<double>{1.0, 2.0});
  CHECK(b.to_double_vector() == std::vector<double>{3.0});
  // Before zero_grad there is no gradient in the buffer: the step refuses instead of training nothing.
  CHECK_THROWS_WITH(opt.step(1.0),
                    "AdamW: the gradient of 'a' is not in the optimiser's buffer: call the optimiser's zero_grad() "
                    "before backward");
  opt.zero_grad();
  CHECK(a.grad().same_storage(b.grad()));
  b.set_grad(Tensor::from_vector(std::vector<double>{1.0}, {1}));  // what Module::zero_grad + backward leave
  CHECK_THROWS_WITH(opt.step(1.0),
                    "AdamW: the gradient of 'b' is not in the optimiser's buffer: call the optimiser's zero_grad() "
                    "before backward");
}

TEST_CASE("AdamW: each parameter starts 64 elements into the buffer from the last; the gaps stay zero") {
  Tensor a = param({1.0, 2.0}), b = param({3.0}), c = param(std::vector<double>(70, 0.5));
  AdamW opt({{"a", a}, {"b", b}, {"c", c}}, test_options());
  CHECK(b.impl()->offset - a.impl()->offset == 64);
  CHECK(c.impl()->offset - b.impl()->offset == 64);
  opt.zero_grad();
  set_grad(a, {3.0, -1.0});
  set_grad(b, {4.0});
  set_grad(c, std::vector<double>(70, 0.25));
  opt.step(kNoClip);
  const double* base = a.data<double>();
  for (int64_t i = 2; i < 64; ++i) {
    INFO("gap element " << i);
    REQUIRE(base[i] == 0.0);
    REQUIRE(a.grad().data<double>()[i] == 0.0);
  }
  CHECK(opt.last_step().grad_norm == doctest::Approx(std::sqrt(9.0 + 1.0 + 16.0 + 70 * 0.0625)).epsilon(1e-14));
  CHECK(b.at(0) != 3.0);  // the step reached every parameter
  CHECK(c.at(69) != 0.5);
}

TEST_CASE("AdamW: clipping scales by max/(norm+1e-6) and reports the norm before clipping") {
  Tensor a = param({0.0, 0.0}), b = param({0.0});
  AdamW opt({{"a", a}, {"b", b}}, test_options());
  opt.zero_grad();
  set_grad(a, {3.0, 0.0});
  set_grad(b, {4.0});
  CHECK(opt.gradient_norm() == 5.0);  // what is in the buffer, without stepping
  opt.step(1.0);
  CHECK(opt.last_step().grad_norm == 5.0);
  // m = (1 - 0.9) * clipped gradient.
  CHECK(exp_avg(opt, "a", 0) == doctest::Approx(0.1 * 3.0 / 5.000001).epsilon(1e-14));
  CHECK(exp_avg(opt, "b", 0) == doctest::Approx(0.1 * 4.0 / 5.000001).epsilon(1e-14));
  // Below the limit nothing is scaled. The gradient buffer keeps what backward wrote.
  opt.zero_grad();
  set_grad(a, {0.3, 0.0});
  set_grad(b, {0.4});
  opt.step(1.0);
  CHECK(opt.last_step().grad_norm == doctest::Approx(0.5));
  CHECK(exp_avg(opt, "b", 0) == doctest::Approx(0.9 * 0.1 * 4.0 / 5.000001 + 0.1 * 0.4).epsilon(1e-14));
  CHECK(b.grad().at(0) == 0.4);
}

TEST_CASE("AdamW: the norm does not depend on the thread count") {
  std::vector<double> values(300000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = std::sin(0.37 * static_cast<double>(i)) * 1e-3;
  std::vector<std::vector<double>> states;
  const int threads_before = cpu_thread_count();
  for (int threads : {1, 2, 3}) {
    set_cpu_threads(threads);
    Tensor a = Tensor::zeros({100000}, DType::F32).set_requires_grad(true);
    Tensor b = Tensor::zeros({200000}, DType::F32).set_requires_grad(true);
    AdamW opt({{"a", a}, {"b", b}}, test_options());
    opt.zero_grad();
    set_grad(a, std::vector<double>(values.begin(), values.begin() + 100000));
    set_grad(b, std::vector<double>(values.begin() + 100000, values.end()));
    opt.step(0.01);
    states.push_back(opt.state().to_double_vector());
    states.back().push_back(a.at(777));
  }
  set_cpu_threads(threads_before);
  CHECK(states[0] == states[1]);
  CHECK(states[0] == states[2]);
}

TEST_CASE("AdamW: a step reads nothing back to the host") {
  Tensor a = Tensor::zeros({1000}, DType::F32).set_requires_grad(true);
  AdamW opt({{"a", a}}, test_options(), scaling_on());
  opt.zero_grad();
  const HostTraffic before = host_traffic();
  opt.step(1.0);
  const HostTraffic after = host_traffic();
  CHECK(after.value_reads == before.value_reads);
  CHECK(after.downloads == before.downloads);
  CHECK(after.uploads == before.uploads);
  opt.last_step();  // reading the outcome is one read
  CHECK(host_traffic().value_reads == after.value_reads + 1);
}

TEST_CASE("AdamW: state round trip restores the step count, moments and scaler") {
  Tensor p = param({1.0});
  AdamW opt({{"p", p}}, test_options(), scaling_on());
  opt.zero_grad();
  set_grad(p, {std::numeric_limits<double>::infinity()});
  opt.step(kNoClip);  // skipped: scale 32768
  opt.zero_grad();
  set_grad(p, {0.5 * 32768.0});
  opt.step(kNoClip);
  TensorFile file;
  for (const FileTensor& t : opt.state_tensors("optim.", "scaler.")) file.tensors[t.name] = t.tensor;
  CHECK(file.tensors.at("optim.exp_avg.p").at(0) == doctest::Approx(0.05));
  CHECK(file.tensors.at("optim.exp_avg_sq.p").at(0) == doctest::Approx(0.00025));
  CHECK(file.tensors.at("scaler.scale").at(0) == 32768.0);
  Tensor q = param({0.899000002});
  AdamW resumed({{"p", q}}, test_options(), scaling_on());
  resumed.load_state(file, "optim.", "scaler.", "checkpoint");
  CHECK(resumed.step_count() == 1);
  CHECK(resumed.skipped_steps() == 1);
  CHECK(resumed.loss_scale() == 32768.0);
  resumed.zero_grad();
  set_grad(q, {-0.25 * 32768.0});
  resumed.step(kNoClip);
  CHECK(q.at(0) == doctest::Approx(0.871467298706).epsilon(1e-11));
  file.tensors.erase("optim.exp_avg.p");
  CHECK_THROWS_WITH(resumed.load_state(file, "optim.", "scaler.", "ckpt.safetensors"),
                    "AdamW: ckpt.safetensors: missing tensor 'optim.exp_avg.p'");
}

TEST_CASE("StepLR halves every 20 epochs") {
  StepLR sched(1e-4, 20, 0.5);
  CHECK(sched.lr_at(0) == 1e-4);
  CHECK(sched.lr_at(19) == 1e-4);
  CHECK(sched.lr_at(20) == 5e-5);
  CHECK(sched.lr_at(45) == 2.5e-5);
}

TEST_CASE("loss scaling: the loss is multiplied by 65536 and the gradients divided by it") {
  Tensor p = param({0.0, 0.0});
  AdamW opt({{"p", p}}, test_options(), scaling_on());
  CHECK(opt.loss_scale() == 65536.0);
  const Tensor loss = Tensor::full({1}, 0.25, DType::F64);
  CHECK(opt.scale_loss(loss).item() == 16384.0);
  opt.zero_grad();
  set_grad(p, {32768.0, -131072.0});
  // A diagnostic norm outside the step unscales as the step does (the gradient-norm probe).
  CHECK(opt.gradient_norm() == std::sqrt(0.25 + 4.0));
  opt.step(kNoClip);
  CHECK_FALSE(opt.last_step().skipped);
  CHECK(opt.last_step().grad_norm == doctest::Approx(std::sqrt(0.25 + 4.0)));
  CHECK(exp_avg(opt, "p", 0) == doctest::Approx(0.05));
  CHECK(exp_avg(opt, "p", 1) == doctest::Approx(-0.2));
}

TEST_CASE("loss scaling: an overflow step is skipped, does not advance t, and halves the scale") {
  Tensor p = param({1.0});
  AdamW opt({{"p", p}}, test_options(), scaling_on());
  opt.zero_grad();
  set_grad(p, {std::numeric_limits<double>::infinity()});
  opt.step(1.0);
  StepOutcome o = opt.last_step();
  CHECK(o.skipped);
  CHECK(std::isinf(o.grad_norm));
  CHECK(o.loss_scale == 65536.0);
  CHECK(o.next_scale == 32768.0);
  CHECK(p.at(0) == 1.0);
  CHECK(opt.step_count() == 0);
  CHECK(opt.skipped_steps() == 1);
  // NaN counts as overflow too.
  opt.zero_grad();
  set_grad(p, {std::nan("")});
  opt.step(1.0);
  CHECK(opt.last_step().skipped);
  CHECK(opt.loss_scale() == 16384.0);
  // The next clean step is step t=1: the same result as a fresh optimiser's first step.
  opt.zero_grad();
  set_grad(p, {0.5 * 16384.0});
  opt.step(kNoClip);
  CHECK_FALSE(opt.last_step().skipped);
  CHECK(opt.step_count() == 1);
  CHECK(p.at(0) == doctest::Approx(0.899000002).epsilon(1e-13));
}

TEST_CASE("loss scaling: the scale doubles after exactly 2000 clean steps; overflow resets the count") {
  Tensor p = param({0.0});
  AdamW opt({{"p", p}}, test_options(), scaling_on());
  auto steps = [&](int n, double g) {
    for (int i = 0; i < n; ++i) {
      opt.zero_grad();
      set_grad(p, {g});
      opt.step(kNoClip);
    }
  };
  steps(1999, 1.0);
  CHECK(opt.loss_scale() == 65536.0);
  steps(1, 1.0);
  CHECK(opt.loss_scale() == 131072.0);
  steps(1500, 1.0);
  steps(1, std::numeric_limits<double>::infinity());
  CHECK(opt.loss_scale() == 65536.0);
  steps(1999, 1.0);
  CHECK(opt.loss_scale() == 65536.0);
  steps(1, 1.0);
  CHECK(opt.loss_scale() == 131072.0);
}

TEST_CASE("loss scaling off: the scale stays 1, even when a file says otherwise") {
  Tensor p = param({1.0});
  AdamW opt({{"p", p}}, test_options());
  const Tensor loss = Tensor::full({1}, 0.25, DType::F64);
  CHECK(opt.scale_loss(loss).same_storage(loss));
  opt.zero_grad();
  set_grad(p, {std::numeric_limits<double>::infinity()});
  opt.step(1.0);
  CHECK(opt.last_step().skipped);  // a non-finite gradient still skips the step
  CHECK(opt.loss_scale() == 1.0);
  TensorFile file;
  for (const FileTensor& t : opt.state_tensors("optim.", "scaler.")) file.tensors[t.name] = t.tensor;
  file.tensors["scaler.scale"] = Tensor::from_vector(std::vector<double>{65536.0}, {1});
  opt.load_state(file, "optim.", "scaler.", "checkpoint");
  CHECK(opt.loss_scale() == 1.0);
}
