#include "cuda/readback.h"

#include <cstdio>
#include <cstring>
#include <vector>

#include "cuda/check.h"
#include "cuda/context.h"

namespace segrun::cuda {

PinnedReadback::PinnedReadback(size_t bytes) : bytes_(bytes) {
  SEGRUN_CUDA_CHECK(cudaMallocHost(&pinned_, bytes_ ? bytes_ : 1));
  SEGRUN_CUDA_CHECK(cudaEventCreateWithFlags(&done_, cudaEventDisableTiming));
}

PinnedReadback::~PinnedReadback() {
  // Never throws: an error here is reported and the memory left to the process's end.
  if (done_ && cudaEventDestroy(done_) != cudaSuccess) std::fprintf(stderr, "segrun: cudaEventDestroy failed\n");
  if (pinned_ && cudaFreeHost(pinned_) != cudaSuccess) std::fprintf(stderr, "segrun: cudaFreeHost failed\n");
}

void PinnedReadback::start(const void* device_src) {
  const cudaStream_t stream = context().stream();
  SEGRUN_CUDA_CHECK(cudaMemcpyAsync(pinned_, device_src, bytes_, cudaMemcpyDeviceToHost, stream));
  SEGRUN_CUDA_CHECK(cudaEventRecord(done_, stream));
}

void PinnedReadback::finish(void* host_dst) {
  SEGRUN_CUDA_CHECK(cudaEventSynchronize(done_));
  std::memcpy(host_dst, pinned_, bytes_);
}

namespace {
// Used from the context's one host thread (cuda/context.h).
std::vector<std::unique_ptr<PinnedReadback>>& spare_readbacks() {
  static std::vector<std::unique_ptr<PinnedReadback>> spare;
  return spare;
}
}  // namespace

std::unique_ptr<PinnedReadback> acquire_readback(size_t bytes) {
  auto& spare = spare_readbacks();
  for (auto it = spare.begin(); it != spare.end(); ++it) {
    if ((*it)->bytes() == bytes) {
      std::unique_ptr<PinnedReadback> found = std::move(*it);
      spare.erase(it);
      return found;
    }
  }
  return std::make_unique<PinnedReadback>(bytes);
}

void recycle_readback(std::unique_ptr<PinnedReadback> readback) {
  constexpr size_t kMaxSpare = 8;  // a few sizes in flight at most (training, validation)
  auto& spare = spare_readbacks();
  if (readback && spare.size() < kMaxSpare) spare.push_back(std::move(readback));
}

}  // namespace segrun::cuda
