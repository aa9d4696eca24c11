#include "eval/boundary_iou.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "eval/confusion.h"

namespace segrun::eval {

int boundary_band(int width, int height) {
  const double diagonal = std::sqrt(static_cast<double>(width) * width + static_cast<double>(height) * height);
  return std::max(1, static_cast<int>(std::lround(0.02 * diagonal)));
}

// Two-pass chamfer transform with unit weights on the 8-neighbourhood (exact for the chessboard
// metric); only same-label neighbours propagate, a different label or the border gives 1.
std::vector<int> distance_to_other_label(const uint8_t* labels, int width, int height) {
  const int far = width + height;
  std::vector<int> dist(static_cast<size_t>(width) * height, far);
  auto at = [&](int x, int y) -> size_t { return static_cast<size_t>(y) * width + x; };
  auto relax = [&](int x, int y, int nx, int ny) {
    int& d = dist[at(x, y)];
    if (nx < 0 || ny < 0 || nx >= width || ny >= height || labels[at(nx, ny)] != labels[at(x, y)]) {
      d = 1;
    } else {
      d = std::min(d, dist[at(nx, ny)] + 1);
    }
  };
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      relax(x, y, x - 1, y - 1), relax(x, y, x, y - 1), relax(x, y, x + 1, y - 1), relax(x, y, x - 1, y);
    }
  }
  for (int y = height - 1; y >= 0; --y) {
    for (int x = width - 1; x >= 0; --x) {
      relax(x, y, x + 1, y + 1), relax(x, y, x, y + 1), relax(x, y, x - 1, y + 1), relax(x, y, x + 1, y);
    }
  }
  return dist;
}

BoundaryIoU::BoundaryIoU(int num_classes)
    : classes_(num_classes), intersection_(num_classes, 0), union_(num_classes, 0) {}

void BoundaryIoU::add(const uint8_t* ground_truth, const uint8_t* prediction, int width, int height) {
  const int band = boundary_band(width, height);
  const std::vector<int> gt_dist = distance_to_other_label(ground_truth, width, height);
  const std::vector<int> pred_dist = distance_to_other_label(prediction, width, height);
  const size_t n = static_cast<size_t>(width) * height;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t gt = ground_truth[i], pred = prediction[i];
    if (gt == kIgnoreLabel) continue;
    if (gt >= classes_) throw std::invalid_argument("boundary IoU: ground-truth label " + std::to_string(gt));
    const bool gt_in = gt_dist[i] <= band;
    const bool pred_in = pred < classes_ && pred_dist[i] <= band;
    if (gt_in && pred_in && gt == pred) {
      ++intersection_[gt];
      ++union_[gt];
      continue;
    }
    if (gt_in) ++union_[gt];
    if (pred_in) ++union_[pred];
  }
}

std::vector<double> BoundaryIoU::per_class() const {
  std::vector<double> iou(classes_, std::numeric_limits<double>::quiet_NaN());
  for (int c = 0; c < classes_; ++c) {
    if (union_[c]) iou[c] = static_cast<double>(intersection_[c]) / static_cast<double>(union_[c]);
  }
  return iou;
}

double BoundaryIoU::mean() const {
  double sum = 0;
  int scored = 0;
  for (double v : per_class()) {
    if (!std::isnan(v)) sum += v, ++scored;
  }
  return scored ? sum / scored : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace segrun::eval
