#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "eval/boundary_iou.h"
#include "eval/confusion.h"

using namespace segrun::eval;

TEST_CASE("confusion matrix: hand-computed IoU, Dice and accuracy") {
  // gt   0 0 1 1 2 255
  // pred 0 1 1 1 0 2     -> the last pixel is ignored.
  // Counts (gt, pred): (0,0)=1 (0,1)=1 (1,1)=2 (2,0)=1.
  // TP = 1, 2, 0; FP = 1, 1, 0; FN = 1, 0, 1.
  const std::vector<uint8_t> gt = {0, 0, 1, 1, 2, 255}, pred = {0, 1, 1, 1, 0, 2};
  ConfusionMatrix cm(4);
  cm.add(gt.data(), pred.data(), gt.size());
  CHECK(cm.count(0, 0) == 1);
  CHECK(cm.count(0, 1) == 1);
  CHECK(cm.count(1, 1) == 2);
  CHECK(cm.count(2, 0) == 1);
  CHECK(cm.valid_pixels() == 5);
  const SegmentationMetrics m = compute_metrics(cm);
  CHECK(m.iou[0] == doctest::Approx(1.0 / 3));  // 1 / (1 + 1 + 1)
  CHECK(m.iou[1] == doctest::Approx(2.0 / 3));  // 2 / (2 + 1 + 0)
  CHECK(m.iou[2] == 0.0);                       // 0 / (0 + 0 + 1)
  CHECK(std::isnan(m.iou[3]));                  // never seen: not scored
  CHECK(m.scored == std::vector<int>{0, 1, 2});
  CHECK(m.miou == doctest::Approx(1.0 / 3));
  CHECK(m.pixel_accuracy == doctest::Approx(0.6));  // 3 of 5 valid pixels
  CHECK(m.dice[0] == doctest::Approx(0.5));         // 2 / (2 + 2)
  CHECK(m.dice[1] == doctest::Approx(0.8));         // 4 / (4 + 1)
  CHECK(m.mean_dice == doctest::Approx(1.3 / 3));

  // A prediction outside the classes (a void labelId) is a miss for its ground truth only.
  const std::vector<uint8_t> gt2 = {1, 1}, pred2 = {1, 200};
  ConfusionMatrix cm2(2);
  cm2.add(gt2.data(), pred2.data(), 2);
  CHECK(cm2.false_negatives(1) == 1);
  CHECK(cm2.false_positives(0) == 0);
  CHECK(compute_metrics(cm2).iou[1] == doctest::Approx(0.5));
  CHECK(compute_metrics(cm2).scored == std::vector<int>{1});

  const std::vector<uint8_t> bad = {7};
  CHECK_THROWS_WITH_AS(cm2.add(bad.data(), pred2.data(), 1),
                       "confusion matrix: ground-truth label 7 at pixel 0 is not a class (0..1) or 255",
                       std::invalid_argument);
}

TEST_CASE("per-image mIoU averages over classes in that image's ground truth or prediction") {
  // gt 0 0 1 1, pred 0 0 0 1: IoU_0 = 2/3, IoU_1 = 1/2, class 2 absent -> (2/3 + 1/2) / 2 = 7/12.
  const std::vector<uint8_t> gt = {0, 0, 1, 1}, pred = {0, 0, 0, 1};
  CHECK(image_miou(gt.data(), pred.data(), 4, 3) == doctest::Approx(7.0 / 12));
}

TEST_CASE("boundary IoU: band width and chessboard distance with the border outside") {
  CHECK(boundary_band(10, 10) == 1);       // 0.02 * 14.1 = 0.28 -> at least 1
  CHECK(boundary_band(100, 100) == 3);     // 0.02 * 141.4 = 2.83
  CHECK(boundary_band(2048, 1024) == 46);  // 0.02 * 2289.7 = 45.8
  const std::vector<uint8_t> flat(25, 1);
  const std::vector<int> d = distance_to_other_label(flat.data(), 5, 5);
  CHECK(d == std::vector<int>{1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 2, 3, 2, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1});
}

namespace {
std::vector<uint8_t> draw_box(int w, int h, int x0, int y0, int x1, int y1) {  // class 1 on [x0,x1]x[y0,y1]
  std::vector<uint8_t> m(static_cast<size_t>(w) * h, 0);
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) m[static_cast<size_t>(y) * w + x] = 1;
  }
  return m;
}
}  // namespace

TEST_CASE("boundary IoU: a square shifted by one pixel") {
  // 8x8, d = 1. GT square [2,5]^2, prediction [3,6]x[2,5].
  // Class 1: each band is the square's 12-pixel ring; they share rows y=2,5 at x=3..5 -> 6.
  //   IoU = 6 / (12 + 12 - 6) = 1/3.
  // Class 0: GT band = 28 border pixels + 20 around the square = 48; prediction band = 28 border +
  //   14 around the shifted square (its x=7 column is border) = 42; shared = 28 border + rows
  //   y=1,6 at x=2..6 (10) = 38. IoU = 38 / (48 + 42 - 38) = 38/52.
  const std::vector<uint8_t> gt = draw_box(8, 8, 2, 2, 5, 5), pred = draw_box(8, 8, 3, 2, 6, 5);
  BoundaryIoU b(2);
  b.add(gt.data(), pred.data(), 8, 8);
  CHECK(b.intersection(1) == 6);
  CHECK(b.union_count(1) == 18);
  CHECK(b.intersection(0) == 38);
  CHECK(b.union_count(0) == 52);
  CHECK(b.mean() == doctest::Approx((1.0 / 3 + 38.0 / 52) / 2));

  // Ignoring GT pixel (0,0) removes it from both bands: 37 / (47 + 41 - 37).
  std::vector<uint8_t> gt_ignored = gt;
  gt_ignored[0] = 255;
  BoundaryIoU c(2);
  c.add(gt_ignored.data(), pred.data(), 8, 8);
  CHECK(c.per_class()[0] == doctest::Approx(37.0 / 51));
  CHECK(c.per_class()[1] == doctest::Approx(1.0 / 3));
}

TEST_CASE("boundary IoU: a thin line is all boundary") {
  // GT line y=3, x=1..6 (6 pixels, all in its band); prediction two rows y=3..4 (12 pixels, all in
  // band since one erosion removes a 2-pixel-thick bar). IoU_1 = 6 / 12.
  const std::vector<uint8_t> gt = draw_box(8, 8, 1, 3, 6, 3), pred = draw_box(8, 8, 1, 3, 6, 4);
  BoundaryIoU b(2);
  b.add(gt.data(), pred.data(), 8, 8);
  CHECK(b.intersection(1) == 6);
  CHECK(b.union_count(1) == 12);
  CHECK(b.per_class()[1] == doctest::Approx(0.5));
}

TEST_CASE("boundary IoU: a mask touching the image border") {
  // 6x6, d = 1. GT class 1 = columns 0..2; the border counts as outside, so one erosion keeps only
  // x=1, y=1..4 and the band is 18 - 4 = 14. Prediction class 1 = columns 0..3: band 24 - 8 = 16.
  // Shared: x=0 (6) + x=1,2 at y=0,5 (4) = 10 -> IoU_1 = 10 / (14 + 16 - 10) = 1/2.
  // Class 0: GT columns 3..5, band 14; prediction columns 4..5, band 12 (all); shared x=5 (6) +
  // x=4 at y=0,5 (2) = 8 -> IoU_0 = 8 / (14 + 12 - 8) = 4/9.
  const std::vector<uint8_t> gt = draw_box(6, 6, 0, 0, 2, 5), pred = draw_box(6, 6, 0, 0, 3, 5);
  BoundaryIoU b(2);
  b.add(gt.data(), pred.data(), 6, 6);
  CHECK(b.union_count(1) == 20);
  CHECK(b.per_class()[1] == doctest::Approx(0.5));
  CHECK(b.per_class()[0] == doctest::Approx(4.0 / 9));
  CHECK(b.mean() == doctest::Approx((0.5 + 4.0 / 9) / 2));
}
