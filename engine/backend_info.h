#pragma once
// What this build of segrun can run on.
#include <cstdint>
#include <string>

#include "engine/dtype.h"

namespace segrun {

struct CudaInfo {
  bool built = false;           // compiled with the CUDA backend
  std::string runtime_version;  // e.g. "13.0"
  std::string cudnn_version;
  std::string cublas_version;
  std::string device_name;  // empty when no GPU is visible
};

CudaInfo cuda_info();
int cpu_thread_count();

// Sets the number of CPU threads the kernels use (0 = leave OpenMP's default).
void set_cpu_threads(int n);

// The most GPU memory the tensors held at once since the last reset, from the statistics of
// the CUDA memory pool and of the graphs' allocations (not host memory); -1 without the CUDA
// backend or a GPU.
int64_t cuda_peak_bytes();
void reset_cuda_peak();

// Waits until the device has run everything queued on it (nothing to wait for on the CPU).
void synchronize_device(const Device& device);

// Starts or ends the range an external profiler records when told to wait for it (Nsight
// Compute's --profile-from-start off): cudaProfilerStart / cudaProfilerStop. Nothing without
// the CUDA backend.
void set_profiler_range(bool on);

}  // namespace segrun
