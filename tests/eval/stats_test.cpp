#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "eval/paired_stats.h"
#include "eval/rank_correlation.h"
#include "eval/seed_stats.h"

using namespace segrun::eval;

TEST_CASE("distributions: normal and Student t CDFs against tabulated values") {
  CHECK(normal_cdf(0.0) == doctest::Approx(0.5));
  CHECK(normal_cdf(1.959964) == doctest::Approx(0.975).epsilon(1e-6));
  CHECK(normal_cdf(-1.0) == doctest::Approx(0.158655254).epsilon(1e-8));
  CHECK(normal_cdf(2.575829) == doctest::Approx(0.995).epsilon(1e-6));
  // Critical values of t tables: P(T <= t_q) = q.
  CHECK(student_t_cdf(12.7062, 1) == doctest::Approx(0.975).epsilon(1e-5));
  CHECK(student_t_cdf(2.015048, 5) == doctest::Approx(0.95).epsilon(1e-6));
  CHECK(student_t_cdf(2.228139, 10) == doctest::Approx(0.975).epsilon(1e-6));
  CHECK(student_t_cdf(2.749996, 30) == doctest::Approx(0.995).epsilon(1e-6));
  CHECK(student_t_cdf(-2.228139, 10) == doctest::Approx(0.025).epsilon(1e-6));
  // Closed forms: df = 1 is Cauchy, CDF(1) = 3/4; df = 2: 1/2 + t / (2 sqrt(2 + t^2)).
  CHECK(student_t_cdf(1.0, 1) == doctest::Approx(0.75));
  CHECK(student_t_cdf(2.0, 2) == doctest::Approx(0.5 + 2.0 / (2.0 * std::sqrt(6.0))));
  // I_0.4(2, 3) = sum_{j=2..4} C(4,j) 0.4^j 0.6^(4-j) = 0.3456 + 0.1536 + 0.0256.
  CHECK(incomplete_beta(2, 3, 0.4) == doctest::Approx(0.5248));
}

TEST_CASE("paired t-test on a hand example") {
  // d = 1 1 3 1 3: mean 1.8, variance 4.8 / 4 = 1.2, t = 1.8 / sqrt(1.2 / 5) = 3.674235, df 4,
  // two-sided p = 0.0213116 (scipy.stats.ttest_rel gives the same).
  const std::vector<double> a = {5, 7, 9, 6, 8}, b = {4, 6, 6, 5, 5};
  const TestResult r = paired_t_test(a, b);
  CHECK(r.statistic == doctest::Approx(3.674235).epsilon(1e-6));
  CHECK(r.p_value == doctest::Approx(0.0213116).epsilon(1e-5));
  CHECK(paired_t_test(b, a).p_value == doctest::Approx(r.p_value));
  CHECK_THROWS_WITH_AS(paired_t_test({1, 2}, {1}),
                       "paired t-test: need two equally long samples of at least 2 values, got 2 and 1",
                       std::invalid_argument);
}

TEST_CASE("Wilcoxon signed-rank: zeros dropped, tied ranks averaged, tie-corrected variance") {
  // d = 1 -2 3 4 -5 6 0 2: the zero is dropped (n = 7); |d| ranks 1, 2.5, 2.5, 4, 5, 6, 7.
  // R+ = 1 + 2.5 + 4 + 5 + 7 = 19.5, R- = 2.5 + 6 = 8.5, T = 8.5. Mean 7*8/4 = 14;
  // variance (7*8*15 - 2*(4-1)/2) / 24 = 837/24; z = -5.5 / 5.905506 = -0.931334; p = 0.351681.
  const std::vector<double> a = {1, -2, 3, 4, -5, 6, 0, 2}, b(8, 0.0);
  const TestResult r = wilcoxon_signed_rank(a, b);
  CHECK(r.n == 7);
  CHECK(r.statistic == 8.5);
  CHECK(r.z == doctest::Approx(-0.931334).epsilon(1e-6));
  CHECK(r.p_value == doctest::Approx(0.3516807).epsilon(1e-6));
  // All differences zero: nothing to test.
  CHECK(wilcoxon_signed_rank(b, b).p_value == 1.0);
}

TEST_CASE("bootstrap CI of the mean difference is seeded and brackets the mean") {
  const std::vector<double> a = {5, 7, 9, 6, 8}, b = {4, 6, 6, 5, 5};
  const ConfidenceInterval ci = bootstrap_mean_difference(a, b, 42);
  const ConfidenceInterval again = bootstrap_mean_difference(a, b, 42);
  CHECK(ci.mean == doctest::Approx(1.8));
  CHECK(ci.low == again.low);
  CHECK(ci.high == again.high);
  // Resample means lie on the grid k/5; about mean -+ 1.96 * 0.438.
  CHECK(ci.low >= 1.0);
  CHECK(ci.low <= 1.4);
  CHECK(ci.high >= 2.2);
  CHECK(ci.high <= 2.6);
  const ConfidenceInterval flat = bootstrap_mean_difference({2, 3, 4}, {1, 2, 3}, 7);
  CHECK(flat.low == 1.0);
  CHECK(flat.high == 1.0);
}

TEST_CASE("Spearman's rho: hand-computed ranks, ties at their mean rank") {
  // Ranks 1 2 3 4 against 1 3 2 4: sum d^2 = 2, rho = 1 - 6 * 2 / (4 * 15) = 0.8.
  CHECK(spearman_rho({4, 3, 2, 1}, {4, 2, 3, 1}) == doctest::Approx(0.8));
  CHECK(spearman_rho({1, 2, 3}, {3, 2, 1}) == doctest::Approx(-1.0));
  // x ranks 1.5 1.5 3 against 1 2 3: centred (-.5 -.5 1) . (-1 0 1) = 1.5; norms^2 1.5 and 2.
  CHECK(spearman_rho({5, 5, 1}, {9, 8, 7}) == doctest::Approx(1.5 / std::sqrt(3.0)));
  CHECK(std::isnan(spearman_rho({1, 1, 1}, {1, 2, 3})));
}

TEST_CASE("Student's t quantiles match the published table") {
  // Two-sided 95% critical values: df 1: 12.706, 2: 4.303, 4: 2.776, 9: 2.262, 30: 2.042.
  CHECK(student_t_quantile(0.975, 1) == doctest::Approx(12.7062).epsilon(1e-4));
  CHECK(student_t_quantile(0.975, 2) == doctest::Approx(4.3027).epsilon(1e-4));
  CHECK(student_t_quantile(0.975, 4) == doctest::Approx(2.7764).epsilon(1e-4));
  CHECK(student_t_quantile(0.975, 9) == doctest::Approx(2.2622).epsilon(1e-4));
  CHECK(student_t_quantile(0.975, 30) == doctest::Approx(2.0423).epsilon(1e-4));
  CHECK(std::fabs(student_t_quantile(0.5, 7)) < 1e-6);  // as precise as the t CDF it inverts
  CHECK_THROWS_AS(student_t_quantile(1.0, 3), std::invalid_argument);
}

TEST_CASE("mean and 95% confidence interval over seeds, diverged runs left out") {
  // 1, 2, 3: mean 2, sd 1, half width 4.3027 / sqrt(3) = 2.4841.
  const MeanInterval ci = mean_ci95({1, 2, 3, std::nan("")});
  CHECK(ci.n == 3);
  CHECK(ci.mean == doctest::Approx(2.0));
  CHECK(ci.half_width == doctest::Approx(2.48414).epsilon(1e-4));
  const MeanInterval one = mean_ci95({0.5});
  CHECK(one.n == 1);
  CHECK(one.mean == 0.5);
  CHECK(std::isnan(one.half_width));
  CHECK(std::isnan(mean_ci95({}).mean));
}

TEST_CASE("Holm's adjustment, worked by hand") {
  // p = (0.01, 0.04, 0.03, 0.005): sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 -> 0.02,
  // 0.03, 0.06, 0.04 -> running max 0.02, 0.03, 0.06, 0.06; back in the given order:
  const std::vector<double> adjusted = holm_adjust({0.01, 0.04, 0.03, 0.005});
  REQUIRE(adjusted.size() == 4);
  CHECK(adjusted[0] == doctest::Approx(0.03));
  CHECK(adjusted[1] == doctest::Approx(0.06));
  CHECK(adjusted[2] == doctest::Approx(0.06));
  CHECK(adjusted[3] == doctest::Approx(0.02));
  CHECK(holm_adjust({0.6, 0.7}) == std::vector<double>{1.0, 1.0});
  CHECK(holm_adjust({}).empty());
}
