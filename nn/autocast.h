#pragma once
// FP16 mixed precision (docs/REFERENCE.md section 4.5). Inside an AutocastGuard, convolution
// layers whose input is on the GPU convolve in f16 (cuDNN, tensor cores, f32 accumulation):
// an f32 input (the image) is cast once, the weight and bias are cast from their f32 masters,
// and the output stays f16. So the activations stay f16 from the first convolution to the
// logits: batch norm (f32 statistics and parameters), ReLU, the attention gate, concat,
// resize and pooling all run on f16 storage with f32 arithmetic. SegmentationModel::forward
// casts the logits back to f32, so softmax, the losses and the metrics see f32. The weight
// casts are differentiable, so the f32 master weights receive f32 gradients. On the CPU the
// guard changes nothing.
#include <functional>

#include "engine/tensor.h"

namespace segrun::nn {

bool autocast_enabled();

class AutocastGuard {
 public:
  explicit AutocastGuard(bool enabled = true);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool previous_;
};

// Runs conv(x, w, b) in f16 (f16 output) when autocast is on and x is on the GPU, directly
// otherwise.
Tensor autocast_conv(const Tensor& x, const Tensor& w, const Tensor& b,
                     const std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>& conv);

}  // namespace segrun::nn
