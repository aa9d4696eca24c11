#include "nn/autocast.h"

#include <map>
#include <mutex>

#include "engine/ops/elementwise.h"

namespace segrun::nn {

namespace {
thread_local bool t_autocast = false;

struct HalfCopies {
  std::mutex mutex;
  std::map<const void*, Tensor> by_master;
};

HalfCopies& half_copies() {
  static HalfCopies copies;
  return copies;
}

// The weight in f16: its optimiser's copy where there is one, else a cast.
Tensor half_weight(const Tensor& w) {
  if (!w.defined()) return w;
  const Tensor copy = half_copy_of(w);
  return copy.defined() ? cast_with_copy(w, copy) : cast(w, DType::F16);
}
}  // namespace

void register_half_copy(const Tensor& master, const Tensor& copy) {
  HalfCopies& h = half_copies();
  const std::lock_guard<std::mutex> lock(h.mutex);
  h.by_master[master.raw_data()] = copy;
}

void unregister_half_copy(const Tensor& master, const Tensor& copies) {
  HalfCopies& h = half_copies();
  const std::lock_guard<std::mutex> lock(h.mutex);
  const auto found = h.by_master.find(master.raw_data());
  if (found != h.by_master.end() && found->second.same_storage(copies)) h.by_master.erase(found);
}

Tensor half_copy_of(const Tensor& master) {
  HalfCopies& h = half_copies();
  const std::lock_guard<std::mutex> lock(h.mutex);
  const auto found = h.by_master.find(master.raw_data());
  if (found == h.by_master.end() || found->second.shape() != master.shape()) return Tensor();
  return found->second;
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
  return conv(cast(x, DType::F16), half_weight(w), half_weight(b));
}

}  // namespace segrun::nn
