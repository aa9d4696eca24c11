#include "cuda/check.h"
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

// One block per channel, two passes over its rows: mean, then the biased variance
// sum (x - mean)^2 / rows (more accurate than E[x^2] - mean^2).
template <typename T>
__global__ void batch_stats_kernel(NormArgs a, const T* x, void* running_mean, void* running_var, float* save_mean,
                                   float* save_invstd) {
  __shared__ float mean_shared;
  const int64_t ch = blockIdx.x;
  float acc = 0.0f;
  for (int64_t r = threadIdx.x; r < a.rows; r += blockDim.x) acc += to_float(x[r * a.c + ch]);
  acc = block_sum(acc);
  if (threadIdx.x == 0) mean_shared = acc / static_cast<float>(a.rows);
  __syncthreads();
  const float mean = mean_shared;
  float sq = 0.0f;
  for (int64_t r = threadIdx.x; r < a.rows; r += blockDim.x) {
    const float d = to_float(x[r * a.c + ch]) - mean;
    sq += d * d;
  }
  sq = block_sum(sq);
  if (threadIdx.x != 0) return;
  const float var = sq / static_cast<float>(a.rows);
  save_mean[ch] = mean;
  save_invstd[ch] = rsqrtf(var + a.eps);
  const float unbiased = a.rows > 1 ? var * static_cast<float>(a.rows) / static_cast<float>(a.rows - 1) : var;
  if (running_mean)
    store_param(a.param_dt, running_mean, ch,
                (1.0f - a.momentum) * load_any(a.param_dt, running_mean, ch) + a.momentum * mean);
  if (running_var)
    store_param(a.param_dt, running_var, ch,
                (1.0f - a.momentum) * load_any(a.param_dt, running_var, ch) + a.momentum * unbiased);
}

__global__ void running_stats_kernel(NormArgs a, const void* running_mean, const void* running_var, float* save_mean,
                                     float* save_invstd) {
  SEGRUN_GRID_LOOP(ch, a.c) {
    save_mean[ch] = load_any(a.param_dt, running_mean, ch);
    save_invstd[ch] = rsqrtf(load_any(a.param_dt, running_var, ch) + a.eps);
  }
}

template <typename T>
__global__ void normalize_kernel(NormArgs a, const T* x, const void* weight, const void* bias, const float* mean,
                                 const float* invstd, T* y) {
  SEGRUN_GRID_LOOP(i, a.rows * a.c) {
    const int64_t ch = i % a.c;
    const float xhat = (to_float(x[i]) - mean[ch]) * invstd[ch];
    y[i] = from_float<T>(xhat * param_or(a.param_dt, weight, ch, 1.0f) + param_or(a.param_dt, bias, ch, 0.0f));
  }
}

// Per channel: sum_g = sum gy, sum_gxhat = sum gy * xhat (= dL/dbias and dL/dweight).
template <typename T>
__global__ void backward_reduce_kernel(NormArgs a, const T* x, const T* gy, const float* mean, const float* invstd,
                                       float* sums, void* gweight, void* gbias) {
  const int64_t ch = blockIdx.x;
  float sum_g = 0.0f, sum_gxhat = 0.0f;
  for (int64_t r = threadIdx.x; r < a.rows; r += blockDim.x) {
    const float g = to_float(gy[r * a.c + ch]);
    sum_g += g;
    sum_gxhat += g * (to_float(x[r * a.c + ch]) - mean[ch]) * invstd[ch];
  }
  sum_g = block_sum(sum_g);
  sum_gxhat = block_sum(sum_gxhat);
  if (threadIdx.x != 0) return;
  sums[ch] = sum_g;
  sums[a.c + ch] = sum_gxhat;
  if (gbias) store_param(a.param_dt, gbias, ch, sum_g);
  if (gweight) store_param(a.param_dt, gweight, ch, sum_gxhat);
}

// Training: gx = w invstd (gy - sum_g/M - xhat sum_gxhat/M), M = rows (the batch statistics
// depend on x). Evaluation: gx = gy w invstd.
template <typename T>
__global__ void backward_input_kernel(NormArgs a, bool training, const T* x, const T* gy, const void* weight,
                                      const float* mean, const float* invstd, const float* sums, T* gx) {
  const float inv_rows = 1.0f / static_cast<float>(a.rows);
  SEGRUN_GRID_LOOP(i, a.rows * a.c) {
    const int64_t ch = i % a.c;
    const float scale = param_or(a.param_dt, weight, ch, 1.0f) * invstd[ch];
    float g = to_float(gy[i]);
    if (training) {
      const float xhat = (to_float(x[i]) - mean[ch]) * invstd[ch];
      g -= (sums[ch] + xhat * sums[a.c + ch]) * inv_rows;
    }
    gx[i] = from_float<T>(scale * g);
  }
}

}  // namespace

void batch_norm_forward_training(const NormArgs& a, const void* x, const void* weight, const void* bias,
                                 void* running_mean, void* running_var, float* save_mean, float* save_invstd, void* y,
                                 cudaStream_t stream) {
  if (a.c == 0 || a.rows == 0) return;
  dispatch_storage(a.dt, "batch_norm2d", [&](auto tag) {
    using T = decltype(tag);
    batch_stats_kernel<T><<<static_cast<unsigned>(a.c), kThreads, 0, stream>>>(
        a, static_cast<const T*>(x), running_mean, running_var, save_mean, save_invstd);
    SEGRUN_CUDA_CHECK_LAUNCH("batch_stats_kernel");
    normalize_kernel<T><<<blocks_for(a.rows * a.c), kThreads, 0, stream>>>(a, static_cast<const T*>(x), weight, bias,
                                                                           save_mean, save_invstd, static_cast<T*>(y));
    SEGRUN_CUDA_CHECK_LAUNCH("normalize_kernel");
  });
}

void batch_norm_forward_eval(const NormArgs& a, const void* x, const void* weight, const void* bias,
                             const void* running_mean, const void* running_var, float* save_mean, float* save_invstd,
                             void* y, cudaStream_t stream) {
  if (a.c == 0) return;
  running_stats_kernel<<<blocks_for(a.c), kThreads, 0, stream>>>(a, running_mean, running_var, save_mean, save_invstd);
  SEGRUN_CUDA_CHECK_LAUNCH("running_stats_kernel");
  if (a.rows == 0) return;
  dispatch_storage(a.dt, "batch_norm2d", [&](auto tag) {
    using T = decltype(tag);
    normalize_kernel<T><<<blocks_for(a.rows * a.c), kThreads, 0, stream>>>(a, static_cast<const T*>(x), weight, bias,
                                                                           save_mean, save_invstd, static_cast<T*>(y));
  });
  SEGRUN_CUDA_CHECK_LAUNCH("normalize_kernel");
}

void batch_norm_backward(const NormArgs& a, bool training, const void* x, const void* gy, const void* weight,
                         const float* save_mean, const float* save_invstd, void* gx, void* gweight, void* gbias,
                         float* scratch, cudaStream_t stream) {
  if (a.c == 0 || a.rows == 0) return;
  dispatch_storage(a.dt, "batch_norm2d backward", [&](auto tag) {
    using T = decltype(tag);
    backward_reduce_kernel<T><<<static_cast<unsigned>(a.c), kThreads, 0, stream>>>(
        a, static_cast<const T*>(x), static_cast<const T*>(gy), save_mean, save_invstd, scratch, gweight, gbias);
    SEGRUN_CUDA_CHECK_LAUNCH("backward_reduce_kernel");
    if (!gx) return;
    backward_input_kernel<T><<<blocks_for(a.rows * a.c), kThreads, 0, stream>>>(
        a, training, static_cast<const T*>(x), static_cast<const T*>(gy), weight, save_mean, save_invstd, scratch,
        static_cast<T*>(gx));
    SEGRUN_CUDA_CHECK_LAUNCH("backward_input_kernel");
  });
}

}  // namespace segrun::cuda
