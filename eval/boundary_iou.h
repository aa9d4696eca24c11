#pragma once
// Boundary IoU (Cheng et al., CVPR 2021) accumulated over a split (docs/REFERENCE.md section 6.4).
#include <cstdint>
#include <vector>

namespace segrun::eval {

// Band width d = max(1, round(0.02 * sqrt(W^2 + H^2))).
int boundary_band(int width, int height);

// For every pixel, the chessboard distance to the nearest pixel with a different label, the
// image border counting as a different label (so border pixels get 1). A pixel of class c lies in
// c's d-band exactly when this is <= d: the mask minus its d-times 3x3 erosion.
std::vector<int> distance_to_other_label(const uint8_t* labels, int width, int height);

class BoundaryIoU {
 public:
  explicit BoundaryIoU(int num_classes);
  // Adds one image; pixels whose ground truth is 255 are left out of both bands.
  void add(const uint8_t* ground_truth, const uint8_t* prediction, int width, int height);
  // |G_d & P_d| / |G_d | P_d| per class over everything added; NaN where the union is empty.
  std::vector<double> per_class() const;
  // Mean of per_class over classes with a non-empty union.
  double mean() const;
  uint64_t intersection(int c) const { return intersection_[c]; }
  uint64_t union_count(int c) const { return union_[c]; }

 private:
  int classes_;
  std::vector<uint64_t> intersection_;
  std::vector<uint64_t> union_;
};

}  // namespace segrun::eval
