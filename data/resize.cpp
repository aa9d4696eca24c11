#include "data/resize.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace segrun::data {

namespace {

void check_size(const Image& src, int width, int height) {
  if (width <= 0 || height <= 0 || src.width <= 0 || src.height <= 0) {
    throw std::invalid_argument("resize: sizes must be positive, got " + std::to_string(src.width) + "x" +
                                std::to_string(src.height) + " -> " + std::to_string(width) + "x" +
                                std::to_string(height));
  }
}

uint8_t to_u8(double v) {
  return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
}

struct Tap {
  int lo, hi;
  double frac;  // weight of hi
};

// src = (dst + 0.5) * in / out - 0.5, clamped at 0 (PyTorch area_pixel_compute_source_index).
std::vector<Tap> bilinear_taps(int in, int out) {
  std::vector<Tap> taps(out);
  const double scale = static_cast<double>(in) / out;
  for (int i = 0; i < out; ++i) {
    const double src = std::max(0.0, (i + 0.5) * scale - 0.5);
    const int lo = std::min(static_cast<int>(src), in - 1);
    taps[i] = {lo, std::min(lo + 1, in - 1), src - lo};
  }
  return taps;
}

// Weight of source index j in output index i: overlap of [i*s, (i+1)*s) with [j, j+1), over s.
std::vector<std::vector<std::pair<int, double>>> area_weights(int in, int out) {
  std::vector<std::vector<std::pair<int, double>>> weights(out);
  const double scale = static_cast<double>(in) / out;
  for (int i = 0; i < out; ++i) {
    const double begin = i * scale, end = (i + 1) * scale;
    for (int j = static_cast<int>(begin); j < in && j < end; ++j) {
      const double overlap = std::min(end, j + 1.0) - std::max(begin, static_cast<double>(j));
      if (overlap > 0) weights[i].push_back({j, overlap / scale});
    }
  }
  return weights;
}

}  // namespace

Image resize_bilinear(const Image& src, int width, int height) {
  check_size(src, width, height);
  const std::vector<Tap> xs = bilinear_taps(src.width, width), ys = bilinear_taps(src.height, height);
  Image dst = make_image(width, height, src.channels);
  for (int y = 0; y < height; ++y) {
    const Tap ty = ys[y];
    for (int x = 0; x < width; ++x) {
      const Tap tx = xs[x];
      for (int c = 0; c < src.channels; ++c) {
        const double top = src.at(tx.lo, ty.lo, c) * (1 - tx.frac) + src.at(tx.hi, ty.lo, c) * tx.frac;
        const double bottom = src.at(tx.lo, ty.hi, c) * (1 - tx.frac) + src.at(tx.hi, ty.hi, c) * tx.frac;
        dst.at(x, y, c) = to_u8(top * (1 - ty.frac) + bottom * ty.frac);
      }
    }
  }
  return dst;
}

Image resize_area(const Image& src, int width, int height) {
  check_size(src, width, height);
  const auto wx = area_weights(src.width, width), wy = area_weights(src.height, height);
  Image dst = make_image(width, height, src.channels);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < src.channels; ++c) {
        double sum = 0;
        for (const auto& [sy, fy] : wy[y]) {
          for (const auto& [sx, fx] : wx[x]) sum += fy * fx * src.at(sx, sy, c);
        }
        dst.at(x, y, c) = to_u8(sum);
      }
    }
  }
  return dst;
}

Image resize_nearest(const Image& src, int width, int height) {
  check_size(src, width, height);
  Image dst = make_image(width, height, src.channels);
  for (int y = 0; y < height; ++y) {
    const int sy = std::min(static_cast<int>(std::floor(y * static_cast<double>(src.height) / height)), src.height - 1);
    for (int x = 0; x < width; ++x) {
      const int sx = std::min(static_cast<int>(std::floor(x * static_cast<double>(src.width) / width)), src.width - 1);
      for (int c = 0; c < src.channels; ++c) dst.at(x, y, c) = src.at(sx, sy, c);
    }
  }
  return dst;
}

const char* image_resize_name(ImageResize mode) {
  switch (mode) {
    case ImageResize::Antialias:
      return "antialias";
    case ImageResize::Area:
      return "area";
    case ImageResize::Bilinear:
      break;
  }
  return "bilinear";
}

ImageResize parse_image_resize(const std::string& name) {
  if (name == "antialias") return ImageResize::Antialias;
  if (name == "bilinear") return ImageResize::Bilinear;
  throw std::invalid_argument("unknown image resize filter '" + name + "' (known: antialias, bilinear)");
}

Image resize_image(const Image& src, int width, int height, ImageResize mode) {
  if (src.width == width && src.height == height) return src;
  switch (mode) {
    case ImageResize::Antialias:
      return resize_antialias(src, width, height);
    case ImageResize::Area:
      return resize_area(src, width, height);
    case ImageResize::Bilinear:
      break;
  }
  return resize_bilinear(src, width, height);
}

}  // namespace segrun::data
