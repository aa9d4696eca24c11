#pragma once
// Values of a small f64 tensor brought to the host without stalling the device: start() queues
// the copy behind the work already launched (on CUDA into pinned memory, marked by an event;
// a CPU tensor is copied at once) and take() waits for that copy alone. A training step starts
// one for its record and the loop takes it after launching the next step, so the host never
// waits for the device inside a step.
#include <memory>
#include <vector>

#include "engine/tensor.h"

namespace segrun {

class Readback {
 public:
  Readback();
  ~Readback();
  Readback(Readback&&) noexcept;
  Readback& operator=(Readback&&) noexcept;

  // f64, any device. A CUDA tensor is kept alive until take(). Work queued on the stream after
  // start() may overwrite it (the copy runs first, in stream order; a replayed training graph
  // relies on that); nothing else may write it before take().
  void start(const Tensor& values);
  bool started() const { return size_ > 0; }
  int64_t size() const { return size_; }
  // The values (waits for the copy if it has not arrived); one value read in engine/host_traffic.h.
  std::vector<double> take();

 private:
  struct Pinned;
  int64_t size_ = 0;
  std::vector<double> host_;        // a CPU source's copy
  std::unique_ptr<Pinned> pinned_;  // a CUDA source's copy in flight
};

}  // namespace segrun
