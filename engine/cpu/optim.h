#pragma once
// CPU kernels of the fused optimiser step (engine/ops/optim.h) over flat buffers. They compute
// exactly what unscaling, clipping and AdamW computed parameter by parameter: the same roundings
// in the same order, so CPU training results do not depend on the buffers being flat, nor on the
// thread count.
#include <cstdint>

#include "engine/kernel_types.h"

namespace segrun::cpu {

// Fills the kOptimFoundInf, kOptimGradNorm, kOptimClipCoef and kOptimStepScale slots from the
// gradients g (scaled by state[kOptimLossScale]). The squares are summed in f64 per segment
// [ends[k-1], ends[k]) in element order, and the segment sums added in segment order.
template <typename T>
void check_gradients(const T* g, const int64_t* segment_ends, int64_t segments, double max_norm, double* state);

// One AdamW step on theta, m, v from g as unscaled and clipped by state, unless found_inf (then
// the skipped-step count rises instead). theta_f16 (may be null) receives the new weights in f16.
template <typename T>
void adamw_update(T* theta, const T* g, T* m, T* v, uint16_t* theta_f16, int64_t n, const AdamWHyper& h, double* state);

// The loss-scale update after a step; scale_f32 receives the new scale.
void update_loss_scale(double* state, float* scale_f32, const LossScaleHyper& h);

}  // namespace segrun::cpu
