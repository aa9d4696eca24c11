#include "losses/configs.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "engine/error.h"

namespace segrun::losses {

const std::vector<NamedLossConfig>& named_loss_configs() {
  static const std::vector<NamedLossConfig> configs = {
      {"equal", {1.0, 1.0, 1.0}},          {"ce_dominant", {1.0, 0.5, 0.5}}, {"dice_dominant", {0.5, 1.0, 0.5}},
      {"focal_dominant", {0.5, 0.5, 1.0}}, {"ce_only", {1.0, 0.0, 0.0}},     {"dice_only", {0.0, 1.0, 0.0}},
      {"focal_only", {0.0, 0.0, 1.0}},
  };
  return configs;
}

LossWeights loss_config(const std::string& name) {
  std::string valid;
  for (const NamedLossConfig& c : named_loss_configs()) {
    if (c.name == name) return c.weights;
    valid += (valid.empty() ? "" : ", ") + c.name;
  }
  throw_invalid("loss config '", name, "' is unknown; valid names: ", valid);
}

namespace {
// Parses one whole number token; false if anything but a finite number is there.
bool parse_number(const std::string& token, double& value) {
  if (token.empty()) return false;
  char* end = nullptr;
  value = std::strtod(token.c_str(), &end);
  return end == token.c_str() + token.size() && std::isfinite(value);
}
}  // namespace

LossWeights parse_loss_weights(const std::string& text) {
  std::vector<double> values;
  std::stringstream in(text);
  std::string token;
  while (std::getline(in, token, ',')) {
    double v = 0;
    SEGRUN_CHECK_ARG(parse_number(token, v) && v >= 0, "loss weights '", text, "': '", token,
                     "' is not a finite non-negative number");
    values.push_back(v);
  }
  SEGRUN_CHECK_ARG(values.size() == 3 && text.back() != ',', "loss weights '", text,
                   "': expected three comma-separated numbers ce,dice,focal");
  SEGRUN_CHECK_ARG(values[0] + values[1] + values[2] > 0, "loss weights '", text, "': at least one must be positive");
  return {values[0], values[1], values[2]};
}

}  // namespace segrun::losses
