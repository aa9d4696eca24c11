#pragma once
// Paired significance tests between two runs scored on the same images (docs/REFERENCE.md section 7).
#include <cstdint>
#include <vector>

namespace segrun::eval {

// Regularised incomplete beta I_x(a, b) (continued fraction, modified Lentz).
double incomplete_beta(double a, double b, double x);
// Student's t CDF with `df` degrees of freedom.
double student_t_cdf(double t, double df);
// Standard normal CDF.
double normal_cdf(double z);

struct TestResult {
  double statistic = 0;  // t, or the Wilcoxon T = min(R+, R-)
  double z = 0;          // Wilcoxon only: the normal-approximation z
  double p_value = 1;    // two-sided
  int n = 0;             // pairs used (Wilcoxon: non-zero differences)
};

// Paired t-test on a - b: t = mean(d) / (sd(d) / sqrt(n)), df = n - 1.
TestResult paired_t_test(const std::vector<double>& a, const std::vector<double>& b);

// Wilcoxon signed-rank test on a - b, as scipy.stats.wilcoxon(a, b, zero_method="wilcox",
// correction=False, method="approx"): zero differences dropped, average ranks for ties, tie
// correction of the variance, normal approximation.
TestResult wilcoxon_signed_rank(const std::vector<double>& a, const std::vector<double>& b);

struct ConfidenceInterval {
  double mean = 0;
  double low = 0;
  double high = 0;
};
// Percentile bootstrap of mean(a - b): `resamples` resamples of the n pairs with replacement
// from the seeded stream; the 2.5% and 97.5% quantiles (linear interpolation, as numpy).
ConfidenceInterval bootstrap_mean_difference(const std::vector<double>& a, const std::vector<double>& b, uint64_t seed,
                                             int resamples = 10000);

}  // namespace segrun::eval
