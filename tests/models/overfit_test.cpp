// A width-8 Attention U-Net on the CPU overfits one synthetic batch: pixel accuracy > 0.95.
#include <doctest/doctest.h>

#include <cstdio>
#include <limits>

#include "engine/ops.h"
#include "models/attention_unet.h"
#include "nn/optim.h"

using namespace segrun;

namespace {
constexpr int64_t kSize = 32, kBatch = 2, kClasses = 3;

// Class of pixel (y, x) in image n: background 0, a rectangle 1, a disk 2 (placed per image).
int scene_class(int64_t n, int64_t y, int64_t x) {
  const int64_t cy = n ? 20 : 12, cx = n ? 10 : 22, r = 7;
  if ((y - cy) * (y - cy) + (x - cx) * (x - cx) <= r * r) return 2;
  const bool in_rect = n ? (y >= 3 && y < 12 && x >= 14 && x < 29) : (y >= 18 && y < 29 && x >= 2 && x < 14);
  return in_rect ? 1 : 0;
}

struct Batch {
  Tensor images;  // (N,H,W,3): a colour per class plus noise
  Tensor onehot;  // (N,H,W,C)
  std::vector<int> labels;
};

Batch make_batch(Generator& gen) {
  const float colour[kClasses][3] = {{0.2f, 0.3f, 0.2f}, {0.7f, 0.3f, 0.3f}, {0.3f, 0.4f, 0.8f}};
  Batch b{Tensor::empty({kBatch, kSize, kSize, 3}), Tensor::zeros({kBatch, kSize, kSize, kClasses}), {}};
  for (int64_t i = 0; i < kBatch * kSize * kSize; ++i) {
    const int c = scene_class(i / (kSize * kSize), i / kSize % kSize, i % kSize);
    b.labels.push_back(c);
    for (int k = 0; k < 3; ++k)
      b.images.data<float>()[i * 3 + k] = colour[c][k] + static_cast<float>(gen.next_uniform(-0.35, 0.35));
    b.onehot.data<float>()[i * kClasses + c] = 1.0f;
  }
  return b;
}

double pixel_accuracy(const Tensor& logits, const std::vector<int>& labels) {
  const std::vector<float> z = logits.to_float_vector();
  int correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    int best = 0;
    for (int c = 1; c < kClasses; ++c)
      if (z[i * kClasses + c] > z[i * kClasses + best]) best = c;
    correct += best == labels[i];
  }
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}

// Plain cross-entropy: -mean over pixels of log softmax at the target class.
Tensor cross_entropy(const Tensor& logits, const Tensor& onehot) {
  return scale(sum(mul(onehot, log_softmax(logits))), -1.0 / static_cast<double>(kBatch * kSize * kSize));
}
}  // namespace

TEST_CASE("width-8 Attention U-Net overfits one synthetic batch to pixel accuracy > 0.95") {
  Generator gen(42);
  const Batch batch = make_batch(gen);
  models::AttentionUNet model(3, kClasses, 8, gen);
  nn::AdamWOptions options;
  options.lr = 1e-2;
  options.weight_decay = 0;
  nn::AdamW optimizer(model.named_parameters(), options);
  constexpr int kMaxSteps = 60;
  double accuracy = 0, first_loss = 0, loss_value = 0;
  int step = 0;
  while (step < kMaxSteps && accuracy <= 0.95) {
    optimizer.zero_grad();
    Tensor logits = model.forward(batch.images);
    Tensor loss = cross_entropy(logits, batch.onehot);
    loss_value = loss.item();
    if (step == 0) first_loss = loss_value;
    accuracy = pixel_accuracy(logits, batch.labels);
    backward(loss);
    optimizer.step(std::numeric_limits<double>::infinity());  // no clipping
    ++step;
  }
  model.eval();
  NoGradGuard no_grad;
  const double eval_accuracy = pixel_accuracy(model.forward(batch.images), batch.labels);
  std::printf("overfit: %d steps, loss %.4f -> %.4f, train-mode accuracy %.4f, eval-mode accuracy %.4f\n", step,
              first_loss, loss_value, accuracy, eval_accuracy);
  CHECK(accuracy > 0.95);
  CHECK(loss_value < first_loss);
}
