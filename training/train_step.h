#pragma once
// One optimiser step of the paper's protocol: forward, combined loss (FP32), backward on the
// scaled loss, then the optimiser step on the device (nn/optim.h): unscale, clip at global norm,
// AdamW (skipped on inf/NaN), scaler update.
#include <vector>

#include "data/loader.h"
#include "engine/readback.h"
#include "nn/module.h"
#include "nn/optim.h"
#include "training/run_records.h"
#include "training/validation.h"

namespace segrun::training {

struct StepContext {
  nn::SegmentationModel& model;
  nn::AdamW& optimizer;  // loss scaling included
  LossSetup loss;
  double clip_norm = 1.0;
  Device device;
  bool amp = false;  // mixed precision on CUDA: f16 activations and convolutions (nn::AutocastGuard)
  // Wait for the device at each phase boundary, so the phase times are the device's: for
  // `bench train`'s breakdown only (it stalls the pipeline; such steps always run eagerly).
  bool phase_sync = false;
};

// A step whose work is launched but whose record is still on its way from the device: the
// loss values and gradient statistics with the optimiser's state, in one readback.
struct LaunchedStep {
  StepRecord record;  // lr, phases and the probe's norms so far
  Readback values;    // the optimiser's state (kOptimSlots values), then the loss sums
  losses::LossWeights weights;
};

// Forward, loss, backward and the optimiser step, launched without reading anything back to the
// host or waiting for the device (the batch upload aside). With `probe`, first measures each
// active term's parameter-gradient norm (one extra forward/backward per term, BN statistics
// restored; that part reads back).
LaunchedStep launch_step(StepContext& ctx, const data::Batch& batch, bool probe);

// Takes the step's values (waiting for them if needed) and fills every StepRecord field except
// epoch and step. The training loop calls it after launching the next step.
StepRecord finish_step(LaunchedStep& step);

// The device work of one step on inputs already on the device: zero_grad, forward, loss,
// backward, optimiser step, and the record's values (optimiser state, then loss sums) copied
// into `values` (allocated when undefined). Host times into phases (forward, backward,
// optimizer). Transfers nothing between host and device, so it can be recorded as a graph.
void queue_step(StepContext& ctx, const Tensor& images, const Tensor& labels, Tensor& values, PhaseTimes& phases);

// launch_step then finish_step.
StepRecord train_step(StepContext& ctx, const data::Batch& batch, bool probe);

// Each active weighted term's parameter-gradient norm on this batch.
TermValues probe_parameter_gradients(StepContext& ctx, const Tensor& images, const Tensor& labels);

}  // namespace segrun::training
