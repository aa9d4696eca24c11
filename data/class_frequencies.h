#pragma once
// Class pixel frequencies of a split, from which losses/class_weights.h derives the CE class
// weights (docs/REFERENCE.md section 2.5).
#include <cstdint>
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

}  // namespace segrun::data
