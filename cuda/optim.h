#pragma once
// Launchers of the fused optimiser step (engine/ops/optim.h) over flat f32 buffers: one pass
// for the inf/NaN check and the norm, one for AdamW with unscaling and clipping folded in, and
// the loss-scale update. Every value they decide on (found inf, norm, clip coefficient, loss
// scale, step count) stays in the f64 state tensor on the device (engine/kernel_types.h
// OptimSlot). Pointers are device pointers.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "engine/kernel_types.h"

namespace segrun::cuda {

// Blocks of the norm's first pass; the scratch holds 2 * kGradCheckBlocks doubles.
constexpr int kGradCheckBlocks = 1024;

void check_gradients(const float* g, int64_t n, double max_norm, double* state, double* scratch, cudaStream_t stream);

// theta_f16 may be null.
void adamw_update(const AdamWHyper& h, float* theta, const float* g, float* m, float* v, void* theta_f16, int64_t n,
                  double* state, cudaStream_t stream);

void update_loss_scale(double* state, float* scale_f32, const LossScaleHyper& h, cudaStream_t stream);

}  // namespace segrun::cuda
