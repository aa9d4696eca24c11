#pragma once
// One optimiser step of the paper's protocol: forward, combined loss (FP32), backward on the
// scaled loss, then the optimiser step on the device (nn/optim.h): unscale, clip at global norm,
// AdamW (skipped on inf/NaN), scaler update.
#include <vector>

#include "data/loader.h"
#include "nn/module.h"
#include "nn/optim.h"
#include "training/run_records.h"
#include "training/validation.h"

namespace segrun::training {

struct StepContext {
  nn::SegmentationModel& model;
  nn::AdamW& optimizer;  // loss scaling included
  std::vector<Tensor> parameters;
  LossSetup loss;
  double clip_norm = 1.0;
  Device device;
  bool amp = false;  // FP16 convolutions on CUDA (nn::AutocastGuard)
};

// Fills every StepRecord field except epoch and step. With `probe`, first measures each active
// term's parameter-gradient norm (one extra forward/backward per term, BN statistics restored).
StepRecord train_step(StepContext& ctx, const data::Batch& batch, bool probe);

// Each active weighted term's parameter-gradient norm on this batch.
TermValues probe_parameter_gradients(StepContext& ctx, const Tensor& images, const Tensor& labels);

}  // namespace segrun::training
