#pragma once
// The optimiser step without host round-trips (docs/REFERENCE.md section 4): one pass over the flat
// FP32 gradient buffer for inf/NaN and the squared norm, AdamW with unscale and clipping folded
// in, and the dynamic loss-scale update. Found-inf, norm, clip coefficient, loss scale and the
// step count all live in device memory.
#include <cuda_runtime_api.h>

#include <cstdint>

namespace segrun::cuda {

// grad_state after check_gradients: [0] 1 if any gradient is inf/NaN else 0, [1] sum of
// squares of the raw (scaled) gradients, [2] total norm of the unscaled gradients
// sqrt([1]) / loss_scale, [3] clip coefficient min(1, max_norm / ([2] + 1e-6)) (1 when
// max_norm <= 0).
constexpr int kGradStateFloats = 4;
constexpr int kGradCheckBlocks = 1024;  // scratch needs 2 * kGradCheckBlocks floats

// loss_scale: device pointer to the current scale, or null for 1.
void check_gradients(const float* grads, int64_t n, const float* loss_scale, float max_norm, float* grad_state,
                     float* scratch, cudaStream_t stream);

struct AdamWArgs {
  float lr = 1e-4f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 1e-4f;
};

// Unless grad_state[0] (found inf) is set: g = grad / loss_scale * clip coefficient;
// theta -= lr wd theta; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
// theta -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps) with t = *step + 1; then *step = t.
// params_half (may be null) receives the updated weights in f16. A skipped step changes nothing.
void adamw_step(const AdamWArgs& a, float* params, const float* grads, float* m, float* v, void* params_half, int64_t n,
                int* step, const float* loss_scale, const float* grad_state, cudaStream_t stream);

// torch GradScaler: on found inf scale *= 0.5 and the clean-step count restarts; after
// growth_interval consecutive clean steps scale *= 2.
void update_loss_scale(float* loss_scale, int* clean_steps, const float* grad_state, int growth_interval,
                       cudaStream_t stream);

}  // namespace segrun::cuda
