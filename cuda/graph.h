#pragma once
// Work launched on the context's stream, recorded once as a CUDA graph and replayed with one
// launch: the training step when its shapes repeat. While recording, the context refuses host
// transfers (a pinned staging buffer would be baked into the graph with whatever it held) and
// tracks the device buffers allocated, so that one outliving the recording is caught: its
// memory belongs to the graph and would be reallocated by the next replay.
#include <cuda_runtime_api.h>

#include <functional>
#include <stdexcept>

namespace segrun::cuda {

// Why a recording failed. `recoverable`: nothing the work allocated outlived it, so the caller
// may run the same work eagerly instead; otherwise tensors made during the recording point at
// memory that was never allocated, and the process must not go on using them.
struct CaptureError : std::runtime_error {
  CaptureError(const std::string& what, bool recoverable) : std::runtime_error(what), recoverable(recoverable) {}
  bool recoverable;
};

class Graph {
 public:
  // Records everything `work` launches; none of it runs until launch(). Throws CaptureError.
  explicit Graph(const std::function<void()>& work);
  ~Graph();
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  // Queues one replay on the context's stream.
  void launch();

 private:
  void destroy() noexcept;

  cudaGraphExec_t exec_ = nullptr;
};

}  // namespace segrun::cuda
