// The optimiser's f16 copy of the weights under AMP (nn/optim.h, nn/autocast.h): it holds the
// masters' values rounded to f16 after construction, after every step (written by the AdamW
// kernel) and after refresh_half_copy() (weights changed behind the optimiser's back), and it
// is forgotten with the optimiser.
#include <doctest/doctest.h>

#include <vector>

#include "engine/ops.h"
#include "nn/autocast.h"
#include "nn/optim.h"

using namespace segrun;

namespace {

// The copy equals the master rounded to f16, value for value.
void check_copy_matches(const Tensor& master) {
  const Tensor copy = nn::half_copy_of(master);
  REQUIRE(copy.defined());
  CHECK(copy.dtype() == DType::F16);
  CHECK(copy.to_double_vector() == cast(master, DType::F16).to_double_vector());
}

}  // namespace

TEST_CASE("the AMP optimiser keeps an f16 copy of its weights that tracks every change") {
  Generator gen(3);
  Tensor a = gen.uniform({5, 3, 3, 4}, -1.0, 1.0).to(Device::cuda());
  Tensor b = gen.uniform({5}, -1.0, 1.0).to(Device::cuda());
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  nn::LossScalerOptions scaling;
  scaling.enabled = true;
  {
    nn::AdamW optimizer({{"a", a}, {"b", b}}, nn::AdamWOptions{}, scaling);
    check_copy_matches(a);
    check_copy_matches(b);

    optimizer.zero_grad();
    backward(optimizer.scale_loss(sum(mul(a, a))));
    optimizer.step(1.0);
    check_copy_matches(a);  // the AdamW kernel rewrote it
    check_copy_matches(b);

    Tensor changed = gen.uniform({5, 3, 3, 4}, -1.0, 1.0).to(Device::cuda());
    a.detach().copy_from(changed);  // as loading a checkpoint's model does
    optimizer.refresh_half_copy();
    check_copy_matches(a);

    // An autocast convolution reads the copy: its f16 weight is the copy's values.
    nn::AutocastGuard autocast;
    const Tensor x = gen.uniform({1, 6, 6, 4}, -1.0, 1.0).to(Device::cuda());
    Tensor seen_weight;
    nn::autocast_conv(x, a, b, [&](const Tensor& xi, const Tensor& w, const Tensor& bias) {
      seen_weight = w;
      return conv2d(xi, w, bias, Conv2dArgs::make(1, 1));
    });
    CHECK(seen_weight.same_storage(nn::half_copy_of(a)));
  }
  CHECK_FALSE(nn::half_copy_of(a).defined());
}

TEST_CASE("without loss scaling the optimiser keeps no f16 copy") {
  Generator gen(4);
  Tensor a = gen.uniform({7}, -1.0, 1.0).to(Device::cuda());
  a.set_requires_grad(true);
  nn::AdamW optimizer({{"a", a}});
  CHECK_FALSE(nn::half_copy_of(a).defined());
}
