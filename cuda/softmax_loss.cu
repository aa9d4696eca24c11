#include "cuda/check.h"
#include "cuda/kernels.cuh"
#include "cuda/softmax_loss.h"

namespace segrun::cuda {

namespace {

// Layout of the stats buffer.
struct StatsLayout {
  int64_t c;
  __host__ __device__ int64_t ce_num() const { return 0; }
  __host__ __device__ int64_t ce_den() const { return 1; }
  __host__ __device__ int64_t focal_sum() const { return 2; }
  __host__ __device__ int64_t valid() const { return 3; }
  __host__ __device__ int64_t inter(int64_t k) const { return 4 + k; }          // I_k = sum p_k [t = k]
  __host__ __device__ int64_t prob(int64_t k) const { return 4 + c + k; }       // sum p_k
  __host__ __device__ int64_t count(int64_t k) const { return 4 + 2 * c + k; }  // sum [t = k]
  __host__ __device__ int64_t dice_u(int64_t k) const { return 4 + 3 * c + k; }
  __host__ __device__ int64_t dice_v(int64_t k) const { return 4 + 4 * c + k; }
};

__device__ int pixel_label(const SoftmaxLossArgs& a, const void* labels, int64_t i) {
  const int t = static_cast<int>(load_any(a.label_dt, labels, i));
  return (t == a.ignore_index || t < 0 || t >= a.classes) ? -1 : t;
}

// Row maximum and log of the shifted exponential sum: log p_j = z_j - m - log_sum.
template <typename T>
__device__ void softmax_row(const T* z, int64_t c, float* m, float* log_sum) {
  float mx = to_float(z[0]);
  for (int64_t j = 1; j < c; ++j) mx = fmaxf(mx, to_float(z[j]));
  float s = 0.0f;
  for (int64_t j = 0; j < c; ++j) s += expf(to_float(z[j]) - mx);
  *m = mx;
  *log_sum = logf(s);
}

// CE: w_t (-log p_t) and w_t; focal: -alpha (1-p_t)^gamma log p_t and |V|; Dice: I_k, sum p_k,
// counts. The four scalars are summed in registers and reduced once per block. A warp's lanes
// take consecutive pixels and leave the loop together, so each class's sum p_k is reduced
// across the warp by shuffles and added to shared memory once per warp (32 lanes adding to one
// address would take turns); I_t and count_t go by label, to shared memory. Each block then
// adds its sums to the global buffer once.
template <typename T>
__global__ void loss_stats_kernel(SoftmaxLossArgs a, const T* logits, const void* labels, float* stats) {
  extern __shared__ float shared[];
  const StatsLayout L{a.classes};
  const int64_t used = 4 + 3 * a.classes;
  for (int64_t k = threadIdx.x; k < used; k += blockDim.x) shared[k] = 0.0f;
  __syncthreads();
  const int lane = threadIdx.x & 31;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  float ce_num = 0.0f, ce_den = 0.0f, focal = 0.0f, valid = 0.0f;
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * blockDim.x + (threadIdx.x - lane); base < a.pixels;
       base += stride) {
    const int64_t i = base + lane;
    const int t = i < a.pixels ? pixel_label(a, labels, i) : -1;
    const T* z = logits + i * a.classes;  // read only where t >= 0
    float m = 0.0f, log_sum = 0.0f;
    if (t >= 0) {
      softmax_row(z, a.classes, &m, &log_sum);
      const float log_pt = to_float(z[t]) - m - log_sum, pt = expf(log_pt);
      const float wt = a.class_weights ? a.class_weights[t] : 1.0f;
      ce_num -= wt * log_pt;
      ce_den += wt;
      focal -= a.focal_alpha * powf(1.0f - pt, a.focal_gamma) * log_pt;
      valid += 1.0f;
      if (a.w_dice != 0.0f) {
        atomicAdd(&shared[L.inter(t)], pt);
        atomicAdd(&shared[L.count(t)], 1.0f);
      }
    }
    if (a.w_dice == 0.0f) continue;  // the same for every lane
    for (int64_t k = 0; k < a.classes; ++k) {
      const float p = warp_sum(t >= 0 ? expf(to_float(z[k]) - m - log_sum) : 0.0f);
      if (lane == 0) atomicAdd(&shared[L.prob(k)], p);
    }
  }
  // A block's pixel count stays far below 2^24, so its f32 sum is exact.
  const float block_ce_num = block_sum(ce_num), block_ce_den = block_sum(ce_den);
  const float block_focal = block_sum(focal), block_valid = block_sum(valid);
  if (threadIdx.x == 0) {
    shared[L.ce_num()] = block_ce_num;
    shared[L.ce_den()] = block_ce_den;
    shared[L.focal_sum()] = block_focal;
    shared[L.valid()] = block_valid;
  }
  __syncthreads();
  for (int64_t k = threadIdx.x; k < used; k += blockDim.x)
    if (shared[k] != 0.0f) atomicAdd(&stats[k], shared[k]);
}

// Loss values, and the per-class Dice gradient coefficients u_k, v_k:
// dDice/dp_{i,k} = -[t_i = k] u_k + v_k with u_k = (m_k/K) 2/(S_k+eps), v_k = (m_k/K)(2I_k+eps)/(S_k+eps)^2,
// S_k = sum p_k + count_k, m_k = 0 for masked classes, K = classes in the mean.
__global__ void loss_finalize_kernel(SoftmaxLossArgs a, float* stats, float* losses) {
  const StatsLayout L{a.classes};
  const float ce = stats[L.ce_den()] > 0.0f ? stats[L.ce_num()] / stats[L.ce_den()] : 0.0f;
  const float focal = stats[L.valid()] > 0.0f ? stats[L.focal_sum()] / stats[L.valid()] : 0.0f;
  int64_t included = 0;
  float dice_sum = 0.0f;
  for (int64_t k = 0; k < a.classes; ++k) {
    if (a.dice_mask_absent && stats[L.count(k)] == 0.0f) continue;
    ++included;
    const float s = stats[L.prob(k)] + stats[L.count(k)] + a.dice_eps;
    dice_sum += 1.0f - (2.0f * stats[L.inter(k)] + a.dice_eps) / s;
  }
  const float dice = included > 0 ? dice_sum / static_cast<float>(included) : 0.0f;
  for (int64_t k = 0; k < a.classes; ++k) {
    const bool in_mean = included > 0 && !(a.dice_mask_absent && stats[L.count(k)] == 0.0f);
    const float s = stats[L.prob(k)] + stats[L.count(k)] + a.dice_eps;
    const float weight = in_mean ? 1.0f / static_cast<float>(included) : 0.0f;
    stats[L.dice_u(k)] = weight * 2.0f / s;
    stats[L.dice_v(k)] = weight * (2.0f * stats[L.inter(k)] + a.dice_eps) / (s * s);
  }
  float combined = 0.0f;
  if (a.w_ce != 0.0f) combined += a.w_ce * ce;
  if (a.w_dice != 0.0f) combined += a.w_dice * dice;
  if (a.w_focal != 0.0f) combined += a.w_focal * focal;
  losses[0] = ce;
  losses[1] = dice;
  losses[2] = focal;
  losses[3] = combined;
}

// Per-pixel coefficients of the gradient terms (see loss_grad_kernel).
struct PixelCoefficients {
  float ce = 0.0f, focal = 0.0f, dice_dot = 0.0f;
};

template <typename T>
__device__ PixelCoefficients pixel_coefficients(const SoftmaxLossArgs& a, const float* stats, const T* z, int t,
                                                float m, float log_sum) {
  const StatsLayout L{a.classes};
  const float ce_den = stats[L.ce_den()], valid = stats[L.valid()];
  const float log_pt = to_float(z[t]) - m - log_sum, pt = expf(log_pt);
  PixelCoefficients c;
  if (a.w_ce != 0.0f && ce_den > 0.0f) c.ce = a.w_ce * (a.class_weights ? a.class_weights[t] : 1.0f) / ce_den;
  if (a.w_focal != 0.0f && valid > 0.0f) {
    const float q = 1.0f - pt;
    const float slope = (q > 0.0f || a.focal_gamma >= 1.0f)
                            ? a.focal_alpha * a.focal_gamma * powf(q, a.focal_gamma - 1.0f) * pt * log_pt
                            : 0.0f;
    c.focal = a.w_focal * (slope - a.focal_alpha * powf(q, a.focal_gamma)) / valid;
  }
  if (a.w_dice != 0.0f)
    for (int64_t k = 0; k < a.classes; ++k)
      c.dice_dot += expf(to_float(z[k]) - m - log_sum) * ((k == t ? -stats[L.dice_u(k)] : 0.0f) + stats[L.dice_v(k)]);
  return c;
}

// Per valid pixel, with p = softmax(z), t its label, d_j = [j = t]:
//   CE:    w_t (p_j - d_j) / sum_V w
//   focal: [alpha gamma (1-p_t)^(gamma-1) p_t log p_t - alpha (1-p_t)^gamma] (d_j - p_j) / |V|
//   Dice:  p_j (h_j - sum_k p_k h_k), h_k = dDice/dp_k
// each times its weight; grad = grad_scale * their sum (0 on ignored pixels).
template <typename T>
__global__ void loss_grad_kernel(SoftmaxLossArgs a, const T* logits, const void* labels, const float* stats,
                                 const float* grad_scale, T* grad, float* grad_sums) {
  const StatsLayout L{a.classes};
  const float scale = grad_scale ? grad_scale[0] : 1.0f;
  float sums[kLossGradSums] = {};
  SEGRUN_GRID_LOOP(i, a.pixels) {
    const T* z = logits + i * a.classes;
    T* g = grad + i * a.classes;
    const int t = pixel_label(a, labels, i);
    if (t < 0) {
      for (int64_t j = 0; j < a.classes; ++j) g[j] = from_float<T>(0.0f);
      continue;
    }
    float m, log_sum;
    softmax_row(z, a.classes, &m, &log_sum);
    const PixelCoefficients c = pixel_coefficients(a, stats, z, t, m, log_sum);
    for (int64_t j = 0; j < a.classes; ++j) {
      const float pj = expf(to_float(z[j]) - m - log_sum), dj = j == t ? 1.0f : 0.0f;
      const float hj = (j == t ? -stats[L.dice_u(j)] : 0.0f) + stats[L.dice_v(j)];
      const float ce = c.ce * (pj - dj), focal = c.focal * (dj - pj);
      const float dice = a.w_dice != 0.0f ? a.w_dice * pj * (hj - c.dice_dot) : 0.0f;
      const float total = ce + dice + focal;
      g[j] = from_float<T>(scale * total);
      const float terms[kLossGradSums] = {ce * ce,   dice * dice, focal * focal, total * total,
                                          ce * dice, ce * focal,  dice * focal};
      for (int k = 0; k < kLossGradSums; ++k) sums[k] += terms[k];
    }
  }
  if (!grad_sums) return;
  for (int k = 0; k < kLossGradSums; ++k) {
    const float block = block_sum(sums[k]);
    if (threadIdx.x == 0) atomicAdd(&grad_sums[k], block);
  }
}

}  // namespace

void softmax_loss_forward(const SoftmaxLossArgs& a, const void* logits, const void* labels, float* stats, float* losses,
                          cudaStream_t stream) {
  const StatsLayout layout{a.classes};
  SEGRUN_CUDA_CHECK(
      cudaMemsetAsync(stats, 0, static_cast<size_t>(softmax_loss_stats_floats(a.classes)) * sizeof(float), stream));
  if (a.pixels > 0 && a.classes > 0) {
    const size_t shared_bytes = static_cast<size_t>(4 + 3 * layout.c) * sizeof(float);
    const int blocks = std::min(blocks_for(a.pixels), 1024);
    dispatch_storage(a.logits_dt, "softmax loss", [&](auto tag) {
      using T = decltype(tag);
      loss_stats_kernel<T><<<blocks, kThreads, shared_bytes, stream>>>(a, static_cast<const T*>(logits), labels, stats);
    });
    SEGRUN_CUDA_CHECK_LAUNCH("loss_stats_kernel");
  }
  loss_finalize_kernel<<<1, 1, 0, stream>>>(a, stats, losses);
  SEGRUN_CUDA_CHECK_LAUNCH("loss_finalize_kernel");
}

void softmax_loss_backward(const SoftmaxLossArgs& a, const void* logits, const void* labels, const float* stats,
                           const float* grad_scale, void* grad, float* grad_sums, cudaStream_t stream) {
  if (grad_sums) SEGRUN_CUDA_CHECK(cudaMemsetAsync(grad_sums, 0, kLossGradSums * sizeof(float), stream));
  if (a.pixels == 0 || a.classes == 0) return;
  dispatch_storage(a.logits_dt, "softmax loss backward", [&](auto tag) {
    using T = decltype(tag);
    loss_grad_kernel<T><<<blocks_for(a.pixels), kThreads, 0, stream>>>(a, static_cast<const T*>(logits), labels, stats,
                                                                       grad_scale, static_cast<T*>(grad), grad_sums);
  });
  SEGRUN_CUDA_CHECK_LAUNCH("loss_grad_kernel");
}

namespace {
__global__ void pack_loss_sums_kernel(const float* losses, const float* stats, const float* grad_sums, int64_t classes,
                                      bool dice_class_grad, double* out) {
  if (threadIdx.x == 0) {
    out[kLossCe] = losses[0], out[kLossDice] = losses[1], out[kLossFocal] = losses[2], out[kLossTotal] = losses[3];
    out[kLossValidPixels] = stats[3];
    const int slots[kLossGradSums] = {kLossCeSq,   kLossDiceSq,  kLossFocalSq,  kLossTotalSq,
                                      kLossCeDice, kLossCeFocal, kLossDiceFocal};
    for (int k = 0; k < kLossGradSums; ++k) out[slots[k]] = grad_sums ? grad_sums[k] : 0.0;
    out[kLossHasDiceClassGrad] = dice_class_grad ? 1.0 : 0.0;
  }
  // |dDice/dI_c| = 2 / (K S_c), left in the stats by the finalize kernel.
  for (int64_t c = threadIdx.x; c < classes; c += blockDim.x)
    out[kLossSumSlots + c] = dice_class_grad ? stats[4 + 3 * classes + c] : 0.0;
}
}  // namespace

void pack_loss_sums(const float* losses, const float* stats, const float* grad_sums, int64_t classes,
                    bool dice_class_grad, double* out, cudaStream_t stream) {
  pack_loss_sums_kernel<<<1, kThreads, 0, stream>>>(losses, stats, grad_sums, classes, dice_class_grad, out);
  SEGRUN_CUDA_CHECK_LAUNCH("pack_loss_sums_kernel");
}

}  // namespace segrun::cuda
