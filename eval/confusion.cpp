#include "eval/confusion.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace segrun::eval {

ConfusionMatrix::ConfusionMatrix(int num_classes)
    : classes_(num_classes), counts_(static_cast<size_t>(num_classes) * (num_classes + 1), 0) {
  if (num_classes <= 0 || num_classes >= kIgnoreLabel) {
    throw std::invalid_argument("confusion matrix: number of classes must be in 1..254, got " +
                                std::to_string(num_classes));
  }
}

void ConfusionMatrix::add(const uint8_t* ground_truth, const uint8_t* prediction, size_t n) {
  const size_t row = static_cast<size_t>(classes_) + 1;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t gt = ground_truth[i];
    if (gt == kIgnoreLabel) continue;
    if (gt >= classes_) {
      throw std::invalid_argument("confusion matrix: ground-truth label " + std::to_string(gt) + " at pixel " +
                                  std::to_string(i) + " is not a class (0.." + std::to_string(classes_ - 1) +
                                  ") or 255");
    }
    const int pred = prediction[i] < classes_ ? prediction[i] : classes_;
    ++counts_[gt * row + pred];
  }
}

void ConfusionMatrix::merge(const ConfusionMatrix& other) {
  if (other.classes_ != classes_) throw std::invalid_argument("confusion matrix: merging different class counts");
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
}

uint64_t ConfusionMatrix::false_positives(int c) const {
  uint64_t sum = 0;
  for (int gt = 0; gt < classes_; ++gt) sum += gt == c ? 0 : count(gt, c);
  return sum;
}

uint64_t ConfusionMatrix::false_negatives(int c) const {
  uint64_t sum = 0;
  for (int pred = 0; pred <= classes_; ++pred) sum += pred == c ? 0 : count(c, pred);
  return sum;
}

uint64_t ConfusionMatrix::valid_pixels() const {
  uint64_t sum = 0;
  for (uint64_t v : counts_) sum += v;
  return sum;
}

// IoU_c = TP/(TP+FP+FN); Dice_c = 2TP/(2TP+FP+FN); pixel accuracy = sum TP / valid (docs/REFERENCE.md section 6.2).
SegmentationMetrics compute_metrics(const ConfusionMatrix& cm) {
  const int classes = cm.num_classes();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  SegmentationMetrics m;
  m.iou.assign(classes, nan);
  m.dice.assign(classes, nan);
  double iou_sum = 0, dice_sum = 0;
  uint64_t tp_sum = 0;
  for (int c = 0; c < classes; ++c) {
    const uint64_t tp = cm.true_positives(c), errors = cm.false_positives(c) + cm.false_negatives(c);
    tp_sum += tp;
    if (tp + errors == 0) continue;
    m.iou[c] = static_cast<double>(tp) / static_cast<double>(tp + errors);
    m.dice[c] = 2.0 * tp / static_cast<double>(2 * tp + errors);
    m.scored.push_back(c);
    iou_sum += m.iou[c];
    dice_sum += m.dice[c];
  }
  const double scored = static_cast<double>(m.scored.size());
  m.miou = m.scored.empty() ? nan : iou_sum / scored;
  m.mean_dice = m.scored.empty() ? nan : dice_sum / scored;
  const uint64_t valid = cm.valid_pixels();
  m.pixel_accuracy = valid ? static_cast<double>(tp_sum) / static_cast<double>(valid) : nan;
  return m;
}

double image_miou(const uint8_t* ground_truth, const uint8_t* prediction, size_t n, int num_classes) {
  ConfusionMatrix cm(num_classes);
  cm.add(ground_truth, prediction, n);
  return compute_metrics(cm).miou;
}

}  // namespace segrun::eval
