#pragma once
// FP16 mixed precision (docs/REFERENCE.md section 4.5). Inside an AutocastGuard, convolution
// layers whose input is on the GPU convolve in f16 (cuDNN, tensor cores, f32 accumulation):
// an f32 input (the image) is cast once, the weight and bias come from the optimiser's f16
// copy of the f32 masters (or are cast from them where no optimiser keeps one, as in
// evaluation), and the output stays f16. So the activations stay f16 from the first convolution to the
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

// The f16 copies of master weights that an optimiser keeps up to date (nn::AdamW under AMP
// on the GPU), by the master's data address: autocast convolutions use a weight's copy
// (cast_with_copy) instead of casting the weight in every forward pass.
void register_half_copy(const Tensor& master, const Tensor& copy);
// Forgets master's copy if it lies in `copies` (the buffer of the optimiser that registered it:
// another optimiser may have registered its own copy for the same weights since).
void unregister_half_copy(const Tensor& master, const Tensor& copies);
Tensor half_copy_of(const Tensor& master);  // undefined when there is none

// Runs conv(x, w, b) in f16 (f16 output) when autocast is on and x is on the GPU, directly
// otherwise.
Tensor autocast_conv(const Tensor& x, const Tensor& w, const Tensor& b,
                     const std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>& conv);

}  // namespace segrun::nn
