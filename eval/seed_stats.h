#pragma once
// Statistics over repeated runs of one configuration with different seeds, and the correction
// for testing several comparisons at once (docs/REFERENCE.md section 7).
#include <vector>

namespace segrun::eval {

// The p-quantile of Student's t with `df` degrees of freedom (bisection on student_t_cdf).
double student_t_quantile(double p, double df);

struct MeanInterval {
  double mean = 0;
  double half_width = 0;  // of the 95% confidence interval of the mean; NaN with fewer than 2 values
  int n = 0;              // finite values used
};

// mean +- t(0.975, n-1) * sd / sqrt(n) over the finite values (non-finite ones: diverged runs).
MeanInterval mean_ci95(const std::vector<double>& values);

// Holm's step-down adjustment of m p-values (same order as given): sort ascending, multiply the
// k-th smallest (k = 0..m-1) by m - k, take the running maximum, cap at 1. Rejecting where the
// adjusted value is <= alpha controls the family-wise error rate at alpha.
std::vector<double> holm_adjust(const std::vector<double>& p_values);

}  // namespace segrun::eval
