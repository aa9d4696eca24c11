#include "eval/rank_correlation.h"

#include <cmath>

namespace segrun::eval {

std::vector<double> ranks(const std::vector<double>& values) {
  std::vector<double> r(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    double above = 0, equal = 0;
    for (double v : values) {
      above += v > values[i];
      equal += v == values[i];
    }
    r[i] = above + (equal + 1) / 2;
  }
  return r;
}

double spearman_rho(const std::vector<double>& x, const std::vector<double>& y) {
  const std::vector<double> a = ranks(x), b = ranks(y);
  const double mean = (static_cast<double>(a.size()) + 1) / 2;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - mean) * (b[i] - mean);
    saa += (a[i] - mean) * (a[i] - mean);
    sbb += (b[i] - mean) * (b[i] - mean);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : std::nan("");
}

}  // namespace segrun::eval
