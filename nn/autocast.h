#pragma once
// FP16 mixed precision for convolutions (docs/REFERENCE.md section 4.5). Inside an
// AutocastGuard, convolution layers whose input is on the GPU cast input, weight and bias to
// f16, convolve (cuDNN, tensor cores, f32 accumulation) and cast the result back to f32. The
// casts are differentiable, so the f32 master weights receive f32 gradients, and batch norm,
// softmax, losses and reductions keep running in f32. On the CPU the guard changes nothing.
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

// Runs conv(x, w, b) in f16 when autocast is on and x is on the GPU, directly otherwise.
Tensor autocast_conv(const Tensor& x, const Tensor& w, const Tensor& b,
                     const std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>& conv);

}  // namespace segrun::nn
