#include "nn/grad_scaling.h"

#include <cmath>
#include <stdexcept>

#include "engine/error.h"
#include "engine/ops/elementwise.h"
#include "nn/host_tensor.h"

namespace segrun::nn {

namespace {
// Sequential sum in double: the same order on every run and thread count.
template <typename T>
double sum_of_squares(const T* g, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(g[i]) * static_cast<double>(g[i]);
  return s;
}

// Each element on its own, so the threads may split them in any way: the result is the same.
// Chunks are handed out as threads free up, so a preempted thread does not hold up the rest.
constexpr int64_t kScaleChunk = 1 << 15;

// g *= factor in place; returns true when any element was inf or NaN before scaling. A factor
// of 1 (no loss scaling) only checks: the gradients are not rewritten.
template <typename T>
bool scale_in_place(T* g, int64_t n, T factor) {
  bool non_finite = false;
  if (factor == T(1)) {
#pragma omp parallel for schedule(dynamic, kScaleChunk) reduction(|| : non_finite) if (n > kScaleChunk)
    for (int64_t i = 0; i < n; ++i) non_finite = non_finite | !std::isfinite(g[i]);
    return non_finite;
  }
#pragma omp parallel for schedule(dynamic, kScaleChunk) reduction(|| : non_finite) if (n > kScaleChunk)
  for (int64_t i = 0; i < n; ++i) {
    non_finite = non_finite | !std::isfinite(g[i]);
    g[i] *= factor;
  }
  return non_finite;
}

bool scale_gradient(const Tensor& grad, double factor, const char* op) {
  HostTensor g(grad);
  const bool non_finite = dispatch_float(grad.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    return scale_in_place<T>(g.host().data<T>(), grad.numel(), static_cast<T>(factor));
  });
  if (factor != 1.0) g.commit();
  return non_finite;
}
}  // namespace

double clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm) {
  double squares = 0;
  for (const Tensor& p : parameters) {
    if (!p.grad().defined()) continue;
    const HostTensor g(p.grad());
    squares += dispatch_float(p.grad().dtype(), "clip_grad_norm", [&](auto tag) {
      using T = decltype(tag);
      return sum_of_squares<T>(g.host().data<T>(), p.grad().numel());
    });
  }
  const double total = std::sqrt(squares);
  const double coef = std::min(1.0, max_norm / (total + 1e-6));
  if (coef < 1.0)
    for (const Tensor& p : parameters)
      if (p.grad().defined()) scale_gradient(p.grad(), coef, "clip_grad_norm");
  return total;
}

LossScaler::LossScaler(const LossScalerOptions& options) : options_(options), scale_(options.init_scale) {
  SEGRUN_CHECK_ARG(options.init_scale > 0 && options.growth_factor > 1 && options.backoff_factor > 0 &&
                       options.backoff_factor < 1 && options.growth_interval > 0,
                   "LossScaler: need init_scale > 0, growth_factor > 1, 0 < backoff_factor < 1, growth_interval > 0");
}

Tensor LossScaler::scale_loss(const Tensor& loss) const {
  return options_.enabled ? segrun::scale(loss, scale_) : loss;
}

bool LossScaler::unscale(const std::vector<Tensor>& parameters) const {
  // GradScaler's inverse scale is the f32 reciprocal of the scale.
  const double inv_scale = static_cast<float>(1.0 / scale());
  bool found_inf = false;
  for (const Tensor& p : parameters)
    if (p.grad().defined()) found_inf = scale_gradient(p.grad(), inv_scale, "LossScaler") || found_inf;
  return found_inf;
}

bool LossScaler::step(AdamW& optimizer, bool found_inf) {
  if (found_inf) {
    ++skipped_steps_;
    return false;
  }
  optimizer.step();
  return true;
}

void LossScaler::update(bool found_inf) {
  if (!options_.enabled) return;
  if (found_inf) {
    scale_ *= options_.backoff_factor;
    growth_tracker_ = 0;
    return;
  }
  if (++growth_tracker_ == options_.growth_interval) {
    scale_ *= options_.growth_factor;
    growth_tracker_ = 0;
  }
}

std::vector<FileTensor> LossScaler::state_tensors(const std::string& prefix) const {
  auto counter = [](int64_t v) { return Tensor::from_vector(std::vector<int32_t>{static_cast<int32_t>(v)}, {1}); };
  return {{prefix + "scale", Tensor::from_vector(std::vector<double>{scale_}, {1}), false},
          {prefix + "growth_tracker", counter(growth_tracker_), true},
          {prefix + "skipped_steps", counter(skipped_steps_), true}};
}

void LossScaler::load_state(const TensorFile& file, const std::string& prefix, const std::string& source) {
  auto get = [&](const std::string& key, DType dtype) {
    auto it = file.tensors.find(key);
    if (it == file.tensors.end())
      throw std::runtime_error(cat_str("LossScaler: ", source, ": missing tensor '", key, "'"));
    if (it->second.numel() != 1 || it->second.dtype() != dtype)
      throw std::runtime_error(cat_str("LossScaler: ", source, ": tensor '", key, "' must be one ", dtype_name(dtype),
                                       " value, got ", it->second.str()));
    return it->second.at(0);
  };
  scale_ = get(prefix + "scale", DType::F64);
  growth_tracker_ = static_cast<int64_t>(get(prefix + "growth_tracker", DType::I32));
  skipped_steps_ = static_cast<int64_t>(get(prefix + "skipped_steps", DType::I32));
}

}  // namespace segrun::nn
