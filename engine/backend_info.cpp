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
#else
CudaInfo cuda_info() {
  return {};
}
#endif

int cpu_thread_count() {
  return omp_get_max_threads();
}

void set_cpu_threads(int n) {
  if (n > 0) omp_set_num_threads(n);
}

}  // namespace segrun
