#pragma once
// Fused softmax + cross-entropy / Dice / focal loss (docs/REFERENCE.md section 2): one pass for
// the statistics and the loss values, one pass for the gradient wrt the logits. Logits are
// f32 or f16 (math in f32), labels u8 or i32; everything stays on the device.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "engine/dtype.h"
#include "engine/kernel_types.h"
#include "engine/labels.h"

namespace segrun::cuda {

struct SoftmaxLossArgs {
  DType logits_dt = DType::F32;
  DType label_dt = DType::U8;
  int64_t pixels = 0;  // N*H*W rows of the logits
  int64_t classes = 0;
  const float* class_weights = nullptr;  // CE weights (classes values) or null for 1
  float w_ce = 1.0f, w_dice = 0.0f, w_focal = 0.0f;
  float focal_alpha = 1.0f, focal_gamma = 2.0f;
  float dice_eps = 1e-6f;
  bool dice_mask_absent = false;    // drop classes absent from the target from the Dice mean
  int ignore_index = kIgnoreLabel;  // labels outside [0, classes) are ignored as well
};

// Floats of the `stats` buffer both passes share.
inline int64_t softmax_loss_stats_floats(int64_t classes) {
  return 4 + 5 * classes;
}

// Fills stats and losses[4] = {cross-entropy, Dice, focal, w_ce CE + w_dice Dice + w_focal focal}.
// Dice is only accumulated when w_dice != 0 (otherwise losses[1] reads 0).
void softmax_loss_forward(const SoftmaxLossArgs& a, const void* logits, const void* labels, float* stats, float* losses,
                          cudaStream_t stream);
// grad_sums (kLossGradSums floats): squared norms and pairwise dot products of the logit
// gradients of the weighted terms and of their sum, before grad_scale:
// {ce.ce, dice.dice, focal.focal, total.total, ce.dice, ce.focal, dice.focal}.
constexpr int kLossGradSums = 7;

// grad = grad_scale[0] * d(combined)/d(logits), in the logits' dtype; grad_scale may be null (1).
// grad_sums may be null (not computed).
void softmax_loss_backward(const SoftmaxLossArgs& a, const void* logits, const void* labels, const float* stats,
                           const float* grad_scale, void* grad, float* grad_sums, cudaStream_t stream);

// Packs losses[4], the valid-pixel count of `stats`, grad_sums (when not null) and, with
// dice_class_grad, the per-class |dDice/dI_c| of `stats` into `out`: f64 in the layout of
// engine/kernel_types.h LossSumSlot, kLossSumSlots + classes values, without leaving the device.
void pack_loss_sums(const float* losses, const float* stats, const float* grad_sums, int64_t classes,
                    bool dice_class_grad, double* out, cudaStream_t stream);

}  // namespace segrun::cuda
