#include "engine/cpu/elementwise.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "engine/error.h"
#include "engine/half.h"

namespace segrun::cpu {

std::vector<int64_t> broadcast_strides(const Shape& s, const Shape& out) {
  std::vector<int64_t> st(out.size(), 0);
  int64_t stride = 1;
  for (size_t i = out.size(); i-- > 0;) {
    st[i] = (s[i] == 1 && out[i] != 1) ? 0 : stride;
    stride *= s[i];
  }
  return st;
}

namespace {
constexpr int64_t kParallelMin = 1 << 14;  // below this, threads cost more than they save
// Elements per chunk. Chunks go to whichever thread is free, so a thread the system preempts
// does not hold up the others at the loop's end; each element is computed on its own, so the
// split never changes a result.
constexpr int64_t kParallelChunk = 1 << 14;

template <typename T>
inline T apply(BinaryOp op, T x, T y) {
  switch (op) {
    case BinaryOp::Add:
      return x + y;
    case BinaryOp::Sub:
      return x - y;
    case BinaryOp::Mul:
      return x * y;
  }
  return x;
}
}  // namespace

template <typename T>
void binary(BinaryOp op, const T* a, const Shape& sa, const T* b, const Shape& sb, T* out, const Shape& so) {
  const int64_t n = shape_numel(so);
  if (sa == so && sb == so) {
#pragma omp parallel for schedule(dynamic, kParallelChunk) if (n > kParallelMin)
    for (int64_t i = 0; i < n; ++i) out[i] = apply(op, a[i], b[i]);
    return;
  }
  const size_t rank = so.size();
  const int64_t inner = rank ? so[rank - 1] : 1;
  const int64_t rows = inner ? n / inner : 0;
  const std::vector<int64_t> st_a = broadcast_strides(sa, so), st_b = broadcast_strides(sb, so);
  const int64_t ia = rank ? st_a[rank - 1] : 0, ib = rank ? st_b[rank - 1] : 0;
#pragma omp parallel for if (n > kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t oa = 0, ob = 0, rem = r;
    for (size_t d = rank - 1; d-- > 0;) {
      const int64_t idx = rem % so[d];
      rem /= so[d];
      oa += idx * st_a[d];
      ob += idx * st_b[d];
    }
    T* o = out + r * inner;
    for (int64_t i = 0; i < inner; ++i) o[i] = apply(op, a[oa + i * ia], b[ob + i * ib]);
  }
}

template <typename T>
void scale(const T* x, T s, T* out, int64_t n) {
#pragma omp parallel for schedule(dynamic, kParallelChunk) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * s;
}

template <typename T>
void relu_forward(const T* x, T* out, int64_t n) {
#pragma omp parallel for schedule(dynamic, kParallelChunk) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] > T(0) ? x[i] : T(0);
}

template <typename T>
void relu_backward(const T* out, const T* g, T* gx, int64_t n) {
#pragma omp parallel for schedule(dynamic, kParallelChunk) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) gx[i] = out[i] > T(0) ? g[i] : T(0);
}

template <typename T>
void sigmoid_forward(const T* x, T* out, int64_t n) {
#pragma omp parallel for schedule(dynamic, kParallelChunk) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = T(1) / (T(1) + std::exp(-x[i]));
}

template <typename T>
void sigmoid_backward(const T* out, const T* g, T* gx, int64_t n) {
#pragma omp parallel for schedule(dynamic, kParallelChunk) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) gx[i] = g[i] * out[i] * (T(1) - out[i]);
}

template <typename T>
void add_inplace(T* dst, const T* src, int64_t n) {
#pragma omp parallel for schedule(dynamic, kParallelChunk) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
}

namespace {
template <typename Src>
double load(const void* p, int64_t i) {
  return static_cast<double>(static_cast<const Src*>(p)[i]);
}

double load_any(DType dt, const void* p, int64_t i) {
  switch (dt) {
    case DType::F32:
      return load<float>(p, i);
    case DType::F64:
      return load<double>(p, i);
    case DType::F16:
      return half_to_float(static_cast<const uint16_t*>(p)[i]);
    case DType::I32:
      return load<int32_t>(p, i);
    case DType::U8:
      return load<uint8_t>(p, i);
  }
  return 0;
}

void store_any(DType dt, void* p, int64_t i, double v) {
  switch (dt) {
    case DType::F32:
      static_cast<float*>(p)[i] = static_cast<float>(v);
      break;
    case DType::F64:
      static_cast<double*>(p)[i] = v;
      break;
    case DType::F16:
      static_cast<uint16_t*>(p)[i] = float_to_half(static_cast<float>(v));
      break;
    case DType::I32:
      static_cast<int32_t*>(p)[i] = static_cast<int32_t>(v);
      break;
    case DType::U8:
      static_cast<uint8_t*>(p)[i] = static_cast<uint8_t>(v);
      break;
  }
}
}  // namespace

void cast(const Tensor& src, Tensor& dst) {
  const int64_t n = src.numel();
  const DType sd = src.dtype(), dd = dst.dtype();
  const void* s = src.raw_data();
  void* d = dst.raw_data();
  if (sd == DType::F32 && dd == DType::F16) {
    const float* sf = static_cast<const float*>(s);
    uint16_t* dh = static_cast<uint16_t*>(d);
#pragma omp parallel for schedule(dynamic, kParallelChunk) if (n > kParallelMin)
    for (int64_t i = 0; i < n; ++i) dh[i] = float_to_half(sf[i]);
    return;
  }
#pragma omp parallel for schedule(dynamic, kParallelChunk) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) store_any(dd, d, i, load_any(sd, s, i));
}

void fill(Tensor& t, double value) {
  const int64_t n = t.numel();
  void* d = t.raw_data();
  if (value == 0.0) {
    std::memset(d, 0, t.nbytes());
    return;
  }
  for (int64_t i = 0; i < n; ++i) store_any(t.dtype(), d, i, value);
}

#define SEGRUN_INSTANTIATE(T)                                                                          \
  template void binary<T>(BinaryOp, const T*, const Shape&, const T*, const Shape&, T*, const Shape&); \
  template void scale<T>(const T*, T, T*, int64_t);                                                    \
  template void relu_forward<T>(const T*, T*, int64_t);                                                \
  template void relu_backward<T>(const T*, const T*, T*, int64_t);                                     \
  template void sigmoid_forward<T>(const T*, T*, int64_t);                                             \
  template void sigmoid_backward<T>(const T*, const T*, T*, int64_t);                                  \
  template void add_inplace<T>(T*, const T*, int64_t);
SEGRUN_INSTANTIATE(float)
SEGRUN_INSTANTIATE(double)
#undef SEGRUN_INSTANTIATE

}  // namespace segrun::cpu
