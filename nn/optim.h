#pragma once
// The training optimiser: AdamW (docs/REFERENCE.md section 4.1) with global-norm gradient
// clipping (4.3) and dynamic loss scaling (4.4), composed as torch.optim.AdamW,
// clip_grad_norm_ and torch's GradScaler compose them, and StepLR (4.2).
//
// Every parameter is a view of one flat buffer and every gradient a view of another, so the
// step is the fused ops of engine/ops/optim.h over contiguous memory: a gradient check with
// the norm, one AdamW pass with unscaling and clipping folded in, and the loss-scale update.
// What they decide (found inf, norm, clip coefficient, scale, step count) stays in a state
// tensor on the parameters' device; nothing in step() reads a value back to the host.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/kernel_types.h"
#include "engine/tensor.h"
#include "nn/safetensors.h"

namespace segrun::nn {

struct AdamWOptions {
  double lr = 1e-4;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-4;
};

struct LossScalerOptions {
  bool enabled = false;  // off: the scale stays 1 (FP32 training); inf/NaN still skip the step
  double init_scale = 65536.0;
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
};

// What a step decided, read back from the device state.
struct StepOutcome {
  bool skipped = false;     // an inf or NaN gradient: parameters and moments unchanged
  double grad_norm = 0;     // of the unscaled gradients, before clipping; inf when skipped
  double loss_scale = 1;    // the scale the step's gradients carried
  double next_scale = 1;    // the scale of the next step
  int64_t steps_taken = 0;  // AdamW's t after the step
  int64_t skipped_steps = 0;
};

// The outcome decoded from the optimiser's state read back (kOptimSlots values).
StepOutcome step_outcome(const std::vector<double>& state);

class AdamW {
 public:
  // Moves every parameter (all of one floating dtype, f32 on CUDA, on one device) into the flat
  // buffer, values kept. Build it after Module::to, and do not move or cast the module after.
  // With loss scaling (AMP) on the GPU it also keeps an f16 copy of the weights, which the
  // AdamW kernel rewrites at every step; autocast convolutions read it instead of casting
  // (nn/autocast.h). Weights written behind the optimiser's back reach the copy through
  // load_state() (a checkpoint's model and optimiser are loaded together) or
  // refresh_half_copy().
  AdamW(std::vector<std::pair<std::string, Tensor>> named_parameters, const AdamWOptions& options = {},
        const LossScalerOptions& scaling = {});
  ~AdamW();
  AdamW(const AdamW&) = delete;
  AdamW& operator=(const AdamW&) = delete;

  // Zeroes the gradient buffer and makes each parameter's gradient its view, so backward
  // accumulates there. Every parameter takes part in every step: one that received no
  // gradient has a zero gradient (its weight still decays); both models use every parameter.
  void zero_grad();
  // Recasts the f16 copy (if any) from the weights, after they were written directly.
  void refresh_half_copy();
  // loss times the current loss scale, multiplied on the device; the loss itself without scaling.
  Tensor scale_loss(const Tensor& loss) const;
  // Gradient check and norm, clipping at clip_norm, AdamW (skipped on inf/NaN), loss-scale
  // update. Reads no value back to the host.
  void step(double clip_norm);
  // The last step's outcome (reads the state back: call it outside the step).
  StepOutcome last_step() const;
  // The L2 norm of the gradients now in the buffer as the step would see them (unscaled by the
  // current loss scale, 1 without scaling), summed as the step sums them and read back: for
  // diagnostics outside the step, whose backward scaled its loss (inf if any is not finite).
  double gradient_norm() const;

  const Tensor& state() const { return state_; }  // f64[kOptimSlots], engine/kernel_types.h
  double lr() const { return options_.lr; }
  void set_lr(double lr) { options_.lr = lr; }
  const AdamWOptions& options() const { return options_; }
  double loss_scale() const;      // the scale the next loss is multiplied by (reads the state)
  int64_t step_count() const;     // AdamW's t (reads the state)
  int64_t skipped_steps() const;  // (reads the state)

  // Checkpoint state, in the files of earlier versions: `<optimizer>step` (I32),
  // `<optimizer>exp_avg.<param>`, `<optimizer>exp_avg_sq.<param>`, `<scaler>scale` (F64),
  // `<scaler>growth_tracker` and `<scaler>skipped_steps` (I32).
  std::vector<FileTensor> state_tensors(const std::string& optimizer_prefix, const std::string& scaler_prefix) const;
  void load_state(const TensorFile& file, const std::string& optimizer_prefix, const std::string& scaler_prefix,
                  const std::string& source);

 private:
  void check_bound() const;

  std::vector<std::string> names_;
  std::vector<Tensor> params_;  // the parameters' own handles, views of values_
  std::vector<Tensor> grad_views_, exp_avg_views_, exp_avg_sq_views_;
  std::vector<int64_t> segment_ends_;
  Tensor values_, grads_, exp_avg_, exp_avg_sq_;
  Tensor values_f16_;  // the f16 copy of values_ (AMP on the GPU only)
  Tensor state_;       // f64[kOptimSlots] on the parameters' device
  Tensor loss_scale_;  // f32[1], the next loss's multiplier, kept by update_loss_scale
  AdamWOptions options_;
  LossScalerOptions scaling_;
};

// lr(epoch) = lr0 * gamma^floor(epoch / step_size).
class StepLR {
 public:
  StepLR(double base_lr, int64_t step_size, double gamma);
  double lr_at(int64_t epoch) const;

 private:
  double base_lr_;
  int64_t step_size_;
  double gamma_;
};

}  // namespace segrun::nn
