#pragma once
// A small device buffer copied to pinned host memory without waiting: the copy is queued on the
// context's stream behind the work that writes the buffer, and an event marks its end, so the
// host waits only when it takes the values (typically one training step later).
#include <cuda_runtime_api.h>

#include <cstddef>
#include <memory>

namespace segrun::cuda {

class PinnedReadback {
 public:
  explicit PinnedReadback(size_t bytes);
  ~PinnedReadback();
  PinnedReadback(const PinnedReadback&) = delete;
  PinnedReadback& operator=(const PinnedReadback&) = delete;

  size_t bytes() const { return bytes_; }
  void start(const void* device_src);  // copies the constructor's `bytes`
  void finish(void* host_dst);         // waits for that copy only

 private:
  size_t bytes_ = 0;
  void* pinned_ = nullptr;
  cudaEvent_t done_ = nullptr;
};

// Pinned buffers are slow to allocate (and allocating may synchronise the device), so finished
// ones are kept for reuse: a training step takes one and gives it back every step.
std::unique_ptr<PinnedReadback> acquire_readback(size_t bytes);
void recycle_readback(std::unique_ptr<PinnedReadback> readback);

}  // namespace segrun::cuda
