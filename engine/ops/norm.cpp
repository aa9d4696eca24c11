#include "engine/ops/norm.h"

#include <cmath>
#include <vector>

#include "engine/autograd.h"
#include "engine/cpu/norm.h"
#include "engine/error.h"
#include "engine/ops/device_check.h"
#include "engine/ops/elementwise.h"
#ifdef SEGRUN_WITH_CUDA
#include "engine/ops/cuda/norm.h"
#endif

namespace segrun {

namespace {
constexpr const char* kOp = "batch_norm2d";

// A per-channel tensor (weight, bias, running statistic) must be (C) on x's device, with x's
// dtype, or f32 for an f16 x (mixed precision: f16 activations, f32 parameters and statistics).
void check_channel_tensor(const Tensor& t, const Tensor& x, const char* what) {
  check_defined(t, kOp, what);
  if (x.dtype() == DType::F16 && t.dtype() == DType::F32) {
    SEGRUN_CHECK_ARG(x.device() == t.device(), kOp, ": tensors on different devices (", x.str(), " vs ", t.str(), ")");
  } else {
    check_same_device_dtype(x, t, kOp);
  }
  SEGRUN_CHECK_ARG(t.shape() == Shape{x.size(-1)}, kOp, ": ", what, " has shape ", shape_str(t.shape()), " but input ",
                   shape_str(x.shape()), " has ", x.size(-1), " channels");
}

void check_inputs(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training) {
  check_defined(x, kOp, "input");
  SEGRUN_CHECK_ARG(x.dim() == 4 && x.numel() > 0, kOp, ": input must be a non-empty N,H,W,C tensor, got shape ",
                   shape_str(x.shape()));
  check_channel_tensor(weight, x, "weight");
  check_channel_tensor(bias, x, "bias");
  SEGRUN_CHECK_ARG(bias.dtype() == weight.dtype(), kOp, ": weight and bias dtypes differ (", weight.str(), " vs ",
                   bias.str(), ")");
  // Training without running statistics (PyTorch track_running_stats=False) is allowed.
  if (!training || running_mean.defined() || running_var.defined()) {
    check_channel_tensor(running_mean, x, "running_mean");
    check_channel_tensor(running_var, x, "running_var");
    SEGRUN_CHECK_ARG(running_mean.dtype() == weight.dtype() && running_var.dtype() == weight.dtype(), kOp,
                     ": running statistics must have the weight's dtype ", dtype_name(weight.dtype()));
  }
  SEGRUN_CHECK_ARG(!training || x.numel() / x.size(-1) > 1, kOp,
                   ": training needs more than one value per channel, got input shape ", shape_str(x.shape()));
}

// r = (1 - momentum) * r + momentum * stat, in place (not recorded).
template <typename T>
void update_running(Tensor& running, const std::vector<double>& stat, double momentum) {
  T* r = running.data<T>();
  for (size_t c = 0; c < stat.size(); ++c)
    r[c] = static_cast<T>((1.0 - momentum) * static_cast<double>(r[c]) + momentum * stat[c]);
}
}  // namespace

Tensor batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor running_mean, Tensor running_var,
                    bool training, double momentum, double eps) {
  check_inputs(x, weight, bias, running_mean, running_var, training);
  SEGRUN_ON_CUDA(
      x, return cuda_ops::batch_norm2d(x, weight, bias, running_mean, running_var, training, momentum, eps, false)) {
    require_cpu(kOp, x);
  }
  const int64_t channels = x.size(-1), rows = x.numel() / channels;
  std::vector<double> mean(static_cast<size_t>(channels)), invstd(static_cast<size_t>(channels));
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  dispatch_float(x.dtype(), kOp, [&](auto tag) {
    using T = decltype(tag);
    if (training) {
      // Normalise with the biased batch variance; the running variance takes the unbiased one.
      std::vector<double> sq_dev(static_cast<size_t>(channels));
      cpu::batch_norm_statistics<T>(x.data<T>(), rows, channels, mean.data(), sq_dev.data());
      std::vector<double> unbiased(static_cast<size_t>(channels));
      for (int64_t c = 0; c < channels; ++c) {
        invstd[c] = 1.0 / std::sqrt(sq_dev[c] / static_cast<double>(rows) + eps);
        unbiased[c] = sq_dev[c] / static_cast<double>(rows - 1);
      }
      if (running_mean.defined()) {
        update_running<T>(running_mean, mean, momentum);
        update_running<T>(running_var, unbiased, momentum);
      }
    } else {
      for (int64_t c = 0; c < channels; ++c) {
        mean[c] = static_cast<double>(running_mean.data<T>()[c]);
        invstd[c] = 1.0 / std::sqrt(static_cast<double>(running_var.data<T>()[c]) + eps);
      }
    }
    cpu::batch_norm_apply<T>(x.data<T>(), rows, channels, mean.data(), invstd.data(), weight.data<T>(), bias.data<T>(),
                             out.data<T>());
  });
  if (!any_requires_grad({x, weight, bias})) return out;
  const std::vector<bool> need = grad_needed({x, weight, bias});
  Tensor saved_x = x.detach(), saved_w = weight.detach();
  return record(kOp, out, {x, weight, bias}, [=](const Tensor& g) {
    Tensor gx = need[0] ? Tensor::empty(saved_x.shape(), g.dtype(), g.device()) : Tensor();
    Tensor gw = Tensor::empty(saved_w.shape(), g.dtype(), g.device());
    Tensor gb = Tensor::empty(saved_w.shape(), g.dtype(), g.device());
    dispatch_float(g.dtype(), kOp, [&](auto tag) {
      using T = decltype(tag);
      cpu::batch_norm_backward<T>(saved_x.data<T>(), g.data<T>(), rows, channels, mean.data(), invstd.data(),
                                  saved_w.data<T>(), training, need[0] ? gx.data<T>() : nullptr, gw.data<T>(),
                                  gb.data<T>());
    });
    return std::vector<Tensor>{gx, need[1] ? gw : Tensor(), need[2] ? gb : Tensor()};
  });
}

Tensor batch_norm2d_relu(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor running_mean,
                         Tensor running_var, bool training, double momentum, double eps) {
  check_inputs(x, weight, bias, running_mean, running_var, training);
  SEGRUN_ON_CUDA(
      x, return cuda_ops::batch_norm2d(x, weight, bias, running_mean, running_var, training, momentum, eps, true)) {
    require_cpu(kOp, x);
  }
  return relu(batch_norm2d(x, weight, bias, running_mean, running_var, training, momentum, eps));
}

Tensor batch_norm2d_add_relu(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor running_mean,
                             Tensor running_var, const Tensor& residual, bool training, double momentum, double eps) {
  check_inputs(x, weight, bias, running_mean, running_var, training);
  check_defined(residual, "batch_norm2d_add_relu", "residual");
  check_same_device_dtype(x, residual, "batch_norm2d_add_relu");
  SEGRUN_CHECK_ARG(residual.shape() == x.shape(), "batch_norm2d_add_relu: residual ", residual.str(),
                   " does not match input ", x.str());
  SEGRUN_ON_CUDA(x, return cuda_ops::batch_norm2d(x, weight, bias, running_mean, running_var, training, momentum, eps,
                                                  true, residual)) {
    require_cpu("batch_norm2d_add_relu", x);
  }
  // Operand order matters to the bit: backward visits the normalised branch first, which fixes
  // the order in which gradients reaching a shared input (a block's input) are summed.
  return relu(add(batch_norm2d(x, weight, bias, running_mean, running_var, training, momentum, eps), residual));
}

}  // namespace segrun
