#pragma once
// A host copy of a tensor for in-place CPU math (optimiser updates, gradient norms): CPU tensors
// are used directly, device tensors are copied over and written back by commit().
#include "engine/tensor.h"

namespace segrun::nn {

class HostTensor {
 public:
  explicit HostTensor(const Tensor& t)
      : original_(t), host_(t.device().is_cpu() ? t.detach() : t.detach().to(Device::cpu())) {}
  const Tensor& host() const { return host_; }
  void commit() {
    if (!original_.device().is_cpu()) original_.copy_from(host_);
  }

 private:
  Tensor original_;
  Tensor host_;
};

}  // namespace segrun::nn
