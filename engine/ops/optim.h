#pragma once
// The optimiser step as ops over flat buffers (docs/REFERENCE.md section 4): every parameter
// a view of one buffer, its gradient a view of another. The inf/NaN check with the gradient
// norm, AdamW with unscaling and clipping folded in, and the loss-scale update decide
// everything from a small f64 state tensor on the buffers' device (engine/kernel_types.h
// OptimSlot) and write their results back into it, so a step never waits on the host.
// The gradient buffer is left as backward wrote it (still multiplied by the loss scale).
#include <vector>

#include "engine/kernel_types.h"
#include "engine/tensor.h"

namespace segrun {

// A new state tensor: loss scale `loss_scale`, every count 0, on `device`.
Tensor optim_state(double loss_scale, Device device);

// Sets found-inf, the norm of the unscaled gradients, the clip coefficient
// min(1, max_norm / (norm + 1e-6)) and the scale this step's gradients carry. grads: f32 or f64
// (f32 on CUDA), 1-d. On the CPU the squares are summed in f64 per segment (segment_ends, one
// per parameter: the norm is then independent of the thread count and of the buffers being flat);
// CUDA sums in a fixed order of its own.
void check_gradients(const Tensor& grads, const std::vector<int64_t>& segment_ends, double max_norm, Tensor& state);

// One AdamW step on params (and its moments) from grads as unscaled and clipped by state;
// skipped, counting a skipped step, when found-inf is set. params_f16 (optional, f16, same
// size) receives the new weights.
void adamw_update(Tensor& params, const Tensor& grads, Tensor& exp_avg, Tensor& exp_avg_sq, Tensor& state,
                  const AdamWHyper& hyper, Tensor* params_f16 = nullptr);

// The loss-scale update after a step; loss_scale (f32 [1], what the next loss is multiplied
// by) receives the new scale.
void update_loss_scale(Tensor& state, Tensor& loss_scale, const LossScaleHyper& hyper);

}  // namespace segrun
