#pragma once
// Launchers for batch normalisation over the rows (N*H*W) of an NHWC tensor with c channels.
// x, y, gradients: f32 or f16 storage; statistics in f32; weight, bias and running
// statistics in `param_dt` (f32, f16 or f64), weight/bias may be null (1 and 0).
#include <cuda_runtime_api.h>

#include <cstdint>

#include "engine/dtype.h"

namespace segrun::cuda {

struct NormArgs {
  DType dt = DType::F32;
  DType param_dt = DType::F32;
  int64_t rows = 0, c = 0;
  float momentum = 0.1f, eps = 1e-5f;
  bool relu = false;  // y = max(0, normalised [+ residual]): batch_norm2d_relu, batch_norm2d_add_relu
};

// Training: batch mean and biased variance per channel into save_mean / save_invstd (c floats
// each); running_mean/var (may be null) become (1-momentum) r + momentum * batch statistic,
// with the unbiased variance; y = (x - mean) * invstd * weight + bias [+ residual].
// `residual` (may be null) has x's storage type and shape.
// Per-channel sums run in two coalesced stages over the whole GPU (cuda/column_sums.cuh);
// `scratch` holds batch_norm_scratch_floats(a) floats, for the forward pass and the backward.
int64_t batch_norm_scratch_floats(const NormArgs& a);
void batch_norm_forward_training(const NormArgs& a, const void* x, const void* weight, const void* bias,
                                 void* running_mean, void* running_var, const void* residual, float* save_mean,
                                 float* save_invstd, void* y, float* scratch, cudaStream_t stream);
// Evaluation: normalises with the running statistics (also written to save_mean/save_invstd
// for the backward pass).
void batch_norm_forward_eval(const NormArgs& a, const void* x, const void* weight, const void* bias,
                             const void* running_mean, const void* running_var, const void* residual, float* save_mean,
                             float* save_invstd, void* y, cudaStream_t stream);
// gx, gweight, gbias (param_dt) and gresidual: each may be null. With a.relu, y is the forward
// output and gy counts only where y > 0 (the ReLU's gradient); y is unused otherwise. The
// residual's gradient is that counted gy itself.
void batch_norm_backward(const NormArgs& a, bool training, const void* x, const void* y, const void* gy,
                         const void* weight, const float* save_mean, const float* save_invstd, void* gx, void* gweight,
                         void* gbias, void* gresidual, float* scratch, cudaStream_t stream);

}  // namespace segrun::cuda
