#pragma once
// Device work recorded once and replayed with one launch: a CUDA graph (cuda/graph.h) of
// everything the work queues on the device. The training step uses it when its shapes repeat
// (training/step_graph.h). Only on a CUDA device of a build with the CUDA backend.
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "engine/dtype.h"

namespace segrun {

// Why recording failed. `recoverable`: nothing made during the recording outlived it, so the
// work can be run eagerly instead; otherwise tensors made then hold memory that does not
// exist, and the caller must stop.
struct RecordError : std::runtime_error {
  RecordError(const std::string& what, bool recoverable) : std::runtime_error(what), recoverable(recoverable) {}
  bool recoverable;
};

class RecordedWork {
 public:
  // Whether work on `device` can be recorded at all (a CUDA device in a CUDA build).
  static bool supported(const Device& device);

  // Records what `work` queues; none of it runs until launch(). The work must not move data
  // between host and device, and must not keep tensors it creates. Throws RecordError.
  RecordedWork(const Device& device, const std::function<void()>& work);
  ~RecordedWork();
  RecordedWork(RecordedWork&&) noexcept;
  RecordedWork& operator=(RecordedWork&&) noexcept;

  // Queues one replay behind the work already queued.
  void launch();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace segrun
