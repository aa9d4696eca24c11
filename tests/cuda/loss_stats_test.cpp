// The gradient statistics of the combined loss on the GPU (one gradient pass, kept for the
// backward) agree with the CPU's, and so does the gradient the backward hands on.
#include <doctest/doctest.h>

#include <cmath>

#include "engine/ops.h"
#include "losses/losses.h"
#include "tests/support/gradcheck.h"

using namespace segrun;

TEST_CASE("combined loss with gradient statistics on the GPU matches the CPU, values and gradient") {
  Generator gen(9);
  const Tensor logits = gen.uniform({2, 16, 24, 11}, -3.0, 3.0);
  Tensor target = Tensor::empty({2, 16, 24}, DType::U8);
  for (int64_t i = 0; i < target.numel(); ++i)
    target.data<uint8_t>()[i] = i % 13 == 0 ? 255 : static_cast<uint8_t>(gen.next_below(9));
  losses::LossOptions options;
  options.grad_stats = true;
  const auto run = [&](Device device, Tensor* grad) {
    Tensor z = logits.to(device).detach().set_requires_grad(true);
    const losses::LossTerms t = losses::combined_loss(z, target.to(device), {0.5, 1.0, 0.5}, options);
    CHECK(t.sums.device() == device);  // packed on the device, read back only below
    backward(scale(t.total, 3.0));
    *grad = z.grad().to(Device::cpu());
    return t.read();
  };
  Tensor g_cpu, g_gpu;
  const losses::LossValues cpu = run(Device::cpu(), &g_cpu);
  const losses::LossValues gpu = run(Device::cuda(), &g_gpu);
  CHECK(gpu.total == doctest::Approx(cpu.total).epsilon(1e-5).scale(0));
  CHECK(gpu.ce == doctest::Approx(cpu.ce).epsilon(1e-5).scale(0));
  CHECK(gpu.dice == doctest::Approx(cpu.dice).epsilon(1e-5).scale(0));
  CHECK(gpu.focal == doctest::Approx(cpu.focal).epsilon(1e-5).scale(0));
  CHECK(gpu.valid_pixels == cpu.valid_pixels);
  // f32 sums over 768 pixels in a different order: agreement to 1e-4 relative (scale(0):
  // doctest's default scale of 1 would make it absolute for small values).
  CHECK(gpu.grad_stats.ce_norm == doctest::Approx(cpu.grad_stats.ce_norm).epsilon(1e-4).scale(0));
  CHECK(gpu.grad_stats.dice_norm == doctest::Approx(cpu.grad_stats.dice_norm).epsilon(1e-4).scale(0));
  CHECK(gpu.grad_stats.focal_norm == doctest::Approx(cpu.grad_stats.focal_norm).epsilon(1e-4).scale(0));
  CHECK(gpu.grad_stats.cos_ce_dice == doctest::Approx(cpu.grad_stats.cos_ce_dice).epsilon(1e-4).scale(0));
  REQUIRE(gpu.grad_stats.dice_class_grad.size() == cpu.grad_stats.dice_class_grad.size());
  for (size_t c = 0; c < cpu.grad_stats.dice_class_grad.size(); ++c) {
    INFO("class " << c);
    CHECK(gpu.grad_stats.dice_class_grad[c] ==
          doctest::Approx(cpu.grad_stats.dice_class_grad[c]).epsilon(1e-4).scale(0));
  }
  CHECK(testing::max_rel_diff(g_gpu, g_cpu) <= 1e-4);
}
