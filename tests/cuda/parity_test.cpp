// CPU-vs-CUDA parity for every case of the op-case table, forward and backward, with the
// inputs stored in f32 (max relative error <= 1e-4) and in f16 (each case's f16_tol, reasoned
// in tests/support/op_cases.h). The reference runs on the CPU in f64 on exactly the values the
// GPU sees (inputs rounded to the GPU's dtype).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "engine/error.h"
#include "tests/cuda/parity_support.h"
#include "tests/support/gradcheck.h"

using namespace segrun;
using namespace segrun::testing;

namespace {
constexpr uint64_t kSeed = 7;

struct Run {
  std::vector<Tensor> inputs;
  Tensor output;
};

// Base values rounded through `dtype`, as f64 on the CPU.
Tensor rounded(const Tensor& base, DType dtype) {
  return cast(cast(base, dtype), DType::F64);
}

// The reference keeps f64 (on the rounded values); the GPU stores `dtype`, cast on the device.
Tensor place(const Tensor& base, DType dtype, Device device) {
  const Tensor b = base.detach();
  return (device.is_cuda() ? cast(b.to(DType::F32).to(device), dtype) : rounded(b, dtype)).detach();
}

Run forward(const OpCase& c, const std::vector<Tensor>& base, DType dtype, Device device) {
  Run r;
  for (size_t k = 0; k < base.size(); ++k) {
    if (c.inputs[k].kind == InputSpec::Kind::Labels) {
      r.inputs.push_back(base[k].to(device));
      continue;
    }
    Tensor x = place(base[k], dtype, device);
    if (c.inputs[k].differentiable()) x.set_requires_grad(true);
    r.inputs.push_back(x);
  }
  r.output = c.run(r.inputs);
  return r;
}

// Gradients of sum(out * w) wrt the differentiable inputs (undefined where none flowed).
std::vector<Tensor> gradients(const OpCase& c, const Run& r, const Tensor& w_base, DType dtype, Device device) {
  backward(sum(mul(r.output, place(w_base, dtype, device))));
  std::vector<Tensor> grads;
  for (size_t k = 0; k < r.inputs.size(); ++k)
    if (c.inputs[k].differentiable()) grads.push_back(r.inputs[k].grad());
  return grads;
}

// Below this, a nonzero output may sit on the other side of an activation's kink on the other
// device: f32 rounding alone moves a pre-activation of 1e-8 across 0, and f16 stores values
// under 6e-8 as 0. Out of millions of ReLU outputs, a few always do.
constexpr double kNearKink = 1e-5;

// The gradient reaching the op's output, the same on both devices: uniform in [-1, 1], times
// 1024 for a scalar output (a loss) as loss scaling does, or the f16 gradients of a real-size
// loss would sit in f16's subnormal range; zero where either device's output is nonzero but
// within kNearKink of 0, where the two may have taken different sides of a kink. Elements
// both devices rectify to 0 keep their gradient, so a missing ReLU mask still shows.
Tensor upstream_gradient(const Tensor& ref_out, const Tensor& gpu_out) {
  Tensor w = Generator(kSeed + 1000).uniform(ref_out.shape(), -1.0, 1.0, DType::F64);
  if (ref_out.numel() == 1) return scale(w, 1024.0);
  const std::vector<double> r = ref_out.to_double_vector(), g = gpu_out.to_double_vector();
  double* wd = w.data<double>();
  for (size_t i = 0; i < r.size(); ++i) {
    const bool near_r = r[i] != 0.0 && std::fabs(r[i]) < kNearKink, near_g = g[i] != 0.0 && std::fabs(g[i]) < kNearKink;
    if (near_r || near_g) wd[i] = 0.0;
  }
  return w;
}

double grad_error(const Tensor& gpu, const Tensor& ref) {
  if (gpu.defined() && ref.defined()) return max_rel_diff(gpu, ref);
  return gpu.defined() == ref.defined() ? 0.0 : INFINITY;
}

// Worst relative error of the GPU against the reference, over the output and every gradient.
double parity_error(const OpCase& c, DType dtype, std::string* where) {
  const std::vector<Tensor> base = make_inputs(c, DType::F64, Device::cpu(), kSeed);
  const Run ref = forward(c, base, dtype, Device::cpu());
  const Run gpu = forward(c, base, dtype, Device::cuda());
  SEGRUN_CHECK_ARG(gpu.output.dtype() == dtype && gpu.output.is_cuda(), "output is ", gpu.output.str());
  const Tensor w = upstream_gradient(ref.output, gpu.output);
  const std::vector<Tensor> ref_grads = gradients(c, ref, w, dtype, Device::cpu());
  const std::vector<Tensor> gpu_grads = gradients(c, gpu, w, dtype, Device::cuda());
  double worst = max_rel_diff(gpu.output, ref.output);
  *where = "output";
  for (size_t k = 0; k < ref_grads.size(); ++k) {
    const double err = grad_error(gpu_grads[k], ref_grads[k]);
    if (err > worst) {
      worst = err;
      *where = "gradient " + std::to_string(k);
    }
  }
  return worst;
}

constexpr double kF32Tolerance = 1e-4;

// SEGRUN_PARITY_CASES=small leaves the real-size cases out, for slow tools (compute-sanitizer).
bool small_cases_only() {
  const char* value = std::getenv("SEGRUN_PARITY_CASES");
  return value != nullptr && std::string(value) == "small";
}

void check_parity(DType dtype) {
  int passed = 0, failed = 0;
  for (const OpCase& c : op_case_registry()) {
    if (c.real_size && small_cases_only()) continue;
    if (c.update_rule && dtype == DType::F16) continue;  // f32 master weights only
    const double tolerance = dtype == DType::F16 ? c.f16_tol : kF32Tolerance;
    std::string where, error;
    double err = INFINITY;
    try {
      err = parity_error(c, dtype, &where);
    } catch (const std::exception& e) {
      error = e.what();
    }
    INFO(std::string(dtype_name(dtype)) << " " << c.op << " [" << c.name << "] " << where << " max relative error "
                                        << err << std::string(error.empty() ? "" : " error: ") << error);
    CHECK(error.empty());
    CHECK(err <= tolerance);
    if (error.empty())
      std::printf("parity %s %-18s %-62s max rel err %.2e (tol %.0e, %s)%s\n", dtype_name(dtype), c.op.c_str(),
                  c.name.c_str(), err, tolerance, where.c_str(), err <= tolerance ? "" : " FAIL");
    else
      std::printf("parity %s %-18s %-62s ERROR %s\n", dtype_name(dtype), c.op.c_str(), c.name.c_str(), error.c_str());
    (err <= tolerance && error.empty() ? passed : failed) += 1;
  }
  std::printf("parity %s: %d cases passed, %d failed\n", dtype_name(dtype), passed, failed);
  CHECK(passed > 0);
}
}  // namespace

TEST_CASE("CUDA matches the CPU for every op case, f32 storage") {
  check_parity(DType::F32);
}

TEST_CASE("CUDA matches the CPU for every op case, f16 storage") {
  check_parity(DType::F16);
}
