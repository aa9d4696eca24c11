#pragma once
// CPU kernel for the softmax losses (docs/REFERENCE.md section 2): softmax once, the selected terms'
// values, and optionally the fused analytic gradient of their weighted sum wrt the logits.
#include <cstdint>
#include <vector>

#include "engine/kernel_types.h"
#include "engine/labels.h"

namespace segrun::cpu {

// One problem: `pixels` rows of `classes` logits and one target id (or kIgnoreLabel) per row.
template <typename T>
struct SoftmaxLossProblem {
  const T* logits = nullptr;
  const int32_t* target = nullptr;
  int64_t pixels = 0;
  int64_t classes = 0;
  const double* class_weight = nullptr;      // CE class weights (classes entries) or null for 1
  double w_ce = 0, w_dice = 0, w_focal = 0;  // a zero weight means the term is not computed
  bool dice_mask_absent = false;
  double focal_alpha = 1.0, focal_gamma = 2.0;
  bool want_grad_stats = false;  // fill the gradient sums (only with a gradient buffer)
};

// Values of the selected terms. When `grad` is not null (pixels x classes) it receives
// d(total)/d(logits) (zero on ignored rows), and the gradient sums when want_grad_stats is set.
// Reductions run over fixed pixel blocks summed in block order, so the result does not depend
// on the thread count.
template <typename T>
SoftmaxLossSums softmax_losses(const SoftmaxLossProblem<T>& problem, T* grad);

// grad *= s, in place: the backward rule applied to the saved gradient, which it owns.
template <typename T>
void scale_gradient(T* grad, int64_t n, T s);

}  // namespace segrun::cpu
