#include "cuda/check.h"
#include "cuda/elementwise.h"
#include "cuda/kernels.cuh"

namespace segrun::cuda {

namespace {

__device__ __forceinline__ float apply(BinaryOp op, float x, float y) {
  return op == BinaryOp::Add ? x + y : (op == BinaryOp::Sub ? x - y : x * y);
}

// Operands of the output's own shape: no index arithmetic at all.
template <typename T, typename Index>
__global__ void same_shape_kernel(BinaryOp op, const T* a, const T* b, T* out, Index n) {
  SEGRUN_GRID_LOOP_AS(Index, i, n) out[i] = from_float<T>(apply(op, to_float(a[i]), to_float(b[i])));
}

template <typename Index>
struct Strides {
  int rank = 0;
  Index out[kMaxRank] = {};
  Index a[kMaxRank] = {};
  Index b[kMaxRank] = {};
};

template <typename T, typename Index>
__global__ void broadcast_kernel(BinaryOp op, const T* a, const T* b, T* out, Strides<Index> s, Index n) {
  SEGRUN_GRID_LOOP_AS(Index, i, n) {
    Index rem = i, ia = 0, ib = 0;
    for (int d = s.rank - 1; d >= 0; --d) {
      const Index coord = rem % s.out[d];
      rem /= s.out[d];
      ia += coord * s.a[d];
      ib += coord * s.b[d];
    }
    out[i] = from_float<T>(apply(op, to_float(a[ia]), to_float(b[ib])));
  }
}

// The shape with size-1 dims dropped and neighbouring dims merged wherever both operands
// step through them as through one dim: [N, H, W, C] + [1, 1, 1, C] becomes [N*H*W, C], so
// each element costs one division instead of four.
BroadcastShape merge_dims(const BroadcastShape& s) {
  BroadcastShape m;
  for (int d = 0; d < s.rank; ++d) {
    if (s.out[d] == 1) continue;
    const int last = m.rank - 1;
    if (last >= 0 && m.stride_a[last] == s.stride_a[d] * s.out[d] && m.stride_b[last] == s.stride_b[d] * s.out[d]) {
      m.out[last] *= s.out[d];
      m.stride_a[last] = s.stride_a[d];
      m.stride_b[last] = s.stride_b[d];
      continue;
    }
    m.out[m.rank] = s.out[d];
    m.stride_a[m.rank] = s.stride_a[d];
    m.stride_b[m.rank] = s.stride_b[d];
    ++m.rank;
  }
  return m;
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
    // f64 and i32 sources are read exactly (a float holds integers only up to 2^24).
    const double v = sd == DType::F64   ? static_cast<const double*>(src)[i]
                     : sd == DType::I32 ? static_cast<double>(static_cast<const int32_t*>(src)[i])
                                        : static_cast<double>(load_any(sd, src, i));
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
  const BroadcastShape m = merge_dims(shape);
  // One dim left with unit strides: both operands have the output's shape.
  const bool same_shape = m.rank == 0 || (m.rank == 1 && m.stride_a[0] == 1 && m.stride_b[0] == 1);
  dispatch_storage(dt, "binary", [&](auto tag) {
    using T = decltype(tag);
    const T* at = static_cast<const T*>(a);
    const T* bt = static_cast<const T*>(b);
    dispatch_index(n, [&](auto index) {
      using Index = decltype(index);
      if (same_shape) {
        same_shape_kernel<T, Index>
            <<<blocks_for(n), kThreads, 0, stream>>>(op, at, bt, static_cast<T*>(out), static_cast<Index>(n));
        return;
      }
      Strides<Index> s;
      s.rank = m.rank;
      for (int d = 0; d < m.rank; ++d) {
        s.out[d] = static_cast<Index>(m.out[d]);
        s.a[d] = static_cast<Index>(m.stride_a[d]);
        s.b[d] = static_cast<Index>(m.stride_b[d]);
      }
      broadcast_kernel<T, Index>
          <<<blocks_for(n), kThreads, 0, stream>>>(op, at, bt, static_cast<T*>(out), s, static_cast<Index>(n));
    });
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
