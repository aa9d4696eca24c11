#pragma once
// Reading and writing 8-bit images (PNG, JPEG in; PNG out) with clear, file-naming errors.
#include <cstdint>
#include <string>
#include <vector>

namespace segrun::data {

// Interleaved 8-bit pixels, row-major, `channels` per pixel (1 = grey/label, 3 = RGB).
struct Image {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<uint8_t> pixels;
  uint8_t& at(int x, int y, int c = 0) { return pixels[(static_cast<size_t>(y) * width + x) * channels + c]; }
  uint8_t at(int x, int y, int c = 0) const { return pixels[(static_cast<size_t>(y) * width + x) * channels + c]; }
};

Image make_image(int width, int height, int channels, uint8_t fill = 0);

// An RGB image; grey files are expanded to three equal channels. Throws std::runtime_error
// naming the file and the reason (unreadable, truncated/corrupt, 16-bit).
Image read_rgb_image(const std::string& path);

// A single-channel 8-bit label map; colour or palette files are rejected (labels are indices).
Image read_label_image(const std::string& path);

// `path` plus a per-process suffix: concurrent writers of one file never share a temporary.
std::string temporary_path(const std::string& path);

// Writes a PNG through a temporary file and a rename, so readers never see a partial file.
void write_png(const std::string& path, const Image& image);

}  // namespace segrun::data
