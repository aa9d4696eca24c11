#pragma once
// CUDA paths of the fused optimiser ops: tensors to launcher arguments.
#include "cuda/optim.h"
#include "engine/ops/cuda/common.h"

namespace segrun::cuda_ops {

inline void check_gradients(const Tensor& grads, double max_norm, Tensor& state) {
  Tensor scratch = Tensor::empty({2 * cuda::kGradCheckBlocks}, DType::F64, Device::cuda());
  cuda::check_gradients(grads.data<float>(), grads.numel(), max_norm, state.data<double>(), scratch.data<double>(),
                        stream());
}

inline void adamw_update(Tensor& params, const Tensor& grads, Tensor& m, Tensor& v, Tensor& state, const AdamWHyper& h,
                         Tensor* params_f16) {
  cuda::adamw_update(h, params.data<float>(), grads.data<float>(), m.data<float>(), v.data<float>(),
                     params_f16 ? params_f16->raw_data() : nullptr, params.numel(), state.data<double>(), stream());
}

inline void update_loss_scale(Tensor& state, Tensor& loss_scale, const LossScaleHyper& h) {
  cuda::update_loss_scale(state.data<double>(), loss_scale.data<float>(), h, stream());
}

}  // namespace segrun::cuda_ops
