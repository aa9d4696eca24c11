#include "cuda/graph.h"

#include <cuda_runtime.h>

#include <string>

#include "cuda/check.h"
#include "cuda/context.h"

namespace segrun::cuda {

namespace {

// Ends the stream's recording whatever happened inside it, so the stream is usable again.
cudaGraph_t end_recording(CudaContext& ctx, CaptureTracking* tracking) {
  cudaGraph_t graph = nullptr;
  const cudaError_t status = cudaStreamEndCapture(ctx.stream(), &graph);
  *tracking = ctx.stop_capture_tracking();
  if (status != cudaSuccess) {
    cudaGetLastError();  // an invalidated capture is not a sticky error
    if (graph) cudaGraphDestroy(graph);
    return nullptr;
  }
  return graph;
}

std::string outliving_message(size_t count) {
  return "cuda graph: " + std::to_string(count) +
         " device buffer(s) allocated while recording the step outlive it; rerun with --cuda-graph off";
}

}  // namespace

Graph::Graph(const std::function<void()>& work) {
  CudaContext& ctx = context();
  if (ctx.capturing()) throw CaptureError("cuda graph: recordings cannot nest", true);
  const cudaError_t began = cudaStreamBeginCapture(ctx.stream(), cudaStreamCaptureModeThreadLocal);
  if (began != cudaSuccess) {
    cudaGetLastError();
    throw CaptureError(std::string("cuda graph: recording cannot start: ") + cudaGetErrorString(began), true);
  }
  ctx.start_capture_tracking();
  CaptureTracking tracking;
  try {
    work();
  } catch (const std::exception& e) {
    cudaGraph_t partial = end_recording(ctx, &tracking);
    if (partial) cudaGraphDestroy(partial);
    if (tracking.still_held > 0) {
      throw CaptureError(outliving_message(tracking.still_held) + " (recording failed: " + e.what() + ")", false);
    }
    throw CaptureError(std::string("cuda graph: the step cannot be recorded: ") + e.what(), true);
  }
  cudaGraph_t graph = end_recording(ctx, &tracking);
  if (tracking.still_held > 0) {
    if (graph) cudaGraphDestroy(graph);
    throw CaptureError(outliving_message(tracking.still_held), false);
  }
  if (tracking.released_older > 0) {
    if (graph) cudaGraphDestroy(graph);
    throw CaptureError("cuda graph: the step released " + std::to_string(tracking.released_older) +
                           " device buffer(s) made before the recording; a replay could read freed memory",
                       true);
  }
  if (!graph)
    throw CaptureError("cuda graph: the recording was invalidated (an operation that cannot be captured)", true);
  // Auto-free: a replay never finds the previous replay's allocations still held.
  const cudaError_t status = cudaGraphInstantiateWithFlags(&exec_, graph, cudaGraphInstantiateFlagAutoFreeOnLaunch);
  cudaGraphDestroy(graph);
  if (status != cudaSuccess) {
    cudaGetLastError();
    exec_ = nullptr;
    throw CaptureError(std::string("cuda graph: instantiating the recorded step failed: ") + cudaGetErrorString(status),
                       true);
  }
  ctx.graph_created();
  try {
    // The graph's allocations come from the driver, not the pool: hand back what the pool
    // keeps cached from the eager steps, or a step near the memory limit would need it twice.
    ctx.release_cached_memory();
    // Maps the graph's memory now and waits for it, so that a graph too large for the device
    // fails here, where the caller can go on eagerly, and not at its first replay.
    const cudaError_t uploaded = cudaGraphUpload(exec_, ctx.stream());
    const cudaError_t done = uploaded == cudaSuccess ? cudaStreamSynchronize(ctx.stream()) : uploaded;
    if (done == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      throw CaptureError(
          std::string("cuda graph: the recorded step does not fit on the device: ") + cudaGetErrorString(done), true);
    }
    if (done != cudaSuccess) throw_cuda_error(done, "cudaGraphUpload", __FILE__, __LINE__);
  } catch (...) {
    destroy();
    throw;
  }
}

Graph::~Graph() {
  destroy();
}

void Graph::destroy() noexcept {
  if (!exec_) return;
  cudaGraphExecDestroy(exec_);
  exec_ = nullptr;
  // Its memory goes back to the driver, for the eager steps that may follow.
  cudaDeviceGraphMemTrim(0);
  context().graph_destroyed();
}

void Graph::launch() {
  SEGRUN_CUDA_CHECK(cudaGraphLaunch(exec_, context().stream()));
  sync_check("cudaGraphLaunch", __FILE__, __LINE__);
}

}  // namespace segrun::cuda
