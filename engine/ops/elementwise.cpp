#include "engine/ops/elementwise.h"

#include "engine/autograd.h"
#include "engine/cpu/elementwise.h"
#include "engine/error.h"
#include "engine/ops/device_check.h"
#include "engine/ops/reduce.h"
#ifdef SEGRUN_WITH_CUDA
#include "engine/ops/cuda/elementwise.h"
#endif

namespace segrun {

Shape broadcast_shape(const Shape& a, const Shape& b, const char* op) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    SEGRUN_CHECK_ARG(da == db || da == 1 || db == 1, op, ": shapes ", shape_str(a), " and ", shape_str(b),
                     " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Shape right_align(const Shape& s, size_t rank) {
  Shape out(rank - s.size(), 1);
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

namespace {
Tensor binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, const char* name) {
  check_defined(a, name, "first operand");
  check_defined(b, name, "second operand");
  check_same_device_dtype(a, b, name);
  const Shape so = broadcast_shape(a.shape(), b.shape(), name);
  const Shape sa = right_align(a.shape(), so.size()), sb = right_align(b.shape(), so.size());
  Tensor out = Tensor::empty(so, a.dtype(), a.device());
  SEGRUN_ON_CUDA(a, cuda_ops::binary(op, a, sa, b, sb, out)) {
    require_cpu(name, a);
    dispatch_float(a.dtype(), name, [&](auto tag) {
      using T = decltype(tag);
      cpu::binary<T>(op, a.data<T>(), sa, b.data<T>(), sb, out.data<T>(), so);
    });
  }
  return out;
}
}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::Add, a, b, "add");
  const Shape sa = a.shape(), sb = b.shape();
  return record("add", out, {a, b}, [sa, sb](const Tensor& g) {
    return std::vector<Tensor>{sum_to(g, sa), sum_to(g, sb)};
  });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::Sub, a, b, "sub");
  const Shape sa = a.shape(), sb = b.shape();
  return record("sub", out, {a, b}, [sa, sb](const Tensor& g) {
    return std::vector<Tensor>{sum_to(g, sa), sum_to(scale(g, -1.0), sb)};
  });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::Mul, a, b, "mul");
  const std::vector<bool> need = grad_needed({a, b});
  Tensor sa = need[1] ? a.detach() : Tensor(), sb = need[0] ? b.detach() : Tensor();
  const Shape sha = a.shape(), shb = b.shape();
  return record("mul", out, {a, b}, [sa, sb, sha, shb](const Tensor& g) {
    Tensor ga = sb.defined() ? sum_to(mul(g, sb), sha) : Tensor();
    Tensor gb = sa.defined() ? sum_to(mul(g, sa), shb) : Tensor();
    return std::vector<Tensor>{ga, gb};
  });
}

Tensor scale(const Tensor& a, double s) {
  check_defined(a, "scale", "input");
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  SEGRUN_ON_CUDA(
      a, cuda::scale(a.dtype(), a.raw_data(), static_cast<float>(s), out.raw_data(), a.numel(), cuda_ops::stream())) {
    require_cpu("scale", a);
    dispatch_float(a.dtype(), "scale", [&](auto tag) {
      using T = decltype(tag);
      cpu::scale<T>(a.data<T>(), static_cast<T>(s), out.data<T>(), a.numel());
    });
  }
  return record("scale", out, {a}, [s](const Tensor& g) { return std::vector<Tensor>{scale(g, s)}; });
}

namespace {
// Shared shape of relu and sigmoid: the backward rule needs only the output.
template <typename Fwd, typename Bwd>
Tensor activation(Activation kind, const Tensor& x, Fwd fwd, Bwd bwd) {
  const char* name = kind == Activation::Relu ? "relu" : "sigmoid";
  check_defined(x, name, "input");
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  SEGRUN_ON_CUDA(x, cuda_ops::activation_forward(kind, x, out)) {
    require_cpu(name, x);
    dispatch_float(x.dtype(), name, [&](auto tag) {
      using T = decltype(tag);
      fwd(x.data<T>(), out.data<T>(), x.numel(), tag);
    });
  }
  Tensor saved = any_requires_grad({x}) ? out.detach() : Tensor();
  return record(name, out, {x}, [saved, name, kind, bwd](const Tensor& g) {
    Tensor gx = Tensor::empty(g.shape(), g.dtype(), g.device());
    SEGRUN_ON_CUDA(g, cuda_ops::activation_backward(kind, saved, g, gx)) {
      dispatch_float(g.dtype(), name, [&](auto tag) {
        using T = decltype(tag);
        bwd(saved.data<T>(), g.data<T>(), gx.data<T>(), g.numel(), tag);
      });
    }
    return std::vector<Tensor>{gx};
  });
}
}  // namespace

Tensor relu(const Tensor& x) {
  return activation(
      Activation::Relu, x, [](auto* in, auto* out, int64_t n, auto) { cpu::relu_forward(in, out, n); },
      [](auto* o, auto* g, auto* gx, int64_t n, auto) { cpu::relu_backward(o, g, gx, n); });
}

Tensor sigmoid(const Tensor& x) {
  return activation(
      Activation::Sigmoid, x, [](auto* in, auto* out, int64_t n, auto) { cpu::sigmoid_forward(in, out, n); },
      [](auto* o, auto* g, auto* gx, int64_t n, auto) { cpu::sigmoid_backward(o, g, gx, n); });
}

Tensor cast(const Tensor& x, DType dtype) {
  check_defined(x, "cast", "input");
  if (x.dtype() == dtype) return x;
  Tensor out = Tensor::empty(x.shape(), dtype, x.device());
  SEGRUN_ON_CUDA(x, cuda::cast(x.dtype(), x.raw_data(), dtype, out.raw_data(), x.numel(), cuda_ops::stream())) {
    require_cpu("cast", x);
    cpu::cast(x, out);
  }
  if (!is_floating(dtype) || !is_floating(x.dtype())) return out;
  const DType src = x.dtype();
  return record("cast", out, {x}, [src](const Tensor& g) { return std::vector<Tensor>{cast(g, src)}; });
}

Tensor cast_with_copy(const Tensor& x, const Tensor& copy) {
  check_defined(x, "cast_with_copy", "input");
  check_defined(copy, "cast_with_copy", "copy");
  SEGRUN_CHECK_ARG(
      x.shape() == copy.shape() && x.device() == copy.device() && is_floating(x.dtype()) && is_floating(copy.dtype()),
      "cast_with_copy: the copy ", copy.str(), " cannot hold the values of ", x.str());
  if (x.dtype() == copy.dtype()) return x;
  const DType src = x.dtype();
  return record("cast", copy.detach(), {x}, [src](const Tensor& g) { return std::vector<Tensor>{cast(g, src)}; });
}

void cast_into(Tensor& dst, const Tensor& src) {
  check_defined(src, "cast_into", "source");
  SEGRUN_CHECK_ARG(dst.shape() == src.shape() && dst.device() == src.device(), "cast_into: cannot write ", src.str(),
                   " into ", dst.str());
  SEGRUN_ON_CUDA(
      src, cuda::cast(src.dtype(), src.raw_data(), dst.dtype(), dst.raw_data(), src.numel(), cuda_ops::stream())) {
    require_cpu("cast_into", src);
    cpu::cast(src, dst);
  }
}

void add_inplace(Tensor& dst, const Tensor& src) {
  check_same_device_dtype(dst, src, "add_inplace");
  SEGRUN_CHECK_ARG(dst.shape() == src.shape(), "add_inplace: shapes ", shape_str(dst.shape()), " and ",
                   shape_str(src.shape()), " differ");
  SEGRUN_ON_CUDA(dst, cuda::add_inplace(dst.dtype(), dst.raw_data(), src.raw_data(), dst.numel(), cuda_ops::stream())) {
    require_cpu("add_inplace", dst);
    dispatch_float(dst.dtype(), "add_inplace", [&](auto tag) {
      using T = decltype(tag);
      cpu::add_inplace<T>(dst.data<T>(), src.data<T>(), dst.numel());
    });
  }
}

void fill(Tensor& t, double value) {
  check_defined(t, "fill", "tensor");
  SEGRUN_ON_CUDA(t, cuda::fill(t.dtype(), t.raw_data(), value, t.numel(), cuda_ops::stream())) {
    require_cpu("fill", t);
    cpu::fill(t, value);
  }
}

}  // namespace segrun
