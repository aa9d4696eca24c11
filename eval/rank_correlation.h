#pragma once
// Rank statistics: how well two orderings of the same items agree (docs/REFERENCE.md section 7.4).
#include <vector>

namespace segrun::eval {

// Ranks (1 = highest) of `values`, ties sharing their mean rank.
std::vector<double> ranks(const std::vector<double>& values);

// Spearman's rank correlation (Pearson on ranks, ties at their mean rank); NaN for constant input.
double spearman_rho(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace segrun::eval
