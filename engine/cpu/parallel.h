#pragma once
// Shared threshold for OpenMP loops in the CPU kernels.
#include <cstdint>

namespace segrun::cpu {

// Below this many elements, starting threads costs more than they save.
constexpr int64_t kParallelMinElements = 1 << 14;

}  // namespace segrun::cpu
