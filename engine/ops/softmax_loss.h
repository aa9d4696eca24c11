#pragma once
// The fused softmax-loss op (docs/REFERENCE.md section 2): one softmax over the last dimension
// of logits (N,H,W,C), the selected terms among cross-entropy, soft Dice and softmax focal, and
// their weighted sum, recorded as one autograd node whose backward is the fused analytic
// gradient wrt the logits. The target (N,H,W) is u8 or i32 with kIgnoreLabel marking pixels
// that count for nothing. losses/ builds the named loss API on top of this op.
#include <vector>

#include "engine/kernel_types.h"
#include "engine/labels.h"
#include "engine/tensor.h"

namespace segrun {

struct SoftmaxLossSpec {
  double w_ce = 0, w_dice = 0, w_focal = 0;  // finite, >= 0; a zero weight skips its term
  Tensor class_weight;                       // CE class weights (C entries); undefined means all 1
  bool dice_mask_absent = false;             // leave classes absent from the target out of the Dice mean
  double focal_alpha = 1.0, focal_gamma = 2.0;
  bool grad_stats = false;  // also fill the gradient sums (runs the gradient pass even without a consumer)
};

struct SoftmaxLossResult {
  Tensor total;  // shape [1], the dtype of the logits, recorded as node `op`
  // Term values, valid pixels and (with grad_stats) gradient sums: f64[kLossSumSlots + C] on
  // the logits' device (engine/kernel_types.h LossSumSlot), not read back by the op.
  Tensor sums;
};

// The sums read back (e.g. sums.to_double_vector()) in their host form.
SoftmaxLossSums unpack_loss_sums(const std::vector<double>& packed);

// CPU: logits f32 or f64, every target value checked. CUDA: logits f32 or f16; a target value
// outside [0, C) other than kIgnoreLabel counts as ignored (checking would cost a host copy).
SoftmaxLossResult softmax_loss(const Tensor& logits, const Tensor& target, const SoftmaxLossSpec& spec,
                               const char* op = "softmax_loss");

}  // namespace segrun
