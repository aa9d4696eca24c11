#pragma once
// The CUDA context: one stream with the cuBLAS(Lt) and cuDNN handles bound to it, the
// stream-ordered memory pool, scratch workspace, pinned staging for host transfers and the
// per-shape convolution plans. Created on first use; used from one host thread.
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <cstddef>
#include <unordered_set>
#include <vector>

#include "cuda/conv_plan.h"
#include "engine/backend_info.h"
#include "engine/tensor.h"

namespace segrun::cuda {

// What a graph recording did with memory: buffers it allocated that are still held, and
// buffers made before it that it released (freed when the recording ends).
struct CaptureTracking {
  size_t still_held = 0;
  size_t released_older = 0;
};

class CudaContext {
 public:
  CudaContext();
  CudaContext(const CudaContext&) = delete;
  CudaContext& operator=(const CudaContext&) = delete;

  cudaStream_t stream() const { return stream_; }
  cublasHandle_t cublas() const { return cublas_; }
  cublasLtHandle_t cublas_lt() const { return cublas_lt_; }
  cudnnHandle_t cudnn() const { return cudnn_; }

  // Stream-ordered device memory; throws "out of memory" with the requested size.
  void* allocate(size_t bytes);
  // Never throws (called from destructors); a failure is reported on stderr.
  void release(void* ptr) noexcept;
  // Scratch memory valid until the next workspace() call (stream order keeps reuse safe).
  // When it grows while a graph is alive, the old block is kept until no graph is: replays
  // may still use it.
  void* workspace(size_t bytes);

  // Host to device returns without waiting for the device (see upload); device to host waits
  // for the values.
  void copy_host(void* dst, const void* src, size_t bytes, bool to_device);
  void copy_device(void* dst, const void* src, size_t bytes);
  void zero(void* dst, size_t bytes);
  void synchronize();
  // Waits for the stream and returns the pool's unused cached blocks to the driver.
  void release_cached_memory();

  ConvPlanCache& conv_plans() { return conv_plans_; }

  // While a CUDA graph records the stream (cuda/graph.h): host transfers throw, the buffers
  // allocated are tracked, and releasing an older buffer is deferred to the end.
  bool capturing() const { return capturing_; }
  void start_capture_tracking();
  CaptureTracking stop_capture_tracking();
  // Instantiated graphs (cuda::Graph), which may name the workspace.
  void graph_created() { ++graphs_alive_; }
  void graph_destroyed();

  // The most device memory in use since the reset: the pool's high-water mark
  // (cudaMemPoolAttrUsedMemHigh) plus that of the graphs' own allocations
  // (cudaGraphMemAttrUsedMemHigh), which a replayed step makes outside the pool.
  int64_t memory_peak_bytes();
  void reset_memory_peak();

 private:
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  cublasLtHandle_t cublas_lt_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  void* cublas_workspace_ = nullptr;
  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;
  int64_t graphs_alive_ = 0;
  std::vector<void*> retired_workspaces_;  // outgrown while graphs were alive: freed with the last
  // Host-to-device copies go through a ring of pinned slots, each marked by an event when its
  // copy has run, so an upload (a training batch) never waits for the queued work before it.
  void upload(void* dst, const void* src, size_t bytes);
  static constexpr int kUploadSlots = 4;
  struct UploadSlot {
    void* pinned = nullptr;
    cudaEvent_t copied = nullptr;
  };
  UploadSlot upload_slots_[kUploadSlots];
  int next_upload_slot_ = 0;
  void* staging_ = nullptr;  // pinned host buffer for device-to-host transfers
  ConvPlanCache conv_plans_;
  bool capturing_ = false;
  std::unordered_set<void*> captured_allocations_;
  std::vector<void*> released_while_capturing_;
};

// The process's context, created on first call. Throws when no GPU is usable.
CudaContext& context();

// True when the runtime sees at least one GPU; never throws.
bool device_available();

// cudaProfilerStart (on) or cudaProfilerStop (off).
void profiler_range(bool on);

// The allocator hook the engine's Storage uses for cuda tensors.
DeviceAllocator make_device_allocator();

// Versions and device name for `segrun version`; never throws.
CudaInfo query_info();

}  // namespace segrun::cuda
