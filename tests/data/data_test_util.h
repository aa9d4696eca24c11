#pragma once
// Helpers for the data tests: hand-assembled PNG files (scratch folders: tests/support/).
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/image_io.h"
#include "tests/support/scratch_dir.h"

namespace segrun::test {

inline data::Image filled(int w, int h, int channels, uint8_t value) {
  return data::make_image(w, h, channels, value);
}

inline void write_text(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

inline uint32_t crc32(const std::string& bytes) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char b : bytes) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

inline std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

inline std::string png_chunk(const std::string& type, const std::string& data) {
  return be32(static_cast<uint32_t>(data.size())) + type + data + be32(crc32(type + data));
}

// A PNG with any bit depth / colour type, its pixel data as one zlib "stored" block
// (`scanlines` already carries the per-row filter bytes).
inline void write_raw_png(const std::string& path, int w, int h, int bit_depth, int colour_type,
                          const std::string& palette, const std::string& scanlines) {
  std::string ihdr = be32(w) + be32(h);
  ihdr += {static_cast<char>(bit_depth), static_cast<char>(colour_type), 0, 0, 0};
  uint32_t a = 1, b = 0;
  for (unsigned char c : scanlines) a = (a + c) % 65521, b = (b + a) % 65521;
  const uint16_t len = static_cast<uint16_t>(scanlines.size());
  std::string zlib = {0x78,
                      0x01,
                      0x01,
                      static_cast<char>(len & 0xff),
                      static_cast<char>(len >> 8),
                      static_cast<char>(~len & 0xff),
                      static_cast<char>((~len >> 8) & 0xff)};
  zlib += scanlines + be32((b << 16) | a);
  std::string file = "\x89PNG\r\n\x1a\n";
  file += png_chunk("IHDR", ihdr);
  if (!palette.empty()) file += png_chunk("PLTE", palette);
  file += png_chunk("IDAT", zlib) + png_chunk("IEND", "");
  std::ofstream(path, std::ios::binary) << file;
}

}  // namespace segrun::test
