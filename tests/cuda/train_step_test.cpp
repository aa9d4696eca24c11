// The AMP training step on the GPU as training runs it: launched with no value read back and no
// device-to-host copy (the batch's two uploads are queued without waiting), its record taken
// afterwards and consistent with the optimiser's state.
#include "training/train_step.h"

#include <doctest/doctest.h>

#include <cmath>

#include "engine/host_traffic.h"
#include "tests/cuda/amp_training.h"

using namespace segrun;
using namespace segrun::training;

TEST_CASE("the AMP training step on the GPU waits for nothing until its record is taken") {
  constexpr int kClasses = 19;
  const data::Batch batch = testing::random_batch(5, 4, 128, 256, kClasses);
  for (const char* name : {"attention_unet", "deeplabv3plus"}) {
    INFO(name);
    testing::AmpTraining amp(name, kClasses, 64);
    StepContext& ctx = *amp.ctx;
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
    const nn::StepOutcome outcome = amp.optimizer->last_step();
    CHECK(r.grad_norm == outcome.grad_norm);
    CHECK(r.skipped == outcome.skipped);
    CHECK(r.loss_scale == outcome.loss_scale);
  }
}
