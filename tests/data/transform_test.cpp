#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "data/augment.h"
#include "data/resize.h"
#include "tests/data/pil_resize_reference.h"

using namespace segrun;

namespace {
data::Image row(const std::vector<uint8_t>& values) {
  data::Image img = data::make_image(static_cast<int>(values.size()), 1, 1);
  img.pixels = values;
  return img;
}
}  // namespace

TEST_CASE("resize: bilinear with half-pixel centres, area averaging, nearest for labels") {
  // Bilinear 2 -> 4: source x = (i + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped
  // to the last pixel), so 0, 25, 75, 100.
  CHECK(data::resize_bilinear(row({0, 100}), 4, 1).pixels == std::vector<uint8_t>{0, 25, 75, 100});
  // Area 4 -> 2: means of pairs, (0 + 10) / 2 = 5 and (20 + 31) / 2 = 25.5 -> 26.
  CHECK(data::resize_area(row({0, 10, 20, 31}), 2, 1).pixels == std::vector<uint8_t>{5, 26});
  // Area 4 -> 3: the middle output covers [4/3, 8/3): 2/3 of pixel 1 and 2/3 of pixel 2 -> (10 + 20) / 2.
  CHECK(data::resize_area(row({0, 10, 20, 31}), 3, 1).pixels[1] == 15);
  // Nearest: source x = floor(x * in / out).
  CHECK(data::resize_nearest(row({1, 2, 3, 4}), 2, 1).pixels == std::vector<uint8_t>{1, 3});
  CHECK(data::resize_nearest(row({1, 2, 3, 4}), 8, 1).pixels == std::vector<uint8_t>{1, 1, 2, 2, 3, 3, 4, 4});
  CHECK_THROWS_WITH_AS(data::resize_nearest(row({1}), 0, 1), "resize: sizes must be positive, got 1x1 -> 0x1",
                       std::invalid_argument);
}

TEST_CASE("resize: antialias is PIL's bilinear, widened by the reduction factor when shrinking") {
  // 9 -> 3 by hand: output 0 is centred at 1.5 with support 3, so source pixels 0..4 weigh
  // 1 - |j + 0.5 - 1.5| / 3 = 2/3, 1, 2/3, 1/3, 0; (2/3*198 + 126 + 2/3*129 + 1/3*107) / (8/3) = 142.4.
  // Four-tap bilinear would read only pixels 1 and 2 there (src x = 1): 126.
  const data::Image shrunk = data::resize_antialias(row({198, 126, 129, 107, 75, 251, 226, 251, 84}), 3, 1);
  CHECK(shrunk.pixels[0] == 142);
  CHECK(data::resize_bilinear(row({198, 126, 129, 107, 75, 251, 226, 251, 84}), 3, 1).pixels[0] == 126);
  // Enlarging keeps support 1: plain bilinear between neighbours, 0 25 75 100 as above.
  CHECK(data::resize_antialias(row({0, 100}), 4, 1).pixels == std::vector<uint8_t>{0, 25, 75, 100});
  CHECK_THROWS_WITH_AS(data::resize_antialias(row({1}), 0, 1), "resize: sizes must be positive, got 1x1 -> 0x1",
                       std::invalid_argument);
}

TEST_CASE("resize: antialias equals Pillow's Image.resize(BILINEAR) byte for byte") {
  // tests/data/pil_resize_reference.h is written by scripts/pil-resize-reference.py with Pillow.
  for (const PilResizeCase& c : pil_resize_cases()) {
    CAPTURE(c.name);
    data::Image src = data::make_image(c.src_width, c.src_height, c.channels);
    REQUIRE(src.pixels.size() == c.src.size());
    src.pixels = c.src;
    const data::Image out = data::resize_image(src, c.dst_width, c.dst_height, data::ImageResize::Antialias);
    CHECK(out.width == c.dst_width);
    CHECK(out.height == c.dst_height);
    CHECK(out.pixels == c.expected);
  }
}

TEST_CASE("resize: filter names for --resize and the cache key") {
  CHECK(data::parse_image_resize("antialias") == data::ImageResize::Antialias);
  CHECK(data::parse_image_resize("bilinear") == data::ImageResize::Bilinear);
  CHECK(std::string(data::image_resize_name(data::ImageResize::Area)) == "area");
  CHECK_THROWS_WITH_AS(data::parse_image_resize("bicubic"),
                       "unknown image resize filter 'bicubic' (known: antialias, bilinear)", std::invalid_argument);
}

TEST_CASE("augment: colour operations follow torchvision's definitions") {
  std::vector<float> px = {0.5f, 0.9f, 0.0f};
  data::adjust_brightness(px.data(), 1, 1.2f);  // x * 1.2, clamped
  CHECK(px[0] == doctest::Approx(0.6f));
  CHECK(px[1] == 1.0f);

  // Contrast blends with the image's mean grey: pixels white and black, mean 0.5.
  std::vector<float> two = {1, 1, 1, 0, 0, 0};
  data::adjust_contrast(two.data(), 2, 0.8f);  // 0.8 * 1 + 0.2 * 0.5 = 0.9; 0.2 * 0.5 = 0.1
  CHECK(two[0] == doctest::Approx(0.9f));
  CHECK(two[5] == doctest::Approx(0.1f));

  // Saturation blends with the pixel's grey: grey(red) = 0.299.
  std::vector<float> red = {1, 0, 0};
  data::adjust_saturation(red.data(), 1, 0.9f);  // 0.9 + 0.1 * 0.299, 0.1 * 0.299, 0.1 * 0.299
  CHECK(red[0] == doctest::Approx(0.9299f));
  CHECK(red[1] == doctest::Approx(0.0299f));

  // Hue: red (h = 0) shifted by -0.1 -> h = 0.9, sector 5, f = 0.4 -> (v, p, q) = (1, 0, 0.6).
  std::vector<float> hue = {1, 0, 0};
  data::adjust_hue(hue.data(), 1, -0.1f);
  CHECK(hue[0] == doctest::Approx(1.0f));
  CHECK(hue[1] == doctest::Approx(0.0f));
  CHECK(hue[2] == doctest::Approx(0.6f));
  // A shift of zero is a round trip through HSV.
  std::vector<float> mid = {0.2f, 0.4f, 0.6f};
  data::adjust_hue(mid.data(), 1, 0.0f);
  CHECK(mid[0] == doctest::Approx(0.2f));
  CHECK(mid[1] == doctest::Approx(0.4f));
  CHECK(mid[2] == doctest::Approx(0.6f));
}

TEST_CASE("augment: draws stay in their ranges and depend only on (seed, epoch, sample)") {
  int flips = 0;
  for (uint64_t i = 0; i < 400; ++i) {
    const data::AugmentParams p = data::draw_augment(42, 3, i);
    flips += p.flip;
    CHECK(p.brightness >= 0.8f);
    CHECK(p.brightness <= 1.2f);
    CHECK(p.contrast >= 0.8f);
    CHECK(p.contrast <= 1.2f);
    CHECK(p.saturation >= 0.9f);
    CHECK(p.saturation <= 1.1f);
    CHECK(p.hue >= -0.1f);
    CHECK(p.hue <= 0.1f);
  }
  CHECK(flips > 160);  // about half of 400
  CHECK(flips < 240);
  const data::AugmentParams a = data::draw_augment(42, 3, 7), b = data::draw_augment(42, 3, 7);
  CHECK(a.brightness == b.brightness);
  CHECK(a.hue == b.hue);
  CHECK(data::draw_augment(42, 4, 7).brightness != a.brightness);
  CHECK(data::draw_augment(43, 3, 7).brightness != a.brightness);
}

TEST_CASE("augment: prepare_sample flips image and labels together and normalises") {
  // 2x1 image: white then black; labels 1, 2.
  const std::vector<uint8_t> image = {255, 255, 255, 0, 0, 0}, labels = {1, 2};
  std::vector<float> out(6);
  std::vector<uint8_t> out_labels(2);
  data::prepare_sample(image.data(), labels.data(), 2, 1, nullptr, out.data(), out_labels.data());
  CHECK(out[0] == doctest::Approx((1.0 - 0.485) / 0.229));
  CHECK(out[5] == doctest::Approx(-0.406 / 0.225));
  CHECK(out_labels == std::vector<uint8_t>{1, 2});
  data::AugmentParams flip;
  flip.flip = true;
  data::prepare_sample(image.data(), labels.data(), 2, 1, &flip, out.data(), out_labels.data());
  CHECK(out_labels == std::vector<uint8_t>{2, 1});
  CHECK(out[0] == doctest::Approx(-0.485 / 0.229));
  CHECK(out[3] == doctest::Approx((1.0 - 0.485) / 0.229));
}
