// The blocked GEMM against a naive triple loop, on sizes that leave partial tiles and blocks.
#include "engine/cpu/gemm.h"

#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <vector>

#include "engine/random.h"

using namespace segrun;
using segrun::cpu::GemmOperand;
using segrun::cpu::Trans;

namespace {

template <typename T>
std::vector<T> random_values(int64_t count, uint64_t seed) {
  const std::vector<double> v = Generator(seed).uniform({count}, -1.0, 1.0, DType::F64).to_double_vector();
  return std::vector<T>(v.begin(), v.end());
}

struct Case {
  int64_t m, n, k;
  Trans ta, tb;
  double alpha, beta;
};

// C = alpha * op(A) op(B) + beta * C, summed in long double as the reference.
template <typename T>
std::vector<T> naive(const Case& c, const std::vector<T>& a, const std::vector<T>& b, std::vector<T> out) {
  for (int64_t i = 0; i < c.m; ++i) {
    for (int64_t j = 0; j < c.n; ++j) {
      long double s = 0;
      for (int64_t p = 0; p < c.k; ++p) {
        const T av = c.ta == Trans::No ? a[i * c.k + p] : a[p * c.m + i];
        const T bv = c.tb == Trans::No ? b[p * c.n + j] : b[j * c.k + p];
        s += static_cast<long double>(av) * bv;
      }
      const long double prior = c.beta == 0 ? 0 : c.beta * static_cast<long double>(out[i * c.n + j]);
      out[i * c.n + j] = static_cast<T>(c.alpha * s + prior);
    }
  }
  return out;
}

enum class Mode { Parallel, Serial, PackedB };

template <typename T>
std::vector<T> blocked(const Case& c, const std::vector<T>& a, const std::vector<T>& b, std::vector<T> out, Mode mode) {
  const GemmOperand<T> oa{a.data(), c.ta == Trans::No ? c.k : c.m, c.ta};
  const GemmOperand<T> ob{b.data(), c.tb == Trans::No ? c.n : c.k, c.tb};
  if (mode == Mode::Parallel) cpu::gemm<T>(c.m, c.n, c.k, T(c.alpha), oa, ob, T(c.beta), out.data(), c.n);
  if (mode == Mode::Serial) cpu::gemm_serial<T>(c.m, c.n, c.k, T(c.alpha), oa, ob, T(c.beta), out.data(), c.n);
  if (mode == Mode::PackedB) {
    cpu::gemm_serial<T>(c.m, T(c.alpha), oa, cpu::PackedB<T>(c.k, c.n, ob), T(c.beta), out.data(), c.n);
  }
  return out;
}

template <typename T>
double max_error(const std::vector<T>& got, const std::vector<T>& want) {
  double err = 0;
  for (size_t i = 0; i < got.size(); ++i) err = std::max(err, std::fabs(double(got[i]) - double(want[i])));
  return err;
}

template <typename T>
void check_against_naive(double tol) {
  const Case cases[] = {
      {1, 1, 1, Trans::No, Trans::No, 1.0, 0.0},        {7, 5, 3, Trans::No, Trans::No, 1.0, 0.0},
      {13, 37, 29, Trans::No, Trans::Yes, 1.0, 0.0},    {45, 19, 300, Trans::Yes, Trans::No, -0.5, 1.0},
      {31, 70, 17, Trans::Yes, Trans::Yes, 2.0, 0.5},   {200, 33, 520, Trans::No, Trans::Yes, 1.0, 0.0},
      {9, 11, 0, Trans::No, Trans::No, 1.0, 0.25},      {3, 4100, 5, Trans::No, Trans::No, 1.0, -1.0},
      {50, 70, 600, Trans::No, Trans::No, 1.0, 0.5},    {40, 45, 2500, Trans::Yes, Trans::Yes, 1.0, 0.5},
      {30, 1100, 1200, Trans::No, Trans::No, 1.0, 0.0},
  };
  uint64_t seed = 1;
  for (const Case& c : cases) {
    const std::vector<T> a = random_values<T>(c.m * c.k, seed++), b = random_values<T>(c.k * c.n, seed++);
    const std::vector<T> c0 = random_values<T>(c.m * c.n, seed++);
    const std::vector<T> want = naive(c, a, b, c0);
    INFO("m " << c.m << " n " << c.n << " k " << c.k << " transA " << (c.ta == Trans::Yes) << " transB "
              << (c.tb == Trans::Yes) << " alpha " << c.alpha << " beta " << c.beta);
    const std::vector<T> parallel = blocked(c, a, b, c0, Mode::Parallel);
    CHECK(max_error(parallel, want) <= tol * std::max<int64_t>(c.k, 1));
    // The serial and prepacked forms sum in the same order as the parallel one.
    CHECK(blocked(c, a, b, c0, Mode::Serial) == parallel);
    CHECK(blocked(c, a, b, c0, Mode::PackedB) == parallel);
  }
}

}  // namespace

TEST_CASE("gemm f32 matches a naive triple loop on odd sizes and all transposes") {
  check_against_naive<float>(2e-7);
}

TEST_CASE("gemm f64 matches a naive triple loop on odd sizes and all transposes") {
  check_against_naive<double>(1e-15);
}

TEST_CASE("gemm with beta 0 ignores NaN already in C") {
  const Case c{5, 6, 4, Trans::No, Trans::No, 1.0, 0.0};
  const std::vector<double> a(20, 1.0), b(24, 0.5);
  const std::vector<double> out = blocked(c, a, b, std::vector<double>(30, NAN), Mode::Parallel);
  for (double v : out) CHECK(v == 2.0);
}

TEST_CASE("gemm gives bitwise identical results for 1 and 2 threads") {
  const Case c{301, 77, 1300, Trans::No, Trans::Yes, 1.0, 0.0};
  const std::vector<float> a = random_values<float>(c.m * c.k, 11), b = random_values<float>(c.k * c.n, 12);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const std::vector<float> one = blocked(c, a, b, std::vector<float>(c.m * c.n), Mode::Parallel);
  omp_set_num_threads(2);
  const std::vector<float> two = blocked(c, a, b, std::vector<float>(c.m * c.n), Mode::Parallel);
  omp_set_num_threads(saved);
  CHECK(one == two);
}
