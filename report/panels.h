#pragma once
// Qualitative panels: image | ground truth | prediction A | prediction B, as PNG.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace segrun::report {

using Palette = std::vector<std::array<uint8_t, 3>>;

struct PanelInputs {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;                                       // height*width*3
  std::vector<uint8_t> ground_truth, prediction_a, prediction_b;  // height*width labels, 255 = ignore
};

// The four tiles side by side with a white gutter; label 255 is drawn black.
std::vector<uint8_t> compose_panel_rgb(const PanelInputs& in, const Palette& palette, int& out_width);

// Each pixel repeated factor x factor times, so small validation images stay legible.
std::vector<uint8_t> upscale_nearest(const std::vector<uint8_t>& rgb, int width, int height, int factor);

// PNG bytes of an RGB buffer (stb_image_write, in memory).
std::string encode_png(const std::vector<uint8_t>& rgb, int width, int height);
std::string base64_encode(const std::string& bytes);

}  // namespace segrun::report
