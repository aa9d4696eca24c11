#pragma once
// AdamW and StepLR with PyTorch semantics (docs/REFERENCE.md sections 4.1, 4.2).
#include <string>
#include <utility>
#include <vector>

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

// Holds handles to the parameters (build it after Module::to). Moments live on the host in the
// parameters' dtype; parameters on another device are updated through a host copy.
class AdamW {
 public:
  AdamW(std::vector<std::pair<std::string, Tensor>> named_parameters, const AdamWOptions& options = {});

  // One step t -> t+1 over every parameter that has a gradient (others are left unchanged).
  void step();

  double lr() const { return options_.lr; }
  void set_lr(double lr) { options_.lr = lr; }
  const AdamWOptions& options() const { return options_; }
  int64_t step_count() const { return step_; }

  // Checkpoint state: `<prefix>step` (I64), `<prefix>exp_avg.<param>`, `<prefix>exp_avg_sq.<param>`.
  std::vector<FileTensor> state_tensors(const std::string& prefix) const;
  void load_state(const TensorFile& file, const std::string& prefix, const std::string& source);

 private:
  std::vector<std::pair<std::string, Tensor>> params_;
  std::vector<Tensor> exp_avg_, exp_avg_sq_;
  AdamWOptions options_;
  int64_t step_ = 0;
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
