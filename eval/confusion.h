#pragma once
// Confusion matrix over a split and the metrics derived from it (docs/REFERENCE.md section 6).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/labels.h"

namespace segrun::eval {

// Rows: ground truth 0..C-1. Columns: predictions 0..C-1, plus one column for predictions
// outside 0..C-1 (a labelId prediction of a void class): those count as misses (FN) only.
class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int num_classes);
  int num_classes() const { return classes_; }
  // Adds `n` pixels; ground truth kIgnoreLabel is skipped, other ground truth must be < C.
  void add(const uint8_t* ground_truth, const uint8_t* prediction, size_t n);
  void merge(const ConfusionMatrix& other);
  uint64_t count(int gt, int pred) const { return counts_[static_cast<size_t>(gt) * (classes_ + 1) + pred]; }
  uint64_t true_positives(int c) const { return count(c, c); }
  uint64_t false_positives(int c) const;
  uint64_t false_negatives(int c) const;
  uint64_t valid_pixels() const;

 private:
  int classes_;
  std::vector<uint64_t> counts_;
};

struct SegmentationMetrics {
  std::vector<double> iou;    // per class; NaN where TP+FP+FN = 0
  std::vector<double> dice;   // per class 2TP/(2TP+FP+FN); NaN where the denominator is 0
  std::vector<int> scored;    // classes with TP+FP+FN > 0 (the set mIoU averages over)
  double miou = 0;            // mean IoU over `scored`
  double mean_dice = 0;       // mean Dice over `scored`
  double pixel_accuracy = 0;  // sum TP / valid pixels
};

SegmentationMetrics compute_metrics(const ConfusionMatrix& cm);

// mIoU of one image over the classes present in its ground truth or prediction; NaN when the
// image has no valid pixel.
double image_miou(const uint8_t* ground_truth, const uint8_t* prediction, size_t n, int num_classes);

}  // namespace segrun::eval
