#include "engine/readback.h"

#include <cstring>

#include "engine/error.h"
#include "engine/host_traffic.h"
#ifdef SEGRUN_WITH_CUDA
#include "cuda/readback.h"
#endif

namespace segrun {

#ifdef SEGRUN_WITH_CUDA
struct Readback::Pinned {
  explicit Pinned(size_t bytes) : copy(cuda::acquire_readback(bytes)) {}
  ~Pinned() { cuda::recycle_readback(std::move(copy)); }
  std::unique_ptr<cuda::PinnedReadback> copy;
  Tensor source;  // keeps the device buffer alive until the copy has been taken
};
#else
struct Readback::Pinned {};
#endif

Readback::Readback() = default;
Readback::~Readback() = default;
Readback::Readback(Readback&&) noexcept = default;
Readback& Readback::operator=(Readback&&) noexcept = default;

void Readback::start(const Tensor& values) {
  check_defined(values, "readback", "values");
  SEGRUN_CHECK_ARG(values.dtype() == DType::F64 && values.numel() > 0, "readback: values must be non-empty f64, got ",
                   values.str());
  size_ = values.numel();
  if (values.device().is_cpu()) {
    host_.assign(values.data<double>(), values.data<double>() + size_);
    pinned_.reset();
    return;
  }
#ifdef SEGRUN_WITH_CUDA
  pinned_ = std::make_unique<Pinned>(static_cast<size_t>(size_) * sizeof(double));
  pinned_->source = values;
  pinned_->copy->start(values.raw_data());
#else
  throw_invalid("readback: no device backend for ", values.str());
#endif
}

std::vector<double> Readback::take() {
  SEGRUN_CHECK_ARG(started(), "readback: take() before start()");
  detail::count_value_read();
  std::vector<double> out(static_cast<size_t>(size_));
#ifdef SEGRUN_WITH_CUDA
  if (pinned_) {
    pinned_->copy->finish(out.data());
    pinned_.reset();
    size_ = 0;
    return out;
  }
#endif
  out.swap(host_);
  size_ = 0;
  return out;
}

}  // namespace segrun
