#include "engine/cpu/gemm.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace segrun::cpu {

namespace {

// Vector width and tile height follow the register file: 32 registers hold a 12 x 2-vector
// accumulator tile with AVX-512, 16 registers a 6 x 2-vector tile otherwise.
#if defined(__AVX512F__)
constexpr int kSimdBytes = 64;
constexpr int kTileRows = 12;
#elif defined(__AVX__)
constexpr int kSimdBytes = 32;
constexpr int kTileRows = 6;
#else
constexpr int kSimdBytes = 16;
constexpr int kTileRows = 6;
#endif

typedef float VecF __attribute__((vector_size(kSimdBytes)));
typedef double VecD __attribute__((vector_size(kSimdBytes)));

inline VecF fmadd(VecF a, VecF b, VecF c) {
#if defined(__AVX512F__)
  return _mm512_fmadd_ps(a, b, c);
#elif defined(__FMA__) && defined(__AVX__)
  return _mm256_fmadd_ps(a, b, c);
#else
  return a * b + c;
#endif
}

inline VecD fmadd(VecD a, VecD b, VecD c) {
#if defined(__AVX512F__)
  return _mm512_fmadd_pd(a, b, c);
#elif defined(__FMA__) && defined(__AVX__)
  return _mm256_fmadd_pd(a, b, c);
#else
  return a * b + c;
#endif
}

// The vector type holding T lanes.
template <typename T>
struct Simd;
template <>
struct Simd<float> {
  using Vec = VecF;
};
template <>
struct Simd<double> {
  using Vec = VecD;
};

// From this many values of B up, PackedB packs its panels on all threads.
constexpr int64_t kParallelPackMin = 1 << 16;

// Up to this many rows of C, an untransposed B is read in place rather than packed.
constexpr int64_t kMaxRowsForUnpackedB = 96;

// Tile and cache-block sizes. KC covers all nine taps of a 3x3 convolution of up to 128
// channels, so a convolution's output tile is written once rather than once per block of k
// (measured: 4-5% faster on 64- and 128-channel 3x3 convolutions than KC = 256). Its KC x NR
// panel of B then lives in L2, not L1; the two vector loads of B per step of k are few against
// the tile's 2 * MR FMAs, and they stream in order. KC x NC of B is reused from L3 across
// the MC blocks.
template <typename T>
struct Dims {
  static constexpr int kLanes = kSimdBytes / static_cast<int>(sizeof(T));
  static constexpr int kMr = kTileRows;
  static constexpr int kNr = 2 * kLanes;
  static constexpr int64_t kKc = 1152;
  static constexpr int64_t kMc = kMr * 16;
  static constexpr int64_t kNc = kNr * 32;
};

template <typename V, typename T>
inline V load_vec(const T* p) {
  V v;
  std::memcpy(&v, p, sizeof(V));
  return v;
}

template <typename V, typename T>
inline void store_vec(T* p, V v) {
  std::memcpy(p, &v, sizeof(V));
}

// The intrinsics compile to one broadcast load; the generic `V{} + s` would also add a zero.
inline VecF broadcast(float s) {
#if defined(__AVX512F__)
  return _mm512_set1_ps(s);
#elif defined(__AVX__)
  return _mm256_set1_ps(s);
#else
  return VecF{} + s;
#endif
}

inline VecD broadcast(double s) {
#if defined(__AVX512F__)
  return _mm512_set1_pd(s);
#elif defined(__AVX__)
  return _mm256_set1_pd(s);
#else
  return VecD{} + s;
#endif
}

template <typename T, int kRows>
using Accumulators = typename Simd<T>::Vec[kRows][2];

// acc (kRows x NR) += sum_p ap[p][i] * bp[p][j] over kc steps of k.
// A is read either from a packed panel (element (i, p) at ap[p * MR + i]; a short tile uses its first rows) or straight
// from row-major storage (at ap[i * lda + p]), which saves the packing copy when A is not transposed. Row p of the B
// panel starts at bp + p * ldb: ldb is NR when packed, B's row stride in place.
template <typename T, int kRows, bool kPackedA>
__attribute__((always_inline)) inline void accumulate(Accumulators<T, kRows>& acc, int64_t kc, const T* ap, int64_t lda,
                                                      const T* bp, int64_t ldb) {
  using V = typename Simd<T>::Vec;
  using D = Dims<T>;
  for (int64_t p = 0; p < kc; ++p) {
    const V b0 = load_vec<V>(bp), b1 = load_vec<V>(bp + D::kLanes);
#pragma GCC unroll 16
    for (int i = 0; i < kRows; ++i) {
      const V a = broadcast(kPackedA ? ap[i] : ap[i * lda]);
      acc[i][0] = fmadd(a, b0, acc[i][0]);
      acc[i][1] = fmadd(a, b1, acc[i][1]);
    }
    ap += kPackedA ? Dims<T>::kMr : 1;
    bp += ldb;
  }
}

// C = alpha * acc + beta * C on the valid rows/columns. Full tiles are written straight from
// the registers.
template <typename T, int kRows>
__attribute__((always_inline)) inline void store_tile(const Accumulators<T, kRows>& acc, T alpha, T beta, T* c,
                                                      int64_t ldc, int rows, int cols) {
  using V = typename Simd<T>::Vec;
  using D = Dims<T>;
  if (rows == kRows && cols == D::kNr) {
#pragma GCC unroll 16
    for (int i = 0; i < kRows; ++i) {
      for (int h = 0; h < 2; ++h) {
        T* cp = c + i * ldc + h * D::kLanes;
        V out = acc[i][h] * alpha;
        if (beta != T(0)) out += load_vec<V>(cp) * beta;
        store_vec(cp, out);
      }
    }
    return;
  }
  T tile[kRows * D::kNr];
  for (int i = 0; i < kRows; ++i) {
    store_vec(tile + i * D::kNr, acc[i][0]);
    store_vec(tile + i * D::kNr + D::kLanes, acc[i][1]);
  }
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) {
      T& dst = c[i * ldc + j];
      dst = beta != T(0) ? alpha * tile[i * D::kNr + j] + beta * dst : alpha * tile[i * D::kNr + j];
    }
  }
}

// One MR x NR tile of C from kc steps of k.
template <typename T, bool kPackedA>
void micro_kernel(int64_t kc, const T* ap, int64_t lda, const T* bp, int64_t ldb, T alpha, T beta, T* c, int64_t ldc,
                  int rows, int cols) {
  Accumulators<T, Dims<T>::kMr> acc = {};
  accumulate<T, Dims<T>::kMr, kPackedA>(acc, kc, ap, lda, bp, ldb);
  store_tile<T, Dims<T>::kMr>(acc, alpha, beta, c, ldc, rows, cols);
}

// The last rows of a packed A panel (at most two thirds of MR) with a tile no taller than needed.
template <typename T>
void short_packed_tile(int rows, int64_t kc, const T* ap, const T* bp, int64_t ldb, T alpha, T beta, T* c, int64_t ldc,
                       int cols) {
  constexpr int kThird = Dims<T>::kMr / 3;
  if (rows > kThird) {
    Accumulators<T, 2 * kThird> acc = {};
    accumulate<T, 2 * kThird, true>(acc, kc, ap, 0, bp, ldb);
    store_tile<T, 2 * kThird>(acc, alpha, beta, c, ldc, rows, cols);
  } else {
    Accumulators<T, kThird> acc = {};
    accumulate<T, kThird, true>(acc, kc, ap, 0, bp, ldb);
    store_tile<T, kThird>(acc, alpha, beta, c, ldc, rows, cols);
  }
}

template <typename T>
inline T element(const GemmOperand<T>& x, int64_t row, int64_t col) {
  return x.trans == Trans::No ? x.data[row * x.ld + col] : x.data[col * x.ld + row];
}

// Packs op(A)[i0:i0+mc, p0:p0+kc] into MR-row panels, k-major inside a panel, zero-padded.
template <typename T>
void pack_a(const GemmOperand<T>& a, int64_t i0, int64_t mc, int64_t p0, int64_t kc, T* dst) {
  constexpr int kMr = Dims<T>::kMr;
  for (int64_t r = 0; r < mc; r += kMr) {
    const int rows = static_cast<int>(std::min<int64_t>(kMr, mc - r));
    T* panel = dst + r * kc;
    if (a.trans == Trans::No) {
      for (int i = 0; i < rows; ++i) {
        const T* src = a.data + (i0 + r + i) * a.ld + p0;
        for (int64_t p = 0; p < kc; ++p) panel[p * kMr + i] = src[p];
      }
    } else {
      for (int64_t p = 0; p < kc; ++p) {
        const T* src = a.data + (p0 + p) * a.ld + i0 + r;
        for (int i = 0; i < rows; ++i) panel[p * kMr + i] = src[i];
      }
    }
    for (int i = rows; i < kMr; ++i) {
      for (int64_t p = 0; p < kc; ++p) panel[p * kMr + i] = T(0);
    }
  }
}

// Packs op(B)[p0:p0+kc, j0:j0+nc] into NR-column panels, k-major inside a panel, zero-padded.
template <typename T>
void pack_b(const GemmOperand<T>& b, int64_t p0, int64_t kc, int64_t j0, int64_t nc, T* dst) {
  constexpr int kNr = Dims<T>::kNr;
  for (int64_t s = 0; s < nc; s += kNr) {
    const int cols = static_cast<int>(std::min<int64_t>(kNr, nc - s));
    T* panel = dst + s * kc;
    if (b.trans == Trans::No) {
      for (int64_t p = 0; p < kc; ++p) {
        const T* src = b.data + (p0 + p) * b.ld + j0 + s;
        T* out = panel + p * kNr;
        for (int j = 0; j < cols; ++j) out[j] = src[j];
        for (int j = cols; j < kNr; ++j) out[j] = T(0);
      }
    } else {
      for (int j = 0; j < cols; ++j) {
        const T* src = b.data + (j0 + s + j) * b.ld + p0;
        for (int64_t p = 0; p < kc; ++p) panel[p * kNr + j] = src[p];
      }
      for (int64_t p = 0; p < kc; ++p) {
        for (int j = cols; j < kNr; ++j) panel[p * kNr + j] = T(0);
      }
    }
  }
}

// Per-thread packing buffers, grown on demand and kept for the next call.
template <typename T>
struct PackBuffers {
  std::vector<T> a, b;
  static PackBuffers& local() {
    static thread_local PackBuffers buffers;
    return buffers;
  }
};

template <typename T>
void scale_c(int64_t i0, int64_t i1, int64_t j0, int64_t j1, T beta, T* c, int64_t ldc) {
  for (int64_t i = i0; i < i1; ++i) {
    for (int64_t j = j0; j < j1; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
  }
}

// Where the NR-column panels of one KC x NC block of B are: the first `direct_cols` columns
// in place (row stride ld), the rest packed.
template <typename T>
struct BlockOfB {
  const T* packed = nullptr;
  const T* direct = nullptr;
  int64_t ld = 0;
  int64_t direct_cols = 0;
};

// Rows [i0, i1) of op(A), columns [pc, pc + kc), times one KC x NC block of B into
// C[i0:i1, jc:jc+nc] (C = alpha * product + beta * C).
template <typename T>
void multiply_block(const GemmOperand<T>& a, int64_t i0, int64_t i1, int64_t pc, int64_t kc, const BlockOfB<T>& b,
                    int64_t jc, int64_t nc, T alpha, T beta, T* c, int64_t ldc) {
  using D = Dims<T>;
  PackBuffers<T>& buf = PackBuffers<T>::local();
  buf.a.resize(static_cast<size_t>(D::kMc * kc));
  for (int64_t ic = i0; ic < i1; ic += D::kMc) {
    const int64_t mc = std::min<int64_t>(D::kMc, i1 - ic);
    // Full MR-row groups of an untransposed A are read in place; the rest is packed.
    const int64_t direct_rows = a.trans == Trans::No ? mc - mc % D::kMr : 0;
    if (direct_rows < mc) pack_a(a, ic + direct_rows, mc - direct_rows, pc, kc, buf.a.data());
    for (int64_t jr = 0; jr < nc; jr += D::kNr) {
      const int cols = static_cast<int>(std::min<int64_t>(D::kNr, nc - jr));
      const bool in_place = jr < b.direct_cols;
      const T* bp = in_place ? b.direct + jr : b.packed + (jr - b.direct_cols) * kc;
      const int64_t ldb = in_place ? b.ld : D::kNr;
      for (int64_t ir = 0; ir < mc; ir += D::kMr) {
        const int rows = static_cast<int>(std::min<int64_t>(D::kMr, mc - ir));
        T* cp = c + (ic + ir) * ldc + jc + jr;
        if (ir < direct_rows) {
          micro_kernel<T, false>(kc, a.data + (ic + ir) * a.ld + pc, a.ld, bp, ldb, alpha, beta, cp, ldc, rows, cols);
        } else {
          micro_kernel<T, true>(kc, buf.a.data() + (ir - direct_rows) * kc, 0, bp, ldb, alpha, beta, cp, ldc, rows,
                                cols);
        }
      }
    }
  }
}

// C[i0:i1, j0:j1] on the calling thread, packing B block by block. Each element sums its KC
// blocks in ascending order.
template <typename T>
void gemm_block(int64_t k, int64_t i0, int64_t i1, int64_t j0, int64_t j1, T alpha, const GemmOperand<T>& a,
                const GemmOperand<T>& b, T beta, T* c, int64_t ldc) {
  using D = Dims<T>;
  if (k == 0) return scale_c(i0, i1, j0, j1, beta, c, ldc);
  PackBuffers<T>& buf = PackBuffers<T>::local();
  const int64_t widest = std::min<int64_t>(D::kNc, (j1 - j0 + D::kNr - 1) / D::kNr * D::kNr);
  buf.b.resize(static_cast<size_t>(widest * std::min<int64_t>(D::kKc, k)));
  for (int64_t jc = j0; jc < j1; jc += D::kNc) {
    const int64_t nc = std::min<int64_t>(D::kNc, j1 - jc);
    for (int64_t pc = 0; pc < k; pc += D::kKc) {
      const int64_t kc = std::min<int64_t>(D::kKc, k - pc);
      // With few rows of C a B panel is used by few micro-kernels, too few to repay packing it;
      // an untransposed B is then read in place except for a partial last panel.
      const bool in_place = b.trans == Trans::No && i1 - i0 <= kMaxRowsForUnpackedB;
      const int64_t direct_cols = in_place ? nc - nc % D::kNr : 0;
      if (direct_cols < nc) pack_b(b, pc, kc, jc + direct_cols, nc - direct_cols, buf.b.data());
      const BlockOfB<T> block{buf.b.data(), b.data + pc * b.ld + jc, b.ld, direct_cols};
      multiply_block(a, i0, i1, pc, kc, block, jc, nc, alpha, pc == 0 ? beta : T(1), c, ldc);
    }
  }
}

// Panels of block (jc, pc) start after the full blocks before them: every earlier column
// block holds k * NC values and every earlier row block of this one kc * padded-width.
template <typename T>
int64_t packed_offset(int64_t k, int64_t n, int64_t jc, int64_t pc) {
  using D = Dims<T>;
  const int64_t nc = std::min<int64_t>(D::kNc, n - jc);
  const int64_t padded = (nc + D::kNr - 1) / D::kNr * D::kNr;
  return jc * k + pc * padded;
}

}  // namespace

template <typename T>
PackedB<T>::PackedB(int64_t k, int64_t n, GemmOperand<T> b) : k_(k), n_(n) {
  using D = Dims<T>;
  data_.resize(static_cast<size_t>(k * ((n + D::kNr - 1) / D::kNr * D::kNr)));
  // A convolution's weights are packed twice a training step (forward and data gradient),
  // tens of millions of values for DeepLabV3+: the KC x NR panels are packed in parallel.
  const int64_t col_blocks = (n + D::kNc - 1) / D::kNc, k_blocks = (k + D::kKc - 1) / D::kKc;
  const int64_t panels_per_block = D::kNc / D::kNr;
  const int64_t tasks = col_blocks * k_blocks * panels_per_block;
#pragma omp parallel for schedule(dynamic, 1) if (k * n >= kParallelPackMin)
  for (int64_t task = 0; task < tasks; ++task) {
    const int64_t jc = task / (k_blocks * panels_per_block) * D::kNc;
    const int64_t pc = task / panels_per_block % k_blocks * D::kKc;
    const int64_t jr = task % panels_per_block * D::kNr;
    const int64_t nc = std::min<int64_t>(D::kNc, n - jc);
    if (jr >= nc) continue;
    const int64_t kc = std::min<int64_t>(D::kKc, k - pc);
    pack_b(b, pc, kc, jc + jr, std::min<int64_t>(D::kNr, nc - jr),
           data_.data() + packed_offset<T>(k, n, jc, pc) + jr * kc);
  }
}

template <typename T>
void gemm_serial(int64_t m, int64_t n, int64_t k, T alpha, GemmOperand<T> a, GemmOperand<T> b, T beta, T* c,
                 int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  gemm_block<T>(k, 0, m, 0, n, alpha, a, b, beta, c, ldc);
}

template <typename T>
void gemm_serial(int64_t m, T alpha, GemmOperand<T> a, const PackedB<T>& b, T beta, T* c, int64_t ldc) {
  using D = Dims<T>;
  if (m <= 0 || b.n() <= 0) return;
  if (b.k() == 0) return scale_c(int64_t{0}, m, int64_t{0}, b.n(), beta, c, ldc);
  for (int64_t jc = 0; jc < b.n(); jc += D::kNc) {
    const int64_t nc = std::min<int64_t>(D::kNc, b.n() - jc);
    for (int64_t pc = 0; pc < b.k(); pc += D::kKc) {
      const BlockOfB<T> block{b.data() + packed_offset<T>(b.k(), b.n(), jc, pc)};
      multiply_block(a, 0, m, pc, std::min<int64_t>(D::kKc, b.k() - pc), block, jc, nc, alpha, pc == 0 ? beta : T(1), c,
                     ldc);
    }
  }
}

namespace {

// One tile of C = A * B over k in [pc, pc + kc), A read tap by tap in place from first_row on.
// Accumulates in ascending k like the packed micro-kernel; kRows may exceed `rows` (the extra
// rows are read and dropped).
template <typename T, int kRows>
void shifted_tile(const ShiftedRows<T>& a, const T* first_row, int64_t pc, int64_t kc, const T* bp, T alpha, T beta,
                  T* c, int64_t ldc, int rows, int cols) {
  Accumulators<T, kRows> acc = {};
  for (int64_t k = pc; k < pc + kc;) {
    const int64_t tap = k / a.tap_k, p = k % a.tap_k;
    const int64_t len = std::min(a.tap_k - p, pc + kc - k);
    accumulate<T, kRows, false>(acc, len, first_row + a.offsets[tap] + p, a.ld, bp + (k - pc) * Dims<T>::kNr,
                                Dims<T>::kNr);
    k += len;
  }
  store_tile<T, kRows>(acc, alpha, beta, c, ldc, rows, cols);
}

}  // namespace

template <typename T>
void gemm_serial(int64_t m, T alpha, ShiftedRows<T> a, const PackedB<T>& b, T beta, T* c, int64_t ldc) {
  using D = Dims<T>;
  static_assert(D::kMr % 3 == 0 && D::kMr - 1 <= kShiftedRowsOverread);
  // Short tiles for the last rows of a line, so a line of 16 or 32 pixels wastes no work.
  constexpr int kThird = D::kMr / 3;
  if (m <= 0 || b.n() <= 0) return;
  if (b.k() == 0) return scale_c(int64_t{0}, m, int64_t{0}, b.n(), beta, c, ldc);
  const int64_t line_rows = a.line_rows > 0 ? a.line_rows : m;
  for (int64_t jc = 0; jc < b.n(); jc += D::kNc) {
    const int64_t nc = std::min<int64_t>(D::kNc, b.n() - jc);
    for (int64_t pc = 0; pc < b.k(); pc += D::kKc) {
      const int64_t kc = std::min<int64_t>(D::kKc, b.k() - pc);
      const T* panels = b.data() + packed_offset<T>(b.k(), b.n(), jc, pc);
      const T block_beta = pc == 0 ? beta : T(1);
      // Each panel of B serves every line before the next is loaded.
      for (int64_t jr = 0; jr < nc; jr += D::kNr) {
        const int cols = static_cast<int>(std::min<int64_t>(D::kNr, nc - jr));
        const T* bp = panels + jr * kc;
        for (int64_t line0 = 0; line0 < m; line0 += line_rows) {
          const T* line = a.data + line0 / line_rows * a.line_ld;
          for (int64_t ir = 0; ir < line_rows; ir += D::kMr) {
            const int rows = static_cast<int>(std::min<int64_t>(D::kMr, line_rows - ir));
            const T* first_row = line + ir * a.ld;
            T* cp = c + (line0 + ir) * ldc + jc + jr;
            if (rows > 2 * kThird) {
              shifted_tile<T, D::kMr>(a, first_row, pc, kc, bp, alpha, block_beta, cp, ldc, rows, cols);
            } else if (rows > kThird) {
              shifted_tile<T, 2 * kThird>(a, first_row, pc, kc, bp, alpha, block_beta, cp, ldc, rows, cols);
            } else {
              shifted_tile<T, kThird>(a, first_row, pc, kc, bp, alpha, block_beta, cp, ldc, rows, cols);
            }
          }
        }
      }
    }
  }
}

template <typename T>
void gemm_serial(int64_t m, int64_t n, int64_t k, T alpha, GemmOperand<T> a, ShiftedRows<T> b, T beta, T* c,
                 int64_t ldc) {
  using D = Dims<T>;
  constexpr int kThird = D::kMr / 3;
  if (m <= 0 || n <= 0) return;
  if (k == 0) return scale_c(int64_t{0}, m, int64_t{0}, n, beta, c, ldc);
  PackBuffers<T>& buf = PackBuffers<T>::local();
  const int64_t deepest = std::min<int64_t>(D::kKc, k);
  buf.a.resize(static_cast<size_t>((m + D::kMr - 1) / D::kMr * D::kMr * deepest));
  buf.b.resize(static_cast<size_t>(D::kNr * deepest));
  for (int64_t pc = 0; pc < k; pc += D::kKc) {
    const int64_t kc = std::min<int64_t>(D::kKc, k - pc);
    const T block_beta = pc == 0 ? beta : T(1);
    // All of op(A)'s rows for this block of k, packed once for every panel of B.
    pack_a(a, 0, m, pc, kc, buf.a.data());
    for (int64_t jr = 0; jr < n; jr += D::kNr) {
      const int cols = static_cast<int>(std::min<int64_t>(D::kNr, n - jr));
      const int64_t tap = jr / b.tap_k, first = jr % b.tap_k;
      // A full panel inside one tap is read in place; one that crosses taps or ends early is gathered.
      const bool in_place = cols == D::kNr && first + D::kNr <= b.tap_k;
      const T* bp = b.data + pc * b.ld + b.offsets[tap] + first;
      if (!in_place) {
        for (int64_t p = 0; p < kc; ++p) {
          T* row = buf.b.data() + p * D::kNr;
          for (int j = 0; j < D::kNr; ++j) {
            const int64_t col = jr + j;
            row[j] = j < cols ? b.data[(pc + p) * b.ld + b.offsets[col / b.tap_k] + col % b.tap_k] : T(0);
          }
        }
        bp = buf.b.data();
      }
      const int64_t ldb = in_place ? b.ld : D::kNr;
      for (int64_t ir = 0; ir < m; ir += D::kMr) {
        const int rows = static_cast<int>(std::min<int64_t>(D::kMr, m - ir));
        const T* ap = buf.a.data() + ir * kc;
        T* cp = c + ir * ldc + jr;
        if (rows > 2 * kThird) {
          micro_kernel<T, true>(kc, ap, 0, bp, ldb, alpha, block_beta, cp, ldc, rows, cols);
        } else {
          short_packed_tile<T>(rows, kc, ap, bp, ldb, alpha, block_beta, cp, ldc, cols);
        }
      }
    }
  }
}

template <typename T>
void gemm(int64_t m, int64_t n, int64_t k, T alpha, GemmOperand<T> a, GemmOperand<T> b, T beta, T* c, int64_t ldc) {
  using D = Dims<T>;
  if (m <= 0 || n <= 0) return;
  // Split C into row blocks of MC and column blocks (multiples of NR) so that every thread has
  // a few blocks; the split never changes an element's summation order.
  const int64_t threads = omp_get_max_threads();
  const int64_t row_blocks = (m + D::kMc - 1) / D::kMc;
  const int64_t want_col_blocks = std::max<int64_t>(1, (2 * threads + row_blocks - 1) / row_blocks);
  const int64_t col_panels = (n + D::kNr - 1) / D::kNr;
  const int64_t col_block = D::kNr * ((col_panels + want_col_blocks - 1) / want_col_blocks);
  const int64_t col_blocks = (n + col_block - 1) / col_block;
  const int64_t blocks = row_blocks * col_blocks;
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
#pragma omp parallel for schedule(dynamic, 1) if (blocks > 1 && flops > 1e6)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t i0 = (blk / col_blocks) * D::kMc, j0 = (blk % col_blocks) * col_block;
    gemm_block<T>(k, i0, std::min(m, i0 + D::kMc), j0, std::min(n, j0 + col_block), alpha, a, b, beta, c, ldc);
  }
}

template void gemm<float>(int64_t, int64_t, int64_t, float, GemmOperand<float>, GemmOperand<float>, float, float*,
                          int64_t);
template void gemm<double>(int64_t, int64_t, int64_t, double, GemmOperand<double>, GemmOperand<double>, double, double*,
                           int64_t);
template void gemm_serial<float>(int64_t, int64_t, int64_t, float, GemmOperand<float>, GemmOperand<float>, float,
                                 float*, int64_t);
template class PackedB<float>;
template class PackedB<double>;
template void gemm_serial<float>(int64_t, float, GemmOperand<float>, const PackedB<float>&, float, float*, int64_t);
template void gemm_serial<double>(int64_t, double, GemmOperand<double>, const PackedB<double>&, double, double*,
                                  int64_t);
template void gemm_serial<double>(int64_t, int64_t, int64_t, double, GemmOperand<double>, GemmOperand<double>, double,
                                  double*, int64_t);
template void gemm_serial<float>(int64_t, float, ShiftedRows<float>, const PackedB<float>&, float, float*, int64_t);
template void gemm_serial<float>(int64_t, int64_t, int64_t, float, GemmOperand<float>, ShiftedRows<float>, float,
                                 float*, int64_t);
template void gemm_serial<double>(int64_t, int64_t, int64_t, double, GemmOperand<double>, ShiftedRows<double>, double,
                                  double*, int64_t);
template void gemm_serial<double>(int64_t, double, ShiftedRows<double>, const PackedB<double>&, double, double*,
                                  int64_t);

}  // namespace segrun::cpu
