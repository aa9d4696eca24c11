#pragma once
// Resizing to the training size: images antialiased (PIL's bilinear), 4-tap bilinear or area
// averaging; labels nearest.
#include "data/image_io.h"

namespace segrun::data {

enum class ImageResize { Antialias, Bilinear, Area };

// The names used by --resize, config.json and the split cache key.
const char* image_resize_name(ImageResize mode);
// "antialias" or "bilinear" (the two --resize choices); throws std::invalid_argument otherwise.
ImageResize parse_image_resize(const std::string& name);

// Bilinear with half-pixel centres (PyTorch interpolate, align_corners=false), rounded to 8 bits.
Image resize_bilinear(const Image& src, int width, int height);
// PIL's Image.resize(..., BILINEAR): a separable triangle filter whose support is the reduction
// factor on an axis that shrinks (so every covered source pixel contributes) and 1 otherwise
// (plain bilinear between the two nearest pixels, edge weights renormalised); 22-bit fixed-point
// weights, 8-bit rounding after the horizontal and after the vertical pass, as PIL does.
Image resize_antialias(const Image& src, int width, int height);
// Exact box filter: each output pixel is the area-weighted mean of the source pixels it covers.
Image resize_area(const Image& src, int width, int height);
// Nearest with PyTorch's 'nearest' rule: src = floor(dst * in / out). Never mixes label values.
Image resize_nearest(const Image& src, int width, int height);

Image resize_image(const Image& src, int width, int height, ImageResize mode);

}  // namespace segrun::data
