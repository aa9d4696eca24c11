#include "cuda/check.h"
#include "cuda/elementwise.h"
#include "cuda/kernels.cuh"

namespace segrun::cuda {

namespace {

template <typename T>
__global__ void binary_kernel(BinaryOp op, const T* a, const T* b, T* out, BroadcastShape s, int64_t n) {
  SEGRUN_GRID_LOOP(i, n) {
    int64_t rem = i, ia = 0, ib = 0;
    for (int d = s.rank - 1; d >= 0; --d) {
      const int64_t coord = rem % s.out[d];
      rem /= s.out[d];
      ia += coord * s.stride_a[d];
      ib += coord * s.stride_b[d];
    }
    const float x = to_float(a[ia]), y = to_float(b[ib]);
    const float r = op == BinaryOp::Add ? x + y : (op == BinaryOp::Sub ? x - y : x * y);
    out[i] = from_float<T>(r);
  }
}

template <typename T>
__global__ void scale_kernel(const T* x, float s, T* out, int64_t n) {
  SEGRUN_GRID_LOOP(i, n) out[i] = from_float<T>(to_float(x[i]) * s);
}

template <typename T>
__global__ void relu_forward_kernel(const T* x, T* out, int64_t n) {
  SEGRUN_GRID_LOOP(i, n) out[i] = from_float<T>(fmaxf(to_float(x[i]), 0.0f));
}

template <typename T>
__global__ void relu_backward_kernel(const T* out, const T* g, T* gx, int64_t n) {
  SEGRUN_GRID_LOOP(i, n) gx[i] = to_float(out[i]) > 0.0f ? g[i] : from_float<T>(0.0f);
}

// sigma(x) = 1 / (1 + e^-x); d sigma / dx = sigma (1 - sigma).
template <typename T>
__global__ void sigmoid_forward_kernel(const T* x, T* out, int64_t n) {
  SEGRUN_GRID_LOOP(i, n) out[i] = from_float<T>(1.0f / (1.0f + expf(-to_float(x[i]))));
}

template <typename T>
__global__ void sigmoid_backward_kernel(const T* out, const T* g, T* gx, int64_t n) {
  SEGRUN_GRID_LOOP(i, n) {
    const float y = to_float(out[i]);
    gx[i] = from_float<T>(to_float(g[i]) * y * (1.0f - y));
  }
}

template <typename T>
__global__ void add_inplace_kernel(T* dst, const T* src, int64_t n) {
  SEGRUN_GRID_LOOP(i, n) dst[i] = from_float<T>(to_float(dst[i]) + to_float(src[i]));
}

__global__ void cast_kernel(DType sd, const void* src, DType dd, void* dst, int64_t n) {
  SEGRUN_GRID_LOOP(i, n) {
    const double v = sd == DType::F64 ? static_cast<const double*>(src)[i] : static_cast<double>(load_any(sd, src, i));
    switch (dd) {
      case DType::F32:
        static_cast<float*>(dst)[i] = static_cast<float>(v);
        break;
      case DType::F64:
        static_cast<double*>(dst)[i] = v;
        break;
      case DType::F16:
        static_cast<__half*>(dst)[i] = __float2half_rn(static_cast<float>(v));
        break;
      case DType::I32:
        static_cast<int32_t*>(dst)[i] = static_cast<int32_t>(v);
        break;
      case DType::U8:
        static_cast<uint8_t*>(dst)[i] = static_cast<uint8_t>(v);
        break;
    }
  }
}

template <typename T>
__global__ void fill_kernel(T* dst, T value, int64_t n) {
  SEGRUN_GRID_LOOP(i, n) dst[i] = value;
}

template <typename T>
T host_value(double v);
template <>
float host_value<float>(double v) {
  return static_cast<float>(v);
}
template <>
__half host_value<__half>(double v) {
  return __float2half_rn(static_cast<float>(v));
}

}  // namespace

void binary(BinaryOp op, DType dt, const void* a, const void* b, void* out, const BroadcastShape& shape,
            cudaStream_t stream) {
  int64_t n = 1;
  for (int d = 0; d < shape.rank; ++d) n *= shape.out[d];
  if (n == 0) return;
  dispatch_storage(dt, "binary", [&](auto tag) {
    using T = decltype(tag);
    binary_kernel<T><<<blocks_for(n), kThreads, 0, stream>>>(op, static_cast<const T*>(a), static_cast<const T*>(b),
                                                             static_cast<T*>(out), shape, n);
  });
  SEGRUN_CUDA_CHECK_LAUNCH("binary_kernel");
}

// The unary launchers share one shape: dispatch on dtype, launch over n elements.
#define SEGRUN_UNARY_LAUNCHER(name, kernel, params, args)     \
  void name params {                                          \
    if (n == 0) return;                                       \
    dispatch_storage(dt, #name, [&](auto tag) {               \
      using T = decltype(tag);                                \
      kernel<T><<<blocks_for(n), kThreads, 0, stream>>> args; \
    });                                                       \
    SEGRUN_CUDA_CHECK_LAUNCH(#kernel);                        \
  }

SEGRUN_UNARY_LAUNCHER(scale, scale_kernel,
                      (DType dt, const void* x, float s, void* out, int64_t n, cudaStream_t stream),
                      (static_cast<const T*>(x), s, static_cast<T*>(out), n))
SEGRUN_UNARY_LAUNCHER(relu_forward, relu_forward_kernel,
                      (DType dt, const void* x, void* out, int64_t n, cudaStream_t stream),
                      (static_cast<const T*>(x), static_cast<T*>(out), n))
SEGRUN_UNARY_LAUNCHER(relu_backward, relu_backward_kernel,
                      (DType dt, const void* out, const void* g, void* gx, int64_t n, cudaStream_t stream),
                      (static_cast<const T*>(out), static_cast<const T*>(g), static_cast<T*>(gx), n))
SEGRUN_UNARY_LAUNCHER(sigmoid_forward, sigmoid_forward_kernel,
                      (DType dt, const void* x, void* out, int64_t n, cudaStream_t stream),
                      (static_cast<const T*>(x), static_cast<T*>(out), n))
SEGRUN_UNARY_LAUNCHER(sigmoid_backward, sigmoid_backward_kernel,
                      (DType dt, const void* out, const void* g, void* gx, int64_t n, cudaStream_t stream),
                      (static_cast<const T*>(out), static_cast<const T*>(g), static_cast<T*>(gx), n))
SEGRUN_UNARY_LAUNCHER(add_inplace, add_inplace_kernel,
                      (DType dt, void* dst, const void* src, int64_t n, cudaStream_t stream),
                      (static_cast<T*>(dst), static_cast<const T*>(src), n))
#undef SEGRUN_UNARY_LAUNCHER

void cast(DType src_dtype, const void* src, DType dst_dtype, void* dst, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  cast_kernel<<<blocks_for(n), kThreads, 0, stream>>>(src_dtype, src, dst_dtype, dst, n);
  SEGRUN_CUDA_CHECK_LAUNCH("cast_kernel");
}

void fill(DType dt, void* dst, double value, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  auto launch = [&](auto v) {
    using T = decltype(v);
    fill_kernel<T><<<blocks_for(n), kThreads, 0, stream>>>(static_cast<T*>(dst), v, n);
  };
  switch (dt) {
    case DType::F32:
      launch(host_value<float>(value));
      break;
    case DType::F16:
      launch(host_value<__half>(value));
      break;
    case DType::F64:
      launch(value);
      break;
    case DType::I32:
      launch(static_cast<int32_t>(value));
      break;
    case DType::U8:
      launch(static_cast<uint8_t>(value));
      break;
  }
  SEGRUN_CUDA_CHECK_LAUNCH("fill_kernel");
}

}  // namespace segrun::cuda
