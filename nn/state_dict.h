#pragma once
// Module state <-> safetensors with PyTorch names and layouts: conv weights are OIHW and
// conv-transpose weights IOHW in files (OHWI / IHWO in memory), num_batches_tracked is I64.
#include <string>
#include <vector>

#include "nn/module.h"
#include "nn/safetensors.h"

namespace segrun::nn {

// Memory (A,KH,KW,B) <-> file (A,B,KH,KW), any dtype, on the CPU.
Tensor kernel_to_file_layout(const Tensor& memory);
Tensor kernel_from_file_layout(const Tensor& file);

// The shape an entry has in a PyTorch state dict.
Shape file_shape(const StateEntry& entry);

// The module's state as it is written (names prefixed with `prefix`), for composing checkpoints.
std::vector<FileTensor> state_dict_tensors(const Module& module, const std::string& prefix = "");

struct LoadOptions {
  std::string prefix;                        // file names are prefix + module names
  std::vector<std::string> ignore_prefixes;  // file tensors skipped (e.g. "fc." of a classifier)
};

// Copies `file` tensors into the module's parameters and buffers, converting layout and
// floating dtype. Missing, unexpected (outside the prefix they are ignored) or mis-shaped keys
// throw std::runtime_error naming `source` and the key.
void load_state_dict(Module& module, const TensorFile& file, const std::string& source,
                     const LoadOptions& options = {});

// What a partial load did: keys copied, model keys the file lacks (or holds with another
// shape or dtype, listed as "key (file shape ..., model shape ...)"), file keys the model lacks.
struct PartialLoad {
  std::vector<std::string> loaded, missing, unexpected;
};

// Like load_state_dict, but copies only the tensors that match and reports the rest.
PartialLoad load_matching_state(Module& module, const TensorFile& file, const LoadOptions& options = {});

void save_state_dict(const std::string& path, const Module& module, const Metadata& metadata = {});
void load_state_dict(const std::string& path, Module& module, const LoadOptions& options = {});

}  // namespace segrun::nn
