// The training step launched without host reads, and its record taken afterwards.
#include "training/train_step.h"

#include <doctest/doctest.h>

#include <cmath>
#include <memory>

#include "engine/host_traffic.h"
#include "engine/ops.h"
#include "models/factory.h"

using namespace segrun;
using namespace segrun::training;

namespace {
constexpr int kClasses = 5;

data::Batch random_batch() {
  Generator gen(3);
  data::Batch b;
  b.images = gen.uniform({2, 32, 48, 3}, -2.0, 2.0);
  b.labels = Tensor::empty({2, 32, 48}, DType::U8);
  for (int64_t i = 0; i < b.labels.numel(); ++i)
    b.labels.data<uint8_t>()[i] = i % 11 == 0 ? 255 : static_cast<uint8_t>(gen.next_below(kClasses));
  b.indices = {0, 1};
  return b;
}

struct Trainee {
  std::unique_ptr<nn::SegmentationModel> model;
  std::unique_ptr<nn::AdamW> optimizer;
  std::unique_ptr<StepContext> ctx;
};

Trainee make_trainee(const char* name) {
  Trainee t;
  Generator gen(42);
  t.model = models::make_model(name, 3, kClasses, 4, gen);
  t.model->train();
  t.optimizer =
      std::make_unique<nn::AdamW>(t.model->named_parameters(), nn::AdamWOptions{1e-3, 0.9, 0.999, 1e-8, 1e-2});
  LossSetup loss;
  loss.weights = {1.0, 1.0, 0.5};
  t.ctx = std::make_unique<StepContext>(StepContext{*t.model, *t.optimizer, loss, 1.0, Device::cpu(), false});
  return t;
}
}  // namespace

TEST_CASE("a launched training step reads nothing back and copies nothing between host and device") {
  const data::Batch batch = random_batch();
  for (const char* name : {"attention_unet", "deeplabv3plus"}) {
    INFO(name);
    Trainee t = make_trainee(name);
    const HostTraffic before = host_traffic();
    LaunchedStep launched = launch_step(*t.ctx, batch, false);
    const HostTraffic after = host_traffic();
    CHECK(after.value_reads == before.value_reads);
    CHECK(after.downloads == before.downloads);
    CHECK(after.uploads == before.uploads);
    const StepRecord r = finish_step(launched);
    CHECK(host_traffic().value_reads == after.value_reads + 1);  // the record, in one read

    // The record holds what the step computed: the loss of the same model on the same batch,
    // and the optimiser's outcome.
    Trainee reference = make_trainee(name);
    losses::LossOptions options;
    options.grad_stats = true;
    const losses::LossValues expected =
        losses::combined_loss(reference.model->forward(batch.images), batch.labels, {1.0, 1.0, 0.5}, options).read();
    CHECK(r.loss == expected.total);
    CHECK(r.terms.at("ce") == expected.ce);
    CHECK(r.terms.at("dice") == expected.dice);
    CHECK(r.terms.at("focal") == expected.focal);
    CHECK(r.logit_grad_norm.at("dice") == expected.grad_stats.dice_norm);
    CHECK(r.dice_class_grad == expected.grad_stats.dice_class_grad);
    REQUIRE(r.ce_dice_cosine.has_value());
    CHECK(*r.ce_dice_cosine == expected.grad_stats.cos_ce_dice);
    const nn::StepOutcome outcome = t.optimizer->last_step();
    CHECK(r.grad_norm == outcome.grad_norm);
    CHECK(std::isfinite(r.grad_norm));
    CHECK(r.grad_norm > 0);
    CHECK_FALSE(r.skipped);
    CHECK(r.loss_scale == 1.0);
    CHECK(r.lr == 1e-3);
  }
}

TEST_CASE("a step's record can be taken after the next step has been launched") {
  const data::Batch batch = random_batch();
  Trainee deferred = make_trainee("attention_unet"), immediate = make_trainee("attention_unet");
  LaunchedStep first = launch_step(*deferred.ctx, batch, false);
  LaunchedStep second = launch_step(*deferred.ctx, batch, false);  // overwrites the optimiser's state
  const StepRecord r1 = finish_step(first), r2 = finish_step(second);
  const StepRecord e1 = train_step(*immediate.ctx, batch, false), e2 = train_step(*immediate.ctx, batch, false);
  CHECK(r1.loss == e1.loss);
  CHECK(r1.grad_norm == e1.grad_norm);
  CHECK(r2.loss == e2.loss);
  CHECK(r2.grad_norm == e2.grad_norm);
  CHECK(r1.grad_norm != r2.grad_norm);
}
