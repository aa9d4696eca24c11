// PIL's Image.resize(..., BILINEAR) for 8-bit images: a separable triangle filter whose support
// grows with the reduction factor, so a shrinking axis averages every source pixel it covers
// instead of sampling four and aliasing. Integer arithmetic as PIL does it (fixed-point weights,
// rounded after each pass), so results match PIL byte for byte and do not depend on threads.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "data/resize.h"

namespace segrun::data {

namespace {

// PIL's PRECISION_BITS for 8-bit images: 32 - 8 - 2 leaves headroom for the sum of products.
constexpr int kPrecisionBits = 22;

double triangle(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

// The source span and fixed-point weights of one output index along one axis.
struct Taps {
  int first = 0;
  std::vector<int32_t> weights;
};

// PIL precompute_coeffs + normalize_coeffs_8bpc: output centre (i + 0.5) * scale, support
// scale (at least 1) on each side, weights normalised to sum 1 and rounded half away from zero.
std::vector<Taps> triangle_taps(int in, int out) {
  const double scale = static_cast<double>(in) / out;
  const double filter_scale = std::max(scale, 1.0);
  const double support = filter_scale;  // the triangle's support (1) times the filter scale
  std::vector<Taps> taps(out);
  for (int i = 0; i < out; ++i) {
    const double centre = (i + 0.5) * scale;
    const int first = std::max(static_cast<int>(centre - support + 0.5), 0);
    const int end = std::min(static_cast<int>(centre + support + 0.5), in);
    std::vector<double> w;
    double sum = 0;
    for (int j = first; j < end; ++j) {
      w.push_back(triangle((j - centre + 0.5) / filter_scale));
      sum += w.back();
    }
    taps[i].first = first;
    for (double v : w) {
      const double fixed = (sum != 0 ? v / sum : v) * (1 << kPrecisionBits);
      taps[i].weights.push_back(static_cast<int32_t>(fixed < 0 ? std::trunc(fixed - 0.5) : std::trunc(fixed + 0.5)));
    }
  }
  return taps;
}

uint8_t clip8(int32_t v) {
  if (v >= (1 << kPrecisionBits << 8)) return 255;
  if (v <= 0) return 0;
  return static_cast<uint8_t>(v >> kPrecisionBits);
}

// One output sample along one axis: `step` is the distance between neighbouring source samples
// (channels along x, a row along y); PIL starts every sum at one half for rounding.
uint8_t filter_one(const Image& src, size_t first, size_t step, const std::vector<int32_t>& weights) {
  int32_t sum = 1 << (kPrecisionBits - 1);
  for (size_t k = 0; k < weights.size(); ++k) sum += src.pixels[first + k * step] * weights[k];
  return clip8(sum);
}

size_t offset(const Image& image, int x, int y, int c) {
  return (static_cast<size_t>(y) * image.width + x) * image.channels + c;
}

Image resize_width(const Image& src, int width) {
  const std::vector<Taps> taps = triangle_taps(src.width, width);
  Image dst = make_image(width, src.height, src.channels);
  for (int y = 0; y < src.height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < src.channels; ++c) {
        dst.at(x, y, c) = filter_one(src, offset(src, taps[x].first, y, c), src.channels, taps[x].weights);
      }
    }
  }
  return dst;
}

Image resize_height(const Image& src, int height) {
  const std::vector<Taps> taps = triangle_taps(src.height, height);
  Image dst = make_image(src.width, height, src.channels);
  const size_t row = static_cast<size_t>(src.width) * src.channels;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < src.width; ++x) {
      for (int c = 0; c < src.channels; ++c) {
        dst.at(x, y, c) = filter_one(src, offset(src, x, taps[y].first, c), row, taps[y].weights);
      }
    }
  }
  return dst;
}

}  // namespace

Image resize_antialias(const Image& src, int width, int height) {
  // Bad sizes get the one error message every resize gives.
  if (width <= 0 || height <= 0 || src.width <= 0 || src.height <= 0) return resize_bilinear(src, width, height);
  // PIL filters horizontally first, then vertically, and skips an axis whose size is unchanged.
  const Image wide = src.width == width ? src : resize_width(src, width);
  return wide.height == height ? wide : resize_height(wide, height);
}

}  // namespace segrun::data
