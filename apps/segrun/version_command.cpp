// segrun version: what this binary is and what it can run on.
#include <cstdio>

#include "apps/segrun/commands.h"
#include "engine/backend_info.h"

#ifndef SEGRUN_VERSION
#define SEGRUN_VERSION "unknown"
#endif
#ifndef SEGRUN_BUILD_TYPE
#define SEGRUN_BUILD_TYPE "unknown"
#endif

namespace segrun::app {

void add_version_command(CLI::App& root) {
  CLI::App* cmd = root.add_subcommand("version", "Print version, build type and CUDA support");
  cmd->callback([] {
    std::printf("segrun %s\nbuild: %s\n", SEGRUN_VERSION, SEGRUN_BUILD_TYPE);
    std::printf("cpu threads: %d\n", cpu_thread_count());
    const CudaInfo cuda = cuda_info();
    if (!cuda.built) {
      std::printf("cuda: no (built without CUDA)\n");
    } else {
      std::printf("cuda: yes (runtime %s, cuDNN %s, cuBLAS %s)\n", cuda.runtime_version.c_str(),
                  cuda.cudnn_version.c_str(), cuda.cublas_version.c_str());
      std::printf("gpu: %s\n", cuda.device_name.empty() ? "none found" : cuda.device_name.c_str());
    }
  });
}

}  // namespace segrun::app
