#pragma once
// Launcher for channel concatenation of NHWC tensors (f32 or f16 storage).
#include <cuda_runtime_api.h>

#include <cstdint>

#include "engine/dtype.h"

namespace segrun::cuda {

// dst[r, dst_offset + j] = src[r, src_offset + j] for rows r < rows, j < width; the row
// lengths are src_row and dst_row. Concat forward and backward are both such copies.
void copy_channels(DType dt, const void* src, int64_t src_row, int64_t src_offset, void* dst, int64_t dst_row,
                   int64_t dst_offset, int64_t rows, int64_t width, cudaStream_t stream);

}  // namespace segrun::cuda
