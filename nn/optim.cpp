#include "nn/optim.h"

#include <cmath>
#include <stdexcept>

#include "engine/error.h"
#include "nn/host_tensor.h"

namespace segrun::nn {

namespace {
struct AdamWStep {
  double decay;  // 1 - lr * wd
  double beta1, beta2;
  double step_size;  // lr / (1 - beta1^t)
  double bc2_sqrt;   // sqrt(1 - beta2^t)
  double eps;
};

// docs/REFERENCE.md section 4.1, in PyTorch's operation order:
// theta *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
// theta -= (lr / (1-b1^t)) * m / (sqrt(v) / sqrt(1-b2^t) + eps).
template <typename T>
void adamw_update(T* theta, const T* g, T* m, T* v, int64_t n, const AdamWStep& s) {
  const T decay = static_cast<T>(s.decay), b1 = static_cast<T>(s.beta1), b2 = static_cast<T>(s.beta2);
  const T one_b1 = static_cast<T>(1.0 - s.beta1), one_b2 = static_cast<T>(1.0 - s.beta2);
  const T step_size = static_cast<T>(s.step_size), bc2_sqrt = static_cast<T>(s.bc2_sqrt), eps = static_cast<T>(s.eps);
  // Each element on its own (any split gives the same result); chunks go to whichever thread
  // is free, so a preempted thread does not hold up the rest.
#pragma omp parallel for simd schedule(dynamic, 1 << 15)
  for (int64_t i = 0; i < n; ++i) {
    theta[i] *= decay;
    m[i] = b1 * m[i] + one_b1 * g[i];
    v[i] = b2 * v[i] + one_b2 * g[i] * g[i];
    theta[i] -= step_size * m[i] / (std::sqrt(v[i]) / bc2_sqrt + eps);
  }
}
}  // namespace

AdamW::AdamW(std::vector<std::pair<std::string, Tensor>> named_parameters, const AdamWOptions& options)
    : params_(std::move(named_parameters)), options_(options) {
  for (const auto& [name, p] : params_) {
    SEGRUN_CHECK_ARG(p.dtype() == DType::F32 || p.dtype() == DType::F64, "AdamW: parameter '", name,
                     "' must be f32 or f64 (master weights), got ", p.str());
    exp_avg_.push_back(Tensor::zeros(p.shape(), p.dtype()));
    exp_avg_sq_.push_back(Tensor::zeros(p.shape(), p.dtype()));
  }
}

void AdamW::step() {
  ++step_;
  const double t = static_cast<double>(step_);
  const AdamWStep s{1.0 - options_.lr * options_.weight_decay,
                    options_.beta1,
                    options_.beta2,
                    options_.lr / (1.0 - std::pow(options_.beta1, t)),
                    std::sqrt(1.0 - std::pow(options_.beta2, t)),
                    options_.eps};
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i].second;
    if (!p.grad().defined()) continue;
    SEGRUN_CHECK_ARG(p.grad().dtype() == p.dtype(), "AdamW: gradient of '", params_[i].first, "' is ", p.grad().str(),
                     ", parameter is ", p.str());
    HostTensor theta(p);
    const HostTensor grad(p.grad());
    dispatch_float(p.dtype(), "AdamW", [&](auto tag) {
      using T = decltype(tag);
      adamw_update<T>(theta.host().data<T>(), grad.host().data<T>(), exp_avg_[i].data<T>(), exp_avg_sq_[i].data<T>(),
                      p.numel(), s);
    });
    theta.commit();
  }
}

std::vector<FileTensor> AdamW::state_tensors(const std::string& prefix) const {
  std::vector<FileTensor> out;
  out.push_back({prefix + "step", Tensor::from_vector(std::vector<int32_t>{static_cast<int32_t>(step_)}, {1}), true});
  for (size_t i = 0; i < params_.size(); ++i) {
    out.push_back({prefix + "exp_avg." + params_[i].first, exp_avg_[i], false});
    out.push_back({prefix + "exp_avg_sq." + params_[i].first, exp_avg_sq_[i], false});
  }
  return out;
}

void AdamW::load_state(const TensorFile& file, const std::string& prefix, const std::string& source) {
  auto get = [&](const std::string& key, const Shape& shape) {
    auto it = file.tensors.find(key);
    if (it == file.tensors.end()) throw std::runtime_error(cat_str("AdamW: ", source, ": missing tensor '", key, "'"));
    if (it->second.shape() != shape)
      throw std::runtime_error(cat_str("AdamW: ", source, ": tensor '", key, "' has shape ",
                                       shape_str(it->second.shape()), ", expected ", shape_str(shape)));
    return it->second;
  };
  const Tensor step = get(prefix + "step", {1});
  SEGRUN_CHECK_ARG(step.dtype() == DType::I32, "AdamW: ", source, ": step must be an integer tensor");
  for (size_t i = 0; i < params_.size(); ++i) {
    const Shape& shape = params_[i].second.shape();
    exp_avg_[i].copy_from(
        get(prefix + "exp_avg." + params_[i].first, shape).contiguous_copy_on(Device::cpu(), exp_avg_[i].dtype()));
    exp_avg_sq_[i].copy_from(get(prefix + "exp_avg_sq." + params_[i].first, shape)
                                 .contiguous_copy_on(Device::cpu(), exp_avg_sq_[i].dtype()));
  }
  step_ = step.data<int32_t>()[0];
}

StepLR::StepLR(double base_lr, int64_t step_size, double gamma)
    : base_lr_(base_lr), step_size_(step_size), gamma_(gamma) {
  SEGRUN_CHECK_ARG(step_size > 0, "StepLR: step size must be positive, got ", step_size);
}

double StepLR::lr_at(int64_t epoch) const {
  return base_lr_ * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

}  // namespace segrun::nn
