#pragma once
// The safetensors format: an 8-byte little-endian header length, a JSON header mapping each
// tensor name to {dtype, shape, data_offsets} (plus an optional "__metadata__" string map),
// then the tensors' bytes back to back. Supported dtypes: F32, F16, F64, I64, I32, U8. I64
// tensors are held as i32 in memory (values outside the i32 range are an error).
#include <map>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace segrun::nn {

using Metadata = std::map<std::string, std::string>;

// A tensor as it is written: CPU or CUDA (copied to the host), any dtype segrun has;
// `as_int64` writes an i32 tensor as I64 (PyTorch's counters).
struct FileTensor {
  std::string name;
  Tensor tensor;
  bool as_int64 = false;
};

// The tensors of a file by name (on the CPU, in the file's layout) and its metadata.
struct TensorFile {
  std::map<std::string, Tensor> tensors;
  Metadata metadata;
};

// Throws std::runtime_error naming the file (and the key) for every malformed input.
TensorFile read_safetensors(const std::string& path);

// Writes atomically (temporary file in the same folder, then rename). Names must be unique.
void write_safetensors(const std::string& path, const std::vector<FileTensor>& tensors, const Metadata& metadata = {});

// The plain API of the interop commands: tensors as they are, by name.
std::map<std::string, Tensor> read_tensors(const std::string& path);
void write_tensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                   const Metadata& metadata = {});

}  // namespace segrun::nn
