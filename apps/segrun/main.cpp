#include "apps/segrun/cli.h"
#include "engine/cpu_runtime.h"

int main(int argc, char** argv) {
  segrun::configure_cpu_runtime(argv);
  return segrun::app::run_cli(argc, argv);
}
