#include "losses/class_weights.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "engine/error.h"

namespace segrun::losses {

namespace {
void check_frequencies(const char* scheme, const std::vector<double>& f) {
  SEGRUN_CHECK_ARG(!f.empty(), scheme, " class weights: no class frequencies given");
  for (size_t c = 0; c < f.size(); ++c) {
    SEGRUN_CHECK_ARG(std::isfinite(f[c]) && f[c] >= 0 && f[c] <= 1, scheme, " class weights: frequency of class ", c,
                     " is ", f[c], ", not in [0, 1]");
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
}  // namespace

// w_c = 1 / ln(1.02 + f_c) (Paszke et al., ENet).
std::vector<double> enet_class_weights(const std::vector<double>& frequencies) {
  check_frequencies("enet", frequencies);
  std::vector<double> w;
  w.reserve(frequencies.size());
  for (double f : frequencies) w.push_back(1.0 / std::log(1.02 + f));
  return w;
}

// w_c = median(f) / f_c (Eigen and Fergus), 0 for a class that never occurs.
std::vector<double> median_class_weights(const std::vector<double>& frequencies) {
  check_frequencies("median", frequencies);
  const double m = median(frequencies);
  SEGRUN_CHECK_ARG(m > 0, "median class weights: the median frequency is 0 (at least half of the ", frequencies.size(),
                   " classes never occur)");
  std::vector<double> w;
  w.reserve(frequencies.size());
  for (double f : frequencies) w.push_back(f > 0 ? m / f : 0.0);
  return w;
}

std::vector<double> read_class_weights_file(const std::string& path, size_t classes) {
  std::ifstream in(path);
  SEGRUN_CHECK_ARG(in.good(), "class weights file ", path, ": cannot open it");
  std::vector<double> w;
  std::string line, token;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    std::istringstream words(line);
    while (words >> token) {
      char* end = nullptr;
      const double v = std::strtod(token.c_str(), &end);
      SEGRUN_CHECK_ARG(end == token.c_str() + token.size() && std::isfinite(v) && v >= 0, path, ":", line_no, ": '",
                       token, "' is not a finite non-negative weight");
      SEGRUN_CHECK_ARG(w.size() < classes, path, ":", line_no, ": more than ", classes, " weights (one per class)");
      w.push_back(v);
    }
  }
  SEGRUN_CHECK_ARG(w.size() == classes, path, ": ", w.size(), " weights for ", classes, " classes");
  return w;
}

std::vector<double> class_weights(const std::string& spec, const std::vector<double>& frequencies) {
  if (spec == "enet") return enet_class_weights(frequencies);
  if (spec == "median") return median_class_weights(frequencies);
  if (spec == "none") return std::vector<double>(frequencies.size(), 1.0);
  SEGRUN_CHECK_ARG(std::ifstream(spec).good(), "class weights '", spec,
                   "': neither enet, median, none nor a readable weights file");
  return read_class_weights_file(spec, frequencies.size());
}

Tensor class_weight_tensor(const std::vector<double>& weights) {
  return Tensor::from_vector(std::vector<float>(weights.begin(), weights.end()),
                             {static_cast<int64_t>(weights.size())});
}

}  // namespace segrun::losses
