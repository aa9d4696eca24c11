// The test suites run under the same CPU runtime settings as the segrun command
// (engine/cpu_runtime.h): idle kernel threads sleep instead of spinning.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "engine/cpu_runtime.h"

int main(int argc, char** argv) {
  segrun::configure_cpu_runtime(argv);
  return doctest::Context(argc, argv).run();
}
