#pragma once
// One pass over the validation split in eval mode: loss, confusion-matrix metrics, boundary IoU,
// per-image mIoU and the predicted label maps.
#include <string>
#include <vector>

#include "data/cache.h"
#include "eval/confusion.h"
#include "losses/losses.h"
#include "nn/module.h"

namespace segrun::training {

struct LossSetup {
  losses::LossWeights weights;
  losses::LossOptions options;
};

struct ValidationResult {
  double loss = 0;
  eval::SegmentationMetrics metrics;
  double boundary_iou = 0;
  std::vector<double> image_miou;    // per cached sample
  std::vector<uint8_t> predictions;  // count * H * W train ids
};

ValidationResult validate(nn::SegmentationModel& model, const data::SplitCache& cache, const LossSetup& loss,
                          int num_classes, int batch_size, Device device, bool amp);

// Argmax over the last dimension of (N,H,W,C) logits on the CPU.
std::vector<uint8_t> argmax_labels(const Tensor& logits);

// val_pred/<index>.png for every sample, and per_image_miou.json (ids in cache order).
void write_validation_outputs(const std::string& run_dir, const ValidationResult& result, int width, int height,
                              const std::vector<std::string>& ids, int epoch);

}  // namespace segrun::training
