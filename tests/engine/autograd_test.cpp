#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "engine/half.h"
#include "engine/ops.h"

using namespace segrun;

namespace {
Tensor leaf(std::vector<double> v, Shape s) {
  Tensor t = Tensor::from_vector(v, s);
  t.set_requires_grad(true);
  return t;
}
}  // namespace

TEST_CASE("shared subexpression receives the sum of both paths") {
  Tensor x = leaf({1.0, 2.0, 3.0}, {3});
  Tensor y = mul(x, x);              // dy/dx = 2x
  Tensor z = add(y, scale(y, 3.0));  // z = 4 x^2
  backward(sum(z));
  const std::vector<double> g = x.grad().to_double_vector();
  CHECK(g[0] == doctest::Approx(8.0));
  CHECK(g[1] == doctest::Approx(16.0));
  CHECK(g[2] == doctest::Approx(24.0));
}

TEST_CASE("gradients accumulate across backward calls until reset") {
  Tensor x = leaf({2.0}, {1});
  backward(sum(scale(x, 3.0)));
  backward(sum(scale(x, 3.0)));
  CHECK(x.grad().item() == doctest::Approx(6.0));
  x.set_grad(Tensor());
  backward(sum(mul(x, x)));
  CHECK(x.grad().item() == doctest::Approx(4.0));
}

TEST_CASE("no_grad records nothing") {
  Tensor x = leaf({1.0, 2.0}, {2});
  Tensor y;
  {
    NoGradGuard guard;
    y = mul(x, x);
  }
  CHECK_FALSE(y.requires_grad());
  CHECK_FALSE(static_cast<bool>(y.grad_fn()));
  Tensor z = mul(x, x);
  CHECK(z.requires_grad());
  CHECK(static_cast<bool>(z.grad_fn()));
}

TEST_CASE("inputs that do not require grad get no gradient") {
  Tensor a = leaf({1.0, 2.0}, {2});
  Tensor b = Tensor::from_vector(std::vector<double>{5.0, 7.0}, {2});
  backward(sum(mul(a, b)));
  CHECK(a.grad().to_double_vector() == std::vector<double>{5.0, 7.0});
  CHECK_FALSE(b.grad().defined());
}

TEST_CASE("saved tensors are released once their node has run") {
  // y's memory is held only by the graph (mul saves both inputs, detached views of the same
  // storage): alive until backward has run, then freed.
  Tensor x = leaf({1.0, 2.0, 3.0}, {3});
  std::weak_ptr<const void> saved;
  Tensor loss;
  {
    Tensor y = sigmoid(x);
    saved = y.impl()->storage;
    loss = sum(mul(y, y));
  }
  CHECK_FALSE(saved.expired());
  backward(loss);
  CHECK(saved.expired());
  CHECK(x.grad().defined());
}

TEST_CASE("bad shapes name the op and both shapes") {
  Tensor a = Tensor::zeros({2, 3});
  Tensor b = Tensor::zeros({4, 3});
  CHECK_THROWS_WITH_AS(add(a, b), "add: shapes [2,3] and [4,3] cannot be broadcast together", std::invalid_argument);
  CHECK_THROWS_WITH_AS(mul(a, Tensor::zeros({2, 3}, DType::F64)), "mul: dtype mismatch (f32[2,3] cpu vs f64[2,3] cpu)",
                       std::invalid_argument);
  CHECK_THROWS_AS(a.reshape({5}), std::invalid_argument);
}

TEST_CASE("random streams depend only on seed and counter") {
  Generator g1(42), g2(42);
  Tensor a = g1.uniform({100}, 0.0, 1.0);
  Tensor b1 = g2.uniform({40}, 0.0, 1.0);
  Tensor b2 = g2.uniform({60}, 0.0, 1.0);
  for (int i = 0; i < 40; ++i) CHECK(a.at(i) == b1.at(i));
  for (int i = 0; i < 60; ++i) CHECK(a.at(40 + i) == b2.at(i));
  CHECK(g1.offset() == 100);
  Generator g3(43);
  CHECK(g3.uniform({1}, 0.0, 1.0).item() != a.at(0));
}

TEST_CASE("f16 conversion of subnormals: the nearest multiple of 2^-24, ties to even") {
  // Every 7th f32 bit pattern from 2^-26 up to the smallest normal half (2^-14), both signs,
  // against the exact answer: v * 2^24 is exact in double and nearbyint rounds ties to even.
  int64_t checked = 0;
  for (uint32_t bits = 0x32800000u; bits < 0x38800000u; bits += 7) {
    for (const uint32_t sign : {0u, 0x80000000u}) {
      float v;
      const uint32_t pattern = bits | sign;
      std::memcpy(&v, &pattern, 4);
      const double multiple = std::nearbyint(std::fabs(static_cast<double>(v)) * 16777216.0);
      const double expected = std::copysign(multiple / 16777216.0, static_cast<double>(v));
      const float got = half_to_float(float_to_half(v));
      if (got != expected || std::signbit(got) != std::signbit(expected)) {
        FAIL_CHECK("f32 " << v << " (bits " << pattern << ") -> " << got << ", expected " << expected);
        return;
      }
      ++checked;
    }
  }
  CHECK(checked > 1000000);
  CHECK(float_to_half(2.9802322387695312e-8f) == 0u);      // 2^-25: a tie, to even (0)
  CHECK(float_to_half(8.940696716308594e-8f) == 2u);       // 1.5 * 2^-24: a tie, to even (2)
  CHECK(float_to_half(6.102025508880615e-5f) == 0x0400u);  // 1023.75 * 2^-24 rounds up to the smallest normal
}

TEST_CASE("f16 conversion round-trips representable values and rounds to nearest even") {
  Tensor x = Tensor::from_vector(std::vector<float>{0.0f, 1.0f, -2.5f, 65504.0f, 1e-7f, 70000.0f, 1.0009765625f}, {7});
  Tensor h = cast(x, DType::F16);
  Tensor back = cast(h, DType::F32);
  CHECK(back.at(0) == 0.0);
  CHECK(back.at(1) == 1.0);
  CHECK(back.at(2) == -2.5);
  CHECK(back.at(3) == 65504.0);
  CHECK(back.at(4) == 1.1920928955078125e-7);  // the nearest subnormal, 2 * 2^-24
  CHECK(std::isinf(back.at(5)));
  CHECK(back.at(6) == 1.0009765625);  // exactly representable (1 + 2^-10)
}
