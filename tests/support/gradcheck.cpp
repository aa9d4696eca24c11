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
}  // namespace

GradCheckResult gradcheck(const OpCase& c, uint64_t seed) {
  std::vector<Tensor> inputs = make_inputs(c, DType::F64, Device::cpu(), seed);
  Tensor out = c.run(inputs);
  Generator wgen(seed + 1000);
  Tensor w = wgen.uniform(out.shape(), -1.0, 1.0, DType::F64);
  backward(sum(mul(out, w)));

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
