#include "tests/support/gradcheck.h"

#include <algorithm>
#include <cmath>

namespace segrun::testing {

double max_rel_diff(const Tensor& a, const Tensor& b) {
  const std::vector<double> va = a.to_double_vector(), vb = b.to_double_vector();
  if (va.size() != vb.size()) return INFINITY;
  double diff = 0, ref = 0;
  for (size_t i = 0; i < va.size(); ++i) {
    diff = std::max(diff, std::fabs(va[i] - vb[i]));
    ref = std::max(ref, std::fabs(vb[i]));
  }
  if (std::isnan(diff)) return INFINITY;
  return diff / std::max(ref, 1e-12);
}

namespace {
double weighted_sum(const Tensor& out, const Tensor& w) {
  const std::vector<double> vo = out.to_double_vector(), vw = w.to_double_vector();
  double s = 0;
  for (size_t i = 0; i < vo.size(); ++i) s += vo[i] * vw[i];
  return s;
}

// sum_i w_i (a_i - b_i), differencing element by element so that the rounding error scales
// with the difference and not with the (much larger) sums themselves.
double weighted_difference(const Tensor& a, const Tensor& b, const Tensor& w) {
  const std::vector<double> va = a.to_double_vector(), vb = b.to_double_vector(), vw = w.to_double_vector();
  double s = 0;
  for (size_t i = 0; i < va.size(); ++i) s += vw[i] * (va[i] - vb[i]);
  return s;
}

// x + step * v for every differentiable input (v = +-1 per element), the others unchanged.
std::vector<Tensor> shifted(const OpCase& c, const std::vector<Tensor>& inputs, const std::vector<Tensor>& directions,
                            double step) {
  std::vector<Tensor> out(inputs.size());
  for (size_t k = 0; k < inputs.size(); ++k) {
    out[k] = inputs[k].detach();
    if (!c.inputs[k].differentiable()) continue;
    out[k] = inputs[k].detach().clone();
    double* p = out[k].data<double>();
    const double* v = directions[k].data<double>();
    for (int64_t i = 0, n = out[k].numel(); i < n; ++i) p[i] += step * v[i];
  }
  return out;
}

// Real-size cases: the derivative of L along random sign vectors v, analytic <grad, v> against
// a central difference, relative to |grad|_2 (the typical size of <grad, v> for such v).
GradCheckResult directional_gradcheck(const OpCase& c, const std::vector<Tensor>& inputs, const Tensor& w,
                                      uint64_t seed) {
  constexpr int kDirections = 2;
  GradCheckResult result;
  for (int d = 0; d < kDirections; ++d) {
    Generator vgen(seed + 2000 + static_cast<uint64_t>(d));
    std::vector<Tensor> directions(inputs.size());
    double analytic = 0, grad_sq = 0;
    for (size_t k = 0; k < inputs.size(); ++k) {
      if (!c.inputs[k].differentiable()) continue;
      directions[k] = Tensor::empty(inputs[k].shape(), DType::F64);
      double* v = directions[k].data<double>();
      for (int64_t i = 0, n = inputs[k].numel(); i < n; ++i) v[i] = vgen.next_unit() < 0.5 ? -1.0 : 1.0;
      const Tensor g = inputs[k].grad();
      if (!g.defined()) continue;
      const double* pg = g.data<double>();
      for (int64_t i = 0, n = g.numel(); i < n; ++i) {
        analytic += pg[i] * v[i];
        grad_sq += pg[i] * pg[i];
      }
    }
    NoGradGuard no_grad;
    const Tensor plus = c.run(shifted(c, inputs, directions, c.fd_step));
    const Tensor minus = c.run(shifted(c, inputs, directions, -c.fd_step));
    const double numeric = weighted_difference(plus, minus, w) / (2 * c.fd_step);
    const double err = std::fabs(analytic - numeric) / std::max({std::sqrt(grad_sq), std::fabs(numeric), 1e-300});
    if (err >= result.max_rel_error) {
      result.max_rel_error = err;
      result.worst_input = "direction " + std::to_string(d);
    }
  }
  return result;
}
}  // namespace

GradCheckResult gradcheck(const OpCase& c, uint64_t seed) {
  std::vector<Tensor> inputs = make_inputs(c, DType::F64, Device::cpu(), seed);
  Tensor out = c.run(inputs);
  Generator wgen(seed + 1000);
  Tensor w = wgen.uniform(out.shape(), -1.0, 1.0, DType::F64);
  backward(sum(mul(out, w)));
  if (c.real_size) return directional_gradcheck(c, inputs, w, seed);

  GradCheckResult result;
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (!c.inputs[k].differentiable()) continue;
    Tensor x = inputs[k];
    Tensor analytic = x.grad();
    if (!analytic.defined()) analytic = Tensor::zeros(x.shape(), DType::F64);
    Tensor numeric = Tensor::zeros(x.shape(), DType::F64);
    std::vector<Tensor> probe(inputs.size());
    for (size_t j = 0; j < inputs.size(); ++j) probe[j] = inputs[j].detach();
    NoGradGuard no_grad;
    double* px = probe[k].data<double>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double orig = px[i];
      px[i] = orig + c.fd_step;
      const double lp = weighted_sum(c.run(probe), w);
      px[i] = orig - c.fd_step;
      const double lm = weighted_sum(c.run(probe), w);
      px[i] = orig;
      numeric.data<double>()[i] = (lp - lm) / (2 * c.fd_step);
    }
    const double err = max_rel_diff(analytic, numeric);
    if (err >= result.max_rel_error) {
      result.max_rel_error = err;
      result.worst_input = "input " + std::to_string(k);
    }
  }
  return result;
}

}  // namespace segrun::testing
