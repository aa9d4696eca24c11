// The fused CUDA kernels that have no op front-end of their own: softmax + CE/Dice/focal loss
// and gradient (checked against a direct f64 evaluation of docs/REFERENCE.md section 2 and its
// central differences). The fused optimiser ops are in the op-case table (optim_cases.cpp).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "tests/cuda/parity_support.h"

#ifdef SEGRUN_WITH_CUDA
#include "cuda/context.h"
#include "cuda/softmax_loss.h"
#include "engine/half.h"
#include "engine/ops.h"

using namespace segrun;

namespace {

struct LossCase {
  int64_t pixels = 30, classes = 5;
  int present = 5;  // labels drawn from the first `present` classes
  bool class_weights = false, mask_absent = false, all_ignored = false;
  float w_ce = 1, w_dice = 1, w_focal = 1, alpha = 1, gamma = 2;
  DType logits_dt = DType::F32;
};

struct Data {
  std::vector<double> logits, weights;
  std::vector<int> labels;
};

Data make_data(const LossCase& lc) {
  Data d;
  Generator gen(11);
  for (int64_t i = 0; i < lc.pixels * lc.classes; ++i) d.logits.push_back(gen.next_uniform(-3.0, 3.0));
  // Through the storage dtype, so the reference sees the GPU's values.
  for (double& z : d.logits)
    z = lc.logits_dt == DType::F16 ? half_to_float(float_to_half(static_cast<float>(z))) : static_cast<float>(z);
  for (int64_t i = 0; i < lc.pixels; ++i)
    d.labels.push_back(lc.all_ignored || i % 6 == 5 ? kIgnoreLabel : static_cast<int>((i * 7 + 3) % lc.present));
  for (int64_t k = 0; k < lc.classes; ++k)
    d.weights.push_back(lc.class_weights ? static_cast<float>(0.5 + 0.3 * k) : 1.0);
  return d;
}

// docs/REFERENCE.md section 2, term by term in f64: {CE, Dice, focal}.
std::vector<double> reference_losses(const LossCase& lc, const Data& d, const std::vector<double>& z) {
  const int64_t C = lc.classes;
  double ce_num = 0, ce_den = 0, focal = 0, valid = 0;
  std::vector<double> inter(C, 0), psum(C, 0), count(C, 0);
  for (int64_t i = 0; i < lc.pixels; ++i) {
    const int t = d.labels[i];
    if (t == kIgnoreLabel) continue;
    double m = z[i * C];
    for (int64_t k = 1; k < C; ++k) m = std::max(m, z[i * C + k]);
    double s = 0;
    for (int64_t k = 0; k < C; ++k) s += std::exp(z[i * C + k] - m);
    const double log_pt = z[i * C + t] - m - std::log(s), pt = std::exp(log_pt);
    ce_num += -d.weights[t] * log_pt;
    ce_den += d.weights[t];
    focal += -lc.alpha * std::pow(1 - pt, lc.gamma) * log_pt;
    valid += 1;
    for (int64_t k = 0; k < C; ++k) psum[k] += std::exp(z[i * C + k] - m) / s;
    inter[t] += pt;
    count[t] += 1;
  }
  double dice = 0, included = 0;
  for (int64_t k = 0; k < C; ++k) {
    if (lc.mask_absent && count[k] == 0) continue;
    dice += 1 - (2 * inter[k] + 1e-6) / (psum[k] + count[k] + 1e-6);
    included += 1;
  }
  return {ce_den > 0 ? ce_num / ce_den : 0, included > 0 ? dice / included : 0, valid > 0 ? focal / valid : 0};
}

double combined(const LossCase& lc, const std::vector<double>& l) {
  return lc.w_ce * l[0] + lc.w_dice * l[1] + lc.w_focal * l[2];
}

struct FusedResult {
  std::vector<double> losses, grad, grad_sums;
};

// Runs both fused passes and brings the results to the CPU.
FusedResult run_fused(const LossCase& lc, const Data& d, float grad_scale) {
  const std::vector<float> z(d.logits.begin(), d.logits.end()), w(d.weights.begin(), d.weights.end());
  std::vector<uint8_t> labels(d.labels.begin(), d.labels.end());
  const Tensor logits = cast(Tensor::from_vector(z, {lc.pixels, lc.classes}).to(Device::cuda()), lc.logits_dt);
  const Tensor target = Tensor::from_vector(labels, {lc.pixels}).to(Device::cuda());
  const Tensor weights = Tensor::from_vector(w, {lc.classes}).to(Device::cuda());
  const Tensor scale = Tensor::from_vector(std::vector<float>{grad_scale}, {1}).to(Device::cuda());
  Tensor stats = Tensor::empty({cuda::softmax_loss_stats_floats(lc.classes)}, DType::F32, Device::cuda());
  Tensor losses = Tensor::empty({4}, DType::F32, Device::cuda());
  Tensor grad_sums = Tensor::empty({cuda::kLossGradSums}, DType::F32, Device::cuda());
  Tensor grad = Tensor::empty(logits.shape(), lc.logits_dt, Device::cuda());
  cuda::SoftmaxLossArgs a;
  a.logits_dt = lc.logits_dt;
  a.label_dt = DType::U8;
  a.pixels = lc.pixels;
  a.classes = lc.classes;
  a.class_weights = lc.class_weights ? weights.data<float>() : nullptr;
  a.w_ce = lc.w_ce, a.w_dice = lc.w_dice, a.w_focal = lc.w_focal;
  a.focal_alpha = lc.alpha, a.focal_gamma = lc.gamma;
  a.dice_mask_absent = lc.mask_absent;
  const cudaStream_t stream = cuda::context().stream();
  cuda::softmax_loss_forward(a, logits.raw_data(), target.raw_data(), stats.data<float>(), losses.data<float>(),
                             stream);
  cuda::softmax_loss_backward(a, logits.raw_data(), target.raw_data(), stats.data<float>(), scale.data<float>(),
                              grad.raw_data(), grad_sums.data<float>(), stream);
  return {losses.to_double_vector(), grad.to_double_vector(), grad_sums.to_double_vector()};
}

// Central differences (step 1e-5) of each weighted term: {ce, dice, focal} gradients.
std::vector<std::vector<double>> term_gradients(const LossCase& lc, const Data& d) {
  const double weight[3] = {lc.w_ce, lc.w_dice, lc.w_focal};
  std::vector<std::vector<double>> g(3, std::vector<double>(d.logits.size()));
  std::vector<double> z = d.logits;
  for (size_t i = 0; i < z.size(); ++i) {
    const double orig = z[i], h = 1e-5;
    z[i] = orig + h;
    const std::vector<double> up = reference_losses(lc, d, z);
    z[i] = orig - h;
    const std::vector<double> down = reference_losses(lc, d, z);
    z[i] = orig;
    for (int k = 0; k < 3; ++k) g[k][i] = weight[k] * (up[k] - down[k]) / (2 * h);
  }
  return g;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// Fused loss values, gradient and gradient sums against the reference.
void check_loss_case(const LossCase& lc, double tolerance) {
  const Data d = make_data(lc);
  const float grad_scale = 3.0f;
  const FusedResult r = run_fused(lc, d, grad_scale);
  const std::vector<double> ref = reference_losses(lc, d, d.logits);
  for (int k = 0; k < 3; ++k) CHECK(std::fabs(r.losses[k] - ref[k]) <= tolerance * std::max(1.0, std::fabs(ref[k])));
  CHECK(std::fabs(r.losses[3] - combined(lc, ref)) <= tolerance * std::max(1.0, std::fabs(combined(lc, ref))));
  const std::vector<std::vector<double>> g = term_gradients(lc, d);
  std::vector<double> total(g[0].size());
  double diff = 0, largest = 1e-12;
  for (size_t i = 0; i < total.size(); ++i) {
    total[i] = g[0][i] + g[1][i] + g[2][i];
    diff = std::max(diff, std::fabs(r.grad[i] - grad_scale * total[i]));
    largest = std::max(largest, std::fabs(grad_scale * total[i]));
  }
  INFO("gradient max relative error " << diff / largest);
  CHECK(diff / largest <= tolerance);
  const std::vector<double> sums = {dot(g[0], g[0]), dot(g[1], g[1]), dot(g[2], g[2]), dot(total, total),
                                    dot(g[0], g[1]), dot(g[0], g[2]), dot(g[1], g[2])};
  for (int k = 0; k < cuda::kLossGradSums; ++k) {
    INFO("gradient sum " << k << ": " << r.grad_sums[k] << " vs " << sums[k]);
    CHECK(std::fabs(r.grad_sums[k] - sums[k]) <= 10 * tolerance * std::max(sums[3], 1e-12));
  }
}
}  // namespace

TEST_CASE("fused softmax losses match docs/REFERENCE.md section 2 and their finite differences") {
  SUBCASE("CE + Dice + focal with class weights, f32") {
    LossCase lc;
    lc.class_weights = true;
    check_loss_case(lc, 1e-4);
  }
  SUBCASE("dice_dominant, absent classes masked, gamma 0.5 alpha 0.25, f32") {
    LossCase lc;
    lc.present = 3;
    lc.mask_absent = true;
    lc.w_ce = 0.5f, lc.w_focal = 0.5f, lc.alpha = 0.25f, lc.gamma = 0.5f;
    check_loss_case(lc, 1e-4);
  }
  SUBCASE("absent classes kept in the Dice mean, f16 logits") {
    LossCase lc;
    lc.present = 3;
    lc.logits_dt = DType::F16;
    check_loss_case(lc, 1e-2);
  }
  SUBCASE("every pixel ignored: losses and gradient are 0") {
    LossCase lc;
    lc.all_ignored = true;
    const FusedResult r = run_fused(lc, make_data(lc), 1.0f);
    CHECK(r.losses == std::vector<double>{0, 0, 0, 0});
    for (double g : r.grad) CHECK(g == 0.0);
    for (double g : r.grad_sums) CHECK(g == 0.0);
  }
}

#endif
