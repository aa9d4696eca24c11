#include "cuda/context.h"

#include <cuda_profiler_api.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "cuda/check.h"

namespace segrun::cuda {

namespace {
constexpr size_t kStagingBytes = size_t{8} << 20;           // pinned chunk for host transfers
constexpr size_t kCublasWorkspaceBytes = size_t{32} << 20;  // fixed, so CUDA-graph capture is legal
constexpr double kMiB = 1024.0 * 1024.0;

std::string where(const char* op, const char* file, int line) {
  return std::string(file) + ":" + std::to_string(line) + ": " + op + " failed: ";
}

std::string version_string(int major, int minor, int patch = -1) {
  std::string s = std::to_string(major) + "." + std::to_string(minor);
  return patch >= 0 ? s + "." + std::to_string(patch) : s;
}
}  // namespace

void throw_cuda_error(cudaError_t status, const char* op, const char* file, int line) {
  throw std::runtime_error(where(op, file, line) + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")");
}

void throw_cublas_error(cublasStatus_t status, const char* op, const char* file, int line) {
  throw std::runtime_error(where(op, file, line) + cublasGetStatusName(status) + " (" + cublasGetStatusString(status) +
                           ")");
}

void throw_cudnn_error(cudnnStatus_t status, const char* op, const char* file, int line) {
  throw std::runtime_error(where(op, file, line) + cudnnGetErrorString(status));
}

bool sync_after_each_launch() {
  static const bool enabled = [] {
    const char* value = std::getenv("SEGRUN_CUDA_SYNC");
    return value != nullptr && *value != '\0' && std::strcmp(value, "0") != 0;
  }();
  return enabled;
}

namespace {
// The context once its constructor has finished. sync_check runs after the library calls of that
// constructor too, and asking context() for the instance it is still building would wait on
// its own initialisation forever.
std::atomic<CudaContext*> g_built_context{nullptr};
}  // namespace

void sync_check(const char* op, const char* file, int line) {
  if (!sync_after_each_launch()) return;
  // Nothing runs while a graph records, and waiting would invalidate the recording.
  const CudaContext* ctx = g_built_context.load();
  if (ctx && ctx->capturing()) return;
  const cudaError_t status = cudaDeviceSynchronize();
  if (status != cudaSuccess) throw_cuda_error(status, op, file, line);
}

CudaContext::CudaContext() {
  SEGRUN_CUDA_CHECK(cudaSetDevice(0));
  SEGRUN_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  // Keep freed blocks in the pool instead of returning them to the driver after every sync.
  cudaMemPool_t pool = nullptr;
  SEGRUN_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, 0));
  uint64_t keep_all = UINT64_MAX;
  SEGRUN_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep_all));
  SEGRUN_CUBLAS_CHECK(cublasCreate(&cublas_));
  SEGRUN_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
  SEGRUN_CUDA_CHECK(cudaMalloc(&cublas_workspace_, kCublasWorkspaceBytes));
  SEGRUN_CUBLAS_CHECK(cublasSetWorkspace(cublas_, cublas_workspace_, kCublasWorkspaceBytes));
  SEGRUN_CUBLAS_CHECK(cublasLtCreate(&cublas_lt_));
  SEGRUN_CUDNN_CHECK(cudnnCreate(&cudnn_));
  SEGRUN_CUDNN_CHECK(cudnnSetStream(cudnn_, stream_));
  SEGRUN_CUDA_CHECK(cudaMallocHost(&staging_, kStagingBytes));
  for (UploadSlot& slot : upload_slots_) {
    SEGRUN_CUDA_CHECK(cudaMallocHost(&slot.pinned, kStagingBytes));
    SEGRUN_CUDA_CHECK(cudaEventCreateWithFlags(&slot.copied, cudaEventDisableTiming));
  }
}

void* CudaContext::allocate(size_t bytes) {
  void* ptr = nullptr;
  const cudaError_t status = cudaMallocAsync(&ptr, bytes, stream_);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear the error so later calls are not affected
    size_t free_bytes = 0, total_bytes = 0;
    cudaMemGetInfo(&free_bytes, &total_bytes);
    char msg[200];
    std::snprintf(msg, sizeof msg,
                  "cuda: out of memory allocating %zu bytes (%.1f MiB); %.1f of %.1f MiB free on cuda:0", bytes,
                  bytes / kMiB, free_bytes / kMiB, total_bytes / kMiB);
    throw std::runtime_error(msg);
  }
  if (status != cudaSuccess) throw_cuda_error(status, "cudaMallocAsync", __FILE__, __LINE__);
  if (capturing_) captured_allocations_.insert(ptr);
  return ptr;
}

void CudaContext::release(void* ptr) noexcept {
  if (capturing_) {
    // A free recorded in a graph may only name the graph's own allocations; a buffer made
    // before the recording is freed once it ends (and the recording is refused: its work
    // might have read the buffer, which a replay would find gone).
    if (captured_allocations_.erase(ptr) == 0) {
      released_while_capturing_.push_back(ptr);
      return;
    }
  }
  const cudaError_t status = cudaFreeAsync(ptr, stream_);
  if (status != cudaSuccess)
    std::fprintf(stderr, "segrun: cudaFreeAsync failed: %s (%s)\n", cudaGetErrorName(status),
                 cudaGetErrorString(status));
}

void* CudaContext::workspace(size_t bytes) {
  if (bytes > workspace_bytes_) {
    // A recorded step must find the workspace its eager warm-up sized: a new one made now
    // would belong to the graph.
    if (capturing_) {
      throw std::runtime_error("cuda: the convolution workspace grows to " + std::to_string(bytes) +
                               " bytes while recording a CUDA graph");
    }
    if (workspace_ && graphs_alive_ > 0) {
      retired_workspaces_.push_back(workspace_);
    } else if (workspace_) {
      release(workspace_);
    }
    workspace_ = nullptr;
    workspace_bytes_ = 0;
    workspace_ = allocate(bytes);
    workspace_bytes_ = bytes;
  }
  return workspace_;
}

void CudaContext::copy_host(void* dst, const void* src, size_t bytes, bool to_device) {
  if (capturing_) {
    throw std::runtime_error("cuda: a " + std::to_string(bytes) + "-byte " + (to_device ? "upload" : "download") +
                             " while recording a CUDA graph (the recorded work must stay on the device)");
  }
  if (to_device) {
    upload(dst, src, bytes);
    return;
  }
  // Through pinned memory in chunks: truly asynchronous DMA, then a wait for the values.
  for (size_t done = 0; done < bytes; done += kStagingBytes) {
    const size_t n = std::min(kStagingBytes, bytes - done);
    SEGRUN_CUDA_CHECK(
        cudaMemcpyAsync(staging_, static_cast<const char*>(src) + done, n, cudaMemcpyDeviceToHost, stream_));
    SEGRUN_CUDA_CHECK(cudaStreamSynchronize(stream_));
    std::memcpy(static_cast<char*>(dst) + done, staging_, n);
  }
}

void CudaContext::upload(void* dst, const void* src, size_t bytes) {
  // The source is copied into a pinned slot at once (so the caller may free it) and the DMA is
  // queued behind the work already on the stream. The host waits only when it comes round to a
  // slot whose earlier copy the device has not reached yet: more than kUploadSlots chunks ahead.
  for (size_t done = 0; done < bytes; done += kStagingBytes) {
    const size_t n = std::min(kStagingBytes, bytes - done);
    UploadSlot& slot = upload_slots_[next_upload_slot_];
    next_upload_slot_ = (next_upload_slot_ + 1) % kUploadSlots;
    SEGRUN_CUDA_CHECK(cudaEventSynchronize(slot.copied));  // returns at once if never recorded
    std::memcpy(slot.pinned, static_cast<const char*>(src) + done, n);
    SEGRUN_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(dst) + done, slot.pinned, n, cudaMemcpyHostToDevice, stream_));
    SEGRUN_CUDA_CHECK(cudaEventRecord(slot.copied, stream_));
  }
}

void CudaContext::copy_device(void* dst, const void* src, size_t bytes) {
  SEGRUN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_));
}

void CudaContext::zero(void* dst, size_t bytes) {
  SEGRUN_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, stream_));
}

void CudaContext::start_capture_tracking() {
  capturing_ = true;
  captured_allocations_.clear();
}

void CudaContext::graph_destroyed() {
  if (--graphs_alive_ > 0) return;
  for (void* block : retired_workspaces_) release(block);
  retired_workspaces_.clear();
}

CaptureTracking CudaContext::stop_capture_tracking() {
  capturing_ = false;
  const CaptureTracking t{captured_allocations_.size(), released_while_capturing_.size()};
  captured_allocations_.clear();
  const std::vector<void*> deferred = std::move(released_while_capturing_);
  released_while_capturing_.clear();
  for (void* ptr : deferred) release(ptr);
  return t;
}

int64_t CudaContext::memory_peak_bytes() {
  cudaMemPool_t pool = nullptr;
  SEGRUN_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, 0));
  uint64_t pool_high = 0, pool_now = 0, graph_high = 0;
  SEGRUN_CUDA_CHECK(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrUsedMemHigh, &pool_high));
  SEGRUN_CUDA_CHECK(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrUsedMemCurrent, &pool_now));
  SEGRUN_CUDA_CHECK(cudaDeviceGetGraphMemAttribute(0, cudaGraphMemAttrUsedMemHigh, &graph_high));
  // A reset mark may read 0 until the next allocation; replayed steps allocate nothing from
  // the pool, whose tensors (weights, optimiser state) are still in use.
  return static_cast<int64_t>(std::max(pool_high, pool_now) + graph_high);
}

void CudaContext::reset_memory_peak() {
  cudaMemPool_t pool = nullptr;
  SEGRUN_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, 0));
  uint64_t zero = 0;  // the only value either attribute may be set to
  SEGRUN_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrUsedMemHigh, &zero));
  SEGRUN_CUDA_CHECK(cudaDeviceSetGraphMemAttribute(0, cudaGraphMemAttrUsedMemHigh, &zero));
}

void CudaContext::synchronize() {
  SEGRUN_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void CudaContext::release_cached_memory() {
  synchronize();
  cudaMemPool_t pool = nullptr;
  SEGRUN_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, 0));
  SEGRUN_CUDA_CHECK(cudaMemPoolTrimTo(pool, 0));
}

CudaContext& context() {
  // Never destroyed: tensors released during static destruction must still find it.
  static CudaContext* const instance = [] {
    CudaContext* built = new CudaContext();
    g_built_context.store(built);
    return built;
  }();
  return *instance;
}

void profiler_range(bool on) {
  SEGRUN_CUDA_CHECK(on ? cudaProfilerStart() : cudaProfilerStop());
}

bool device_available() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return count > 0;
}

DeviceAllocator make_device_allocator() {
  DeviceAllocator a;
  a.allocate = [](size_t bytes) { return context().allocate(bytes); };
  a.release = [](void* ptr) { context().release(ptr); };
  a.copy_host = [](void* dst, const void* src, size_t bytes, bool to_device) {
    context().copy_host(dst, src, bytes, to_device);
  };
  a.copy_device = [](void* dst, const void* src, size_t bytes) { context().copy_device(dst, src, bytes); };
  a.zero = [](void* dst, size_t bytes) { context().zero(dst, bytes); };
  return a;
}

CudaInfo query_info() {
  CudaInfo info;
  info.built = true;
  int runtime = 0;
  if (cudaRuntimeGetVersion(&runtime) == cudaSuccess)
    info.runtime_version = version_string(runtime / 1000, (runtime % 1000) / 10);
  const size_t cudnn = cudnnGetVersion();
  info.cudnn_version = version_string(static_cast<int>(cudnn / 10000), static_cast<int>(cudnn % 10000 / 100),
                                      static_cast<int>(cudnn % 100));
  int major = 0, minor = 0, patch = 0;
  if (cublasGetProperty(MAJOR_VERSION, &major) == CUBLAS_STATUS_SUCCESS &&
      cublasGetProperty(MINOR_VERSION, &minor) == CUBLAS_STATUS_SUCCESS &&
      cublasGetProperty(PATCH_LEVEL, &patch) == CUBLAS_STATUS_SUCCESS)
    info.cublas_version = version_string(major, minor, patch);
  cudaDeviceProp prop{};
  if (device_available() && cudaGetDeviceProperties(&prop, 0) == cudaSuccess) info.device_name = prop.name;
  cudaGetLastError();
  return info;
}

}  // namespace segrun::cuda
