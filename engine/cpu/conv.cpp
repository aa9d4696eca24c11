#include "engine/cpu/conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "engine/cpu/gemm.h"

namespace segrun::cpu {

namespace {

// About this many GEMM rows per band keeps a band's im2col block (rows x K) in L2.
constexpr int64_t kBandTargetRows = 256;
// Filter-gradient partial sums cover at least this many rows each, and there are at most
// kMaxFilterSlabs of them, so their memory stays bounded.
constexpr int64_t kFilterSlabMinRows = 2048;
constexpr int64_t kMaxFilterSlabs = 64;

// A band: output rows [h0, h1) of image n, i.e. GEMM rows [first_row, first_row + rows).
struct Band {
  int64_t n, h0, h1;
  int64_t first_row, rows;
  int64_t index_in_image;
};

std::vector<Band> make_bands(const ConvGeometry& g) {
  const int64_t band_h = std::max<int64_t>(1, kBandTargetRows / std::max<int64_t>(g.out_w, 1));
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

// col[r, (kh*KW + kw)*Cg + c] = x[n, hi, wi, group*Cg + c], zero outside the image, for the
// band's rows r (hi = ho*s - p + kh*d, wi = wo*s - p + kw*d).
template <typename T>
void im2col_band(const ConvGeometry& g, const T* x, const Band& band, int64_t group, T* col) {
  const int64_t cg = g.group_in_c();
  const T* xn = x + band.n * g.in_h * g.in_w * g.in_c + group * cg;
  T* dst = col;
  for (int64_t ho = band.h0; ho < band.h1; ++ho) {
    for (int64_t wo = 0; wo < g.out_w; ++wo) {
      for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
        const int64_t hi = ho * g.stride_h - g.pad_h + kh * g.dilation_h;
        for (int64_t kw = 0; kw < g.kernel_w; ++kw, dst += cg) {
          const int64_t wi = wo * g.stride_w - g.pad_w + kw * g.dilation_w;
          if (hi < 0 || hi >= g.in_h || wi < 0 || wi >= g.in_w) {
            std::fill(dst, dst + cg, T(0));
          } else {
            std::memcpy(dst, xn + (hi * g.in_w + wi) * g.in_c, static_cast<size_t>(cg) * sizeof(T));
          }
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

// The GEMM operand holding the band's input patches for one group: the input itself for a
// pointwise convolution, else the band's im2col block.
template <typename T>
GemmOperand<T> patches(const ConvGeometry& g, const T* x, const Band& band, int64_t group, T* scratch) {
  if (g.is_pointwise()) return {x + band.first_row * g.in_c + group * g.group_in_c(), g.in_c, Trans::No};
  im2col_band(g, x, band, group, scratch);
  return {scratch, g.group_k(), Trans::No};
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
  const std::vector<Band> bands = make_bands(g);
  const std::vector<PackedB<T>> weights = pack_weights(g, w, Trans::Yes);
  const int64_t cog = g.group_out_c();
  const int64_t count = static_cast<int64_t>(bands.size());
  const bool parallel = g.macs() >= kConvParallelMinMacs;
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

template <typename T>
void conv2d_backward_data(const ConvGeometry& g, const T* gy, const T* w, T* gx) {
  if (g.is_depthwise()) return depthwise_backward_data(g, gy, w, gx);
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

template <typename T>
void conv2d_backward_filter(const ConvGeometry& g, const T* x, const T* gy, T* gw) {
  if (g.is_depthwise()) return depthwise_backward_filter(g, x, gy, gw);
  const std::vector<Band> bands = make_bands(g);
  const int64_t count = static_cast<int64_t>(bands.size());
  const int64_t cog = g.group_out_c(), kg = g.group_k(), weight_count = g.out_c * kg;
  const int64_t bands_per_slab = std::max(std::max<int64_t>(1, kFilterSlabMinRows / bands.front().rows),
                                          (count + kMaxFilterSlabs - 1) / kMaxFilterSlabs);
  const int64_t slabs = (count + bands_per_slab - 1) / bands_per_slab;
  // One slab writes gw directly; several write partial sums added in slab order below.
  std::vector<T> partials(slabs > 1 ? static_cast<size_t>(slabs * weight_count) : 0);
  const bool parallel = g.macs() >= kConvParallelMinMacs;
#pragma omp parallel for schedule(dynamic, 1) if (parallel)
  for (int64_t s = 0; s < slabs; ++s) {
    T* out = slabs > 1 ? partials.data() + s * weight_count : gw;
    const int64_t end = std::min(count, (s + 1) * bands_per_slab);
    for (int64_t i = s * bands_per_slab; i < end; ++i) {
      const Band& band = bands[i];
      T* scratch = g.is_pointwise() ? nullptr : band_scratch<T>(scratch_size(g, band));
      const T beta = i == s * bands_per_slab ? T(0) : T(1);
      for (int64_t group = 0; group < g.groups; ++group) {
        const GemmOperand<T> grad_cols{gy + band.first_row * g.out_c + group * cog, g.out_c, Trans::Yes};
        gemm_serial<T>(cog, kg, band.rows, T(1), grad_cols, patches(g, x, band, group, scratch), beta,
                       out + group * cog * kg, kg);
      }
    }
  }
  if (slabs == 1) return;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t e = 0; e < weight_count; ++e) {
    T sum = partials[e];
    for (int64_t s = 1; s < slabs; ++s) sum += partials[s * weight_count + e];
    gw[e] = sum;
  }
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
