#include "data/synth_canvas.h"

#include <algorithm>
#include <cmath>

namespace segrun::data {

namespace {
int clamp_to(float v, int hi) {
  return std::clamp(static_cast<int>(std::lround(v)), 0, hi);
}
}  // namespace

Canvas::Canvas(int width, int height)
    : width_(width),
      height_(height),
      labels_(static_cast<size_t>(width) * height, 0),
      colours_(static_cast<size_t>(width) * height) {}

void Canvas::put(int x, int y, uint8_t label, Colour colour) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  labels_[index(x, y)] = label;
  colours_[index(x, y)] = colour;
}

void Canvas::rect(float x0, float y0, float x1, float y1, uint8_t label, Colour colour) {
  const int xa = clamp_to(x0, width_), xb = clamp_to(x1, width_);
  const int ya = clamp_to(y0, height_), yb = clamp_to(y1, height_);
  for (int y = ya; y < yb; ++y) {
    for (int x = xa; x < xb; ++x) put(x, y, label, colour);
  }
}

void Canvas::ellipse(float cx, float cy, float rx, float ry, uint8_t label, Colour colour) {
  rx = std::max(rx, 0.5f), ry = std::max(ry, 0.5f);
  for (int y = clamp_to(cy - ry, height_); y <= clamp_to(cy + ry, height_ - 1); ++y) {
    for (int x = clamp_to(cx - rx, width_); x <= clamp_to(cx + rx, width_ - 1); ++x) {
      const float dx = (x + 0.5f - cx) / rx, dy = (y + 0.5f - cy) / ry;
      if (dx * dx + dy * dy <= 1.0f) put(x, y, label, colour);
    }
  }
}

void Canvas::ring(float cx, float cy, float r, float thickness, uint8_t label, Colour colour) {
  const float inner = std::max(0.0f, r - std::max(thickness, 1.0f));
  for (int y = clamp_to(cy - r, height_); y <= clamp_to(cy + r, height_ - 1); ++y) {
    for (int x = clamp_to(cx - r, width_); x <= clamp_to(cx + r, width_ - 1); ++x) {
      const float d = std::hypot(x + 0.5f - cx, y + 0.5f - cy);
      if (d <= r && d >= inner) put(x, y, label, colour);
    }
  }
}

void Canvas::line(float x0, float y0, float x1, float y1, float thickness, uint8_t label, Colour colour) {
  const float half = std::max(thickness, 1.0f) * 0.5f;
  const float dx = x1 - x0, dy = y1 - y0, length2 = std::max(dx * dx + dy * dy, 1e-6f);
  for (int y = clamp_to(std::min(y0, y1) - half, height_); y <= clamp_to(std::max(y0, y1) + half, height_ - 1); ++y) {
    for (int x = clamp_to(std::min(x0, x1) - half, width_); x <= clamp_to(std::max(x0, x1) + half, width_ - 1); ++x) {
      const float px = x + 0.5f - x0, py = y + 0.5f - y0;
      const float t = std::clamp((px * dx + py * dy) / length2, 0.0f, 1.0f);
      if (std::hypot(px - t * dx, py - t * dy) <= half) put(x, y, label, colour);
    }
  }
}

void Canvas::polygon(const std::vector<float>& xs, const std::vector<float>& ys, uint8_t label, Colour colour) {
  const size_t n = xs.size();
  const auto [min_y, max_y] = std::minmax_element(ys.begin(), ys.end());
  const auto [min_x, max_x] = std::minmax_element(xs.begin(), xs.end());
  // Signed area fixes the winding, so "inside" is the same side of every edge.
  float area = 0;
  for (size_t i = 0; i < n; ++i) area += xs[i] * ys[(i + 1) % n] - xs[(i + 1) % n] * ys[i];
  const float sign = area >= 0 ? 1.0f : -1.0f;
  for (int y = clamp_to(*min_y - 1, height_); y <= clamp_to(*max_y, height_ - 1); ++y) {
    for (int x = clamp_to(*min_x - 1, width_); x <= clamp_to(*max_x, width_ - 1); ++x) {
      bool inside = true;
      for (size_t i = 0; i < n && inside; ++i) {
        const size_t j = (i + 1) % n;
        const float cross = (xs[j] - xs[i]) * (y + 0.5f - ys[i]) - (ys[j] - ys[i]) * (x + 0.5f - xs[i]);
        inside = sign * cross >= 0;
      }
      if (inside) put(x, y, label, colour);
    }
  }
}

}  // namespace segrun::data
