#pragma once
// Resizing to the training size: images bilinear (or area averaging), labels nearest.
#include "data/image_io.h"

namespace segrun::data {

enum class ImageResize { Bilinear, Area };

// Bilinear with half-pixel centres (PyTorch interpolate, align_corners=false), rounded to 8 bits.
Image resize_bilinear(const Image& src, int width, int height);
// Exact box filter: each output pixel is the area-weighted mean of the source pixels it covers.
Image resize_area(const Image& src, int width, int height);
// Nearest with PyTorch's 'nearest' rule: src = floor(dst * in / out). Never mixes label values.
Image resize_nearest(const Image& src, int width, int height);

Image resize_image(const Image& src, int width, int height, ImageResize mode);

}  // namespace segrun::data
