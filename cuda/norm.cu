#include "cuda/check.h"
#include "cuda/column_sums.cuh"
#include "cuda/kernels.cuh"
#include "cuda/norm.h"

namespace segrun::cuda {

namespace {

__device__ void store_param(DType dt, void* p, int64_t i, float v) {
  switch (dt) {
    case DType::F32:
      static_cast<float*>(p)[i] = v;
      break;
    case DType::F64:
      static_cast<double*>(p)[i] = v;
      break;
    case DType::F16:
      static_cast<__half*>(p)[i] = __float2half_rn(v);
      break;
    default:
      break;
  }
}

__device__ float param_or(DType dt, const void* p, int64_t i, float fallback) {
  return p ? load_any(dt, p, i) : fallback;
}

// The batch statistics in one pass of coalesced column sums (column_sums.cuh): the sums of
// d = x - s and d^2, with s the channel's value in the first row. Then mean = s + E[d] and the
// biased variance = E[d^2] - E[d]^2. A sample of the channel lies within a few standard
// deviations of its mean, so E[d]^2 is of the order of the variance and the subtraction loses
// a few roundings at most, however large the mean (E[x^2] - mean^2 would lose them all).
template <typename T>
struct ShiftedMoments {
  const T* x;
  int64_t c;
  __device__ void operator()(int64_t r, int64_t ch, float* v) const {
    const float d = to_float(x[r * c + ch]) - to_float(x[ch]);
    v[0] = d;
    v[1] = d * d;
  }
};

template <typename T>
struct StoreStatistics {
  NormArgs a;
  const T* x;
  float* save_mean;
  float* save_invstd;
  void* running_mean;
  void* running_var;
  __device__ void operator()(int64_t ch, const float* sums) const {
    const float rows = static_cast<float>(a.rows);
    const float mean_d = sums[0] / rows;
    const float var = fmaxf(sums[1] / rows - mean_d * mean_d, 0.0f);
    const float mean = to_float(x[ch]) + mean_d;
    save_mean[ch] = mean;
    save_invstd[ch] = rsqrtf(var + a.eps);
    const float unbiased = a.rows > 1 ? var * rows / (rows - 1.0f) : var;
    if (running_mean)
      store_param(a.param_dt, running_mean, ch,
                  (1.0f - a.momentum) * load_any(a.param_dt, running_mean, ch) + a.momentum * mean);
    if (running_var)
      store_param(a.param_dt, running_var, ch,
                  (1.0f - a.momentum) * load_any(a.param_dt, running_var, ch) + a.momentum * unbiased);
  }
};

__global__ void running_stats_kernel(NormArgs a, const void* running_mean, const void* running_var, float* save_mean,
                                     float* save_invstd) {
  SEGRUN_GRID_LOOP(ch, a.c) {
    save_mean[ch] = load_any(a.param_dt, running_mean, ch);
    save_invstd[ch] = rsqrtf(load_any(a.param_dt, running_var, ch) + a.eps);
  }
}

template <typename T, typename Index>
__global__ void normalize_kernel(NormArgs a, const T* x, const void* weight, const void* bias, const float* mean,
                                 const float* invstd, const T* residual, T* y) {
  const Index n = static_cast<Index>(a.rows * a.c), c = static_cast<Index>(a.c);
  SEGRUN_GRID_LOOP_AS(Index, i, n) {
    const Index ch = i % c;
    const float xhat = (to_float(x[i]) - mean[ch]) * invstd[ch];
    float v = xhat * param_or(a.param_dt, weight, ch, 1.0f) + param_or(a.param_dt, bias, ch, 0.0f);
    if (residual) v += to_float(residual[i]);
    y[i] = from_float<T>(a.relu ? fmaxf(v, 0.0f) : v);
  }
}

// The gradient reaching the normalisation: gy, or under a fused ReLU gy where its output y > 0
// (as relu_backward: the rectified zeros pass nothing).
template <typename T>
__device__ __forceinline__ float incoming(const T* gy, const T* relu_out, int64_t i) {
  return relu_out && !(to_float(relu_out[i]) > 0.0f) ? 0.0f : to_float(gy[i]);
}

// Per channel: sum_g = sum gy, sum_gxhat = sum gy * xhat (= dL/dbias and dL/dweight).
template <typename T>
struct GradientSums {
  const T* x;
  const T* relu_out;  // null without a fused ReLU
  const T* gy;
  int64_t c;
  const float* mean;
  const float* invstd;
  __device__ void operator()(int64_t r, int64_t ch, float* v) const {
    const float g = incoming(gy, relu_out, r * c + ch);
    v[0] = g;
    v[1] = g * (to_float(x[r * c + ch]) - mean[ch]) * invstd[ch];
  }
};

struct StoreGradientSums {
  NormArgs a;
  float* sums;
  void* gweight;
  void* gbias;
  __device__ void operator()(int64_t ch, const float* s) const {
    sums[ch] = s[0];
    sums[a.c + ch] = s[1];
    if (gbias) store_param(a.param_dt, gbias, ch, s[0]);
    if (gweight) store_param(a.param_dt, gweight, ch, s[1]);
  }
};

// Training: gx = w invstd (gy - sum_g/M - xhat sum_gxhat/M), M = rows (the batch statistics
// depend on x). Evaluation: gx = gy w invstd. The residual's gradient is the incoming gy.
template <typename T, typename Index>
__global__ void backward_input_kernel(NormArgs a, bool training, const T* x, const T* relu_out, const T* gy,
                                      const void* weight, const float* mean, const float* invstd, const float* sums,
                                      T* gx, T* gresidual) {
  const float inv_rows = 1.0f / static_cast<float>(a.rows);
  const Index n = static_cast<Index>(a.rows * a.c), c = static_cast<Index>(a.c);
  SEGRUN_GRID_LOOP_AS(Index, i, n) {
    float g = incoming(gy, relu_out, i);
    if (gresidual) gresidual[i] = from_float<T>(g);
    if (!gx) continue;
    const Index ch = i % c;
    const float scale = param_or(a.param_dt, weight, ch, 1.0f) * invstd[ch];
    if (training) {
      const float xhat = (to_float(x[i]) - mean[ch]) * invstd[ch];
      g -= (sums[ch] + xhat * sums[c + ch]) * inv_rows;
    }
    gx[i] = from_float<T>(scale * g);
  }
}

template <typename T>
void normalize(const NormArgs& a, const void* x, const void* weight, const void* bias, const float* mean,
               const float* invstd, const void* residual, void* y, cudaStream_t stream) {
  dispatch_index(a.rows * a.c, [&](auto index) {
    normalize_kernel<T, decltype(index)><<<blocks_for(a.rows * a.c), kThreads, 0, stream>>>(
        a, static_cast<const T*>(x), weight, bias, mean, invstd, static_cast<const T*>(residual), static_cast<T*>(y));
  });
  SEGRUN_CUDA_CHECK_LAUNCH("normalize_kernel");
}

}  // namespace

int64_t batch_norm_scratch_floats(const NormArgs& a) {
  return 2 * a.c + column_sums_scratch(a.rows, a.c, 2);
}

void batch_norm_forward_training(const NormArgs& a, const void* x, const void* weight, const void* bias,
                                 void* running_mean, void* running_var, const void* residual, float* save_mean,
                                 float* save_invstd, void* y, float* scratch, cudaStream_t stream) {
  if (a.c == 0 || a.rows == 0) return;
  dispatch_storage(a.dt, "batch_norm2d", [&](auto tag) {
    using T = decltype(tag);
    const T* xt = static_cast<const T*>(x);
    column_sums<2>(a.rows, a.c, ShiftedMoments<T>{xt, a.c},
                   StoreStatistics<T>{a, xt, save_mean, save_invstd, running_mean, running_var}, scratch, stream);
    normalize<T>(a, x, weight, bias, save_mean, save_invstd, residual, y, stream);
  });
}

void batch_norm_forward_eval(const NormArgs& a, const void* x, const void* weight, const void* bias,
                             const void* running_mean, const void* running_var, const void* residual, float* save_mean,
                             float* save_invstd, void* y, cudaStream_t stream) {
  if (a.c == 0) return;
  running_stats_kernel<<<blocks_for(a.c), kThreads, 0, stream>>>(a, running_mean, running_var, save_mean, save_invstd);
  SEGRUN_CUDA_CHECK_LAUNCH("running_stats_kernel");
  if (a.rows == 0) return;
  dispatch_storage(a.dt, "batch_norm2d", [&](auto tag) {
    normalize<decltype(tag)>(a, x, weight, bias, save_mean, save_invstd, residual, y, stream);
  });
}

void batch_norm_backward(const NormArgs& a, bool training, const void* x, const void* y, const void* gy,
                         const void* weight, const float* save_mean, const float* save_invstd, void* gx, void* gweight,
                         void* gbias, void* gresidual, float* scratch, cudaStream_t stream) {
  if (a.c == 0 || a.rows == 0) return;
  float* sums = scratch;
  float* partials = scratch + 2 * a.c;
  dispatch_storage(a.dt, "batch_norm2d backward", [&](auto tag) {
    using T = decltype(tag);
    const T* xt = static_cast<const T*>(x);
    const T* gt = static_cast<const T*>(gy);
    const T* relu_out = a.relu ? static_cast<const T*>(y) : nullptr;
    column_sums<2>(a.rows, a.c, GradientSums<T>{xt, relu_out, gt, a.c, save_mean, save_invstd},
                   StoreGradientSums{a, sums, gweight, gbias}, partials, stream);
    if (!gx && !gresidual) return;
    dispatch_index(a.rows * a.c, [&](auto index) {
      backward_input_kernel<T, decltype(index)><<<blocks_for(a.rows * a.c), kThreads, 0, stream>>>(
          a, training, xt, relu_out, gt, weight, save_mean, save_invstd, sums, static_cast<T*>(gx),
          static_cast<T*>(gresidual));
    });
    SEGRUN_CUDA_CHECK_LAUNCH("backward_input_kernel");
  });
}

}  // namespace segrun::cuda
