#include <cuda_fp16.h>
#include <math_constants.h>

#include "cuda/check.h"
#include "cuda/kernels.cuh"
#include "cuda/optim.h"

namespace segrun::cuda {

namespace {

// The f32 reciprocal of a loss scale, as torch's GradScaler unscales.
__device__ __forceinline__ float inverse(double scale) {
  return static_cast<float>(1.0 / scale);
}

__global__ void grad_partial_kernel(const float* g, int64_t n, const double* state, double* partial) {
  const float inv = inverse(state[kOptimLossScale]);  // the scale this step's gradients carry
  double squares = 0.0, bad = 0.0;
  SEGRUN_GRID_LOOP(i, n) {
    const float u = g[i] * inv;
    // The unscaled value, as the CPU checks it: a scale so small that 1/scale overflows f32
    // makes every gradient non-finite, and the step is skipped.
    if (!isfinite(u)) bad = 1.0;
    squares += static_cast<double>(u) * u;
  }
  squares = block_sum(squares);
  bad = block_sum(bad);
  if (threadIdx.x == 0) {
    partial[blockIdx.x] = squares;
    partial[kGradCheckBlocks + blockIdx.x] = bad;
  }
}

__global__ void grad_final_kernel(const double* partial, int blocks, double max_norm, double* state) {
  double squares = 0.0, bad = 0.0;
  for (int b = threadIdx.x; b < blocks; b += blockDim.x) {
    squares += partial[b];
    bad += partial[kGradCheckBlocks + b];
  }
  squares = block_sum(squares);
  bad = block_sum(bad);
  if (threadIdx.x != 0) return;
  const bool found_inf = bad > 0.0;
  const double norm = sqrt(squares);
  state[kOptimStepScale] = state[kOptimLossScale];
  state[kOptimFoundInf] = found_inf ? 1.0 : 0.0;
  state[kOptimGradNorm] = found_inf ? CUDART_INF : norm;
  state[kOptimClipCoef] = found_inf ? 1.0 : fmin(1.0, max_norm / (norm + 1e-6));
}

// The update of engine/cpu/optim.cpp: the same operations per element, in f32 (the constants
// are rounded from f64 to f32 as there). Either compiler may contract a multiply and an add
// into one FMA, so the two can differ in the last bit.
__global__ void adamw_kernel(AdamWHyper h, float* theta, const float* g, float* m, float* v, __half* theta_f16,
                             int64_t n, const double* state) {
  if (state[kOptimFoundInf] != 0.0) return;
  const double t = state[kOptimStepCount] + 1;
  const float inv = inverse(state[kOptimStepScale]), clip = static_cast<float>(state[kOptimClipCoef]);
  const bool clipping = state[kOptimClipCoef] < 1.0;
  const float decay = static_cast<float>(1.0 - h.lr * h.weight_decay), b1 = static_cast<float>(h.beta1),
              b2 = static_cast<float>(h.beta2), one_b1 = static_cast<float>(1.0 - h.beta1),
              one_b2 = static_cast<float>(1.0 - h.beta2), eps = static_cast<float>(h.eps);
  const float step_size = static_cast<float>(h.lr / (1.0 - pow(h.beta1, t)));
  const float bc2_sqrt = static_cast<float>(sqrt(1.0 - pow(h.beta2, t)));
  SEGRUN_GRID_LOOP(i, n) {
    float gi = inv != 1.0f ? g[i] * inv : g[i];
    if (clipping) gi *= clip;
    float th = theta[i] * decay;
    const float mi = b1 * m[i] + one_b1 * gi;
    const float vi = b2 * v[i] + one_b2 * gi * gi;
    th -= step_size * mi / (sqrtf(vi) / bc2_sqrt + eps);
    m[i] = mi;
    v[i] = vi;
    theta[i] = th;
    if (theta_f16) theta_f16[i] = __float2half_rn(th);
  }
}

// After every block of adamw_kernel has read the step count.
__global__ void finish_step_kernel(double* state) {
  if (state[kOptimFoundInf] != 0.0)
    state[kOptimSkippedSteps] += 1;
  else
    state[kOptimStepCount] += 1;
}

__global__ void loss_scale_kernel(double* state, float* scale_f32, LossScaleHyper h) {
  if (h.enabled) {
    if (state[kOptimFoundInf] != 0.0) {
      state[kOptimLossScale] *= h.backoff_factor;
      state[kOptimGrowthTracker] = 0;
    } else if ((state[kOptimGrowthTracker] += 1) == static_cast<double>(h.growth_interval)) {
      state[kOptimLossScale] *= h.growth_factor;
      state[kOptimGrowthTracker] = 0;
    }
  }
  scale_f32[0] = static_cast<float>(state[kOptimLossScale]);
}

}  // namespace

void check_gradients(const float* g, int64_t n, double max_norm, double* state, double* scratch, cudaStream_t stream) {
  const int blocks =
      static_cast<int>(std::min<int64_t>(kGradCheckBlocks, std::max<int64_t>(1, (n + kThreads - 1) / kThreads)));
  grad_partial_kernel<<<blocks, kThreads, 0, stream>>>(g, n, state, scratch);
  SEGRUN_CUDA_CHECK_LAUNCH("grad_partial_kernel");
  grad_final_kernel<<<1, 1024, 0, stream>>>(scratch, blocks, max_norm, state);
  SEGRUN_CUDA_CHECK_LAUNCH("grad_final_kernel");
}

void adamw_update(const AdamWHyper& h, float* theta, const float* g, float* m, float* v, void* theta_f16, int64_t n,
                  double* state, cudaStream_t stream) {
  if (n > 0) {
    adamw_kernel<<<blocks_for(n), kThreads, 0, stream>>>(h, theta, g, m, v, static_cast<__half*>(theta_f16), n, state);
    SEGRUN_CUDA_CHECK_LAUNCH("adamw_kernel");
  }
  finish_step_kernel<<<1, 1, 0, stream>>>(state);
  SEGRUN_CUDA_CHECK_LAUNCH("finish_step_kernel");
}

void update_loss_scale(double* state, float* scale_f32, const LossScaleHyper& h, cudaStream_t stream) {
  loss_scale_kernel<<<1, 1, 0, stream>>>(state, scale_f32, h);
  SEGRUN_CUDA_CHECK_LAUNCH("loss_scale_kernel");
}

}  // namespace segrun::cuda
