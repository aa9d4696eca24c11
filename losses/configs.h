#pragma once
// The seven loss configurations of the study (docs/REFERENCE.md section 2.6) and `--weights ce,dice,focal`.
#include <string>
#include <vector>

#include "losses/losses.h"

namespace segrun::losses {

struct NamedLossConfig {
  std::string name;
  LossWeights weights;
};

// equal, ce_dominant, dice_dominant, focal_dominant, ce_only, dice_only, focal_only (table order).
const std::vector<NamedLossConfig>& named_loss_configs();

// Weights of a named configuration; std::invalid_argument listing the valid names otherwise.
LossWeights loss_config(const std::string& name);

// "1,0.5,0.5" -> {ce 1, dice 0.5, focal 0.5}: three finite non-negative numbers, not all zero.
LossWeights parse_loss_weights(const std::string& text);

}  // namespace segrun::losses
