// conv2d / conv_transpose2d: hand-computed values, argument errors, and the banded CPU kernels
// against direct loops on shapes large enough to use several bands, scatter phases and slabs.
#include "engine/cpu/conv.h"

#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

#include "engine/error.h"
#include "engine/ops.h"

using namespace segrun;

namespace {

std::vector<double> values(const Tensor& t) {
  return t.to_double_vector();
}

}  // namespace

TEST_CASE("conv2d 2x2 on a 3x3 image, by hand") {
  const Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 3, 3, 1});
  const Tensor w = Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {1, 2, 2, 1});
  const Tensor b = Tensor::from_vector(std::vector<double>{0.5}, {1});
  // y00 = 1*1 + 2*2 + 4*3 + 5*4 = 37, then 47, 67, 77; plus the bias.
  CHECK(values(conv2d(x, w, b, Conv2dArgs::make(1, 0))) == std::vector<double>{37.5, 47.5, 67.5, 77.5});
  // Padding 1, stride 2: the four windows of the padded 5x5 image see 1*4, 2*3+3*4, 4*2+7*4, 5+12+24+36.
  CHECK(values(conv2d(x, w, Tensor(), Conv2dArgs::make(2, 1))) == std::vector<double>{4, 18, 36, 77});
}

TEST_CASE("conv2d mixes channels through an OHWI weight") {
  const Tensor x = Tensor::from_vector(std::vector<float>{1, 2}, {1, 1, 1, 2});
  const Tensor w = Tensor::from_vector(std::vector<float>{1, 1, 1, -1, 0, 2}, {3, 1, 1, 2});
  CHECK(values(conv2d(x, w, Tensor(), Conv2dArgs::make(1, 0))) == std::vector<double>{3, -1, 4});
}

TEST_CASE("conv2d backward by hand: 1x1 weight 3 over a 2x2 image") {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {1, 2, 2, 1});
  Tensor w = Tensor::from_vector(std::vector<double>{3}, {1, 1, 1, 1});
  Tensor b = Tensor::from_vector(std::vector<double>{0}, {1});
  x.set_requires_grad(true);
  w.set_requires_grad(true);
  b.set_requires_grad(true);
  backward(sum(conv2d(x, w, b, Conv2dArgs::make(1, 0))));
  CHECK(values(x.grad()) == std::vector<double>{3, 3, 3, 3});
  CHECK(values(w.grad()) == std::vector<double>{10});
  CHECK(values(b.grad()) == std::vector<double>{4});
}

TEST_CASE("conv_transpose2d by hand: stride 2 spreads and overlaps") {
  const Tensor x = Tensor::from_vector(std::vector<double>{2}, {1, 1, 1, 1});
  const Tensor w = Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {1, 2, 2, 1});
  const Tensor b = Tensor::from_vector(std::vector<double>{1}, {1});
  CHECK(values(conv_transpose2d(x, w, b, {2, 0, 0})) == std::vector<double>{3, 5, 7, 9});
  // Width (2-1)*2 + 3 = 5; the two copies of the 1x3 kernel overlap at column 2.
  const Tensor x2 = Tensor::from_vector(std::vector<double>{1, 10}, {1, 1, 2, 1});
  const Tensor w2 = Tensor::from_vector(std::vector<double>{1, 2, 3}, {1, 1, 3, 1});
  CHECK(values(conv_transpose2d(x2, w2, Tensor(), {2, 0, 0})) == std::vector<double>{1, 2, 13, 20, 30});
  // output_padding adds one row and column that only the bias reaches.
  const Tensor y = conv_transpose2d(x, w, b, {2, 0, 1});
  CHECK(y.shape() == Shape{1, 3, 3, 1});
  CHECK(values(y) == std::vector<double>{3, 5, 1, 7, 9, 1, 1, 1, 1});
}

TEST_CASE("conv errors name the op and both shapes") {
  const Tensor x = Tensor::zeros({1, 8, 8, 3});
  CHECK_THROWS_WITH_AS(conv2d(x, Tensor::zeros({4, 3, 3, 5}), Tensor(), Conv2dArgs::make(1, 1)),
                       "conv2d: input [1,8,8,3] has 3 channels but weight [4,3,3,5] expects 5 (groups 1)",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(conv2d(x, Tensor::zeros({4, 3, 3, 3}), Tensor::zeros({5}), Conv2dArgs::make(1, 1)),
                       "conv2d: bias [5] does not match weight [4,3,3,3] with 4 output channels",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(conv2d(x, Tensor::zeros({4, 3, 3, 1}), Tensor(), Conv2dArgs::make(1, 1, 1, 2)),
                       "conv2d: input [1,8,8,3] has 3 channels and weight [4,3,3,1] has 4 output channels; both "
                       "must be divisible by groups 2",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(conv2d(x, Tensor::zeros({4, 3, 3, 3}), Tensor(), Conv2dArgs::make(1, 0, 6)),
                       "conv2d: input [1,8,8,3] padded by 0 is smaller than the kernel of weight [4,3,3,3] dilated "
                       "by 6",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(conv2d(Tensor::zeros({8, 8, 3}), Tensor::zeros({4, 3, 3, 3}), Tensor(), Conv2dArgs::make(1, 1)),
                       "conv2d: input [8,8,3] must be a non-empty 4-D (N,H,W,C) tensor (weight [4,3,3,3])",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(conv_transpose2d(x, Tensor::zeros({4, 2, 2, 8}), Tensor(), {2, 0, 0}),
                       "conv_transpose2d: input [1,8,8,3] has 3 channels but weight [4,2,2,8] expects 4 (groups 1)",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(conv_transpose2d(x, Tensor::zeros({3, 2, 2, 8}), Tensor(), {2, 0, 2}),
                       "conv_transpose2d: invalid arguments for input [1,8,8,3] and weight [3,2,2,8]: stride 2, "
                       "padding 0, output_padding 2 (stride >= 1, padding >= 0, 0 <= output_padding < stride)",
                       std::invalid_argument);
  CHECK_THROWS_AS(conv2d(x, Tensor::zeros({4, 3, 3, 3}, DType::F64), Tensor(), Conv2dArgs::make(1, 1)),
                  std::invalid_argument);
}

namespace {

ConvGeometry geometry(Shape x, Shape w, Conv2dArgs a) {
  ConvGeometry g;
  g.batch = x[0], g.in_h = x[1], g.in_w = x[2], g.in_c = x[3];
  g.out_c = w[0], g.kernel_h = w[1], g.kernel_w = w[2], g.groups = a.groups;
  g.stride_h = a.stride_h, g.stride_w = a.stride_w, g.pad_h = a.pad_h, g.pad_w = a.pad_w;
  g.dilation_h = a.dilation_h, g.dilation_w = a.dilation_w;
  g.out_h = (g.in_h + 2 * g.pad_h - g.dilation_h * (g.kernel_h - 1) - 1) / g.stride_h + 1;
  g.out_w = (g.in_w + 2 * g.pad_w - g.dilation_w * (g.kernel_w - 1) - 1) / g.stride_w + 1;
  return g;
}

// Calls f(x index, w index, y index) for every multiply-add of the convolution.
template <typename F>
void for_each_tap(const ConvGeometry& g, F f) {
  const int64_t cog = g.group_out_c(), cg = g.group_in_c();
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t ho = 0; ho < g.out_h; ++ho)
      for (int64_t wo = 0; wo < g.out_w; ++wo)
        for (int64_t co = 0; co < g.out_c; ++co)
          for (int64_t kh = 0; kh < g.kernel_h; ++kh)
            for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
              const int64_t hi = ho * g.stride_h - g.pad_h + kh * g.dilation_h;
              const int64_t wi = wo * g.stride_w - g.pad_w + kw * g.dilation_w;
              if (hi < 0 || hi >= g.in_h || wi < 0 || wi >= g.in_w) continue;
              for (int64_t c = 0; c < cg; ++c) {
                f(((n * g.in_h + hi) * g.in_w + wi) * g.in_c + (co / cog) * cg + c,
                  ((co * g.kernel_h + kh) * g.kernel_w + kw) * cg + c,
                  ((n * g.out_h + ho) * g.out_w + wo) * g.out_c + co);
              }
            }
}

std::vector<double> random(int64_t count, uint64_t seed) {
  return Generator(seed).uniform({count}, -1.0, 1.0, DType::F64).to_double_vector();
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

void check_against_direct_loops(Shape xs, Shape ws, Conv2dArgs args) {
  const ConvGeometry g = geometry(xs, ws, args);
  const std::vector<double> x = random(shape_numel(xs), 1), w = random(shape_numel(ws), 2);
  const std::vector<double> gy = random(g.out_rows() * g.out_c, 3);
  std::vector<double> y_ref(gy.size(), 0.0), gx_ref(x.size(), 0.0), gw_ref(w.size(), 0.0);
  for_each_tap(g, [&](int64_t xi, int64_t wi, int64_t yi) {
    y_ref[yi] += x[xi] * w[wi];
    gx_ref[xi] += gy[yi] * w[wi];
    gw_ref[wi] += gy[yi] * x[xi];
  });
  std::vector<double> y(y_ref.size()), gx(x.size()), gw(w.size());
  cpu::conv2d_forward<double>(g, x.data(), w.data(), nullptr, y.data());
  cpu::conv2d_backward_data<double>(g, gy.data(), w.data(), gx.data());
  cpu::conv2d_backward_filter<double>(g, x.data(), gy.data(), gw.data());
  INFO("input " << shape_str(xs) << " weight " << shape_str(ws) << " groups " << args.groups);
  CHECK(max_abs_diff(y, y_ref) < 1e-12);
  CHECK(max_abs_diff(gx, gx_ref) < 1e-12);
  CHECK(max_abs_diff(gw, gw_ref) < 1e-10);
}

}  // namespace

TEST_CASE("conv kernels match direct loops across bands, scatter phases and filter slabs") {
  check_against_direct_loops({2, 40, 70, 5}, {6, 3, 3, 5}, Conv2dArgs::make(1, 1));
  check_against_direct_loops({1, 60, 50, 3}, {4, 3, 3, 3}, Conv2dArgs::make(2, 6, 6));
  check_against_direct_loops({1, 30, 40, 4}, {6, 3, 3, 2}, Conv2dArgs::make(1, 1, 1, 2));
  check_against_direct_loops({2, 30, 40, 6}, {6, 3, 3, 1}, Conv2dArgs::make(2, 2, 2, 6));
  check_against_direct_loops({1, 33, 80, 8}, {5, 1, 1, 8}, Conv2dArgs::make(1, 0));
}

TEST_CASE("conv kernels that read patches in place match direct loops") {
  // 16+ channels per group and output rows of 96+ pixels: patches come from a padded copy.
  // Widths 100, 104 and 97 end rows in 4-, 8- and 1-row tiles; 33 and 20 output channels leave
  // partial column panels, and 16 or 20 channels per tap make filter-gradient panels cross taps.
  check_against_direct_loops({2, 5, 100, 16}, {24, 3, 3, 16}, Conv2dArgs::make(1, 1));
  check_against_direct_loops({1, 9, 208, 32}, {16, 3, 3, 32}, Conv2dArgs::make(2, 2, 2));
  check_against_direct_loops({1, 4, 104, 32}, {20, 3, 3, 16}, Conv2dArgs::make(1, 1, 1, 2));
  check_against_direct_loops({1, 6, 97, 20}, {33, 5, 5, 20}, Conv2dArgs::make(1, 2));
  check_against_direct_loops({1, 8, 100, 24}, {16, 3, 3, 24}, Conv2dArgs::make(1, 2, 2));
  // Blocks of k end inside a tap of 300 channels.
  check_against_direct_loops({1, 3, 100, 300}, {8, 3, 3, 300}, Conv2dArgs::make(1, 1));
  // Stride 1 with less padding than the kernel's reach: the data gradient as a convolution.
  check_against_direct_loops({1, 9, 102, 16}, {8, 3, 3, 16}, Conv2dArgs::make(1, 0));
}

TEST_CASE("conv filter gradient split by columns matches direct loops") {
  // One slab for the whole batch, so the threads split its 360 columns (blocks cross taps of 40).
  check_against_direct_loops({2, 8, 16, 40}, {24, 3, 3, 40}, Conv2dArgs::make(1, 1));
  check_against_direct_loops({2, 6, 10, 40}, {24, 1, 1, 40}, Conv2dArgs::make(1, 0));
}

TEST_CASE("conv forward and backward are bitwise identical for 1 and 2 threads") {
  // A wide map (patches read in place) and a small one (filter gradient split by columns).
  for (const auto& [xs, ws] : {std::pair<Shape, Shape>{{1, 40, 128, 16}, {16, 3, 3, 16}},
                               std::pair<Shape, Shape>{{2, 8, 16, 64}, {64, 3, 3, 64}}}) {
    const ConvGeometry g = geometry(xs, ws, Conv2dArgs::make(1, 1));
    std::vector<float> x(shape_numel(xs)), w(shape_numel(ws)), gy(g.out_rows() * g.out_c);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37 * double(i));
    for (size_t i = 0; i < w.size(); ++i) w[i] = std::cos(0.11 * double(i));
    for (size_t i = 0; i < gy.size(); ++i) gy[i] = std::sin(0.05 * double(i) + 1.0);
    auto run = [&](int threads) {
      omp_set_num_threads(threads);
      std::vector<float> y(gy.size()), gx(x.size()), gw(w.size());
      cpu::conv2d_forward<float>(g, x.data(), w.data(), nullptr, y.data());
      cpu::conv2d_backward_data<float>(g, gy.data(), w.data(), gx.data());
      cpu::conv2d_backward_filter<float>(g, x.data(), gy.data(), gw.data());
      gx.insert(gx.end(), gw.begin(), gw.end());
      gx.insert(gx.end(), y.begin(), y.end());
      return gx;
    };
    const int saved = omp_get_max_threads();
    const std::vector<float> one = run(1), two = run(2);
    omp_set_num_threads(saved);
    INFO("input " << shape_str(xs));
    CHECK(one == two);
  }
}
