#pragma once
// Class pixel frequencies of a split and the CE class weights derived from them
// (REFERENCE.md section 2).
#include <cstdint>
#include <string>
#include <vector>

#include "data/cache.h"

namespace segrun::data {

struct ClassFrequencies {
  std::vector<uint64_t> pixel_counts;  // per class
  uint64_t valid_pixels = 0;           // pixels that are not ignored
  std::vector<double> frequencies;     // f_c = count_c / valid_pixels
};

// Counts over the whole cached split; stored in <cache path>.classfreq.json and reused while the
// cache's list hash and size match. A label >= num_classes other than 255 is an error.
ClassFrequencies class_frequencies(const SplitCache& cache, int num_classes);

// "enet": w_c = 1 / ln(1.02 + f_c); "median": w_c = median(f) / f_c over the classes present
// (absent classes get 0); "none": all ones.
std::vector<double> class_weights(const std::vector<double>& frequencies, const std::string& method);

}  // namespace segrun::data
