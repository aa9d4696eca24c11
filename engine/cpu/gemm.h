#pragma once
// Blocked, vectorised matrix product on row-major matrices:
//   C (m x n) = alpha * op(A) (m x k) * op(B) (k x n) + beta * C,
// op(X) = X or X^T. Panels of A and B are packed into contiguous, zero-padded buffers and a
// register-tiled micro-kernel computes each MR x NR tile of C. Every element of C sums over k
// in the same order whatever the thread count, so results are bitwise reproducible.
#include <cstdint>
#include <vector>

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

// op(B) (k x n) packed once into the panels gemm_serial reads, for a B shared by many
// products (a convolution's weights across all bands of rows).
template <typename T>
class PackedB {
 public:
  PackedB(int64_t k, int64_t n, GemmOperand<T> b);
  int64_t k() const { return k_; }
  int64_t n() const { return n_; }
  const T* data() const { return data_.data(); }

 private:
  int64_t k_, n_;
  std::vector<T> data_;
};

// gemm_serial with a prepacked B; sums in the same order as the unpacked form.
template <typename T>
void gemm_serial(int64_t m, T alpha, GemmOperand<T> a, const PackedB<T>& b, T beta, T* c, int64_t ldc);

}  // namespace segrun::cpu
