# Decides whether the CUDA backend is built (SEGRUN_WITH_CUDA) and, if so, adds segrun_cuda.
set(SEGRUN_WITH_CUDA OFF)
if(NOT SEGRUN_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  check_language(CUDA)
  find_path(CUDNN_INCLUDE_DIR cudnn.h
    HINTS /usr/local/cuda/include /usr/include/x86_64-linux-gnu /usr/include)
  find_library(CUDNN_LIBRARY cudnn
    HINTS /usr/local/cuda/lib64 /usr/lib/x86_64-linux-gnu /usr/lib)
  if(CMAKE_CUDA_COMPILER AND CUDNN_INCLUDE_DIR AND CUDNN_LIBRARY)
    set(SEGRUN_WITH_CUDA ON)
  elseif(SEGRUN_CUDA STREQUAL "ON")
    message(FATAL_ERROR "SEGRUN_CUDA=ON but nvcc (${CMAKE_CUDA_COMPILER}) or cuDNN (${CUDNN_INCLUDE_DIR}, ${CUDNN_LIBRARY}) was not found")
  endif()
endif()
message(STATUS "segrun: CUDA backend ${SEGRUN_WITH_CUDA}")
