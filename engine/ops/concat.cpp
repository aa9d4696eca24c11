#include "engine/ops/concat.h"

#include <algorithm>

#include "engine/autograd.h"
#include "engine/cpu/concat.h"
#include "engine/error.h"
#include "engine/ops/device_check.h"
#ifdef SEGRUN_WITH_CUDA
#include "engine/ops/cuda/concat.h"
#endif

namespace segrun {

namespace {
bool same_but_last(const Shape& a, const Shape& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end() - 1, b.begin());
}

// Output shape: the shared leading dims and the summed last dim.
Shape concat_shape(const std::vector<Tensor>& xs) {
  SEGRUN_CHECK_ARG(!xs.empty(), "concat: no input tensors");
  const Tensor& first = xs[0];
  check_defined(first, "concat", "input 0");
  SEGRUN_CHECK_ARG(first.dim() >= 1, "concat: input 0 has no dimensions");
  Shape out = first.shape();
  for (size_t k = 1; k < xs.size(); ++k) {
    check_defined(xs[k], "concat", "an input");
    check_same_device_dtype(first, xs[k], "concat");
    SEGRUN_CHECK_ARG(same_but_last(first.shape(), xs[k].shape()), "concat: shapes ", shape_str(first.shape()), " and ",
                     shape_str(xs[k].shape()), " must agree in every dim but the last");
    out.back() += xs[k].shape().back();
  }
  return out;
}
}  // namespace

Tensor concat_channels(const std::vector<Tensor>& xs) {
  const Shape out_shape = concat_shape(xs);
  const int64_t rows = shape_numel(out_shape) / std::max<int64_t>(out_shape.back(), 1);
  std::vector<int64_t> widths;
  for (const Tensor& x : xs) widths.push_back(x.shape().back());
  Tensor out = Tensor::empty(out_shape, xs[0].dtype(), xs[0].device());
  SEGRUN_ON_CUDA(xs[0], cuda_ops::concat_forward(xs, out)) {
    require_cpu("concat", xs[0]);
    dispatch_float(xs[0].dtype(), "concat", [&](auto tag) {
      using T = decltype(tag);
      std::vector<const T*> parts;
      for (const Tensor& x : xs) parts.push_back(x.data<T>());
      cpu::concat_last<T>(parts, widths, rows, out.data<T>());
    });
  }
  if (!any_requires_grad(xs)) return out;
  std::vector<Shape> shapes;
  for (const Tensor& x : xs) shapes.push_back(x.shape());
  const std::vector<bool> need = grad_needed(xs);
  return record("concat", out, xs, [=](const Tensor& g) {
    std::vector<Tensor> grads(shapes.size());
    for (size_t k = 0; k < shapes.size(); ++k)
      if (need[k]) grads[k] = Tensor::empty(shapes[k], g.dtype(), g.device());
    SEGRUN_ON_CUDA(g, cuda_ops::concat_backward(g, widths, grads)) {
      dispatch_float(g.dtype(), "concat", [&](auto tag) {
        using T = decltype(tag);
        std::vector<T*> parts;
        for (const Tensor& gk : grads) parts.push_back(gk.defined() ? gk.data<T>() : nullptr);
        cpu::split_last<T>(g.data<T>(), rows, widths, parts);
      });
    }
    return grads;
  });
}

}  // namespace segrun
