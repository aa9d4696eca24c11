#include "engine/cpu/optim.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/half.h"

namespace segrun::cpu {

namespace {
// Element-wise passes hand out chunks as threads free up, so a preempted thread does not hold
// up the rest; each element is computed on its own, so any split gives the same result.
constexpr int64_t kChunk = 1 << 15;
// Interleaved partial sums per segment in check_gradients.
constexpr int kLanes = 16;

// The gradient as the update sees it: unscaled by the f32 reciprocal of the loss scale (as
// torch's GradScaler does), then clipped; each multiplication rounds to T, as when the two were
// applied to the gradient in place one after the other.
template <typename T>
struct GradientFactors {
  T inv_scale, clip;
  bool unscale, clipping;
  explicit GradientFactors(const double* state)
      : inv_scale(static_cast<T>(static_cast<float>(1.0 / state[kOptimStepScale]))),
        clip(static_cast<T>(state[kOptimClipCoef])),
        unscale(inv_scale != T(1)),
        clipping(state[kOptimClipCoef] < 1.0) {}
  T unscaled(T g) const { return unscale ? g * inv_scale : g; }
  T apply(T g) const { return clipping ? unscaled(g) * clip : unscaled(g); }
};
}  // namespace

template <typename T>
void check_gradients(const T* g, const int64_t* segment_ends, int64_t segments, double max_norm, double* state) {
  state[kOptimStepScale] = state[kOptimLossScale];
  state[kOptimClipCoef] = 1.0;  // GradientFactors below must not clip yet
  const GradientFactors<T> f(state);
  std::vector<double> squares(static_cast<size_t>(segments), 0.0);
  std::vector<char> non_finite(static_cast<size_t>(segments), 0);
#pragma omp parallel for schedule(dynamic, 1) if (segments > 1)
  for (int64_t k = 0; k < segments; ++k) {
    const int64_t begin = k ? segment_ends[k - 1] : 0, end = segment_ends[k];
    // kLanes interleaved sums (element i into lane i % kLanes) vectorise where one running sum
    // would wait on every addition; the lanes are added in a fixed order, so the result does
    // not depend on the thread count.
    double lanes[kLanes] = {};
    int64_t i = begin;
    for (; i + kLanes <= end; i += kLanes) {
      for (int j = 0; j < kLanes; ++j) {
        const double u = static_cast<double>(f.unscaled(g[i + j]));
        lanes[j] += u * u;
      }
    }
    for (int j = 0; i < end; ++i, ++j) {
      const double u = static_cast<double>(f.unscaled(g[i]));
      lanes[j] += u * u;
    }
    double s = 0;
    for (double lane : lanes) s += lane;
    squares[static_cast<size_t>(k)] = s;
    // A non-finite gradient makes its square, and so the sum, inf or NaN. A finite f32
    // gradient's square cannot overflow a double; for f64, a sum past 1.8e308 counts as
    // non-finite too (its norm would be inf all the same).
    non_finite[static_cast<size_t>(k)] = !std::isfinite(s);
  }
  const bool found_inf = std::any_of(non_finite.begin(), non_finite.end(), [](char b) { return b != 0; });
  double total = 0;
  for (double s : squares) total += s;
  const double norm = std::sqrt(total);
  state[kOptimFoundInf] = found_inf ? 1.0 : 0.0;
  state[kOptimGradNorm] = found_inf ? std::numeric_limits<double>::infinity() : norm;
  state[kOptimClipCoef] = found_inf ? 1.0 : std::min(1.0, max_norm / (norm + 1e-6));
}

// docs/REFERENCE.md section 4.1, in PyTorch's operation order:
// theta *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
// theta -= (lr / (1-b1^t)) * m / (sqrt(v) / sqrt(1-b2^t) + eps).
template <typename T>
void adamw_update(T* theta, const T* g, T* m, T* v, uint16_t* theta_f16, int64_t n, const AdamWHyper& h,
                  double* state) {
  if (state[kOptimFoundInf] != 0.0) {
    state[kOptimSkippedSteps] += 1;
    return;
  }
  const double t = state[kOptimStepCount] + 1;
  state[kOptimStepCount] = t;
  const GradientFactors<T> f(state);
  const T decay = static_cast<T>(1.0 - h.lr * h.weight_decay), b1 = static_cast<T>(h.beta1),
          b2 = static_cast<T>(h.beta2);
  const T one_b1 = static_cast<T>(1.0 - h.beta1), one_b2 = static_cast<T>(1.0 - h.beta2);
  const T step_size = static_cast<T>(h.lr / (1.0 - std::pow(h.beta1, t)));
  const T bc2_sqrt = static_cast<T>(std::sqrt(1.0 - std::pow(h.beta2, t))), eps = static_cast<T>(h.eps);
#pragma omp parallel for simd schedule(dynamic, kChunk)
  for (int64_t i = 0; i < n; ++i) {
    const T gi = f.apply(g[i]);
    theta[i] *= decay;
    m[i] = b1 * m[i] + one_b1 * gi;
    v[i] = b2 * v[i] + one_b2 * gi * gi;
    theta[i] -= step_size * m[i] / (std::sqrt(v[i]) / bc2_sqrt + eps);
  }
  if (theta_f16) {
#pragma omp parallel for schedule(dynamic, kChunk)
    for (int64_t i = 0; i < n; ++i) theta_f16[i] = float_to_half(static_cast<float>(theta[i]));
  }
}

void update_loss_scale(double* state, float* scale_f32, const LossScaleHyper& h) {
  if (h.enabled) {
    if (state[kOptimFoundInf] != 0.0) {
      state[kOptimLossScale] *= h.backoff_factor;
      state[kOptimGrowthTracker] = 0;
    } else if (++state[kOptimGrowthTracker] == static_cast<double>(h.growth_interval)) {
      state[kOptimLossScale] *= h.growth_factor;
      state[kOptimGrowthTracker] = 0;
    }
  }
  scale_f32[0] = static_cast<float>(state[kOptimLossScale]);
}

#define SEGRUN_INSTANTIATE(T)                                                           \
  template void check_gradients<T>(const T*, const int64_t*, int64_t, double, double*); \
  template void adamw_update<T>(T*, const T*, T*, T*, uint16_t*, int64_t, const AdamWHyper&, double*);
SEGRUN_INSTANTIATE(float)
SEGRUN_INSTANTIATE(double)
#undef SEGRUN_INSTANTIATE

}  // namespace segrun::cpu
