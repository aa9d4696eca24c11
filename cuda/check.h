#pragma once
// Every CUDA, cuBLAS and cuDNN call goes through one of these macros: a failure throws
// std::runtime_error naming the file, line, the call and the library's error string.
//
// Kernels and library calls run asynchronously, so a fault inside one normally surfaces at a
// later synchronisation, inside an unrelated op. With SEGRUN_CUDA_SYNC=1 in the environment
// every launch and every cuBLAS/cuDNN call is followed by a device synchronisation, so the
// error names the kernel or call that caused it (slow: for debugging and the device check).
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

namespace segrun::cuda {

[[noreturn]] void throw_cuda_error(cudaError_t status, const char* op, const char* file, int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* op, const char* file, int line);
[[noreturn]] void throw_cudnn_error(cudnnStatus_t status, const char* op, const char* file, int line);

// True when SEGRUN_CUDA_SYNC is set to a value other than "" or "0" (read once).
bool sync_after_each_launch();
// In sync mode: waits for the device and throws, naming `op`, if anything it ran failed.
void sync_check(const char* op, const char* file, int line);

}  // namespace segrun::cuda

#define SEGRUN_CUDA_CHECK(call)                                                                                     \
  do {                                                                                                              \
    const cudaError_t segrun_status_ = (call);                                                                      \
    if (segrun_status_ != cudaSuccess) ::segrun::cuda::throw_cuda_error(segrun_status_, #call, __FILE__, __LINE__); \
  } while (0)

#define SEGRUN_CUBLAS_CHECK(call)                                                    \
  do {                                                                               \
    const cublasStatus_t segrun_status_ = (call);                                    \
    if (segrun_status_ != CUBLAS_STATUS_SUCCESS)                                     \
      ::segrun::cuda::throw_cublas_error(segrun_status_, #call, __FILE__, __LINE__); \
    ::segrun::cuda::sync_check(#call, __FILE__, __LINE__);                           \
  } while (0)

#define SEGRUN_CUDNN_CHECK(call)                                                    \
  do {                                                                              \
    const cudnnStatus_t segrun_status_ = (call);                                    \
    if (segrun_status_ != CUDNN_STATUS_SUCCESS)                                     \
      ::segrun::cuda::throw_cudnn_error(segrun_status_, #call, __FILE__, __LINE__); \
    ::segrun::cuda::sync_check(#call, __FILE__, __LINE__);                          \
  } while (0)

// After a kernel launch: launch-configuration errors surface here, named by the kernel.
#define SEGRUN_CUDA_CHECK_LAUNCH(kernel_name) ::segrun::cuda::check_launch(kernel_name, __FILE__, __LINE__)

namespace segrun::cuda {
inline void check_launch(const char* kernel_name, const char* file, int line) {
  const cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess) throw_cuda_error(status, kernel_name, file, line);
  sync_check(kernel_name, file, line);
}
}  // namespace segrun::cuda
