#include "cuda/check.h"
#include "cuda/kernels.cuh"
#include "cuda/optim.h"

namespace segrun::cuda {

namespace {

__global__ void grad_partial_kernel(const float* grads, int64_t n, float* partial) {
  float sq = 0.0f, bad = 0.0f;
  SEGRUN_GRID_LOOP(i, n) {
    const float g = grads[i];
    if (!isfinite(g)) bad = 1.0f;
    sq += g * g;
  }
  sq = block_sum(sq);
  bad = block_sum(bad);
  if (threadIdx.x == 0) {
    partial[blockIdx.x] = sq;
    partial[kGradCheckBlocks + blockIdx.x] = bad;
  }
}

__global__ void grad_final_kernel(const float* partial, int blocks, const float* loss_scale, float max_norm,
                                  float* state) {
  float sq = 0.0f, bad = 0.0f;
  for (int b = threadIdx.x; b < blocks; b += blockDim.x) {
    sq += partial[b];
    bad += partial[kGradCheckBlocks + b];
  }
  sq = block_sum(sq);
  bad = block_sum(bad);
  if (threadIdx.x != 0) return;
  const float inv_scale = loss_scale ? 1.0f / loss_scale[0] : 1.0f;
  const float total = sqrtf(sq) * inv_scale;
  state[0] = bad > 0.0f ? 1.0f : 0.0f;
  state[1] = sq;
  state[2] = total;
  state[3] = max_norm > 0.0f ? fminf(1.0f, max_norm / (total + 1e-6f)) : 1.0f;
}

__global__ void adamw_kernel(AdamWArgs a, float* params, const float* grads, float* m, float* v, __half* params_half,
                             int64_t n, const int* step, const float* loss_scale, const float* state) {
  if (state[0] != 0.0f) return;
  const float t = static_cast<float>(*step + 1);
  const float bias1 = 1.0f - powf(a.beta1, t), bias2 = 1.0f - powf(a.beta2, t);
  const float grad_mul = (loss_scale ? 1.0f / loss_scale[0] : 1.0f) * state[3];
  SEGRUN_GRID_LOOP(i, n) {
    const float g = grads[i] * grad_mul;
    float theta = params[i] * (1.0f - a.lr * a.weight_decay);
    const float mi = a.beta1 * m[i] + (1.0f - a.beta1) * g;
    const float vi = a.beta2 * v[i] + (1.0f - a.beta2) * g * g;
    theta -= a.lr * (mi / bias1) / (sqrtf(vi / bias2) + a.eps);
    m[i] = mi;
    v[i] = vi;
    params[i] = theta;
    if (params_half) params_half[i] = __float2half_rn(theta);
  }
}

__global__ void advance_step_kernel(int* step, const float* state) {
  if (state[0] == 0.0f) *step += 1;
}

__global__ void loss_scale_kernel(float* scale, int* clean_steps, const float* state, int growth_interval) {
  if (state[0] != 0.0f) {
    scale[0] *= 0.5f;
    *clean_steps = 0;
  } else if (++*clean_steps >= growth_interval) {
    scale[0] *= 2.0f;
    *clean_steps = 0;
  }
}

}  // namespace

void check_gradients(const float* grads, int64_t n, const float* loss_scale, float max_norm, float* grad_state,
                     float* scratch, cudaStream_t stream) {
  const int blocks =
      static_cast<int>(std::min<int64_t>(kGradCheckBlocks, std::max<int64_t>(1, (n + kThreads - 1) / kThreads)));
  grad_partial_kernel<<<blocks, kThreads, 0, stream>>>(grads, n, scratch);
  SEGRUN_CUDA_CHECK_LAUNCH("grad_partial_kernel");
  grad_final_kernel<<<1, 1024, 0, stream>>>(scratch, blocks, loss_scale, max_norm, grad_state);
  SEGRUN_CUDA_CHECK_LAUNCH("grad_final_kernel");
}

void adamw_step(const AdamWArgs& a, float* params, const float* grads, float* m, float* v, void* params_half, int64_t n,
                int* step, const float* loss_scale, const float* grad_state, cudaStream_t stream) {
  if (n > 0) {
    adamw_kernel<<<blocks_for(n), kThreads, 0, stream>>>(a, params, grads, m, v, static_cast<__half*>(params_half), n,
                                                         step, loss_scale, grad_state);
    SEGRUN_CUDA_CHECK_LAUNCH("adamw_kernel");
  }
  advance_step_kernel<<<1, 1, 0, stream>>>(step, grad_state);
  SEGRUN_CUDA_CHECK_LAUNCH("advance_step_kernel");
}

void update_loss_scale(float* loss_scale, int* clean_steps, const float* grad_state, int growth_interval,
                       cudaStream_t stream) {
  loss_scale_kernel<<<1, 1, 0, stream>>>(loss_scale, clean_steps, grad_state, growth_interval);
  SEGRUN_CUDA_CHECK_LAUNCH("loss_scale_kernel");
}

}  // namespace segrun::cuda
