#include "engine/recorded_work.h"

#ifdef SEGRUN_WITH_CUDA
#include "cuda/context.h"
#include "cuda/graph.h"
#endif

namespace segrun {

#ifdef SEGRUN_WITH_CUDA
struct RecordedWork::Impl {
  explicit Impl(const std::function<void()>& work) : graph(work) {}
  cuda::Graph graph;
};

bool RecordedWork::supported(const Device& device) {
  return device.is_cuda() && cuda::device_available();
}

RecordedWork::RecordedWork(const Device& device, const std::function<void()>& work) {
  if (!supported(device)) throw RecordError("recording device work needs a CUDA device, not " + device.str(), true);
  try {
    impl_ = std::make_unique<Impl>(work);
  } catch (const cuda::CaptureError& e) {
    throw RecordError(e.what(), e.recoverable);
  }
}

void RecordedWork::launch() {
  impl_->graph.launch();
}
#else
struct RecordedWork::Impl {};

bool RecordedWork::supported(const Device&) {
  return false;
}

RecordedWork::RecordedWork(const Device& device, const std::function<void()>&) {
  throw RecordError("recording device work needs a CUDA build and device, not " + device.str(), true);
}

void RecordedWork::launch() {}
#endif

RecordedWork::~RecordedWork() = default;
RecordedWork::RecordedWork(RecordedWork&&) noexcept = default;
RecordedWork& RecordedWork::operator=(RecordedWork&&) noexcept = default;

}  // namespace segrun
