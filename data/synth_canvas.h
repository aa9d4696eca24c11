#pragma once
// Drawing primitives for the synthetic scenes: each paints a Cityscapes labelId and a base colour;
// texture and noise are added per pixel afterwards.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace segrun::data {

struct Colour {
  float r = 0, g = 0, b = 0;
  Colour scaled(float f) const { return {r * f, g * f, b * f}; }
};

class Canvas {
 public:
  Canvas(int width, int height);
  int width() const { return width_; }
  int height() const { return height_; }

  void put(int x, int y, uint8_t label, Colour colour);
  // Half-open box [x0, x1) x [y0, y1) in pixel coordinates (rounded).
  void rect(float x0, float y0, float x1, float y1, uint8_t label, Colour colour);
  void ellipse(float cx, float cy, float rx, float ry, uint8_t label, Colour colour);
  // A ring between radii r and r - thickness (wheels).
  void ring(float cx, float cy, float r, float thickness, uint8_t label, Colour colour);
  // Segment of the given thickness (>= 1 pixel).
  void line(float x0, float y0, float x1, float y1, float thickness, uint8_t label, Colour colour);
  // Convex polygon given by its corners in order.
  void polygon(const std::vector<float>& xs, const std::vector<float>& ys, uint8_t label, Colour colour);

  uint8_t label(int x, int y) const { return labels_[index(x, y)]; }
  Colour colour(int x, int y) const { return colours_[index(x, y)]; }

 private:
  size_t index(int x, int y) const { return static_cast<size_t>(y) * width_ + x; }
  int width_, height_;
  std::vector<uint8_t> labels_;
  std::vector<Colour> colours_;
};

}  // namespace segrun::data
