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

// An A read in place whose k axis is cut into taps, each starting at its own offset:
// element (i, t * tap_k + p) is data[i * ld + offsets[t] + p]. A convolution's patches in a
// zero-padded input have this form, so the product needs no im2col copy. The rows may come in
// lines of line_rows (one output row of the convolution), line l starting at data + l * line_ld;
// line_rows == 0 makes all rows one line.
template <typename T>
struct ShiftedRows {
  const T* data;
  int64_t ld;
  const int64_t* offsets;  // one per tap
  int64_t tap_k;
  int64_t line_rows = 0;
  int64_t line_ld = 0;
};

// Rows of a ShiftedRows A past the last one of a line that the product may read (and ignore):
// the caller keeps them readable.
constexpr int64_t kShiftedRowsOverread = 11;

// C (m x n) = alpha * A * B + beta * C on the calling thread, A of k = b.k() columns in taps.
template <typename T>
void gemm_serial(int64_t m, T alpha, ShiftedRows<T> a, const PackedB<T>& b, T beta, T* c, int64_t ldc);

// C (m x n) = alpha * op(A) * B + beta * C on the calling thread, with B (k x n, n = taps *
// tap_k) a ShiftedRows matrix of one line: a convolution's filter gradient from patches read
// in place.
template <typename T>
void gemm_serial(int64_t m, int64_t n, int64_t k, T alpha, GemmOperand<T> a, ShiftedRows<T> b, T beta, T* c,
                 int64_t ldc);

}  // namespace segrun::cpu
