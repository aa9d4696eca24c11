#pragma once
// Shared by the CUDA test suite: whether it can run (a CUDA build and a visible GPU); every
// test case of the suite skips itself otherwise.

namespace segrun::testing {

// True when this build has the CUDA backend and a GPU is visible. Prints once, clearly, why
// the suite is skipped otherwise.
bool cuda_suite_enabled();

}  // namespace segrun::testing
