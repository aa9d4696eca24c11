#pragma once
// Shared pieces of the CUDA test suite: whether it can run here (tests/cuda/main.cpp skips the
// whole suite otherwise) and the exit code that tells ctest it was skipped.

namespace segrun::testing {

// ctest's SKIP_RETURN_CODE for the CUDA suite (77, the automake convention).
inline constexpr int kSkippedExitCode = 77;

// True when this build has the CUDA backend and a GPU is visible. Prints once, clearly, why
// the suite is skipped otherwise.
bool cuda_suite_enabled();

}  // namespace segrun::testing
