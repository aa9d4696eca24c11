#include "data/augment.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/random.h"

namespace segrun::data {

namespace {

float clamp01(float v) {
  return std::min(1.0f, std::max(0.0f, v));
}

// ITU-R 601-2 luma, as torchvision rgb_to_grayscale.
float grey(const float* p) {
  return 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
}

// torchvision _rgb2hsv.
void rgb_to_hsv(const float* p, float& h, float& s, float& v) {
  const float r = p[0], g = p[1], b = p[2];
  const float maxc = std::max(r, std::max(g, b)), minc = std::min(r, std::min(g, b));
  const bool equal = maxc == minc;
  const float range = maxc - minc;
  s = range / (equal ? 1.0f : maxc);
  const float divisor = equal ? 1.0f : range;
  const float rc = (maxc - r) / divisor, gc = (maxc - g) / divisor, bc = (maxc - b) / divisor;
  float hue;
  if (maxc == r) {
    hue = bc - gc;
  } else if (maxc == g) {
    hue = 2.0f + rc - bc;
  } else {
    hue = 4.0f + gc - rc;
  }
  h = std::fmod(hue / 6.0f + 1.0f, 1.0f);
  v = maxc;
}

// torchvision _hsv2rgb.
void hsv_to_rgb(float h, float s, float v, float* p) {
  const float i_float = std::floor(h * 6.0f);
  const float f = h * 6.0f - i_float;
  const int i = ((static_cast<int>(i_float) % 6) + 6) % 6;
  const float pv = clamp01(v * (1.0f - s)), q = clamp01(v * (1.0f - s * f)), t = clamp01(v * (1.0f - s * (1.0f - f)));
  const float table[6][3] = {{v, t, pv}, {q, v, pv}, {pv, v, t}, {pv, q, v}, {t, pv, v}, {v, pv, q}};
  std::copy(table[i], table[i] + 3, p);
}

}  // namespace

uint64_t sample_stream_key(uint64_t seed, uint64_t epoch, uint64_t sample_index) {
  return random_bits(random_bits(seed, epoch), sample_index);
}

AugmentParams draw_augment(uint64_t seed, uint64_t epoch, uint64_t sample_index) {
  Generator gen(sample_stream_key(seed, epoch, sample_index));
  AugmentParams params;
  params.flip = gen.next_unit() < 0.5;
  params.brightness = static_cast<float>(gen.next_uniform(0.8, 1.2));
  params.contrast = static_cast<float>(gen.next_uniform(0.8, 1.2));
  params.saturation = static_cast<float>(gen.next_uniform(0.9, 1.1));
  params.hue = static_cast<float>(gen.next_uniform(-0.1, 0.1));
  return params;
}

// x' = clamp(b x, 0, 1)
void adjust_brightness(float* rgb, int pixels, float factor) {
  for (int i = 0; i < 3 * pixels; ++i) rgb[i] = clamp01(factor * rgb[i]);
}

// x' = clamp(c x + (1 - c) mean(grey(x)), 0, 1), the mean over the whole image.
void adjust_contrast(float* rgb, int pixels, float factor) {
  double sum = 0;
  for (int i = 0; i < pixels; ++i) sum += grey(rgb + 3 * i);
  const float mean = static_cast<float>(sum / pixels);
  for (int i = 0; i < 3 * pixels; ++i) rgb[i] = clamp01(factor * rgb[i] + (1.0f - factor) * mean);
}

// x' = clamp(s x + (1 - s) grey(x), 0, 1), per pixel.
void adjust_saturation(float* rgb, int pixels, float factor) {
  for (int i = 0; i < pixels; ++i) {
    float* p = rgb + 3 * i;
    const float g = grey(p);
    for (int c = 0; c < 3; ++c) p[c] = clamp01(factor * p[c] + (1.0f - factor) * g);
  }
}

// h' = (h + shift) mod 1 in HSV.
void adjust_hue(float* rgb, int pixels, float shift) {
  for (int i = 0; i < pixels; ++i) {
    float h, s, v;
    rgb_to_hsv(rgb + 3 * i, h, s, v);
    h = std::fmod(h + shift + 1.0f, 1.0f);
    hsv_to_rgb(h, s, v, rgb + 3 * i);
  }
}

void prepare_sample(const uint8_t* image, const uint8_t* labels, int width, int height, const AugmentParams* params,
                    float* out_image, uint8_t* out_labels) {
  const bool flip = params && params->flip;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const size_t src = static_cast<size_t>(y) * width + (flip ? width - 1 - x : x);
      const size_t dst = static_cast<size_t>(y) * width + x;
      for (int c = 0; c < 3; ++c) out_image[3 * dst + c] = image[3 * src + c] / 255.0f;
      out_labels[dst] = labels[src];
    }
  }
  const int pixels = width * height;
  if (params) {
    adjust_brightness(out_image, pixels, params->brightness);
    adjust_contrast(out_image, pixels, params->contrast);
    adjust_saturation(out_image, pixels, params->saturation);
    adjust_hue(out_image, pixels, params->hue);
  }
  for (int i = 0; i < pixels; ++i) {
    for (int c = 0; c < 3; ++c) out_image[3 * i + c] = (out_image[3 * i + c] - kImageNetMean[c]) / kImageNetStd[c];
  }
}

}  // namespace segrun::data
