#include "cuda/check.h"
#include "cuda/elementwise.h"
#include "cuda/kernels.cuh"

namespace segrun::cuda {

namespace {

template <typename T>
__global__ void binary_kernel(BinaryKind op, const T* a, const T* b, T* out, BroadcastShape s, int64_t n) {
  SEGRUN_GRID_LOOP(i, n) {
    int64_t rem = i, ia = 0, ib = 0;
    for (int d = s.rank - 1; d >= 0; --d) {
      const int64_t coord = rem % s.out[d];
      rem /= s.out[d];
      ia += coord * s.stride_a[d];
      ib += coord * s.stride_b[d];
    }
    const float x = to_float(a[ia]), y = to_float(b[ib]);
    const float r = op == BinaryKind::Add ? x + y : (op == BinaryKind::Sub ? x - y : x * y);
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

// One block per destination element; its threads walk the summed source elements.
template <typename T>
__global__ void sum_to_kernel(const T* g, T* out, ReduceShape s, int64_t summed) {
  const int64_t o = blockIdx.x;
  int64_t kept_offset = 0, rem = o, stride = 1;
  int64_t in_stride[kMaxRank];
  for (int d = s.rank - 1; d >= 0; --d) {
    in_stride[d] = stride;
    stride *= s.in[d];
  }
  for (int d = s.rank - 1; d >= 0; --d) {
    const int64_t coord = rem % s.out[d];
    rem /= s.out[d];
    kept_offset += coord * in_stride[d];
  }
  float acc = 0.0f;
  for (int64_t k = threadIdx.x; k < summed; k += blockDim.x) {
    int64_t r = k, offset = kept_offset;
    for (int d = s.rank - 1; d >= 0; --d) {
      if (s.out[d] != 1 || s.in[d] == 1) continue;
      offset += (r % s.in[d]) * in_stride[d];
      r /= s.in[d];
    }
    acc += to_float(g[offset]);
  }
  acc = block_sum(acc);
  if (threadIdx.x == 0) out[o] = from_float<T>(acc);
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
__global__ void partial_sum_kernel(const T* x, int64_t n, float* partial) {
  float acc = 0.0f;
  SEGRUN_GRID_LOOP(i, n) acc += to_float(x[i]);
  acc = block_sum(acc);
  if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

template <typename T>
__global__ void final_sum_kernel(const float* partial, int count, T* out) {
  float acc = 0.0f;
  for (int i = threadIdx.x; i < count; i += blockDim.x) acc += partial[i];
  acc = block_sum(acc);
  if (threadIdx.x == 0) out[0] = from_float<T>(acc);
}

template <typename T>
__global__ void broadcast_scalar_kernel(const T* value, float multiplier, T* out, int64_t n) {
  const float v = to_float(value[0]) * multiplier;
  SEGRUN_GRID_LOOP(i, n) out[i] = from_float<T>(v);
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

void binary(BinaryKind op, DType dt, const void* a, const void* b, void* out, const BroadcastShape& shape,
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

void sum_to(DType dt, const void* g, void* out, const ReduceShape& shape, cudaStream_t stream) {
  int64_t outputs = 1, summed = 1;
  for (int d = 0; d < shape.rank; ++d) {
    outputs *= shape.out[d];
    if (shape.out[d] == 1) summed *= shape.in[d];
  }
  if (outputs == 0) return;
  dispatch_storage(dt, "sum_to", [&](auto tag) {
    using T = decltype(tag);
    sum_to_kernel<T><<<static_cast<unsigned>(outputs), kThreads, 0, stream>>>(static_cast<const T*>(g),
                                                                              static_cast<T*>(out), shape, summed);
  });
  SEGRUN_CUDA_CHECK_LAUNCH("sum_to_kernel");
}

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

void sum(DType dt, const void* x, int64_t n, void* out, float* scratch, cudaStream_t stream) {
  const int blocks =
      static_cast<int>(std::min<int64_t>(kSumScratchFloats, std::max<int64_t>(1, (n + kThreads - 1) / kThreads)));
  dispatch_storage(dt, "sum", [&](auto tag) {
    using T = decltype(tag);
    partial_sum_kernel<T><<<blocks, kThreads, 0, stream>>>(static_cast<const T*>(x), n, scratch);
    final_sum_kernel<T><<<1, 1024, 0, stream>>>(scratch, blocks, static_cast<T*>(out));
  });
  SEGRUN_CUDA_CHECK_LAUNCH("sum_kernel");
}

void broadcast_scalar(DType dt, const void* value, float multiplier, void* out, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  dispatch_storage(dt, "broadcast_scalar", [&](auto tag) {
    using T = decltype(tag);
    broadcast_scalar_kernel<T>
        <<<blocks_for(n), kThreads, 0, stream>>>(static_cast<const T*>(value), multiplier, static_cast<T*>(out), n);
  });
  SEGRUN_CUDA_CHECK_LAUNCH("broadcast_scalar_kernel");
}

}  // namespace segrun::cuda
