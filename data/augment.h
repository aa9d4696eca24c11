#pragma once
// Training augmentation and ImageNet normalisation (docs/REFERENCE.md sections 5.6, 5.7).
#include <cstdint>

namespace segrun::data {

struct AugmentParams {
  bool flip = false;
  float brightness = 1.0f;  // in [0.8, 1.2]
  float contrast = 1.0f;    // in [0.8, 1.2]
  float saturation = 1.0f;  // in [0.9, 1.1]
  float hue = 0.0f;         // in [-0.1, 0.1] of the hue circle
};

// The random stream of one sample depends only on (seed, epoch, sample index), so a sample gets
// the same augmentation whichever loader thread prepares it.
uint64_t sample_stream_key(uint64_t seed, uint64_t epoch, uint64_t sample_index);
// Draws, in this order: flip (p = 0.5), brightness, contrast, saturation, hue.
AugmentParams draw_augment(uint64_t seed, uint64_t epoch, uint64_t sample_index);

// Converts one uint8 RGB image (H, W, 3) and its labels (H, W) into normalised floats and labels.
// With `params`, applies in this fixed order: flip, brightness, contrast, saturation, hue
// (torchvision ColorJitter's functions on [0, 1] floats; torchvision randomises the order of the
// four jitters per call, we fix it so that a run is reproducible from its seed alone).
void prepare_sample(const uint8_t* image, const uint8_t* labels, int width, int height, const AugmentParams* params,
                    float* out_image, uint8_t* out_labels);

// Per-pixel colour operations on RGB in [0, 1], exposed for tests.
void adjust_brightness(float* rgb, int pixels, float factor);
void adjust_contrast(float* rgb, int pixels, float factor);
void adjust_saturation(float* rgb, int pixels, float factor);
void adjust_hue(float* rgb, int pixels, float shift);

constexpr float kImageNetMean[3] = {0.485f, 0.456f, 0.406f};
constexpr float kImageNetStd[3] = {0.229f, 0.224f, 0.225f};

}  // namespace segrun::data
