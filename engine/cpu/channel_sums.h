#pragma once
// Per-channel sums over the rows of a (rows, C) block in a fixed order: rows are cut into chunks
// of a fixed size, each chunk is summed in double, and the chunk sums are added in chunk order,
// so the result is the same for any number of threads.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "engine/cpu/parallel.h"

namespace segrun::cpu {

constexpr int64_t kChannelChunkRows = 1024;

// out[c] = sum over r of term(r, c), for every channel c.
template <typename Term>
void channel_sums(int64_t rows, int64_t channels, double* out, Term term) {
  const int64_t chunks = std::max<int64_t>(1, (rows + kChannelChunkRows - 1) / kChannelChunkRows);
  std::vector<double> partial(static_cast<size_t>(chunks * channels), 0.0);
#pragma omp parallel for if (chunks > 1 && rows * channels > kParallelMinElements)
  for (int64_t k = 0; k < chunks; ++k) {
    double* acc = partial.data() + k * channels;
    const int64_t end = std::min(rows, (k + 1) * kChannelChunkRows);
    for (int64_t r = k * kChannelChunkRows; r < end; ++r)
      for (int64_t c = 0; c < channels; ++c) acc[c] += term(r, c);
  }
  std::fill(out, out + channels, 0.0);
  for (int64_t k = 0; k < chunks; ++k)
    for (int64_t c = 0; c < channels; ++c) out[c] += partial[static_cast<size_t>(k * channels + c)];
}

}  // namespace segrun::cpu
