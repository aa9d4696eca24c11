#pragma once
// What this build of segrun can run on.
#include <string>

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

}  // namespace segrun
