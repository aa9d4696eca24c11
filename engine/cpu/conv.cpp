#include "engine/cpu/conv.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "engine/cpu/gemm.h"

namespace segrun::cpu {

namespace {

// About this many GEMM rows per band keeps a band's im2col block (rows x K) in L2.
constexpr int64_t kBandTargetRows = 256;
// Bands that read patches in place hold no block; larger ones let each thread reuse the input
// rows it has just read, which consecutive output rows share (measured best of 256-4096 for
// the 3x3 64->64 convolution at 256x128).
constexpr int64_t kInPlaceBandTargetRows = 1024;
// Filter-gradient partial sums cover at least this many rows each, and there are at most
// kMaxFilterSlabs of them, so their memory stays bounded.
constexpr int64_t kFilterSlabMinRows = 2048;
constexpr int64_t kMaxFilterSlabs = 64;
// When a filter gradient's columns are split between threads, blocks are multiples of this
// (a whole number of the GEMM's column panels).
constexpr int64_t kFilterColumnAlign = 32;
// Output rows at least this wide read their patches in place (reads_patches_in_place).
constexpr int64_t kInPlaceMinWidth = 96;

// A band: output rows [h0, h1) of image n, i.e. GEMM rows [first_row, first_row + rows).
struct Band {
  int64_t n, h0, h1;
  int64_t first_row, rows;
  int64_t index_in_image;
};

int64_t round_up(int64_t value, int64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

std::vector<Band> make_bands(const ConvGeometry& g, int64_t target_rows = kBandTargetRows) {
  const int64_t band_h = std::max<int64_t>(1, target_rows / std::max<int64_t>(g.out_w, 1));
  std::vector<Band> bands;
  for (int64_t n = 0; n < g.batch; ++n) {
    for (int64_t h0 = 0, b = 0; h0 < g.out_h; h0 += band_h, ++b) {
      const int64_t h1 = std::min(g.out_h, h0 + band_h);
      bands.push_back({n, h0, h1, (n * g.out_h + h0) * g.out_w, (h1 - h0) * g.out_w, b});
    }
  }
  return bands;
}

// Per-thread scratch for one band's im2col block, kept between calls.
template <typename T>
T* band_scratch(size_t count) {
  static thread_local std::vector<T> scratch;
  if (scratch.size() < count) scratch.resize(count);
  return scratch.data();
}

// col[r, j - c0] = x[n, hi, wi, group*Cg + c] for the columns j = (kh*KW + kw)*Cg + c in
// [c0, c1), zero outside the image, for the band's rows r (hi = ho*s - p + kh*d,
// wi = wo*s - p + kw*d).
template <typename T>
void im2col_band(const ConvGeometry& g, const T* x, const Band& band, int64_t group, int64_t c0, int64_t c1, T* col) {
  const int64_t cg = g.group_in_c(), width = c1 - c0;
  const int64_t first_tap = c0 / cg, end_tap = (c1 + cg - 1) / cg;
  const T* xn = x + band.n * g.in_h * g.in_w * g.in_c + group * cg;
  T* row = col;
  for (int64_t ho = band.h0; ho < band.h1; ++ho) {
    for (int64_t wo = 0; wo < g.out_w; ++wo, row += width) {
      for (int64_t tap = first_tap; tap < end_tap; ++tap) {
        const int64_t hi = ho * g.stride_h - g.pad_h + (tap / g.kernel_w) * g.dilation_h;
        const int64_t wi = wo * g.stride_w - g.pad_w + (tap % g.kernel_w) * g.dilation_w;
        const int64_t lo = std::max(c0, tap * cg), hi_col = std::min(c1, (tap + 1) * cg);
        T* dst = row + (lo - c0);
        if (hi < 0 || hi >= g.in_h || wi < 0 || wi >= g.in_w) {
          std::fill(dst, dst + (hi_col - lo), T(0));
        } else {
          std::memcpy(dst, xn + (hi * g.in_w + wi) * g.in_c + (lo - tap * cg),
                      static_cast<size_t>(hi_col - lo) * sizeof(T));
        }
      }
    }
  }
}

// The adjoint of im2col_band: gx[n, hi, wi, group*Cg + c] += col[r, (kh*KW + kw)*Cg + c].
template <typename T>
void col2im_band(const ConvGeometry& g, const T* col, const Band& band, int64_t group, T* gx) {
  const int64_t cg = g.group_in_c();
  T* gxn = gx + band.n * g.in_h * g.in_w * g.in_c + group * cg;
  const T* src = col;
  for (int64_t ho = band.h0; ho < band.h1; ++ho) {
    for (int64_t wo = 0; wo < g.out_w; ++wo) {
      for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
        const int64_t hi = ho * g.stride_h - g.pad_h + kh * g.dilation_h;
        for (int64_t kw = 0; kw < g.kernel_w; ++kw, src += cg) {
          const int64_t wi = wo * g.stride_w - g.pad_w + kw * g.dilation_w;
          if (hi < 0 || hi >= g.in_h || wi < 0 || wi >= g.in_w) continue;
          T* dst = gxn + (hi * g.in_w + wi) * g.in_c;
          for (int64_t c = 0; c < cg; ++c) dst[c] += src[c];
        }
      }
    }
  }
}

// The GEMM operand holding columns [c0, c1) of the band's input patches for one group: the
// input itself for a pointwise convolution, else the band's im2col block.
template <typename T>
GemmOperand<T> patches(const ConvGeometry& g, const T* x, const Band& band, int64_t group, T* scratch, int64_t c0,
                       int64_t c1) {
  if (g.is_pointwise()) return {x + band.first_row * g.in_c + group * g.group_in_c() + c0, g.in_c, Trans::No};
  im2col_band(g, x, band, group, c0, c1, scratch);
  return {scratch, c1 - c0, Trans::No};
}

template <typename T>
GemmOperand<T> patches(const ConvGeometry& g, const T* x, const Band& band, int64_t group, T* scratch) {
  return patches(g, x, band, group, scratch, 0, g.group_k());
}

size_t scratch_size(const ConvGeometry& g, const Band& band) {
  return static_cast<size_t>(band.rows * g.group_k());
}

// Bands whose input footprints overlap must not scatter at the same time. Band b covers input
// rows [b*B*s - p, (b*B + B - 1)*s - p + d*(KH-1)] for band height B, so bands `phases` apart
// never overlap; running the phases one after another fixes each element's summation order.
int64_t scatter_phases(const ConvGeometry& g, int64_t band_h) {
  const int64_t reach = (band_h - 1) * g.stride_h + g.dilation_h * (g.kernel_h - 1);
  int64_t phases = 1;
  while (phases * band_h * g.stride_h <= reach) ++phases;
  return phases;
}

// Whether the forward reads its patches in place from a zero-padded copy of the input
// (ShiftedRows) rather than building im2col blocks: the copy is one pass over the input where
// im2col writes KH*KW of them. Worth it when a tap's channels fill vectors, output rows are
// long enough that their last short tile costs little, and the padding adds little to the copy
// (not for the wide dilations of ASPP on a small map). Measured on 3x3 convolutions with 2
// threads: faster from 128 pixels wide, on par at 64, slower at 32 and below.
bool reads_patches_in_place(const ConvGeometry& g) {
  if (g.is_pointwise() || g.is_depthwise() || g.group_in_c() < 16 || g.out_w < kInPlaceMinWidth) return false;
  const int64_t padded = (g.in_h + 2 * g.pad_h) * (g.in_w + 2 * g.pad_w);
  return padded <= 2 * g.in_h * g.in_w;
}

// Rows [first, first + count) of image n's padded input, in the calling thread's buffer: row
// hp holds input row hp - pad_h between pad_w zeros on each side, or zeros outside the image.
// Zeros follow for the rows a product may read past the end of a line. Padding per band, in
// the band's own thread, keeps the rows in that core's cache for the product that reads them.
template <typename T>
const T* padded_rows(const ConvGeometry& g, const T* x, int64_t n, int64_t first, int64_t count, int64_t padded_w) {
  static thread_local std::vector<T> buffer;
  const int64_t c = g.in_c, row = padded_w * c;
  const int64_t slack = (kShiftedRowsOverread + 1) * g.stride_w * c;
  buffer.resize(static_cast<size_t>(count * row + slack));
  T* out = buffer.data();
  for (int64_t r = 0; r < count; ++r) {
    const int64_t hi = first + r - g.pad_h;
    T* dst = out + r * row;
    if (hi < 0 || hi >= g.in_h) {
      std::fill(dst, dst + row, T(0));
      continue;
    }
    std::fill(dst, dst + g.pad_w * c, T(0));
    std::memcpy(dst + g.pad_w * c, x + (n * g.in_h + hi) * g.in_w * c, static_cast<size_t>(g.in_w * c) * sizeof(T));
    std::fill(dst + (g.pad_w + g.in_w) * c, dst + row, T(0));
  }
  std::fill(out + count * row, out + buffer.size(), T(0));
  return out;
}

// How many padded input rows output rows [h0, h1) read.
int64_t padded_rows_read(const ConvGeometry& g, int64_t h0, int64_t h1) {
  return (h1 - 1 - h0) * g.stride_h + g.dilation_h * (g.kernel_h - 1) + 1;
}

// Where tap (kh, kw) starts relative to its output pixel's first tap in the padded input: the
// ShiftedRows offsets, in (kh, kw) order like the OHWI weights.
std::vector<int64_t> tap_offsets(const ConvGeometry& g, int64_t padded_w) {
  std::vector<int64_t> offsets;
  for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
    for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
      offsets.push_back((kh * g.dilation_h * padded_w + kw * g.dilation_w) * g.in_c);
    }
  }
  return offsets;
}

// Each group's weights packed once as the GEMM's B: W_g^T (K x Cout/groups) for the forward,
// W_g (Cout/groups x K) for the data gradient.
template <typename T>
std::vector<PackedB<T>> pack_weights(const ConvGeometry& g, const T* w, Trans trans) {
  const int64_t cog = g.group_out_c(), kg = g.group_k();
  std::vector<PackedB<T>> packed;
  packed.reserve(static_cast<size_t>(g.groups));
  for (int64_t group = 0; group < g.groups; ++group) {
    const GemmOperand<T> wg{w + group * cog * kg, kg, trans};
    packed.emplace_back(trans == Trans::Yes ? kg : cog, trans == Trans::Yes ? cog : kg, wg);
  }
  return packed;
}

template <typename T>
void backward_data_band(const ConvGeometry& g, const T* gy, const std::vector<PackedB<T>>& weights, const Band& band,
                        T* gx) {
  const int64_t cog = g.group_out_c(), kg = g.group_k();
  T* dcol = g.is_pointwise() ? nullptr : band_scratch<T>(scratch_size(g, band));
  for (int64_t group = 0; group < g.groups; ++group) {
    const GemmOperand<T> grad_rows{gy + band.first_row * g.out_c + group * cog, g.out_c, Trans::No};
    if (g.is_pointwise()) {
      gemm_serial<T>(band.rows, T(1), grad_rows, weights[group], T(0),
                     gx + band.first_row * g.in_c + group * g.group_in_c(), g.in_c);
    } else {
      gemm_serial<T>(band.rows, T(1), grad_rows, weights[group], T(0), dcol, kg);
      col2im_band(g, dcol, band, group, gx);
    }
  }
}

}  // namespace

template <typename T>
void add_bias(T* y, const T* bias, int64_t rows, int64_t channels) {
#pragma omp parallel for schedule(static) if (rows * channels >= kConvParallelMinMacs)
  for (int64_t r = 0; r < rows; ++r) {
    T* row = y + r * channels;
    for (int64_t c = 0; c < channels; ++c) row[c] += bias[c];
  }
}

template <typename T>
void bias_backward(const T* gy, int64_t rows, int64_t channels, T* gb) {
  std::fill(gb, gb + channels, T(0));
  for (int64_t r = 0; r < rows; ++r) {
    const T* row = gy + r * channels;
    for (int64_t c = 0; c < channels; ++c) gb[c] += row[c];
  }
}

template <typename T>
void conv2d_forward(const ConvGeometry& g, const T* x, const T* w, const T* bias, T* y) {
  if (g.is_depthwise()) return depthwise_forward(g, x, w, bias, y);
  const bool in_place = reads_patches_in_place(g);
  const std::vector<Band> bands = make_bands(g, in_place ? kInPlaceBandTargetRows : kBandTargetRows);
  const std::vector<PackedB<T>> weights = pack_weights(g, w, Trans::Yes);
  const int64_t cog = g.group_out_c();
  const int64_t count = static_cast<int64_t>(bands.size());
  const bool parallel = g.macs() >= kConvParallelMinMacs;
  if (in_place) {
    // Output pixel (n, ho, wo) reads tap (kh, kw) at padded pixel (ho*s + kh*d, wo*s + kw*d):
    // a band is a ShiftedRows operand of one line per output row, row stride s*C within a line
    // and one offset per tap.
    const int64_t padded_w = g.in_w + 2 * g.pad_w;
    const std::vector<int64_t> offsets = tap_offsets(g, padded_w);
#pragma omp parallel for schedule(dynamic, 1) if (parallel)
    for (int64_t i = 0; i < count; ++i) {
      const Band& band = bands[i];
      const T* first_line =
          padded_rows(g, x, band.n, band.h0 * g.stride_h, padded_rows_read(g, band.h0, band.h1), padded_w);
      T* out = y + band.first_row * g.out_c;
      for (int64_t group = 0; group < g.groups; ++group) {
        const ShiftedRows<T> patches{
            first_line + group * g.group_in_c(), g.stride_w * g.in_c, offsets.data(), g.group_in_c(), g.out_w,
            g.stride_h * padded_w * g.in_c};
        gemm_serial<T>(band.rows, T(1), patches, weights[group], T(0), out + group * cog, g.out_c);
      }
      if (bias) add_bias(out, bias, band.rows, g.out_c);
    }
    return;
  }
#pragma omp parallel for schedule(dynamic, 1) if (parallel)
  for (int64_t i = 0; i < count; ++i) {
    const Band& band = bands[i];
    T* scratch = g.is_pointwise() ? nullptr : band_scratch<T>(scratch_size(g, band));
    T* out = y + band.first_row * g.out_c;
    for (int64_t group = 0; group < g.groups; ++group) {
      gemm_serial<T>(band.rows, T(1), patches(g, x, band, group, scratch), weights[group], T(0), out + group * cog,
                     g.out_c);
    }
    if (bias) add_bias(out, bias, band.rows, g.out_c);
  }
}

namespace {

// For stride 1 the data gradient is itself a convolution: gx[hi, wi] gathers gy[ho, wo] at
// ho = hi - (d*(KH-1) - p) + kh'*d with the kernel turned by 180 degrees and its channel axes
// swapped, so it can run as a forward pass (no col2im scatter) whenever that padding is >= 0.
bool data_gradient_is_convolution(const ConvGeometry& g) {
  return g.stride_h == 1 && g.stride_w == 1 && g.pad_h <= g.dilation_h * (g.kernel_h - 1) &&
         g.pad_w <= g.dilation_w * (g.kernel_w - 1);
}

// The convolution computing the data gradient of g (when data_gradient_is_convolution).
ConvGeometry data_gradient_geometry(const ConvGeometry& g) {
  ConvGeometry t = g;
  t.in_h = g.out_h, t.in_w = g.out_w, t.in_c = g.out_c;
  t.out_h = g.in_h, t.out_w = g.in_w, t.out_c = g.in_c;
  t.pad_h = g.dilation_h * (g.kernel_h - 1) - g.pad_h;
  t.pad_w = g.dilation_w * (g.kernel_w - 1) - g.pad_w;
  return t;
}

// turned[ci][kh'][kw'][co] = w[co][KH-1-kh'][KW-1-kw'][ci] within each group (OHWI both). Blocks
// of 16 output channels keep both the reads and the writes within a few cache lines.
template <typename T>
std::vector<T> turned_weights(const ConvGeometry& g, const T* w) {
  const int64_t cog = g.group_out_c(), cg = g.group_in_c(), kh_n = g.kernel_h, kw_n = g.kernel_w;
  const int64_t taps = kh_n * kw_n;
  std::vector<T> turned(static_cast<size_t>(g.out_c * taps * cg));
  constexpr int64_t kBlock = 16;
  for (int64_t group = 0; group < g.groups; ++group) {
    for (int64_t o0 = 0; o0 < cog; o0 += kBlock) {
      const int64_t o1 = std::min(cog, o0 + kBlock);
      for (int64_t tap = 0; tap < taps; ++tap) {
        const int64_t turned_tap = taps - 1 - tap;  // (KH-1-kh)*KW + (KW-1-kw)
        for (int64_t c = 0; c < cg; ++c) {
          T* dst = turned.data() + ((group * cg + c) * taps + turned_tap) * cog;
          for (int64_t o = o0; o < o1; ++o) dst[o] = w[((group * cog + o) * taps + tap) * cg + c];
        }
      }
    }
  }
  return turned;
}

}  // namespace

template <typename T>
void conv2d_backward_data(const ConvGeometry& g, const T* gy, const T* w, T* gx) {
  if (g.is_depthwise()) return depthwise_backward_data(g, gy, w, gx);
  // Taken only where that forward reads its patches in place: with im2col bands, the turned
  // weights' copy and layout make it slower than dcol + col2im (measured at 16x8, 512 channels).
  if (data_gradient_is_convolution(g) && reads_patches_in_place(data_gradient_geometry(g))) {
    return conv2d_forward(data_gradient_geometry(g), gy, turned_weights(g, w).data(), static_cast<const T*>(nullptr),
                          gx);
  }
  const std::vector<Band> bands = make_bands(g);
  const std::vector<PackedB<T>> weights = pack_weights(g, w, Trans::No);
  const int64_t count = static_cast<int64_t>(bands.size());
  const int64_t in_count = g.batch * g.in_h * g.in_w * g.in_c;
  const bool parallel = g.macs() >= kConvParallelMinMacs;
  if (!g.is_pointwise()) {
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t i = 0; i < in_count; ++i) gx[i] = T(0);
  }
  // A pointwise band writes its own rows of gx only, so all bands run in one phase.
  const int64_t phases = g.is_pointwise() ? 1 : scatter_phases(g, bands.front().h1 - bands.front().h0);
  for (int64_t phase = 0; phase < phases; ++phase) {
#pragma omp parallel for schedule(dynamic, 1) if (parallel)
    for (int64_t i = 0; i < count; ++i) {
      if (bands[i].index_in_image % phases == phase) backward_data_band(g, gy, weights, bands[i], gx);
    }
  }
}

namespace {

// gw = the sum of the slabs' partial sums, added in slab order.
template <typename T>
void sum_partials(const std::vector<T>& partials, int64_t slabs, int64_t weight_count, bool parallel, T* gw) {
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t e = 0; e < weight_count; ++e) {
    T sum = partials[e];
    for (int64_t s = 1; s < slabs; ++s) sum += partials[s * weight_count + e];
    gw[e] = sum;
  }
}

// How many units (bands or output rows of `rows_each` GEMM rows) a filter-gradient slab takes.
int64_t units_per_slab(int64_t units, int64_t rows_each) {
  return std::max(std::max<int64_t>(1, kFilterSlabMinRows / std::max<int64_t>(rows_each, 1)),
                  (units + kMaxFilterSlabs - 1) / kMaxFilterSlabs);
}

// The filter gradient from patches read in place: each output row is one product
// gw_g += gy_row^T (Cout_g x W_out) * patches (W_out x K_g), summed row by row within a slab.
template <typename T>
void backward_filter_in_place(const ConvGeometry& g, const T* x, const T* gy, T* gw) {
  const int64_t cog = g.group_out_c(), cg = g.group_in_c(), kg = g.group_k(), weight_count = g.out_c * kg;
  const int64_t padded_w = g.in_w + 2 * g.pad_w;
  const bool parallel = g.macs() >= kConvParallelMinMacs;
  const std::vector<int64_t> offsets = tap_offsets(g, padded_w);
  const int64_t rows = g.batch * g.out_h, rows_per_slab = units_per_slab(rows, g.out_w);
  const int64_t slabs = (rows + rows_per_slab - 1) / rows_per_slab;
  std::vector<T> partials(slabs > 1 ? static_cast<size_t>(slabs * weight_count) : 0);
#pragma omp parallel for schedule(dynamic, 1) if (parallel)
  for (int64_t s = 0; s < slabs; ++s) {
    T* out = slabs > 1 ? partials.data() + s * weight_count : gw;
    const int64_t slab_end = std::min(rows, (s + 1) * rows_per_slab);
    // The slab's rows image by image, each run of rows padded once.
    for (int64_t r0 = s * rows_per_slab; r0 < slab_end;) {
      const int64_t n = r0 / g.out_h, h0 = r0 % g.out_h, h1 = std::min(g.out_h, h0 + slab_end - r0);
      const T* padded = padded_rows(g, x, n, h0 * g.stride_h, padded_rows_read(g, h0, h1), padded_w);
      for (int64_t ho = h0; ho < h1; ++ho) {
        const int64_t r = n * g.out_h + ho;
        const T* in_row = padded + (ho - h0) * g.stride_h * padded_w * g.in_c;
        const T beta = r == s * rows_per_slab ? T(0) : T(1);
        for (int64_t group = 0; group < g.groups; ++group) {
          const GemmOperand<T> grad_cols{gy + r * g.out_w * g.out_c + group * cog, g.out_c, Trans::Yes};
          const ShiftedRows<T> patches{in_row + group * cg, g.stride_w * g.in_c, offsets.data(), cg};
          gemm_serial<T>(cog, kg, g.out_w, T(1), grad_cols, patches, beta, out + group * cog * kg, kg);
        }
      }
      r0 += h1 - h0;
    }
  }
  if (slabs > 1) sum_partials(partials, slabs, weight_count, parallel, gw);
}

}  // namespace

template <typename T>
void conv2d_backward_filter(const ConvGeometry& g, const T* x, const T* gy, T* gw) {
  if (g.is_depthwise()) return depthwise_backward_filter(g, x, gy, gw);
  if (reads_patches_in_place(g)) return backward_filter_in_place(g, x, gy, gw);
  const std::vector<Band> bands = make_bands(g);
  const int64_t count = static_cast<int64_t>(bands.size());
  const int64_t cog = g.group_out_c(), kg = g.group_k(), weight_count = g.out_c * kg;
  const int64_t bands_per_slab = units_per_slab(count, bands.front().rows);
  const int64_t slabs = (count + bands_per_slab - 1) / bands_per_slab;
  // Too few slabs to occupy the threads (small maps: one slab for a whole batch): each slab's
  // columns are split too. Columns never share sums, so the split changes no result.
  const int64_t threads = omp_get_max_threads();
  const int64_t want_blocks = slabs >= 2 * threads ? 1 : (2 * threads + slabs - 1) / slabs;
  const int64_t column_width =
      std::max<int64_t>(kFilterColumnAlign, round_up((kg + want_blocks - 1) / want_blocks, kFilterColumnAlign));
  const int64_t column_blocks = (kg + column_width - 1) / column_width;
  // One slab writes gw directly; several write partial sums added in slab order below.
  std::vector<T> partials(slabs > 1 ? static_cast<size_t>(slabs * weight_count) : 0);
  const bool parallel = g.macs() >= kConvParallelMinMacs;
#pragma omp parallel for schedule(dynamic, 1) if (parallel)
  for (int64_t task = 0; task < slabs * column_blocks; ++task) {
    const int64_t s = task / column_blocks, c0 = task % column_blocks * column_width;
    const int64_t c1 = std::min(kg, c0 + column_width);
    T* out = slabs > 1 ? partials.data() + s * weight_count : gw;
    const int64_t end = std::min(count, (s + 1) * bands_per_slab);
    for (int64_t i = s * bands_per_slab; i < end; ++i) {
      const Band& band = bands[i];
      T* scratch = g.is_pointwise() ? nullptr : band_scratch<T>(static_cast<size_t>(band.rows * (c1 - c0)));
      const T beta = i == s * bands_per_slab ? T(0) : T(1);
      for (int64_t group = 0; group < g.groups; ++group) {
        const GemmOperand<T> grad_cols{gy + band.first_row * g.out_c + group * cog, g.out_c, Trans::Yes};
        gemm_serial<T>(cog, c1 - c0, band.rows, T(1), grad_cols, patches(g, x, band, group, scratch, c0, c1), beta,
                       out + group * cog * kg + c0, kg);
      }
    }
  }
  if (slabs > 1) sum_partials(partials, slabs, weight_count, parallel, gw);
}

#define SEGRUN_CONV_INSTANTIATE(T)                                                        \
  template void conv2d_forward<T>(const ConvGeometry&, const T*, const T*, const T*, T*); \
  template void conv2d_backward_data<T>(const ConvGeometry&, const T*, const T*, T*);     \
  template void conv2d_backward_filter<T>(const ConvGeometry&, const T*, const T*, T*);   \
  template void bias_backward<T>(const T*, int64_t, int64_t, T*);                         \
  template void add_bias<T>(T*, const T*, int64_t, int64_t);
SEGRUN_CONV_INSTANTIATE(float)
SEGRUN_CONV_INSTANTIATE(double)
#undef SEGRUN_CONV_INSTANTIATE

}  // namespace segrun::cpu
