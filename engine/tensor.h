#pragma once
// Tensor: a cheap, shared handle to a contiguous block of typed elements on one device.
// Views are reshapes or leading-dimension slices of the same storage.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/dtype.h"

namespace segrun {

using Shape = std::vector<int64_t>;
constexpr size_t kMaxDims = 5;

int64_t shape_numel(const Shape& s);

// Raw bytes on one device. CUDA storage is allocated through a hook the CUDA backend installs,
// so the engine does not depend on the CUDA runtime when built without it.
class Storage {
 public:
  Storage(size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  Device device_;
};

struct DeviceAllocator {
  std::function<void*(size_t)> allocate;
  std::function<void(void*)> release;
  std::function<void(void* dst, const void* src, size_t bytes, bool to_device)> copy_host;  // host<->device
  std::function<void(void* dst, const void* src, size_t bytes)> copy_device;                // device->device
  std::function<void(void* dst, size_t bytes)> zero;
};
// CUDA builds install the backend's allocator (cuda/context.cpp) on first use; absent in
// CPU-only builds.
void set_cuda_allocator(DeviceAllocator alloc);
const DeviceAllocator* cuda_allocator();

struct Node;
struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // Creation. Uninitialised memory for `empty`.
  static Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::F32, Device device = Device::cpu());
  static Tensor arange(int64_t n, DType dtype = DType::F32, Device device = Device::cpu());
  static Tensor from_vector(const std::vector<float>& v, const Shape& shape);
  static Tensor from_vector(const std::vector<double>& v, const Shape& shape);
  static Tensor from_vector(const std::vector<int32_t>& v, const Shape& shape);
  static Tensor from_vector(const std::vector<uint8_t>& v, const Shape& shape);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t numel() const;
  DType dtype() const;
  Device device() const;
  bool is_cuda() const { return device().is_cuda(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }
  std::string str() const;  // e.g. "f32[2,8,8,3] cpu"

  void* raw_data() const;
  template <typename T>
  T* data() const {
    return static_cast<T*>(raw_data());
  }

  // Views sharing storage (autograd-aware: gradients flow back through them).
  Tensor reshape(const Shape& shape) const;
  Tensor slice(int64_t begin, int64_t end) const;  // along dim 0

  // Copies.
  Tensor clone() const;
  Tensor to(Device device) const;
  Tensor to(DType dtype) const;  // cast (autograd-aware between floating types)
  Tensor contiguous_copy_on(Device device, DType dtype) const;
  void copy_from(const Tensor& src);  // same shape; any device / same dtype; not recorded
  void fill_(double value);
  void zero_() { fill_(0.0); }

  // Element access on CPU tensors, as double (tests, small utilities).
  double item() const;
  double at(int64_t flat_index) const;
  std::vector<double> to_double_vector() const;
  std::vector<float> to_float_vector() const;

  // Autograd.
  bool requires_grad() const;
  Tensor& set_requires_grad(bool r);
  Tensor grad() const;
  void set_grad(const Tensor& g);
  std::shared_ptr<Node> grad_fn() const;
  void set_grad_fn(std::shared_ptr<Node> fn);
  Tensor detach() const;  // same storage, no history

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same_storage(const Tensor& o) const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  // in elements
  Shape shape;
  DType dtype = DType::F32;
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
};

// Copies t's values into `buffer` (1-d, same dtype and device) from element `offset` and makes
// t a view of the buffer there: every handle to t sees the buffer from then on. Flat parameter
// buffers (nn/optim.h) are built this way.
void move_into(Tensor& t, const Tensor& buffer, int64_t offset);

// Throws std::invalid_argument naming `op` and `what` unless t is defined.
void check_defined(const Tensor& t, const char* op, const char* what);
void check_same_device_dtype(const Tensor& a, const Tensor& b, const char* op);

[[noreturn]] void throw_unsupported_dtype(const char* op, DType dt);

// Calls f(T{}) with T = float or double for f32/f64 tensors; throws for other dtypes.
template <typename F>
auto dispatch_float(DType dt, const char* op, F&& f) {
  if (dt == DType::F32) return f(float{});
  if (dt == DType::F64) return f(double{});
  throw_unsupported_dtype(op, dt);
}

}  // namespace segrun
