#include "report/panels.h"

#include <stb_image_write.h>

#include <algorithm>
#include <stdexcept>

namespace segrun::report {

namespace {

constexpr int kGutter = 4;

void draw_labels(std::vector<uint8_t>& out, int out_width, int x0, const std::vector<uint8_t>& labels, int w, int h,
                 const Palette& palette) {
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const uint8_t label = labels[static_cast<size_t>(y) * w + x];
      uint8_t* px = &out[(static_cast<size_t>(y) * out_width + x0 + x) * 3];
      if (label < palette.size()) {
        px[0] = palette[label][0];
        px[1] = palette[label][1];
        px[2] = palette[label][2];
      } else {
        px[0] = px[1] = px[2] = 0;
      }
    }
  }
}

void append_bytes(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
}

}  // namespace

std::vector<uint8_t> compose_panel_rgb(const PanelInputs& in, const Palette& palette, int& out_width) {
  const size_t pixels = static_cast<size_t>(in.width) * in.height;
  if (in.rgb.size() != pixels * 3 || in.ground_truth.size() != pixels || in.prediction_a.size() != pixels ||
      in.prediction_b.size() != pixels) {
    throw std::invalid_argument("report panel: image, ground truth and predictions differ in size");
  }
  out_width = 4 * in.width + 3 * kGutter;
  std::vector<uint8_t> out(static_cast<size_t>(out_width) * in.height * 3, 255);
  for (int y = 0; y < in.height; ++y) {
    for (int x = 0; x < in.width * 3; ++x) {
      out[static_cast<size_t>(y) * out_width * 3 + x] = in.rgb[static_cast<size_t>(y) * in.width * 3 + x];
    }
  }
  draw_labels(out, out_width, in.width + kGutter, in.ground_truth, in.width, in.height, palette);
  draw_labels(out, out_width, 2 * (in.width + kGutter), in.prediction_a, in.width, in.height, palette);
  draw_labels(out, out_width, 3 * (in.width + kGutter), in.prediction_b, in.width, in.height, palette);
  return out;
}

std::vector<uint8_t> upscale_nearest(const std::vector<uint8_t>& rgb, int width, int height, int factor) {
  const size_t out_width = static_cast<size_t>(width) * factor;
  std::vector<uint8_t> out(out_width * height * factor * 3);
  for (size_t y = 0; y < static_cast<size_t>(height) * factor; ++y) {
    for (size_t x = 0; x < out_width; ++x) {
      const uint8_t* src = &rgb[((y / factor) * width + x / factor) * 3];
      std::copy(src, src + 3, &out[(y * out_width + x) * 3]);
    }
  }
  return out;
}

std::string encode_png(const std::vector<uint8_t>& rgb, int width, int height) {
  std::string bytes;
  if (!stbi_write_png_to_func(append_bytes, &bytes, width, height, 3, rgb.data(), width * 3)) {
    throw std::runtime_error("report panel: PNG encoding failed");
  }
  return bytes;
}

std::string base64_encode(const std::string& bytes) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace segrun::report
