#include "eval/paired_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "engine/random.h"

namespace segrun::eval {

namespace {

std::vector<double> differences(const std::vector<double>& a, const std::vector<double>& b, const char* test) {
  if (a.size() != b.size() || a.size() < 2) {
    throw std::invalid_argument(std::string(test) + ": need two equally long samples of at least 2 values, got " +
                                std::to_string(a.size()) + " and " + std::to_string(b.size()));
  }
  std::vector<double> d(a.size());
  for (size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  return d;
}

// Continued fraction of I_x(a, b) (Numerical Recipes betacf), converging for x < (a+1)/(a+b+2).
double beta_continued_fraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300, kEpsilon = 1e-15;
  double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 1000; ++m) {
    for (int odd = 0; odd < 2; ++odd) {
      const double num = odd ? -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0))
                             : m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
      d = 1.0 + num * d;
      if (std::fabs(d) < kTiny) d = kTiny;
      c = 1.0 + num / c;
      if (std::fabs(c) < kTiny) c = kTiny;
      d = 1.0 / d;
      h *= d * c;
      if (odd && std::fabs(d * c - 1.0) < kEpsilon) return h;
    }
  }
  return h;
}

}  // namespace

double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  const double front = std::exp(log_front);
  if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_continued_fraction(a, b, x) / a;
  return 1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b;
}

// P(T <= t) = 1 - I_{df/(df+t^2)}(df/2, 1/2) / 2 for t >= 0, symmetric for t < 0.
double student_t_cdf(double t, double df) {
  const double tail = 0.5 * incomplete_beta(0.5 * df, 0.5, df / (df + t * t));
  return t >= 0 ? 1.0 - tail : tail;
}

// Phi(z) = erfc(-z / sqrt 2) / 2.
double normal_cdf(double z) {
  return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

TestResult paired_t_test(const std::vector<double>& a, const std::vector<double>& b) {
  const std::vector<double> d = differences(a, b, "paired t-test");
  const double n = static_cast<double>(d.size());
  const double mean = std::accumulate(d.begin(), d.end(), 0.0) / n;
  double ss = 0;
  for (double v : d) ss += (v - mean) * (v - mean);
  const double se = std::sqrt(ss / (n - 1.0) / n);
  TestResult r;
  r.n = static_cast<int>(d.size());
  if (se == 0) {  // identical differences: no evidence unless they are all non-zero
    r.statistic = mean == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), mean);
    r.p_value = mean == 0 ? 1.0 : 0.0;
    return r;
  }
  r.statistic = mean / se;
  r.p_value = 2.0 * student_t_cdf(-std::fabs(r.statistic), n - 1.0);
  return r;
}

// z = (T - n(n+1)/4) / sqrt((n(n+1)(2n+1) - sum_ties t(t^2-1)/2) / 24), p = 2 (1 - Phi(|z|)).
TestResult wilcoxon_signed_rank(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> d;
  for (double v : differences(a, b, "wilcoxon")) {
    if (v != 0) d.push_back(v);
  }
  TestResult r;
  r.n = static_cast<int>(d.size());
  if (d.empty()) return r;
  std::vector<size_t> order(d.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t i, size_t j) { return std::fabs(d[i]) < std::fabs(d[j]); });
  double r_plus = 0, r_minus = 0, tie_term = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && std::fabs(d[order[j]]) == std::fabs(d[order[i]])) ++j;
    const double rank = 0.5 * static_cast<double>(i + 1 + j), ties = static_cast<double>(j - i);
    tie_term += ties * (ties * ties - 1.0);
    for (size_t k = i; k < j; ++k) (d[order[k]] > 0 ? r_plus : r_minus) += rank;
    i = j;
  }
  const double n = static_cast<double>(d.size());
  const double mean = n * (n + 1.0) / 4.0;
  const double se = std::sqrt((n * (n + 1.0) * (2.0 * n + 1.0) - 0.5 * tie_term) / 24.0);
  r.statistic = std::min(r_plus, r_minus);
  r.z = se > 0 ? (r.statistic - mean) / se : 0.0;
  r.p_value = std::min(1.0, 2.0 * normal_cdf(-std::fabs(r.z)));
  return r;
}

ConfidenceInterval bootstrap_mean_difference(const std::vector<double>& a, const std::vector<double>& b, uint64_t seed,
                                             int resamples) {
  const std::vector<double> d = differences(a, b, "bootstrap");
  if (resamples < 2) throw std::invalid_argument("bootstrap: need at least 2 resamples");
  ConfidenceInterval ci;
  ci.mean = std::accumulate(d.begin(), d.end(), 0.0) / static_cast<double>(d.size());
  Generator gen(seed);
  std::vector<double> means(static_cast<size_t>(resamples));
  for (double& m : means) {
    double sum = 0;
    for (size_t i = 0; i < d.size(); ++i) sum += d[gen.next_below(d.size())];
    m = sum / static_cast<double>(d.size());
  }
  std::sort(means.begin(), means.end());
  auto quantile = [&](double q) {
    const double pos = q * (resamples - 1);
    const size_t lo = static_cast<size_t>(pos);
    const size_t hi = std::min(lo + 1, means.size() - 1);
    return means[lo] + (pos - lo) * (means[hi] - means[lo]);
  };
  ci.low = quantile(0.025);
  ci.high = quantile(0.975);
  return ci;
}

}  // namespace segrun::eval
