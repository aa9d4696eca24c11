#include "training/step_graph.h"

#include <cstdio>
#include <utility>

namespace segrun::training {

namespace {
// The model's integer counters, which stay on the host (nn::Module::to).
std::vector<Tensor> host_counters(const nn::Module& model) {
  std::vector<Tensor> counters;
  for (const nn::StateEntry& e : model.state_entries())
    if (e.is_buffer && e.tensor->dtype() == DType::I32 && e.tensor->device().is_cpu()) counters.push_back(*e.tensor);
  return counters;
}

std::vector<int32_t> counter_values(const std::vector<Tensor>& counters) {
  std::vector<int32_t> values;
  for (const Tensor& t : counters) values.push_back(t.data<int32_t>()[0]);
  return values;
}

void set_counters(const std::vector<Tensor>& counters, const std::vector<int32_t>& values) {
  for (size_t i = 0; i < counters.size(); ++i) counters[i].data<int32_t>()[0] = values[i];
}
}  // namespace

StepRunner::StepRunner(StepContext& ctx, bool use_graph)
    : ctx_(ctx), use_graph_(use_graph && RecordedWork::supported(ctx.device)) {}

LaunchedStep StepRunner::launch(const data::Batch& batch, bool probe) {
  const Key key{batch.images.shape(), batch.labels.shape(), ctx_.optimizer.lr()};
  if (!use_graph_ || probe || ctx_.phase_sync) {
    last_mode_ = "eager";
    return launch_step(ctx_, batch, probe);
  }
  if (auto it = recordings_.find(key); it != recordings_.end()) {
    last_mode_ = "graph";
    return replay(it->second, batch);
  }
  const auto warm = warm_values_.find(key);
  if (warm == warm_values_.end()) {
    // The warm-up: plans searched, workspace sized, and the record's size learnt.
    last_mode_ = "eager";
    LaunchedStep launched = launch_step(ctx_, batch, false);
    warm_values_[key] = launched.values.size();
    return launched;
  }
  // A graph bakes in the learning rate: recordings for an older one are dropped.
  for (auto it = recordings_.begin(); it != recordings_.end();) {
    it = std::get<2>(it->first) != ctx_.optimizer.lr() ? recordings_.erase(it) : std::next(it);
  }
  Recording recording;
  recording.images = Tensor::empty(batch.images.shape(), batch.images.dtype(), ctx_.device);
  recording.labels = Tensor::empty(batch.labels.shape(), batch.labels.dtype(), ctx_.device);
  recording.values = Tensor::empty({warm->second}, DType::F64, ctx_.device);
  // The recording runs the step's host code once without running the step: the counters it
  // advances are put back, and every replay (the first included) advances them by as much.
  const std::vector<Tensor> counters = host_counters(ctx_.model);
  const std::vector<int32_t> before = counter_values(counters);
  try {
    PhaseTimes ignored;
    recording.work = std::make_unique<RecordedWork>(
        ctx_.device, [&] { queue_step(ctx_, recording.images, recording.labels, recording.values, ignored); });
  } catch (const RecordError& e) {
    set_counters(counters, before);
    if (!e.recoverable) throw;
    use_graph_ = false;
    off_reason_ = e.what();
    recordings_.clear();  // their device memory goes back for the eager steps
    std::fprintf(stderr, "segrun: %s; training goes on without CUDA graphs\n", e.what());
    last_mode_ = "eager";
    return launch_step(ctx_, batch, false);
  } catch (...) {
    set_counters(counters, before);
    throw;
  }
  const std::vector<int32_t> after = counter_values(counters);
  for (size_t i = 0; i < counters.size(); ++i)
    if (after[i] != before[i]) recording.counters.push_back({counters[i], after[i] - before[i]});
  set_counters(counters, before);
  Recording& stored = recordings_[key] = std::move(recording);
  LaunchedStep launched = replay(stored, batch);
  last_mode_ = "recorded";
  return launched;
}

LaunchedStep StepRunner::replay(Recording& recording, const data::Batch& batch) {
  LaunchedStep launched;
  StepRecord& r = launched.record;
  r.lr = ctx_.optimizer.lr();
  PhaseClock clock;
  // Queued behind the previous replay, whose reads of these buffers come first.
  recording.images.copy_from(batch.images);
  recording.labels.copy_from(batch.labels);
  recording.work->launch();
  for (CounterStep& c : recording.counters) c.counter.data<int32_t>()[0] += c.per_step;
  // One launch for the whole step: its host time is counted as the forward phase.
  r.phases.forward = clock.lap();
  launched.values.start(recording.values);
  launched.weights = ctx_.loss.weights;
  return launched;
}

}  // namespace segrun::training
