#include "engine/tensor.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <sstream>

#include "engine/autograd.h"
#include "engine/error.h"
#include "engine/half.h"
#include "engine/host_traffic.h"
#include "engine/ops/elementwise.h"
#ifdef SEGRUN_WITH_CUDA
#include "cuda/context.h"
#endif

namespace segrun {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32:
      return 4;
    case DType::F64:
      return 8;
    case DType::F16:
      return 2;
    case DType::I32:
      return 4;
    case DType::U8:
      return 1;
  }
  return 0;
}

std::string Device::str() const {
  return is_cpu() ? "cpu" : "cuda:" + std::to_string(index);
}

Device Device::parse(const std::string& s) {
  if (s == "cpu") return cpu();
  if (s == "cuda" || s == "cuda:0") return cuda(0);
  throw_invalid("device: unknown device '", s, "' (expected cpu or cuda)");
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? "," : "") << shape[i];
  os << "]";
  return os.str();
}

int64_t shape_numel(const Shape& s) {
  // Shapes also come from files (safetensors headers): a wrapped product would pass size checks.
  int64_t n = 1;
  for (int64_t d : s) {
    SEGRUN_CHECK_ARG(d >= 0, "tensor: negative dimension in ", shape_str(s));
    if (__builtin_mul_overflow(n, d, &n)) throw_invalid("tensor: shape ", shape_str(s), " has more than 2^63 elements");
  }
  return n;
}

namespace {
DeviceAllocator g_cuda_allocator_storage;  // set once at CUDA start-up, read-only afterwards
bool g_cuda_allocator_set = false;
constexpr size_t kCpuAlignment = 64;
}  // namespace

void set_cuda_allocator(DeviceAllocator alloc) {
  g_cuda_allocator_storage = std::move(alloc);
  g_cuda_allocator_set = true;
}

const DeviceAllocator* cuda_allocator() {
#ifdef SEGRUN_WITH_CUDA
  // CUDA builds install the backend's allocator on first use unless one was set explicitly.
  static const bool installed = g_cuda_allocator_set || (set_cuda_allocator(cuda::make_device_allocator()), true);
  (void)installed;
#endif
  return g_cuda_allocator_set ? &g_cuda_allocator_storage : nullptr;
}

namespace {
// glibc returns large freed blocks to the kernel at once, so every new activation of a training
// step page-faults afresh (tens of ms per 8 MiB here). Keeping them in the heap makes reuse free.
// Blocks above 32 MiB (a 4x256x512x64 f32 activation is 32 MiB and a little more) are always
// mapped afresh however high the mmap threshold, so no block is mapped on its own at all.
void keep_freed_memory_in_heap() {
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
  });
}
}  // namespace

namespace {
// One tensor larger than the machine's memory is a mistake in a size or a file, not a load to
// try: say so at once instead of a bare std::bad_alloc (or minutes of swapping) later.
void check_fits_host_memory(size_t bytes, const Shape& shape, DType dtype) {
  static const uint64_t physical = [] {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : uint64_t{0};
  }();
  if (physical == 0 || bytes <= physical) return;
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  throw std::runtime_error(cat_str("tensor: shape ", shape_str(shape), " of ", dtype_name(dtype), " needs ",
                                   static_cast<double>(bytes) / kGiB, " GiB, more than this machine's ",
                                   static_cast<double>(physical) / kGiB, " GiB of memory"));
}
}  // namespace

Storage::Storage(size_t bytes, Device device) : bytes_(bytes), device_(device) {
  const size_t n = bytes ? bytes : 1;
  if (device.is_cpu()) {
    keep_freed_memory_in_heap();
    data_ = std::aligned_alloc(kCpuAlignment, (n + kCpuAlignment - 1) / kCpuAlignment * kCpuAlignment);
    if (!data_) throw std::bad_alloc();
  } else {
    const DeviceAllocator* a = cuda_allocator();
    if (!a)
      throw std::runtime_error("tensor: cuda device requested but segrun was built without CUDA or no GPU is present");
    data_ = a->allocate(n);
  }
}

Storage::~Storage() {
  if (device_.is_cpu()) {
    std::free(data_);
  } else if (const DeviceAllocator* a = cuda_allocator()) {
    a->release(data_);
  }
}

void check_defined(const Tensor& t, const char* op, const char* what) {
  SEGRUN_CHECK_ARG(t.defined(), op, ": ", what, " is an undefined tensor");
}

void check_same_device_dtype(const Tensor& a, const Tensor& b, const char* op) {
  SEGRUN_CHECK_ARG(a.device() == b.device(), op, ": tensors on different devices (", a.str(), " vs ", b.str(), ")");
  SEGRUN_CHECK_ARG(a.dtype() == b.dtype(), op, ": dtype mismatch (", a.str(), " vs ", b.str(), ")");
}

void throw_unsupported_dtype(const char* op, DType dt) {
  throw_invalid(op, ": unsupported dtype ", dtype_name(dt), " (expected f32 or f64 here)");
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  SEGRUN_CHECK_ARG(shape.size() <= kMaxDims, "tensor: at most ", kMaxDims, " dims, got ", shape_str(shape));
  for (int64_t d : shape) SEGRUN_CHECK_ARG(d >= 0, "tensor: negative dimension in ", shape_str(shape));
  size_t bytes = 0;
  if (__builtin_mul_overflow(static_cast<size_t>(shape_numel(shape)), dtype_size(dtype), &bytes))
    throw_invalid("tensor: shape ", shape_str(shape), " of ", dtype_name(dtype), " exceeds the address space");
  if (device.is_cpu()) check_fits_host_memory(bytes, shape, dtype);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(bytes, device);
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(impl);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_(0.0);
  return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_(value);
  return t;
}

Tensor Tensor::arange(int64_t n, DType dtype, Device device) {
  Tensor t = empty({n}, DType::F64);
  for (int64_t i = 0; i < n; ++i) t.data<double>()[i] = static_cast<double>(i);
  return t.contiguous_copy_on(device, dtype);
}

namespace {
template <typename T>
Tensor from_typed(const std::vector<T>& v, const Shape& shape, DType dt) {
  SEGRUN_CHECK_ARG(static_cast<int64_t>(v.size()) == shape_numel(shape), "tensor: ", v.size(),
                   " values do not fill shape ", shape_str(shape));
  Tensor t = Tensor::empty(shape, dt);
  if (!v.empty()) std::memcpy(t.raw_data(), v.data(), v.size() * sizeof(T));
  return t;
}
}  // namespace

Tensor Tensor::from_vector(const std::vector<float>& v, const Shape& s) {
  return from_typed(v, s, DType::F32);
}
Tensor Tensor::from_vector(const std::vector<double>& v, const Shape& s) {
  return from_typed(v, s, DType::F64);
}
Tensor Tensor::from_vector(const std::vector<int32_t>& v, const Shape& s) {
  return from_typed(v, s, DType::I32);
}
Tensor Tensor::from_vector(const std::vector<uint8_t>& v, const Shape& s) {
  return from_typed(v, s, DType::U8);
}

const Shape& Tensor::shape() const {
  return impl_->shape;
}

int64_t Tensor::size(int64_t d) const {
  const int64_t n = dim();
  if (d < 0) d += n;
  SEGRUN_CHECK_ARG(d >= 0 && d < n, "tensor: dim ", d, " out of range for ", str());
  return impl_->shape[static_cast<size_t>(d)];
}

int64_t Tensor::numel() const {
  return shape_numel(impl_->shape);
}
DType Tensor::dtype() const {
  return impl_->dtype;
}
Device Tensor::device() const {
  return impl_->storage->device();
}

std::string Tensor::str() const {
  if (!defined()) return "undefined";
  return std::string(dtype_name(dtype())) + shape_str(shape()) + " " + device().str();
}

void* Tensor::raw_data() const {
  return static_cast<char*>(impl_->storage->data()) + impl_->offset * static_cast<int64_t>(dtype_size(impl_->dtype));
}

bool Tensor::same_storage(const Tensor& o) const {
  return impl_->storage == o.impl_->storage;
}

namespace {
Tensor alias(const Tensor& t, const Shape& shape, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = t.impl()->storage;
  impl->offset = offset;
  impl->shape = shape;
  impl->dtype = t.dtype();
  return Tensor(impl);
}
}  // namespace

void move_into(Tensor& t, const Tensor& buffer, int64_t offset) {
  check_defined(t, "move_into", "tensor");
  check_defined(buffer, "move_into", "buffer");
  SEGRUN_CHECK_ARG(buffer.dim() == 1 && offset >= 0 && offset + t.numel() <= buffer.numel(), "move_into: ", t.str(),
                   " does not fit in ", buffer.str(), " at ", offset);
  check_same_device_dtype(t, buffer, "move_into");
  const int64_t start = buffer.impl()->offset + offset;
  Tensor view = alias(buffer, t.shape(), start);
  view.copy_from(t);
  t.impl()->storage = buffer.impl()->storage;
  t.impl()->offset = start;
}

Tensor Tensor::reshape(const Shape& new_shape) const {
  Shape s = new_shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      SEGRUN_CHECK_ARG(infer < 0, "reshape: more than one -1 in ", shape_str(new_shape));
      infer = static_cast<int64_t>(i);
    } else {
      known *= s[i];
    }
  }
  if (infer >= 0 && known > 0) s[static_cast<size_t>(infer)] = numel() / known;
  SEGRUN_CHECK_ARG(shape_numel(s) == numel() && s.size() <= kMaxDims, "reshape: cannot view ", str(), " as ",
                   shape_str(new_shape));
  Tensor out = alias(*this, s, impl_->offset);
  const Shape old = shape();
  return record("reshape", out, {*this}, [old](const Tensor& g) { return std::vector<Tensor>{g.reshape(old)}; });
}

Tensor Tensor::slice(int64_t begin, int64_t end) const {
  SEGRUN_CHECK_ARG(dim() >= 1 && begin >= 0 && begin <= end && end <= size(0), "slice: rows [", begin, ",", end,
                   ") out of range for ", str());
  Shape s = shape();
  s[0] = end - begin;
  const int64_t row = s[0] ? shape_numel(s) / s[0] : shape_numel(Shape(s.begin() + 1, s.end()));
  Tensor out = alias(*this, s, impl_->offset + begin * row);
  const Shape full_shape = shape();
  return record("slice", out, {*this}, [full_shape, begin, row](const Tensor& g) {
    Tensor full = Tensor::zeros(full_shape, g.dtype(), g.device());
    Tensor part = alias(full, g.shape(), begin * row);
    part.copy_from(g);
    return std::vector<Tensor>{full};
  });
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype(), device());
  out.copy_from(*this);
  return out;
}

Tensor Tensor::to(Device d) const {
  if (d == device()) return *this;
  Tensor out = empty(shape(), dtype(), d);
  out.copy_from(*this);
  const Device src = device();
  return record("to_device", out, {*this}, [src](const Tensor& g) { return std::vector<Tensor>{g.to(src)}; });
}

Tensor Tensor::to(DType dt) const {
  return cast(*this, dt);
}

Tensor Tensor::contiguous_copy_on(Device d, DType dt) const {
  Tensor t = dt == dtype() ? *this : cast(detach(), dt);
  Tensor out = empty(shape(), dt, d);
  out.copy_from(t);
  return out;
}

void Tensor::copy_from(const Tensor& src) {
  SEGRUN_CHECK_ARG(src.shape() == shape() && src.dtype() == dtype(), "copy: ", src.str(), " into ", str());
  const size_t n = nbytes();
  if (n == 0 || raw_data() == src.raw_data()) return;
  if (device().is_cpu() && src.device().is_cpu()) {
    std::memcpy(raw_data(), src.raw_data(), n);
    return;
  }
  const DeviceAllocator* a = cuda_allocator();
  if (!a) throw std::runtime_error("copy: cuda tensor in a build without CUDA");
  if (device().is_cuda() && src.device().is_cuda()) {
    a->copy_device(raw_data(), src.raw_data(), n);
  } else {
    if (device().is_cuda())
      detail::count_upload();
    else
      detail::count_download();
    a->copy_host(raw_data(), src.raw_data(), n, device().is_cuda());
  }
}

void Tensor::fill_(double value) {
  fill(*this, value);
}

namespace {
// One element as double, without counting it as a host read (the callers count once per call).
double value_at(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::F32:
      return t.data<float>()[i];
    case DType::F64:
      return t.data<double>()[i];
    case DType::F16:
      return half_to_float(t.data<uint16_t>()[i]);
    case DType::I32:
      return t.data<int32_t>()[i];
    case DType::U8:
      return t.data<uint8_t>()[i];
  }
  return 0;
}
}  // namespace

double Tensor::at(int64_t i) const {
  SEGRUN_CHECK_ARG(device().is_cpu(), "at: tensor is on ", device().str(), "; move it to the cpu first");
  SEGRUN_CHECK_ARG(i >= 0 && i < numel(), "at: index ", i, " out of range for ", str());
  detail::count_value_read();
  return value_at(*this, i);
}

double Tensor::item() const {
  SEGRUN_CHECK_ARG(numel() == 1, "item: tensor ", str(), " is not a single value");
  detail::count_value_read();
  return value_at(device().is_cpu() ? *this : to(Device::cpu()), 0);
}

std::vector<double> Tensor::to_double_vector() const {
  Tensor c = device().is_cpu() ? *this : detach().to(Device::cpu());
  detail::count_value_read();
  std::vector<double> v(static_cast<size_t>(numel()));
  for (int64_t i = 0; i < numel(); ++i) v[static_cast<size_t>(i)] = value_at(c, i);
  return v;
}

std::vector<float> Tensor::to_float_vector() const {
  std::vector<double> d = to_double_vector();
  return std::vector<float>(d.begin(), d.end());
}

bool Tensor::requires_grad() const {
  return impl_->requires_grad;
}

Tensor& Tensor::set_requires_grad(bool r) {
  SEGRUN_CHECK_ARG(!r || is_floating(dtype()), "requires_grad: only floating tensors can require grad, got ", str());
  impl_->requires_grad = r;
  return *this;
}

Tensor Tensor::grad() const {
  return impl_->grad;
}
void Tensor::set_grad(const Tensor& g) {
  impl_->grad = g;
}
std::shared_ptr<Node> Tensor::grad_fn() const {
  return impl_->grad_fn;
}

void Tensor::set_grad_fn(std::shared_ptr<Node> fn) {
  impl_->grad_fn = std::move(fn);
  impl_->requires_grad = impl_->grad_fn != nullptr;
}

Tensor Tensor::detach() const {
  return alias(*this, shape(), impl_->offset);
}

}  // namespace segrun
