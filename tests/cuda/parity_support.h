#pragma once
// Shared pieces of the CUDA test suite: whether a GPU is present (the suite skips itself
// otherwise) and CPU/GPU comparison helpers.

namespace segrun::testing {

// True when this build has the CUDA backend and a GPU is visible. Prints once, clearly, why
// the suite is skipped otherwise.
bool cuda_suite_enabled();

}  // namespace segrun::testing
