#pragma once
// Global-norm gradient clipping and dynamic loss scaling (torch GradScaler semantics),
// docs/REFERENCE.md sections 4.3 and 4.4.
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "nn/optim.h"
#include "nn/safetensors.h"

namespace segrun::nn {

// total = sqrt(sum of squares of every gradient); coef = min(1, max_norm / (total + 1e-6));
// every gradient *= coef. Returns total (before clipping). Parameters without gradient are skipped.
double clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm);

struct LossScalerOptions {
  double init_scale = 65536.0;
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
  bool enabled = true;  // disabled: scale fixed at 1 (FP32); unscale still reports inf/NaN
};

// Usage per step: backward(scaler.scale_loss(loss)); found_inf = scaler.unscale(params);
// clip if !found_inf; scaler.step(optimizer, found_inf); scaler.update(found_inf).
class LossScaler {
 public:
  explicit LossScaler(const LossScalerOptions& options = {});

  double scale() const { return options_.enabled ? scale_ : 1.0; }
  Tensor scale_loss(const Tensor& loss) const;
  // Multiplies every gradient by 1/scale; true when any gradient held an inf or NaN.
  bool unscale(const std::vector<Tensor>& parameters) const;
  // Runs optimizer.step() unless found_inf (then the step and its t are skipped). Returns whether it stepped.
  bool step(AdamW& optimizer, bool found_inf);
  // Overflow: scale *= backoff, tracker reset; else after growth_interval clean steps scale *= growth.
  void update(bool found_inf);

  int64_t growth_tracker() const { return growth_tracker_; }
  int64_t skipped_steps() const { return skipped_steps_; }

  // Checkpoint state: `<prefix>scale` (F64), `<prefix>growth_tracker`, `<prefix>skipped_steps` (I64).
  std::vector<FileTensor> state_tensors(const std::string& prefix) const;
  void load_state(const TensorFile& file, const std::string& prefix, const std::string& source);

 private:
  LossScalerOptions options_;
  double scale_;
  int64_t growth_tracker_ = 0;
  int64_t skipped_steps_ = 0;
};

}  // namespace segrun::nn
