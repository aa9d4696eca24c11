#pragma once
// CPU kernels for concatenation along the last dimension of row-major blocks.
#include <cstdint>
#include <vector>

namespace segrun::cpu {

// Row r of out is row r of parts[0], then row r of parts[1], ... (widths[k] elements each).
template <typename T>
void concat_last(const std::vector<const T*>& parts, const std::vector<int64_t>& widths, int64_t rows, T* out);

// The inverse: part k gets columns [offset_k, offset_k + widths[k]) of each row of `in`; null
// entries of parts are skipped.
template <typename T>
void split_last(const T* in, int64_t rows, const std::vector<int64_t>& widths, const std::vector<T*>& parts);

}  // namespace segrun::cpu
