#pragma once
// Class weights for cross-entropy from per-class pixel frequencies f_c (docs/REFERENCE.md section 2.5).
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace segrun::losses {

// ENet: w_c = 1 / ln(1.02 + f_c). Frequencies must lie in [0, 1].
std::vector<double> enet_class_weights(const std::vector<double>& frequencies);

// Median frequency balancing: w_c = median(f) / f_c, the median taken over all C classes (the
// mean of the two middle values for even C). A class with f_c = 0 never occurs in the labels,
// so its weight is set to 0 instead of infinity; a median of 0 is an error.
std::vector<double> median_class_weights(const std::vector<double>& frequencies);

// One finite non-negative weight per class, whitespace or newline separated; errors name the
// file and line.
std::vector<double> read_class_weights_file(const std::string& path, size_t classes);

// `enet`, `median`, `none` (all 1) or the path of a weights file, for C = frequencies.size().
std::vector<double> class_weights(const std::string& spec, const std::vector<double>& frequencies);

// The weights as an f32 tensor of shape (C), the class_weight input of the losses.
Tensor class_weight_tensor(const std::vector<double>& weights);

}  // namespace segrun::losses
