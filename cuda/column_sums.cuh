#pragma once
// Per-column sums of a row-major [rows x cols] matrix (an NHWC tensor's channels), in two
// stages so that every load is coalesced and the whole GPU takes part however few the columns:
//   1. A grid of (column tiles x row chunks) blocks. A block's threads are tx columns wide (a
//      warp reads consecutive columns of tx / 32 consecutive rows) and ty rows tall; each sums
//      its column over a stride of the chunk's rows, then the block adds its ty partial sums
//      in a fixed tree. One partial per (chunk, column) goes to scratch.
//   2. One thread per column adds its chunks' partials in ascending order and hands the
//      totals to a finishing functor (a mean, a gradient, running statistics).
// The tiling depends only on (rows, cols), never on the device, so the sums are the same
// numbers on every GPU and every run.
// The per-element values come from a functor: `values(row, col, float out[K])` gives the K
// quantities summed at once (K = 2 for batch norm's two backward sums); `finish(col,
// const float sums[K])` consumes the totals.
#include <algorithm>
#include <cstdint>

#include "cuda/check.h"
#include "cuda/kernels.cuh"

namespace segrun::cuda {

struct ColumnTiling {
  int tx = 32, ty = 8;  // block shape (tx * ty = kThreads)
  int64_t column_tiles = 1;
  int64_t chunks = 1;      // row chunks, one partial each
  int64_t chunk_rows = 1;  // rows per chunk (the last may have fewer)
};

// About this many blocks in stage 1: several per SM on any current GPU.
constexpr int64_t kColumnSumTargetBlocks = 512;
// Each thread of stage 1 sums at least this many rows, so a partial is worth its store.
constexpr int64_t kColumnSumMinRowsPerThread = 4;

inline ColumnTiling column_tiling(int64_t rows, int64_t cols) {
  ColumnTiling t;
  t.tx = 1;
  while (t.tx < 32 && t.tx < cols) t.tx *= 2;
  t.ty = kThreads / t.tx;
  t.column_tiles = (cols + t.tx - 1) / t.tx;
  const int64_t by_rows = std::max<int64_t>(1, rows / (t.ty * kColumnSumMinRowsPerThread));
  const int64_t by_blocks = std::max<int64_t>(1, kColumnSumTargetBlocks / t.column_tiles);
  t.chunks = std::min(by_rows, by_blocks);
  t.chunk_rows = std::max<int64_t>(1, (rows + t.chunks - 1) / t.chunks);
  t.chunks = std::max<int64_t>(1, (rows + t.chunk_rows - 1) / t.chunk_rows);
  return t;
}

// Scratch floats the two stages need for K sums per column.
inline int64_t column_sums_scratch(int64_t rows, int64_t cols, int k) {
  return k * column_tiling(rows, cols).chunks * cols;
}

template <int K, typename Values>
__global__ void column_partials_kernel(ColumnTiling t, int64_t rows, int64_t cols, Values values, float* partial) {
  __shared__ float shared[K][kThreads];
  const int64_t col = static_cast<int64_t>(blockIdx.x) * t.tx + threadIdx.x;
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * t.chunk_rows;
  const int64_t r1 = r0 + t.chunk_rows < rows ? r0 + t.chunk_rows : rows;
  float acc[K] = {};
  if (col < cols) {
    for (int64_t r = r0 + threadIdx.y; r < r1; r += t.ty) {
      float v[K];
      values(r, col, v);
#pragma unroll
      for (int k = 0; k < K; ++k) acc[k] += v[k];
    }
  }
  const int slot = threadIdx.y * t.tx + threadIdx.x;
#pragma unroll
  for (int k = 0; k < K; ++k) shared[k][slot] = acc[k];
  __syncthreads();
  for (int half = t.ty / 2; half > 0; half /= 2) {
    if (threadIdx.y < half) {
#pragma unroll
      for (int k = 0; k < K; ++k) shared[k][slot] += shared[k][slot + half * t.tx];
    }
    __syncthreads();
  }
  if (threadIdx.y != 0 || col >= cols) return;
#pragma unroll
  for (int k = 0; k < K; ++k) partial[(k * t.chunks + blockIdx.y) * cols + col] = shared[k][threadIdx.x];
}

template <int K, typename Finish>
__global__ void column_totals_kernel(ColumnTiling t, int64_t cols, const float* partial, Finish finish) {
  SEGRUN_GRID_LOOP(col, cols) {
    float sums[K];
#pragma unroll
    for (int k = 0; k < K; ++k) {
      float s = 0.0f;
      for (int64_t chunk = 0; chunk < t.chunks; ++chunk) s += partial[(k * t.chunks + chunk) * cols + col];
      sums[k] = s;
    }
    finish(col, sums);
  }
}

// Both stages on `stream`; `scratch` holds column_sums_scratch(rows, cols, K) floats.
template <int K, typename Values, typename Finish>
void column_sums(int64_t rows, int64_t cols, Values values, Finish finish, float* scratch, cudaStream_t stream) {
  if (cols == 0) return;
  const ColumnTiling t = column_tiling(rows, cols);
  const dim3 grid(static_cast<unsigned>(t.column_tiles), static_cast<unsigned>(t.chunks));
  const dim3 block(static_cast<unsigned>(t.tx), static_cast<unsigned>(t.ty));
  column_partials_kernel<K><<<grid, block, 0, stream>>>(t, rows, cols, values, scratch);
  SEGRUN_CUDA_CHECK_LAUNCH("column_partials_kernel");
  column_totals_kernel<K><<<blocks_for(cols), kThreads, 0, stream>>>(t, cols, scratch, finish);
  SEGRUN_CUDA_CHECK_LAUNCH("column_totals_kernel");
}

}  // namespace segrun::cuda
