#include "apps/segrun/flag_limits.h"

#include <unistd.h>

#include <cmath>
#include <stdexcept>

namespace segrun::app {

namespace {

// The value of `text` when it is a finite number and nothing else, else an error message.
std::string finite_number(const std::string& text, double& value) {
  size_t used = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::logic_error&) {
    return "'" + text + "' is not a number";
  }
  if (used != text.size()) return "'" + text + "' is not a number";
  if (!std::isfinite(value)) return "'" + text + "' is not a finite number";
  return "";
}

}  // namespace

CLI::Validator finite_positive() {
  return CLI::Validator(
      [](std::string& text) {
        double v = 0;
        std::string error = finite_number(text, v);
        if (error.empty() && !(v > 0)) error = "'" + text + "' must be greater than 0";
        return error;
      },
      "POSITIVE");
}

CLI::Validator finite_non_negative() {
  return CLI::Validator(
      [](std::string& text) {
        double v = 0;
        std::string error = finite_number(text, v);
        if (error.empty() && !(v >= 0)) error = "'" + text + "' must not be negative";
        return error;
      },
      "NON-NEGATIVE");
}

CLI::Validator whole_number_u64() {
  return CLI::Validator(
      [](std::string& text) {
        if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
          return "'" + text + "' is not a whole number of decimal digits";
        try {
          (void)std::stoull(text);
        } catch (const std::out_of_range&) {
          return "'" + text + "' is larger than 18446744073709551615";
        }
        return std::string();
      },
      "UINT64");
}

uint64_t training_memory_floor(int batch, int width_px, int height_px, int model_width) {
  // Input, first-level features, their gradients and the decoder's copy: at least 8 tensors of
  // the first level's size are alive at once in both networks.
  constexpr uint64_t kLiveFirstLevelTensors = 8;
  return static_cast<uint64_t>(batch) * static_cast<uint64_t>(width_px) * static_cast<uint64_t>(height_px) *
         static_cast<uint64_t>(model_width) * sizeof(float) * kLiveFirstLevelTensors;
}

uint64_t physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
}

void check_fits_in_memory(uint64_t needed, const std::string& what) {
  const uint64_t have = physical_memory_bytes();
  if (have == 0 || needed <= have) return;
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  char line[96];
  std::snprintf(line, sizeof line, " needs at least %.1f GiB but this machine has %.1f GiB", needed / kGiB,
                have / kGiB);
  throw std::invalid_argument(what + line);
}

}  // namespace segrun::app
