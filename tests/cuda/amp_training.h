#pragma once
// AMP training on the GPU as the trainer sets it up, for the CUDA step tests: a model in
// training mode on the GPU, AdamW with loss scaling from 1024 (a fresh full-size model overflows
// f16 at 65536), the equal-weight combined loss, and the step context over them.
#include <cstdint>
#include <memory>

#include "data/loader.h"
#include "engine/ops.h"
#include "models/factory.h"
#include "training/train_step.h"

namespace segrun::testing {

struct AmpTraining {
  std::unique_ptr<nn::SegmentationModel> model;
  std::unique_ptr<nn::AdamW> optimizer;
  training::LossSetup loss;
  std::unique_ptr<training::StepContext> ctx;

  AmpTraining(const char* model_name, int64_t classes, int64_t width) {
    Generator init(42);
    model = models::make_model(model_name, 3, classes, width, init);
    model->train();
    model->to(Device::cuda());
    nn::LossScalerOptions scaling;
    scaling.enabled = true;
    scaling.init_scale = 1024.0;
    optimizer = std::make_unique<nn::AdamW>(model->named_parameters(), nn::AdamWOptions{}, scaling);
    loss.weights = {1.0, 1.0, 1.0};
    ctx = std::make_unique<training::StepContext>(
        training::StepContext{*model, *optimizer, loss, 1.0, Device::cuda(), true});
  }
};

// A batch of `count` random images of height x width and labels of `classes` classes, one
// pixel in 13 ignored (255).
inline data::Batch random_batch(uint64_t seed, int64_t count, int64_t height, int64_t width, int classes) {
  Generator gen(seed);
  data::Batch batch;
  batch.images = gen.uniform({count, height, width, 3}, -2.0, 2.0);
  batch.labels = Tensor::empty({count, height, width}, DType::U8);
  for (int64_t i = 0; i < batch.labels.numel(); ++i)
    batch.labels.data<uint8_t>()[i] = i % 13 == 0 ? 255 : static_cast<uint8_t>(gen.next_below(classes));
  for (int64_t i = 0; i < count; ++i) batch.indices.push_back(static_cast<size_t>(i));
  return batch;
}

}  // namespace segrun::testing
