#pragma once
// The problem descriptions both backends' kernels take: convolution, pooling and resize
// geometry, the kinds of elementwise op, the loss sums, and the optimiser's state slots and
// constants. Front-ends (engine/ops/) build them; the CPU kernels (engine/cpu/) and the CUDA
// launch glue (engine/ops/cuda/) read them, so they live here, in no backend's namespace. Ops are selected by these
// enums, never by name.
#include <cstdint>
#include <vector>

namespace segrun {

// The most dimensions a tensor has (engine/tensor.h kMaxDims), so kernels can use fixed arrays.
inline constexpr int kMaxRank = 5;

// A 2-D convolution on NHWC data with OHWI weights (Cout, KH, KW, Cin/groups).
struct ConvGeometry {
  int64_t batch = 1;
  int64_t in_h = 1, in_w = 1, in_c = 1;
  int64_t out_h = 1, out_w = 1, out_c = 1;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;

  int64_t out_rows() const { return batch * out_h * out_w; }  // GEMM M
  int64_t group_in_c() const { return in_c / groups; }
  int64_t group_out_c() const { return out_c / groups; }
  int64_t group_k() const { return kernel_h * kernel_w * group_in_c(); }  // GEMM K per group
  int64_t macs() const { return out_rows() * out_c * group_k(); }         // multiply-adds of the forward
  bool is_depthwise() const { return groups > 1 && groups == in_c && groups == out_c; }
  // A 1x1, stride-1, unpadded convolution needs no im2col: the input is the GEMM operand.
  bool is_pointwise() const {
    return kernel_h == 1 && kernel_w == 1 && stride_h == 1 && stride_w == 1 && pad_h == 0 && pad_w == 0;
  }
};

// Max pooling of an NHWC tensor (square window, padding never wins).
struct PoolGeometry {
  int64_t batch, height, width, channels;
  int64_t out_height, out_width;
  int kernel, stride, pad;
};

// Bilinear resize of an NHWC tensor.
struct ResizeGeometry {
  int64_t batch, in_height, in_width, channels, out_height, out_width;
};

enum class BinaryOp { Add, Sub, Mul };

// Activations whose backward needs only the forward output.
enum class Activation { Relu, Sigmoid };

// What the fused softmax-loss kernels of both backends compute: the unweighted term values,
// the weighted total and, when asked for, sums over the logit
// gradients of the three weighted terms (squared norms and pairwise dot products).
struct SoftmaxLossSums {
  double ce = 0, dice = 0, focal = 0, total = 0;
  int64_t valid_pixels = 0;
  double ce_sq = 0, dice_sq = 0, focal_sq = 0, total_sq = 0;
  double ce_dice = 0, ce_focal = 0, dice_focal = 0;
  // With gradient statistics and a Dice term, per class c: |dDice/dI_c| = 2 / (K (S_c + eps)), the
  // Dice loss's sensitivity to the class's soft intersection (0 for a class left out of the mean).
  // It grows as the class's predicted and true mass S_c shrinks: the rare-class amplification.
  std::vector<double> dice_class_grad;
};

// SoftmaxLossSums packed into one f64 tensor on the logits' device, so a training step can
// keep them there and read them back later, with the rest of its record.
enum LossSumSlot : int {
  kLossCe,
  kLossDice,
  kLossFocal,
  kLossTotal,  // as the op's total tensor holds it (rounded to its dtype)
  kLossValidPixels,
  kLossCeSq,
  kLossDiceSq,
  kLossFocalSq,
  kLossTotalSq,
  kLossCeDice,
  kLossCeFocal,
  kLossDiceFocal,
  kLossHasDiceClassGrad,  // 1 when the per-class Dice pulls that follow were computed
  kLossSumSlots           // then one |dDice/dI_c| per class
};

// The optimiser step's state, one f64 tensor on the parameters' device that the fused optimiser
// ops read and write (docs/REFERENCE.md section 4), so no step waits on the host for it.
enum OptimSlot : int {
  kOptimFoundInf,       // 1 when a gradient of the last step was inf or NaN, else 0
  kOptimGradNorm,       // L2 norm of the unscaled gradients before clipping; inf when found inf
  kOptimClipCoef,       // min(1, max_norm / (norm + 1e-6)); 1 when not clipping
  kOptimStepScale,      // the loss scale the last step's gradients carried
  kOptimLossScale,      // the loss scale of the next step (1 when scaling is off)
  kOptimGrowthTracker,  // clean steps since the loss scale last changed
  kOptimSkippedSteps,   // steps skipped for an inf or NaN gradient
  kOptimStepCount,      // AdamW's t: the steps taken
  kOptimSlots
};

// AdamW's constants (docs/REFERENCE.md section 4.1).
struct AdamWHyper {
  double lr = 1e-4, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 1e-4;
};

// torch.cuda.amp.GradScaler's dynamic loss scaling (docs/REFERENCE.md section 4.4).
struct LossScaleHyper {
  bool enabled = false;  // off: the scale stays 1
  double growth_factor = 2.0, backoff_factor = 0.5;
  int64_t growth_interval = 2000;
};

}  // namespace segrun
