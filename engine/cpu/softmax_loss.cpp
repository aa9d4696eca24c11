#include "engine/cpu/softmax_loss.h"

#include <algorithm>
#include <cmath>

namespace segrun::cpu {

namespace {
// Fixed reduction blocks: partial sums per block, added in block order (deterministic).
constexpr int64_t kBlockPixels = 512;
constexpr double kDiceEps = 1e-6;

struct BlockSums {
  double ce_num = 0, ce_den = 0, focal = 0;
  int64_t valid = 0;
};

// Dice sums per class, three per class: intersection I_c, probability mass sum_i p_ic, and
// target count sum_i [t_i = c].
constexpr int64_t kDiceSlots = 3;

// Softmax of one row into p; returns log-sum-exp. p_c = exp(z_c - m) / sum_k exp(z_k - m).
template <typename T>
T softmax_row(const T* z, T* p, int64_t classes) {
  const T m = *std::max_element(z, z + classes);
  T s = 0;
  for (int64_t c = 0; c < classes; ++c) {
    p[c] = std::exp(z[c] - m);
    s += p[c];
  }
  const T inv = T(1) / s;
  for (int64_t c = 0; c < classes; ++c) p[c] *= inv;
  return m + std::log(s);
}

// Forward sums of one block (docs/REFERENCE.md sections 2.2-2.4):
//   CE:    sum_i w_t (-log p_it) and sum_i w_t;   Focal: sum_i -alpha (1 - p_it)^gamma log p_it;
//   Dice:  I_c, sum_i p_ic and sum_i [t_i = c] per class.
template <typename T>
void forward_block(const SoftmaxLossProblem<T>& pb, int64_t begin, int64_t end, T* probs, T* lse_out, BlockSums& sums,
                   double* dice) {
  const int64_t C = pb.classes;
  std::vector<T> row(probs ? 0 : static_cast<size_t>(C));
  for (int64_t i = begin; i < end; ++i) {
    const int32_t t = pb.target[i];
    if (t == kIgnoreLabel) continue;
    const T* z = pb.logits + i * C;
    T* p = probs ? probs + i * C : row.data();
    const T lse = softmax_row(z, p, C);
    if (lse_out) lse_out[i] = lse;
    const T logpt = z[t] - lse;
    ++sums.valid;
    if (pb.w_ce != 0) {
      const double w = pb.class_weight ? pb.class_weight[t] : 1.0;
      sums.ce_num -= w * static_cast<double>(logpt);
      sums.ce_den += w;
    }
    if (pb.w_focal != 0) {
      const T q = -std::expm1(logpt);  // 1 - p_t without cancellation when p_t is near 1
      sums.focal -= pb.focal_alpha * std::pow(static_cast<double>(q), pb.focal_gamma) * static_cast<double>(logpt);
    }
    if (pb.w_dice != 0) {
      for (int64_t c = 0; c < C; ++c) dice[c * kDiceSlots + 1] += static_cast<double>(p[c]);
      dice[t * kDiceSlots] += static_cast<double>(p[t]);
      dice[t * kDiceSlots + 2] += 1.0;
    }
  }
}

// Scalars of the gradient pass, all already multiplied by the term weights.
struct GradCoefficients {
  double ce = 0;     // w_ce / sum_i w_t (times w_t per pixel)
  double focal = 0;  // w_focal * alpha / |V|
  // Dice: dL/dp_ic = b_c - a_c [t_i = c] with a_c = 2 / (K (S_c + eps)),
  // b_c = (2 I_c + eps) / (K (S_c + eps)^2); zero for classes left out of the mean.
  std::vector<double> dice_a, dice_b;
};

struct GradSums {
  double ce_sq = 0, dice_sq = 0, focal_sq = 0, total_sq = 0, ce_dice = 0, ce_focal = 0, dice_focal = 0;
};

// Dice value and gradient coefficients from the per-class sums (docs/REFERENCE.md section 2.3):
// L = mean over the K counted classes of 1 - (2 I_c + eps) / (S_c + eps), S_c = sum_i p_ic + G_c.
template <typename T>
double finish_dice(const SoftmaxLossProblem<T>& pb, const std::vector<double>& dice, GradCoefficients& coef) {
  const int64_t C = pb.classes;
  coef.dice_a.assign(static_cast<size_t>(C), 0.0);
  coef.dice_b.assign(static_cast<size_t>(C), 0.0);
  int64_t counted = 0;
  for (int64_t c = 0; c < C; ++c) counted += (!pb.dice_mask_absent || dice[c * kDiceSlots + 2] > 0) ? 1 : 0;
  if (counted == 0) return 0.0;  // every class masked: loss 0, gradient 0
  double loss = 0;
  const double k = static_cast<double>(counted);
  for (int64_t c = 0; c < C; ++c) {
    const double inter = dice[c * kDiceSlots], count = dice[c * kDiceSlots + 2];
    if (pb.dice_mask_absent && count == 0) continue;
    const double den = dice[c * kDiceSlots + 1] + count + kDiceEps;
    const double num = 2 * inter + kDiceEps;
    loss += 1 - num / den;
    coef.dice_a[static_cast<size_t>(c)] = pb.w_dice * 2 / (k * den);
    coef.dice_b[static_cast<size_t>(c)] = pb.w_dice * num / (k * den * den);
  }
  return loss / k;
}

// The dice coefficients in the row type, so the per-element loop does no conversions.
template <typename T>
struct DiceRowCoefficients {
  std::vector<T> a, b;  // empty when Dice is skipped
};

// Gradient of one valid row, written over its probabilities p:
//   CE:    w_t / sum w * (p_c - [c = t]);
//   Focal: alpha (gamma q^(gamma-1) p_t log p_t - q^gamma) ([c = t] - p_c) / |V|, q = 1 - p_t;
//   Dice:  p_c (g_c - sum_k p_k g_k) with g = dL/dp (softmax Jacobian folded in).
template <typename T, bool kStats>
void gradient_row(const SoftmaxLossProblem<T>& pb, const GradCoefficients& coef, const DiceRowCoefficients<T>& dice,
                  int64_t i, T lse, T* p, GradSums& sums) {
  const int64_t C = pb.classes;
  const int32_t t = pb.target[i];
  const T logpt = pb.logits[i * C + t] - lse;
  const T pt = p[t];
  const T q = -std::expm1(logpt);
  T k_ce = 0, k_focal = 0, dice_dot = 0;
  if (pb.w_ce != 0) k_ce = static_cast<T>(coef.ce * (pb.class_weight ? pb.class_weight[t] : 1.0));
  if (pb.w_focal != 0) {
    const T gamma = static_cast<T>(pb.focal_gamma);
    const T slope = q > 0 ? gamma * std::pow(q, gamma - 1) * pt * logpt : T(0);  // limit at p_t = 1
    k_focal = static_cast<T>(coef.focal) * (slope - std::pow(q, gamma));
  }
  const bool with_dice = !dice.a.empty();
  if (with_dice) {
    for (int64_t c = 0; c < C; ++c) dice_dot += p[c] * dice.b[c];
    dice_dot -= pt * dice.a[t];
  }
  for (int64_t c = 0; c < C; ++c) {
    const bool is_target = c == t;
    const T e = is_target ? p[c] - T(1) : p[c];
    const T g_ce = k_ce * e, g_focal = -k_focal * e;
    const T g_dice = with_dice ? p[c] * ((is_target ? dice.b[c] - dice.a[c] : dice.b[c]) - dice_dot) : T(0);
    p[c] = g_ce + g_focal + g_dice;
    if constexpr (kStats) {
      const double a = g_ce, b = g_dice, f = g_focal, g = p[c];
      sums.ce_sq += a * a;
      sums.dice_sq += b * b;
      sums.focal_sq += f * f;
      sums.total_sq += g * g;
      sums.ce_dice += a * b;
      sums.ce_focal += a * f;
      sums.dice_focal += b * f;
    }
  }
}

template <typename T, bool kStats>
void gradient_block(const SoftmaxLossProblem<T>& pb, const GradCoefficients& coef, const DiceRowCoefficients<T>& dice,
                    int64_t begin, int64_t end, const T* lse, T* grad, GradSums& sums) {
  const int64_t C = pb.classes;
  for (int64_t i = begin; i < end; ++i) {
    T* row = grad + i * C;
    if (pb.target[i] == kIgnoreLabel) {
      std::fill(row, row + C, T(0));
      continue;
    }
    gradient_row<T, kStats>(pb, coef, dice, i, lse[i], row, sums);
  }
}

void add_grad_sums(SoftmaxLossSums& out, const GradSums& s) {
  out.ce_sq += s.ce_sq;
  out.dice_sq += s.dice_sq;
  out.focal_sq += s.focal_sq;
  out.total_sq += s.total_sq;
  out.ce_dice += s.ce_dice;
  out.ce_focal += s.ce_focal;
  out.dice_focal += s.dice_focal;
}

template <typename T>
void run_gradient_pass(const SoftmaxLossProblem<T>& pb, const GradCoefficients& coef, int64_t blocks, const T* lse,
                       T* grad, SoftmaxLossSums& out) {
  const DiceRowCoefficients<T> dice{std::vector<T>(coef.dice_a.begin(), coef.dice_a.end()),
                                    std::vector<T>(coef.dice_b.begin(), coef.dice_b.end())};
  std::vector<GradSums> partial(static_cast<size_t>(blocks));
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t begin = b * kBlockPixels, end = std::min(pb.pixels, begin + kBlockPixels);
    GradSums& sums = partial[static_cast<size_t>(b)];
    if (pb.want_grad_stats)
      gradient_block<T, true>(pb, coef, dice, begin, end, lse, grad, sums);
    else
      gradient_block<T, false>(pb, coef, dice, begin, end, lse, grad, sums);
  }
  for (const GradSums& s : partial) add_grad_sums(out, s);
}
}  // namespace

template <typename T>
SoftmaxLossSums softmax_losses(const SoftmaxLossProblem<T>& pb, T* grad) {
  const int64_t C = pb.classes;
  const int64_t blocks = (pb.pixels + kBlockPixels - 1) / kBlockPixels;
  std::vector<BlockSums> partial(static_cast<size_t>(blocks));
  std::vector<double> dice_partial(pb.w_dice != 0 ? static_cast<size_t>(blocks * C * kDiceSlots) : 0, 0.0);
  std::vector<T> lse(grad ? static_cast<size_t>(pb.pixels) : 0);
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t begin = b * kBlockPixels, end = std::min(pb.pixels, begin + kBlockPixels);
    double* dice = dice_partial.empty() ? nullptr : dice_partial.data() + b * C * kDiceSlots;
    forward_block(pb, begin, end, grad, grad ? lse.data() : nullptr, partial[static_cast<size_t>(b)], dice);
  }
  BlockSums total;
  for (const BlockSums& s : partial) {
    total.ce_num += s.ce_num;
    total.ce_den += s.ce_den;
    total.focal += s.focal;
    total.valid += s.valid;
  }
  std::vector<double> dice(static_cast<size_t>(C * kDiceSlots), 0.0);
  for (size_t j = 0; j < dice_partial.size(); ++j) dice[j % dice.size()] += dice_partial[j];

  SoftmaxLossSums out;
  out.valid_pixels = total.valid;
  GradCoefficients coef;
  // An empty V (or zero total class weight) gives loss 0 and gradient 0, not PyTorch's NaN.
  if (pb.w_ce != 0 && total.ce_den > 0) {
    out.ce = total.ce_num / total.ce_den;
    coef.ce = pb.w_ce / total.ce_den;
  }
  if (pb.w_focal != 0 && total.valid > 0) {
    out.focal = total.focal / static_cast<double>(total.valid);
    coef.focal = pb.w_focal * pb.focal_alpha / static_cast<double>(total.valid);
  }
  if (pb.w_dice != 0) {
    out.dice = finish_dice(pb, dice, coef);
    if (pb.want_grad_stats) {
      for (double a : coef.dice_a) out.dice_class_grad.push_back(a / pb.w_dice);
    }
  }
  out.total = pb.w_ce * out.ce + pb.w_dice * out.dice + pb.w_focal * out.focal;
  if (grad) run_gradient_pass(pb, coef, blocks, lse.data(), grad, out);
  return out;
}

template <typename T>
void scale_gradient(T* grad, int64_t n, T s) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) grad[i] *= s;
}

template void scale_gradient<float>(float*, int64_t, float);
template void scale_gradient<double>(double*, int64_t, double);
template SoftmaxLossSums softmax_losses<float>(const SoftmaxLossProblem<float>&, float*);
template SoftmaxLossSums softmax_losses<double>(const SoftmaxLossProblem<double>&, double*);

}  // namespace segrun::cpu
