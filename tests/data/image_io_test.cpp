#include "data/image_io.h"

#include <doctest/doctest.h>
#include <stb_image_write.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "tests/data/data_test_util.h"

using namespace segrun;

namespace {

std::string error_of(void (*fn)(const std::string&), const std::string& path) {
  try {
    fn(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

void read_rgb(const std::string& p) {
  data::read_rgb_image(p);
}
void read_label(const std::string& p) {
  data::read_label_image(p);
}

}  // namespace

TEST_CASE("image_io: PNG round trip of RGB and grey images") {
  test::ScratchDir dir("image_io_roundtrip");
  data::Image rgb = data::make_image(3, 2, 3);
  for (size_t i = 0; i < rgb.pixels.size(); ++i) rgb.pixels[i] = static_cast<uint8_t>(i * 13);
  data::write_png(dir.str("sub/rgb.png"), rgb);
  CHECK_FALSE(std::filesystem::exists(data::temporary_path(dir.str("sub/rgb.png"))));
  const data::Image back = data::read_rgb_image(dir.str("sub/rgb.png"));
  CHECK(back.width == 3);
  CHECK(back.height == 2);
  CHECK(back.pixels == rgb.pixels);

  data::Image grey = data::make_image(2, 2, 1);
  grey.pixels = {0, 7, 255, 19};
  data::write_png(dir.str("grey.png"), grey);
  CHECK(data::read_label_image(dir.str("grey.png")).pixels == grey.pixels);
  // A grey file read as RGB repeats the value in every channel.
  const data::Image expanded = data::read_rgb_image(dir.str("grey.png"));
  CHECK(expanded.channels == 3);
  CHECK(expanded.at(0, 1, 0) == 255);
  CHECK(expanded.at(0, 1, 2) == 255);
  CHECK(expanded.at(1, 1, 1) == 19);
}

TEST_CASE("image_io: hand-assembled 8-bit PNG decodes to its bytes") {
  test::ScratchDir dir("image_io_raw");
  // 2x1 grey, filter byte 0 then the two pixels.
  test::write_raw_png(dir.str("raw.png"), 2, 1, 8, 0, "", std::string("\x00\x05\x09", 3));
  const data::Image img = data::read_label_image(dir.str("raw.png"));
  CHECK(img.pixels == std::vector<uint8_t>{5, 9});
}

TEST_CASE("image_io: bad files give errors naming the file and the reason") {
  test::ScratchDir dir("image_io_bad");
  const std::string missing = dir.str("missing.png");
  CHECK(error_of(read_rgb, missing) == "image " + missing + ": cannot open (missing or unreadable)");
  CHECK(error_of(read_rgb, dir.str()) == "image " + dir.str() + ": is a directory");

  test::write_text(dir.str("garbage.png"), "this is not an image at all");
  const std::string garbage = error_of(read_rgb, dir.str("garbage.png"));
  CHECK(garbage.find("image " + dir.str("garbage.png") + ": not a readable PNG/JPEG") == 0);

  // A valid PNG cut in half: the header parses, decoding fails.
  data::Image big = data::make_image(64, 64, 3);
  for (size_t i = 0; i < big.pixels.size(); ++i) big.pixels[i] = static_cast<uint8_t>((i * 7919) % 251);
  data::write_png(dir.str("full.png"), big);
  std::ifstream in(dir.str("full.png"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir.str("cut.png"), std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  const std::string cut = error_of(read_rgb, dir.str("cut.png"));
  CHECK(cut.find("image " + dir.str("cut.png") + ": decoding failed, truncated or corrupt") == 0);

  // 16-bit grey 1x1.
  test::write_raw_png(dir.str("deep.png"), 1, 1, 16, 0, "", std::string("\x00\x12\x34", 3));
  CHECK(error_of(read_label, dir.str("deep.png")) ==
        "image " + dir.str("deep.png") + ": 16-bit images are not supported (need 8-bit)");

  // Palette (colour type 3) and RGB files are not label maps.
  test::write_raw_png(dir.str("palette.png"), 1, 1, 8, 3, std::string("\xff\x00\x00", 3), std::string("\x00\x00", 2));
  CHECK(data::read_rgb_image(dir.str("palette.png")).pixels == std::vector<uint8_t>{255, 0, 0});
  CHECK(error_of(read_label, dir.str("palette.png")) ==
        "image " + dir.str("palette.png") +
            ": label image has 3 channels (palette or colour); need a single-channel 8-bit index image");
  CHECK(error_of(read_label, dir.str("full.png")).find("label image has 3 channels") != std::string::npos);
}

TEST_CASE("image_io: writing an inconsistent image is refused") {
  test::ScratchDir dir("image_io_write");
  data::Image bad = data::make_image(2, 2, 3);
  bad.pixels.pop_back();
  CHECK_THROWS_WITH_AS(data::write_png(dir.str("x.png"), bad),
                       ("image " + dir.str("x.png") + ": refusing to write an empty or inconsistent image").c_str(),
                       std::runtime_error);
}

TEST_CASE("image_io: JPEG files decode, truncated JPEG files are reported") {
  test::ScratchDir dir("image_io_jpeg");
  data::Image flat = data::make_image(32, 16, 3, 0);
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 32; ++x) flat.at(x, y, 0) = 200, flat.at(x, y, 1) = 100, flat.at(x, y, 2) = 50;
  }
  REQUIRE(stbi_write_jpg(dir.str("flat.jpg").c_str(), 32, 16, 3, flat.pixels.data(), 95));
  const data::Image back = data::read_rgb_image(dir.str("flat.jpg"));
  CHECK(back.width == 32);
  CHECK(std::abs(back.at(10, 5, 0) - 200) <= 3);  // lossy, but a flat colour survives
  CHECK(std::abs(back.at(10, 5, 2) - 50) <= 3);
  std::ifstream in(dir.str("flat.jpg"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir.str("cut.jpg"), std::ios::binary) << bytes.substr(0, bytes.size() * 2 / 3);
  CHECK(error_of(read_rgb, dir.str("cut.jpg")).find("image " + dir.str("cut.jpg") + ": decoding failed") == 0);
}
