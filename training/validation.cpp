#include "training/validation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "data/image_io.h"
#include "data/loader.h"
#include "engine/autograd.h"
#include "eval/boundary_iou.h"
#include "nn/autocast.h"
#include "training/run_files.h"

namespace segrun::training {

std::vector<uint8_t> argmax_labels(const Tensor& logits) {
  const Tensor host = logits.device().is_cpu() && logits.dtype() == DType::F32
                          ? logits
                          : logits.contiguous_copy_on(Device::cpu(), DType::F32);
  const int64_t classes = host.size(-1);
  const int64_t pixels = host.numel() / classes;
  const float* z = host.data<float>();
  std::vector<uint8_t> labels(static_cast<size_t>(pixels));
  for (int64_t i = 0; i < pixels; ++i) {
    const float* row = z + i * classes;
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c) {
      if (row[c] > row[best]) best = c;
    }
    labels[static_cast<size_t>(i)] = static_cast<uint8_t>(best);
  }
  return labels;
}

ValidationResult validate(nn::SegmentationModel& model, const data::SplitCache& cache, const LossSetup& loss,
                          int num_classes, int batch_size, Device device, bool amp) {
  NoGradGuard no_grad;
  const nn::AutocastGuard autocast(amp);
  model.eval();
  ValidationResult result;
  const size_t pixels = static_cast<size_t>(cache.width()) * cache.height();
  result.predictions.resize(cache.count() * pixels);
  result.image_miou.resize(cache.count());
  eval::ConfusionMatrix confusion(num_classes);
  eval::BoundaryIoU boundary(num_classes);
  const std::vector<size_t> order = data::epoch_order(cache.count(), 0, 0, false);
  double loss_sum = 0;
  size_t batches = 0;
  for (size_t begin = 0; begin < order.size(); begin += static_cast<size_t>(batch_size)) {
    const std::vector<size_t> indices(order.begin() + begin,
                                      order.begin() + std::min(order.size(), begin + batch_size));
    const data::Batch batch = data::make_batch(cache, indices, 0, 0, false);
    const Tensor logits = model.forward(batch.images.to(device));
    const losses::LossTerms terms = losses::combined_loss(logits, batch.labels.to(device), loss.weights, loss.options);
    loss_sum += terms.total.item();
    ++batches;
    const std::vector<uint8_t> predicted = argmax_labels(logits);
    for (size_t k = 0; k < indices.size(); ++k) {
      const uint8_t* gt = cache.labels(indices[k]);
      const uint8_t* pred = predicted.data() + k * pixels;
      std::copy(pred, pred + pixels, result.predictions.begin() + static_cast<std::ptrdiff_t>(indices[k] * pixels));
      confusion.add(gt, pred, pixels);
      boundary.add(gt, pred, cache.width(), cache.height());
      result.image_miou[indices[k]] = eval::image_miou(gt, pred, pixels, num_classes);
    }
  }
  result.loss = batches ? loss_sum / static_cast<double>(batches) : 0;
  result.metrics = eval::compute_metrics(confusion);
  result.boundary_iou = boundary.mean();
  model.train();
  return result;
}

void write_validation_outputs(const std::string& run_dir, const ValidationResult& result, int width, int height,
                              const std::vector<std::string>& ids, int epoch) {
  const std::string folder = join_path(run_dir, "val_pred");
  make_directories(folder);
  const size_t pixels = static_cast<size_t>(width) * height;
  for (size_t i = 0; i < result.image_miou.size(); ++i) {
    data::Image image = data::make_image(width, height, 1);
    std::copy(result.predictions.begin() + static_cast<std::ptrdiff_t>(i * pixels),
              result.predictions.begin() + static_cast<std::ptrdiff_t>((i + 1) * pixels), image.pixels.begin());
    char name[32];
    std::snprintf(name, sizeof name, "%06zu.png", i);
    data::write_png(join_path(folder, name), image);
  }
  Json miou = Json::array();
  for (double v : result.image_miou) miou.push_back(std::isfinite(v) ? Json(v) : Json(nullptr));
  write_json_atomic(join_path(run_dir, "per_image_miou.json"), {{"epoch", epoch}, {"ids", ids}, {"miou", miou}});
}

}  // namespace segrun::training
