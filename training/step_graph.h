#pragma once
// The training step launched eagerly or replayed from a CUDA graph. The first step of each
// shape runs eagerly (it also searches the convolution plans and sizes the workspace); the
// second is recorded once (engine/recorded_work.h) into a graph that reads the batch from
// fixed device buffers and writes the record into a fixed buffer, and every later step of
// that shape copies its batch in and replays the graph. A new learning rate (a kernel argument)
// means a new recording. Probe steps, CPU training and `--cuda-graph off` run eagerly; so does
// the rest of a run whose step cannot be recorded (one line on stderr says why).
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "engine/recorded_work.h"
#include "training/train_step.h"

namespace segrun::training {

class StepRunner {
 public:
  // use_graph: record and replay where possible (CUDA only).
  StepRunner(StepContext& ctx, bool use_graph);

  LaunchedStep launch(const data::Batch& batch, bool probe);

  // How the last step ran: "eager", "recorded" (the step that made the graph) or "graph".
  const std::string& last_mode() const { return last_mode_; }
  // Why recording was given up for this run (empty while it is on or was never asked for).
  const std::string& graph_off_reason() const { return off_reason_; }

 private:
  // A host-side counter of the model (BatchNorm's num_batches_tracked) and what one step adds
  // to it: a replay runs no host code, so the runner adds it.
  struct CounterStep {
    Tensor counter;
    int32_t per_step = 0;
  };
  // Everything a graph reads or writes that must stay put between replays.
  struct Recording {
    Tensor images, labels, values;
    std::unique_ptr<RecordedWork> work;
    std::vector<CounterStep> counters;
  };
  using Key = std::tuple<Shape, Shape, double>;  // image shape, label shape, lr

  LaunchedStep replay(Recording& recording, const data::Batch& batch);

  StepContext& ctx_;
  bool use_graph_;
  std::map<Key, int64_t> warm_values_;  // shapes seen eagerly: their record's size
  std::map<Key, Recording> recordings_;
  std::string last_mode_ = "eager";
  std::string off_reason_;
};

}  // namespace segrun::training
