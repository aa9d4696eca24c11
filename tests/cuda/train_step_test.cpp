// The AMP training step on the GPU as training runs it: launched with no value read back and no
// device-to-host copy (the batch's two uploads are queued without waiting), its record taken
// afterwards and consistent with the optimiser's state.
#include "training/train_step.h"

#include <doctest/doctest.h>

#include <cmath>

#include "engine/host_traffic.h"
#include "engine/ops.h"
#include "models/factory.h"

using namespace segrun;
using namespace segrun::training;

TEST_CASE("the AMP training step on the GPU waits for nothing until its record is taken") {
  constexpr int kClasses = 19;
  Generator gen(5);
  data::Batch batch;
  batch.images = gen.uniform({4, 128, 256, 3}, -2.0, 2.0);
  batch.labels = Tensor::empty({4, 128, 256}, DType::U8);
  for (int64_t i = 0; i < batch.labels.numel(); ++i)
    batch.labels.data<uint8_t>()[i] = i % 17 == 0 ? 255 : static_cast<uint8_t>(gen.next_below(kClasses));
  batch.indices = {0, 1, 2, 3};
  for (const char* name : {"attention_unet", "deeplabv3plus"}) {
    INFO(name);
    Generator init(42);
    auto model = models::make_model(name, 3, kClasses, 64, init);
    model->train();
    model->to(Device::cuda());
    nn::LossScalerOptions scaling;
    scaling.enabled = true;
    scaling.init_scale = 1024.0;
    nn::AdamW optimizer(model->named_parameters(), nn::AdamWOptions{}, scaling);
    LossSetup loss;
    loss.weights = {1.0, 1.0, 1.0};
    StepContext ctx{*model, optimizer, loss, 1.0, Device::cuda(), true};
    train_step(ctx, batch, false);  // convolution plans and the memory pool warm up
    const HostTraffic before = host_traffic();
    LaunchedStep launched = launch_step(ctx, batch, false);
    const HostTraffic after = host_traffic();
    CHECK(after.value_reads == before.value_reads);
    CHECK(after.downloads == before.downloads);
    CHECK(after.uploads == before.uploads + 2);  // images and labels
    const StepRecord r = finish_step(launched);
    CHECK(std::isfinite(r.loss));
    CHECK(r.loss > 0);
    CHECK(r.terms.size() == 3);
    CHECK(r.dice_class_grad.size() == static_cast<size_t>(kClasses));
    const nn::StepOutcome outcome = optimizer.last_step();
    CHECK(r.grad_norm == outcome.grad_norm);
    CHECK(r.skipped == outcome.skipped);
    CHECK(r.loss_scale == outcome.loss_scale);
  }
}
