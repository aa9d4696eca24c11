#include "engine/backend_info.h"

#include <omp.h>

#ifdef SEGRUN_WITH_CUDA
#include "cuda/context.h"
#endif

namespace segrun {

#ifdef SEGRUN_WITH_CUDA
CudaInfo cuda_info() {
  return cuda::query_info();
}
int64_t cuda_peak_bytes() {
  return cuda::device_available() ? cuda::context().memory_peak_bytes() : -1;
}
void reset_cuda_peak() {
  if (cuda::device_available()) cuda::context().reset_memory_peak();
}
void synchronize_device(const Device& device) {
  if (device.is_cuda()) cuda::context().synchronize();
}
void set_profiler_range(bool on) {
  if (cuda::device_available()) cuda::profiler_range(on);
}
#else
CudaInfo cuda_info() {
  return {};
}
int64_t cuda_peak_bytes() {
  return -1;
}
void reset_cuda_peak() {}
void synchronize_device(const Device&) {}
void set_profiler_range(bool) {}
#endif

int cpu_thread_count() {
  return omp_get_max_threads();
}

void set_cpu_threads(int n) {
  if (n > 0) omp_set_num_threads(n);
}

}  // namespace segrun
