#include "cuda/check.h"
#include "cuda/concat.h"
#include "cuda/kernels.cuh"

namespace segrun::cuda {

namespace {

template <typename T>
__global__ void copy_channels_kernel(const T* src, int64_t src_row, int64_t src_offset, T* dst, int64_t dst_row,
                                     int64_t dst_offset, int64_t width, int64_t total) {
  SEGRUN_GRID_LOOP(i, total) {
    const int64_t r = i / width, j = i % width;
    dst[r * dst_row + dst_offset + j] = src[r * src_row + src_offset + j];
  }
}

}  // namespace

void copy_channels(DType dt, const void* src, int64_t src_row, int64_t src_offset, void* dst, int64_t dst_row,
                   int64_t dst_offset, int64_t rows, int64_t width, cudaStream_t stream) {
  const int64_t total = rows * width;
  if (total == 0) return;
  dispatch_storage(dt, "concat", [&](auto tag) {
    using T = decltype(tag);
    copy_channels_kernel<T><<<blocks_for(total), kThreads, 0, stream>>>(
        static_cast<const T*>(src), src_row, src_offset, static_cast<T*>(dst), dst_row, dst_offset, width, total);
  });
  SEGRUN_CUDA_CHECK_LAUNCH("copy_channels_kernel");
}

}  // namespace segrun::cuda
