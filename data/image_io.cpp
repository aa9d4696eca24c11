#include "data/image_io.h"

#include <stb_image.h>
#include <stb_image_write.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace segrun::data {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& reason) {
  throw std::runtime_error("image " + path + ": " + reason);
}

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;

FilePtr open_for_reading(const std::string& path) {
  if (std::filesystem::is_directory(path)) fail(path, "is a directory");
  FilePtr file(std::fopen(path.c_str(), "rb"));
  if (!file) fail(path, "cannot open (missing or unreadable)");
  return file;
}

// Each side of an image this reader decodes; larger headers are damage or a mistake.
constexpr uint32_t kMaxImageSide = 32768;

// Width and height of a PNG's IHDR chunk, read directly: stb reports an over-large PNG only as
// "unknown image type", which hides the reason. False when the file is not a PNG.
bool png_header_size(FILE* file, uint32_t& width, uint32_t& height) {
  unsigned char head[24];
  const long at = std::ftell(file);
  const size_t got = std::fread(head, 1, sizeof head, file);
  std::fseek(file, at, SEEK_SET);
  static const unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (got != sizeof head || std::memcmp(head, kSignature, 8) != 0 || std::memcmp(head + 12, "IHDR", 4) != 0) {
    return false;
  }
  const auto big_endian = [](const unsigned char* p) {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
  };
  width = big_endian(head + 16);
  height = big_endian(head + 20);
  return true;
}

// Decodes with stb after checking what the file holds; `want` is the channel count returned.
Image decode(const std::string& path, int want, bool labels) {
  FilePtr file = open_for_reading(path);
  uint32_t png_w = 0, png_h = 0;
  if (png_header_size(file.get(), png_w, png_h) && (png_w > kMaxImageSide || png_h > kMaxImageSide)) {
    fail(path, "PNG header claims " + std::to_string(png_w) + "x" + std::to_string(png_h) + " pixels, more than the " +
                   std::to_string(kMaxImageSide) + " per side this reader accepts");
  }
  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_file(file.get(), &w, &h, &comp)) {
    fail(path, std::string("not a readable PNG/JPEG (") + stbi_failure_reason() + ")");
  }
  if (stbi_is_16_bit_from_file(file.get())) fail(path, "16-bit images are not supported (need 8-bit)");
  if (labels && comp != 1) {
    fail(path, "label image has " + std::to_string(comp) +
                   " channels (palette or colour); need a single-channel 8-bit index image");
  }
  using Pixels = std::unique_ptr<stbi_uc, void (*)(void*)>;
  Pixels data(stbi_load_from_file(file.get(), &w, &h, &comp, want), stbi_image_free);
  if (!data) fail(path, std::string("decoding failed, truncated or corrupt (") + stbi_failure_reason() + ")");
  Image image = make_image(w, h, want);
  std::copy(data.get(), data.get() + image.pixels.size(), image.pixels.begin());
  return image;
}

}  // namespace

Image make_image(int width, int height, int channels, uint8_t fill) {
  Image image;
  image.width = width;
  image.height = height;
  image.channels = channels;
  image.pixels.assign(static_cast<size_t>(width) * height * channels, fill);
  return image;
}

std::string temporary_path(const std::string& path) {
  return path + ".tmp." + std::to_string(::getpid());
}

Image read_rgb_image(const std::string& path) {
  return decode(path, 3, false);
}

Image read_label_image(const std::string& path) {
  return decode(path, 1, true);
}

void write_png(const std::string& path, const Image& image) {
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * image.channels) {
    fail(path, "refusing to write an empty or inconsistent image");
  }
  const std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path());
  const std::string temp = temporary_path(path);
  if (!stbi_write_png(temp.c_str(), image.width, image.height, image.channels, image.pixels.data(),
                      image.width * image.channels)) {
    std::filesystem::remove(temp);
    fail(path, "cannot write PNG (disk full or directory not writable)");
  }
  std::error_code ec;
  std::filesystem::rename(temp, target, ec);
  if (ec) fail(path, "cannot rename temporary file: " + ec.message());
}

}  // namespace segrun::data
