#pragma once
// Argument checks that throw std::invalid_argument with a message a user can act on.
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace segrun {

std::string shape_str(const std::vector<int64_t>& shape);

template <typename... Parts>
std::string cat_str(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  return os.str();
}

template <typename... Parts>
[[noreturn]] void throw_invalid(const Parts&... parts) {
  throw std::invalid_argument(cat_str(parts...));
}

#define SEGRUN_CHECK_ARG(cond, ...)                    \
  do {                                                 \
    if (!(cond)) ::segrun::throw_invalid(__VA_ARGS__); \
  } while (0)

}  // namespace segrun
