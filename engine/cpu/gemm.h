#pragma once
// Blocked, vectorised matrix product on row-major matrices:
//   C (m x n) = alpha * op(A) (m x k) * op(B) (k x n) + beta * C,
// op(X) = X or X^T. Panels of A and B are packed into contiguous, zero-padded buffers and a
// register-tiled micro-kernel computes each MR x NR tile of C. Every element of C sums over k
// in the same order whatever the thread count, so results are bitwise reproducible.
#include <cstdint>

namespace segrun::cpu {

enum class Trans { No, Yes };

template <typename T>
struct GemmOperand {
  const T* data;
  int64_t ld;  // row stride of the stored matrix
  Trans trans = Trans::No;
};

// OpenMP-parallel over blocks of C. beta == 0 never reads C (it may hold garbage).
template <typename T>
void gemm(int64_t m, int64_t n, int64_t k, T alpha, GemmOperand<T> a, GemmOperand<T> b, T beta, T* c, int64_t ldc);

// The same product on the calling thread only, for callers that parallelise around it.
template <typename T>
void gemm_serial(int64_t m, int64_t n, int64_t k, T alpha, GemmOperand<T> a, GemmOperand<T> b, T beta, T* c,
                 int64_t ldc);

}  // namespace segrun::cpu
