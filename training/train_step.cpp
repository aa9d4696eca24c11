#include "training/train_step.h"

#include <cmath>
#include <limits>

#include "engine/autograd.h"
#include "engine/backend_info.h"
#include "engine/error.h"
#include "nn/autocast.h"

namespace segrun::training {

namespace {

TermValues active_terms(const losses::LossValues& t, const losses::LossWeights& w) {
  TermValues v;
  if (w.ce > 0) v["ce"] = t.ce;
  if (w.dice > 0) v["dice"] = t.dice;
  if (w.focal > 0) v["focal"] = t.focal;
  return v;
}

TermValues logit_gradient_norms(const losses::LossGradStats& s, const losses::LossWeights& w) {
  TermValues v;
  if (w.ce > 0) v["ce"] = s.ce_norm;
  if (w.dice > 0) v["dice"] = s.dice_norm;
  if (w.focal > 0) v["focal"] = s.focal_norm;
  return v;
}

// Buffers (BN running statistics, batch counters) a probe forward must not change.
std::vector<Tensor> snapshot_buffers(const nn::Module& model) {
  std::vector<Tensor> saved;
  for (const nn::StateEntry& e : model.state_entries()) {
    if (e.is_buffer) saved.push_back(e.tensor->clone());
  }
  return saved;
}

void restore_buffers(nn::Module& model, const std::vector<Tensor>& saved) {
  size_t i = 0;
  for (const nn::StateEntry& e : model.state_entries()) {
    if (e.is_buffer) e.tensor->copy_from(saved[i++]);
  }
}

Tensor forward_logits(StepContext& ctx, const Tensor& images) {
  const nn::AutocastGuard autocast(ctx.amp);
  return ctx.model.forward(images);
}

}  // namespace

TermValues probe_parameter_gradients(StepContext& ctx, const Tensor& images, const Tensor& labels) {
  const std::vector<Tensor> buffers = snapshot_buffers(ctx.model);
  const losses::LossWeights& w = ctx.loss.weights;
  const std::vector<std::pair<std::string, losses::LossWeights>> terms = {
      {"ce", {w.ce, 0, 0}}, {"dice", {0, w.dice, 0}}, {"focal", {0, 0, w.focal}}};
  losses::LossOptions options = ctx.loss.options;
  options.grad_stats = false;
  TermValues norms;
  for (const auto& [name, single] : terms) {
    if (single.ce + single.dice + single.focal <= 0) continue;
    ctx.optimizer.zero_grad();
    const Tensor logits = forward_logits(ctx, images);
    // Scaled as the step's loss is: under AMP the f16 gradients of an unscaled loss underflow.
    backward(ctx.optimizer.scale_loss(losses::combined_loss(logits, labels, single, options).total));
    norms[name] = ctx.optimizer.gradient_norm();
  }
  restore_buffers(ctx.model, buffers);
  return norms;
}

void queue_step(StepContext& ctx, const Tensor& images, const Tensor& labels, Tensor& values, PhaseTimes& phases) {
  const auto phase_end = [&ctx] {
    if (ctx.phase_sync) synchronize_device(ctx.device);
  };
  phase_end();
  ctx.optimizer.zero_grad();
  PhaseClock clock;
  const Tensor logits = forward_logits(ctx, images);
  losses::LossOptions options = ctx.loss.options;
  options.grad_stats = true;
  const losses::LossTerms terms = losses::combined_loss(logits, labels, ctx.loss.weights, options);
  phase_end();
  phases.forward = clock.lap();
  backward(ctx.optimizer.scale_loss(terms.total));
  phase_end();
  phases.backward = clock.lap();
  ctx.optimizer.step(ctx.clip_norm);
  // One buffer for the record: device-to-device copies, then one readback.
  const Tensor& state = ctx.optimizer.state();
  const int64_t count = state.numel() + terms.sums.numel();
  if (!values.defined()) values = Tensor::empty({count}, DType::F64, ctx.device);
  SEGRUN_CHECK_ARG(values.numel() == count, "train step: the record buffer holds ", values.numel(), " values, ", count,
                   " expected");
  values.slice(0, state.numel()).copy_from(state);
  values.slice(state.numel(), count).copy_from(terms.sums);
  phase_end();
  phases.optimizer = clock.lap();
}

LaunchedStep launch_step(StepContext& ctx, const data::Batch& batch, bool probe) {
  const Tensor images = batch.images.to(ctx.device);
  const Tensor labels = batch.labels.to(ctx.device);
  LaunchedStep launched;
  StepRecord& r = launched.record;
  if (probe) r.param_grad_norm = probe_parameter_gradients(ctx, images, labels);
  r.lr = ctx.optimizer.lr();
  Tensor values;
  queue_step(ctx, images, labels, values, r.phases);
  launched.values.start(values);
  launched.weights = ctx.loss.weights;
  return launched;
}

StepRecord finish_step(LaunchedStep& step) {
  const std::vector<double> values = step.values.take();
  const std::vector<double> state(values.begin(), values.begin() + kOptimSlots);
  const std::vector<double> sums(values.begin() + kOptimSlots, values.end());
  const losses::LossValues loss = losses::loss_values(sums, step.weights, true);
  const nn::StepOutcome outcome = nn::step_outcome(state);
  StepRecord r = step.record;
  r.loss = loss.total;
  r.terms = active_terms(loss, step.weights);
  r.logit_grad_norm = logit_gradient_norms(loss.grad_stats, step.weights);
  if (step.weights.ce > 0 && step.weights.dice > 0) r.ce_dice_cosine = loss.grad_stats.cos_ce_dice;
  r.dice_class_grad = loss.grad_stats.dice_class_grad;
  r.loss_scale = outcome.loss_scale;
  r.grad_norm = outcome.grad_norm;
  r.skipped = outcome.skipped;
  return r;
}

StepRecord train_step(StepContext& ctx, const data::Batch& batch, bool probe) {
  LaunchedStep launched = launch_step(ctx, batch, probe);
  return finish_step(launched);
}

}  // namespace segrun::training
