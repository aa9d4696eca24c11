#pragma once
// Batch normalisation over N,H,W of an NHWC tensor (PyTorch BatchNorm2d semantics).
#include "engine/tensor.h"

namespace segrun {

// x (N,H,W,C); weight, bias (C). running_mean / running_var (C) are read in eval mode and, in
// training mode, updated in place: r = (1-momentum) r + momentum * batch_stat, with the
// unbiased batch variance for running_var. Training mode normalises with the biased batch
// variance. Statistics are accumulated in at least f32/f64 of x's precision.
Tensor batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor running_mean, Tensor running_var,
                    bool training, double momentum = 0.1, double eps = 1e-5);

// relu(batch_norm2d(...)), the pair every convolution block ends with. On the GPU it is one
// node with fused kernels: the normalisation writes the rectified values, and the backward
// pass masks the incoming gradient inside its sums, so the pre-activation tensor is never
// stored. On the CPU it is the composition itself (the same kernels, the same numbers).
Tensor batch_norm2d_relu(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor running_mean,
                         Tensor running_var, bool training, double momentum = 0.1, double eps = 1e-5);

// relu(batch_norm2d(x, ...) + residual), residual with x's shape, dtype and device: the end of
// a ResNet basic block (the residual is its shortcut) and the sum of the attention gate's two
// projections. On the GPU it is one node like batch_norm2d_relu: the normalisation adds the
// residual before rectifying, and the backward pass hands the masked gradient to the residual
// as it is. On the CPU it is the composition itself.
Tensor batch_norm2d_add_relu(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor running_mean,
                             Tensor running_var, const Tensor& residual, bool training, double momentum = 0.1,
                             double eps = 1e-5);

}  // namespace segrun
