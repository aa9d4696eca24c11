#include "nn/autocast.h"

#include <doctest/doctest.h>

#include "engine/autograd.h"
#include "models/factory.h"

using namespace segrun;

TEST_CASE("autocast nests, restores, and leaves CPU convolutions in f32 bit for bit") {
  CHECK_FALSE(nn::autocast_enabled());
  {
    nn::AutocastGuard on;
    CHECK(nn::autocast_enabled());
    {
      nn::AutocastGuard off(false);
      CHECK_FALSE(nn::autocast_enabled());
    }
    CHECK(nn::autocast_enabled());
  }
  CHECK_FALSE(nn::autocast_enabled());

  Generator gen(3);
  auto model = models::make_model("attention_unet", 3, 4, 4, gen);
  model->eval();
  const Tensor x = gen.uniform({1, 32, 32, 3}, -1.0, 1.0);
  NoGradGuard no_grad;
  const Tensor plain = model->forward(x);
  nn::AutocastGuard on;
  const Tensor cast = model->forward(x);
  REQUIRE(cast.dtype() == DType::F32);
  CHECK(plain.to_double_vector() == cast.to_double_vector());
}
