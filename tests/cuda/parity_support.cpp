#include "tests/cuda/parity_support.h"

#include <cstdio>

#include "engine/backend_info.h"

namespace segrun::testing {

bool cuda_suite_enabled() {
  static const bool enabled = [] {
    const CudaInfo info = cuda_info();
    if (!info.built) {
      std::printf("CUDA suite SKIPPED: segrun was built without the CUDA backend (SEGRUN_CUDA=OFF or no nvcc/cuDNN)\n");
      return false;
    }
    if (info.device_name.empty()) {
      std::printf("CUDA suite SKIPPED: built with CUDA %s / cuDNN %s / cuBLAS %s, but no GPU is visible\n",
                  info.runtime_version.c_str(), info.cudnn_version.c_str(), info.cublas_version.c_str());
      return false;
    }
    std::printf("CUDA suite on %s (CUDA %s, cuDNN %s, cuBLAS %s)\n", info.device_name.c_str(),
                info.runtime_version.c_str(), info.cudnn_version.c_str(), info.cublas_version.c_str());
    return true;
  }();
  return enabled;
}

}  // namespace segrun::testing
