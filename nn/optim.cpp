#include "nn/optim.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "engine/error.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/optim.h"
#include "nn/autocast.h"

namespace segrun::nn {

namespace {
Tensor view_of(const Tensor& flat, int64_t begin, const Shape& shape) {
  return flat.slice(begin, begin + shape_numel(shape)).reshape(shape);
}

// Every parameter starts at a multiple of this many elements of the flat buffers (256 bytes of
// f32, 128 of the f16 copy), so the views cuDNN reads and writes keep the alignment of a tensor
// of their own (its tensor-core kernels want 16 bytes at least). The gaps hold zeros, which no
// gradient reaches: AdamW keeps them zero and they add nothing to the gradient norm.
constexpr int64_t kParameterAlignment = 64;

int64_t aligned(int64_t n) {
  return (n + kParameterAlignment - 1) / kParameterAlignment * kParameterAlignment;
}

Tensor one_int(int64_t v) {
  return Tensor::from_vector(std::vector<int32_t>{static_cast<int32_t>(v)}, {1});
}
}  // namespace

AdamW::AdamW(std::vector<std::pair<std::string, Tensor>> named_parameters, const AdamWOptions& options,
             const LossScalerOptions& scaling)
    : options_(options), scaling_(scaling) {
  SEGRUN_CHECK_ARG(!named_parameters.empty(), "AdamW: no parameters");
  SEGRUN_CHECK_ARG(scaling.init_scale > 0 && scaling.growth_factor > 1 && scaling.backoff_factor > 0 &&
                       scaling.backoff_factor < 1 && scaling.growth_interval > 0,
                   "AdamW: loss scaling needs init_scale > 0, growth_factor > 1, 0 < backoff_factor < 1 and "
                   "growth_interval > 0");
  const Tensor& first = named_parameters.front().second;
  // Parameter k fills [begins[k], begins[k] + numel) and its norm segment runs on to the next
  // parameter's start: the gap's zeros come last in it.
  std::vector<int64_t> begins;
  int64_t total = 0;
  for (const auto& [name, p] : named_parameters) {
    SEGRUN_CHECK_ARG(p.dtype() == first.dtype() && p.device() == first.device(), "AdamW: parameter '", name, "' is ",
                     p.str(), ", the first is ", first.str(), " (one dtype and device for all)");
    SEGRUN_CHECK_ARG(p.dtype() == DType::F32 || p.dtype() == DType::F64, "AdamW: parameter '", name,
                     "' must be f32 or f64 (master weights), got ", p.str());
    begins.push_back(total);
    total = aligned(total + p.numel());
    segment_ends_.push_back(total);
  }
  const Device device = first.device();
  values_ = Tensor::zeros({total}, first.dtype(), device);
  grads_ = Tensor::zeros({total}, first.dtype(), device);
  exp_avg_ = Tensor::zeros({total}, first.dtype(), device);
  exp_avg_sq_ = Tensor::zeros({total}, first.dtype(), device);
  for (size_t k = 0; k < named_parameters.size(); ++k) {
    auto& [name, p] = named_parameters[k];
    Tensor handle = p;
    move_into(handle, values_, begins[k]);
    names_.push_back(name);
    params_.push_back(handle);
    grad_views_.push_back(view_of(grads_, begins[k], p.shape()));
    exp_avg_views_.push_back(view_of(exp_avg_, begins[k], p.shape()));
    exp_avg_sq_views_.push_back(view_of(exp_avg_sq_, begins[k], p.shape()));
  }
  if (scaling.enabled && device.is_cuda() && first.dtype() == DType::F32) {
    values_f16_ = Tensor::empty({total}, DType::F16, device);
    refresh_half_copy();
    for (size_t k = 0; k < params_.size(); ++k)
      register_half_copy(params_[k], view_of(values_f16_, begins[k], params_[k].shape()));
  }
  const double scale = scaling.enabled ? scaling.init_scale : 1.0;
  state_ = optim_state(scale, device);
  const Tensor host_scale = Tensor::from_vector(std::vector<float>{static_cast<float>(scale)}, {1});
  loss_scale_ = device.is_cpu() ? host_scale : host_scale.to(device);
}

AdamW::~AdamW() {
  if (!values_f16_.defined()) return;
  for (const Tensor& p : params_) unregister_half_copy(p, values_f16_);
}

void AdamW::refresh_half_copy() {
  if (values_f16_.defined()) cast_into(values_f16_, values_);
}

void AdamW::zero_grad() {
  grads_.zero_();
  for (size_t i = 0; i < params_.size(); ++i) params_[i].set_grad(grad_views_[i]);
}

Tensor AdamW::scale_loss(const Tensor& loss) const {
  if (!scaling_.enabled) return loss;
  return mul(loss, loss.dtype() == loss_scale_.dtype() ? loss_scale_ : loss_scale_.to(loss.dtype()));
}

// Host-side bookkeeping only (pointer comparisons): a module moved after the optimiser was
// built, or gradients set up by Module::zero_grad, would otherwise train nothing, silently.
void AdamW::check_bound() const {
  for (size_t i = 0; i < params_.size(); ++i) {
    SEGRUN_CHECK_ARG(params_[i].same_storage(values_), "AdamW: parameter '", names_[i],
                     "' is no longer in the optimiser's buffer (was the module moved or cast after building it?)");
    const Tensor g = params_[i].grad();
    SEGRUN_CHECK_ARG(g.defined() && g.same_storage(grads_), "AdamW: the gradient of '", names_[i],
                     "' is not in the optimiser's buffer: call the optimiser's zero_grad() before backward");
  }
}

void AdamW::step(double clip_norm) {
  check_bound();
  check_gradients(grads_, segment_ends_, clip_norm, state_);
  const AdamWHyper hyper{options_.lr, options_.beta1, options_.beta2, options_.eps, options_.weight_decay};
  adamw_update(values_, grads_, exp_avg_, exp_avg_sq_, state_, hyper, values_f16_.defined() ? &values_f16_ : nullptr);
  const LossScaleHyper scaling{scaling_.enabled, scaling_.growth_factor, scaling_.backoff_factor,
                               scaling_.growth_interval};
  update_loss_scale(state_, loss_scale_, scaling);
}

StepOutcome AdamW::last_step() const {
  return step_outcome(state_.to_double_vector());
}

StepOutcome step_outcome(const std::vector<double>& s) {
  SEGRUN_CHECK_ARG(s.size() >= kOptimSlots, "step_outcome: ", s.size(), " state values, ",
                   static_cast<int>(kOptimSlots), " expected");
  StepOutcome o;
  o.skipped = s[kOptimFoundInf] != 0.0;
  o.grad_norm = s[kOptimGradNorm];
  o.loss_scale = s[kOptimStepScale];
  o.next_scale = s[kOptimLossScale];
  o.steps_taken = static_cast<int64_t>(s[kOptimStepCount]);
  o.skipped_steps = static_cast<int64_t>(s[kOptimSkippedSteps]);
  return o;
}

double AdamW::gradient_norm() const {
  Tensor scratch = state_.clone();  // its loss scale unscales; the step's own state stays as it is
  check_gradients(grads_, segment_ends_, std::numeric_limits<double>::infinity(), scratch);
  return step_outcome(scratch.to_double_vector()).grad_norm;
}

double AdamW::loss_scale() const {
  return last_step().next_scale;
}

int64_t AdamW::step_count() const {
  return last_step().steps_taken;
}

int64_t AdamW::skipped_steps() const {
  return last_step().skipped_steps;
}

std::vector<FileTensor> AdamW::state_tensors(const std::string& optimizer_prefix,
                                             const std::string& scaler_prefix) const {
  const std::vector<double> s = state_.to_double_vector();
  std::vector<FileTensor> out;
  out.push_back({optimizer_prefix + "step", one_int(static_cast<int64_t>(s[kOptimStepCount])), true});
  for (size_t i = 0; i < names_.size(); ++i) {
    out.push_back({optimizer_prefix + "exp_avg." + names_[i], exp_avg_views_[i], false});
    out.push_back({optimizer_prefix + "exp_avg_sq." + names_[i], exp_avg_sq_views_[i], false});
  }
  out.push_back({scaler_prefix + "scale", Tensor::from_vector(std::vector<double>{s[kOptimLossScale]}, {1}), false});
  out.push_back({scaler_prefix + "growth_tracker", one_int(static_cast<int64_t>(s[kOptimGrowthTracker])), true});
  out.push_back({scaler_prefix + "skipped_steps", one_int(static_cast<int64_t>(s[kOptimSkippedSteps])), true});
  return out;
}

void AdamW::load_state(const TensorFile& file, const std::string& optimizer_prefix, const std::string& scaler_prefix,
                       const std::string& source) {
  auto get = [&](const std::string& key) -> const Tensor& {
    auto it = file.tensors.find(key);
    if (it == file.tensors.end()) throw std::runtime_error(cat_str("AdamW: ", source, ": missing tensor '", key, "'"));
    return it->second;
  };
  auto counter = [&](const std::string& key, DType dtype) {
    const Tensor& t = get(key);
    if (t.numel() != 1 || t.dtype() != dtype)
      throw std::runtime_error(
          cat_str("AdamW: ", source, ": tensor '", key, "' must be one ", dtype_name(dtype), " value, got ", t.str()));
    return t.at(0);
  };
  const double steps = counter(optimizer_prefix + "step", DType::I32);
  const double scale = counter(scaler_prefix + "scale", DType::F64);
  const double growth = counter(scaler_prefix + "growth_tracker", DType::I32);
  const double skipped = counter(scaler_prefix + "skipped_steps", DType::I32);
  if (steps < 0 || growth < 0 || skipped < 0 || !(scale > 0) || !std::isfinite(scale))
    throw std::runtime_error(cat_str("AdamW: ", source, ": optimiser counters must be >= 0 and the scale positive"));
  for (size_t i = 0; i < names_.size(); ++i) {
    for (const auto& [kind, view] : {std::pair<const char*, Tensor>{"exp_avg.", exp_avg_views_[i]},
                                     std::pair<const char*, Tensor>{"exp_avg_sq.", exp_avg_sq_views_[i]}}) {
      const std::string key = optimizer_prefix + kind + names_[i];
      const Tensor& t = get(key);
      if (t.shape() != view.shape())
        throw std::runtime_error(cat_str("AdamW: ", source, ": tensor '", key, "' has shape ", shape_str(t.shape()),
                                         ", expected ", shape_str(view.shape())));
      Tensor dst = view;
      dst.copy_from(t.contiguous_copy_on(view.device(), view.dtype()));
    }
  }
  // Without loss scaling the scale stays 1, whatever a file written with it says.
  const double next_scale = scaling_.enabled ? scale : 1.0;
  Tensor fresh = optim_state(next_scale, Device::cpu());
  double* slots = fresh.data<double>();
  slots[kOptimStepCount] = steps;
  slots[kOptimGrowthTracker] = growth;
  slots[kOptimSkippedSteps] = skipped;
  state_.copy_from(fresh);
  loss_scale_.copy_from(Tensor::from_vector(std::vector<float>{static_cast<float>(next_scale)}, {1}));
  refresh_half_copy();  // the checkpoint's weights were loaded into the model just before
}

StepLR::StepLR(double base_lr, int64_t step_size, double gamma)
    : base_lr_(base_lr), step_size_(step_size), gamma_(gamma) {
  SEGRUN_CHECK_ARG(step_size > 0, "StepLR: step size must be positive, got ", step_size);
}

double StepLR::lr_at(int64_t epoch) const {
  return base_lr_ * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

}  // namespace segrun::nn
