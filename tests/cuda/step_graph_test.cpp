// The training step replayed from a CUDA graph computes what the eager step computes: two
// identical models train on the same batches, one eagerly and one through the recording and its
// replays, and their records agree step by step.
#include "training/step_graph.h"

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/cuda/amp_training.h"

using namespace segrun;
using namespace segrun::training;

namespace {

constexpr int kClasses = 11;

struct Trained {
  std::vector<StepRecord> records;
  std::vector<std::string> modes;
  std::string off_reason;
  std::vector<int64_t> batches_tracked;  // every BatchNorm's num_batches_tracked after the steps
};

void collect_batches_tracked(const nn::Module& model, std::vector<int64_t>& out) {
  for (const nn::StateEntry& e : model.state_entries())
    if (e.name.size() > 19 && e.name.compare(e.name.size() - 19, 19, "num_batches_tracked") == 0)
      out.push_back(e.tensor->data<int32_t>()[0]);
}

Trained train_four_steps(const char* model_name, bool use_graph, const std::vector<data::Batch>& batches) {
  testing::AmpTraining amp(model_name, kClasses, 16);
  StepRunner runner(*amp.ctx, use_graph);
  Trained out;
  for (const data::Batch& batch : batches) {
    LaunchedStep launched = runner.launch(batch, false);
    out.modes.push_back(runner.last_mode());
    out.records.push_back(finish_step(launched));
  }
  out.off_reason = runner.graph_off_reason();
  collect_batches_tracked(*amp.model, out.batches_tracked);
  return out;
}

bool close(double a, double b, double rel) {
  if (a == b) return true;  // infinities included (a step both runs skipped)
  return std::fabs(a - b) <= rel * std::max(std::fabs(a), std::fabs(b)) + 1e-12;
}

// Batch k labels every pixel with class k (some ignored): random images and labels give
// losses within 1e-3 of each other at initialisation, no more than the tolerance below, while
// one class per batch makes each loss that class's, so a replay that read a stale batch shows.
// (Scaling the images would not: the first convolution has no bias and batch norm follows.)
data::Batch distinct_batch(uint64_t k) {
  data::Batch batch = testing::random_batch(k, 2, 64, 128, kClasses);
  uint8_t* labels = batch.labels.data<uint8_t>();
  for (int64_t i = 0; i < batch.labels.numel(); ++i)
    if (labels[i] != 255) labels[i] = static_cast<uint8_t>(k % kClasses);
  return batch;
}

}  // namespace

TEST_CASE("graph-replayed training steps match eager steps") {
  // Different batches at every step, so a replay that read stale inputs would show.
  std::vector<data::Batch> batches;
  for (uint64_t k = 1; k <= 4; ++k) batches.push_back(distinct_batch(k));
  for (const char* name : {"attention_unet", "deeplabv3plus"}) {
    INFO(name);
    const Trained eager = train_four_steps(name, false, batches);
    const Trained graph = train_four_steps(name, true, batches);
    CHECK(eager.modes == std::vector<std::string>{"eager", "eager", "eager", "eager"});
    CHECK(graph.modes == std::vector<std::string>{"eager", "recorded", "graph", "graph"});
    CHECK(graph.off_reason.empty());
    for (size_t step = 0; step < batches.size(); ++step) {
      INFO("step " << step);
      const StepRecord &e = eager.records[step], &g = graph.records[step];
      // The same kernels in the same order; only cuDNN's choice of reduction order may differ.
      CHECK(close(e.loss, g.loss, 1e-3));
      CHECK(close(e.grad_norm, g.grad_norm, 1e-2));
      CHECK(e.skipped == g.skipped);
      CHECK(e.loss_scale == g.loss_scale);
      REQUIRE(e.terms.size() == g.terms.size());
      for (const auto& [term, value] : e.terms) {
        INFO(term);
        REQUIRE(g.terms.count(term) == 1);
        CHECK(close(value, g.terms.at(term), 1e-3));
      }
    }
    // A replay runs no host code; the runner still counts its BatchNorm batches.
    REQUIRE(!graph.batches_tracked.empty());
    CHECK(graph.batches_tracked == eager.batches_tracked);
    CHECK(graph.batches_tracked.front() == static_cast<int64_t>(batches.size()));
    // The replays saw new batches: their losses are not the previous step's.
    CHECK_FALSE(close(graph.records[2].loss, graph.records[1].loss, 2e-3));
    CHECK_FALSE(close(graph.records[3].loss, graph.records[2].loss, 2e-3));
  }
}
