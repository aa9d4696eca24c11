#include "nn/autocast.h"

#include "engine/ops/elementwise.h"

namespace segrun::nn {

namespace {
thread_local bool t_autocast = false;
}

bool autocast_enabled() {
  return t_autocast;
}

AutocastGuard::AutocastGuard(bool enabled) : previous_(t_autocast) {
  t_autocast = enabled;
}
AutocastGuard::~AutocastGuard() {
  t_autocast = previous_;
}

Tensor autocast_conv(const Tensor& x, const Tensor& w, const Tensor& b,
                     const std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>& conv) {
  if (!t_autocast || !x.is_cuda() || (x.dtype() != DType::F32 && x.dtype() != DType::F16)) return conv(x, w, b);
  const Tensor b16 = b.defined() ? cast(b, DType::F16) : Tensor();
  return conv(cast(x, DType::F16), cast(w, DType::F16), b16);
}

}  // namespace segrun::nn
