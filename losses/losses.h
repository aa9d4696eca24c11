#pragma once
// The segmentation losses of docs/REFERENCE.md section 2: cross-entropy, soft Dice, softmax focal and
// their weighted combination, on logits (N,H,W,C) f32/f64 and a target (N,H,W) u8 or i32 whose
// value 255 (kIgnoreLabel) marks an ignored pixel. Each call is one node of the engine's fused
// softmax-loss op (engine/ops/softmax_loss.h), whose backward is the analytic gradient wrt the
// logits; class weights are constants and get no gradient.
#include <cstdint>
#include <vector>

#include "engine/labels.h"
#include "engine/tensor.h"

namespace segrun::losses {

// Dice: classes absent from the batch's target stay in the mean (the formula as written) or
// leave it (the behaviour of several libraries). With every class masked the loss is 0.
enum class DiceAbsent { Include, Mask };

struct FocalParams {
  double alpha = 1.0;
  double gamma = 2.0;
};

// Weights of the combination; a zero weight skips its term entirely (no compute, no gradient).
struct LossWeights {
  double ce = 0, dice = 0, focal = 0;
};

struct LossOptions {
  Tensor class_weight;  // CE class weights (C), f32 or f64; undefined means all 1
  DiceAbsent dice_absent = DiceAbsent::Include;
  FocalParams focal;
  // Also fill LossTerms::grad_stats; runs the gradient pass even when no gradient is needed.
  bool grad_stats = false;
};

// Gradients wrt the logits of the weighted terms w_ce CE, w_dice Dice, w_focal Focal, for the
// gradient-dynamics study; measured in the pass that computes the total's gradient.
struct LossGradStats {
  bool computed = false;
  double ce_norm = 0, dice_norm = 0, focal_norm = 0, total_norm = 0;  // L2 norms (0 for a skipped term)
  // Cosine similarities; NaN where either gradient is zero (a skipped term, or no valid pixel).
  double cos_ce_dice = 0, cos_ce_focal = 0, cos_dice_focal = 0;
  // Per class, |dDice/dI_c| = 2 / (K (S_c + eps)) (empty without a Dice term): how strongly the
  // Dice term pulls on each class's soft intersection; large for classes with little mass.
  std::vector<double> dice_class_grad;
};

// The values of one loss call, read back on the host.
struct LossValues {
  double total = 0;                    // as the total tensor holds it
  double ce = 0, dice = 0, focal = 0;  // unweighted values; NaN for a skipped (zero-weight) term
  int64_t valid_pixels = 0;            // |V|, the pixels not ignored
  LossGradStats grad_stats;            // with LossOptions::grad_stats
};

struct LossTerms {
  Tensor total;  // w_ce CE + w_dice Dice + w_focal Focal, shape [1], the dtype of the logits
  // Everything LossValues holds, packed on the logits' device and not yet read back (the
  // training step reads it with the rest of its record, later): engine/kernel_types.h LossSumSlot.
  Tensor sums;
  LossWeights weights;
  bool grad_stats = false;

  LossValues read() const;  // reads `sums` back (one copy from the device)
};

// LossValues from sums already read back (e.g. with a training step's record).
LossValues loss_values(const std::vector<double>& sums, const LossWeights& weights, bool grad_stats);

// PyTorch F.cross_entropy(weight, ignore_index=255): sum_V w_t (-log p_t) / sum_V w_t; 0 when V
// is empty (PyTorch gives NaN).
Tensor cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& class_weight = Tensor());

// Soft multi-class Dice per class over the whole batch, eps 1e-6, mean over the classes.
Tensor dice(const Tensor& logits, const Tensor& target, DiceAbsent absent = DiceAbsent::Include);

// Softmax focal loss, mean over V of -alpha (1 - p_t)^gamma log p_t; 0 when V is empty.
Tensor focal(const Tensor& logits, const Tensor& target, const FocalParams& params = {});

// All selected terms from one softmax; the total is recorded as one node "combined_loss".
LossTerms combined_loss(const Tensor& logits, const Tensor& target, const LossWeights& weights,
                        const LossOptions& options = {});

}  // namespace segrun::losses
