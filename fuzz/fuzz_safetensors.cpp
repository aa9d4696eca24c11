// safetensors headers and bodies: read_safetensors checks the header, every shape and offset.
#include <exception>

#include "fuzz/fuzz_input_file.h"
#include "nn/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = segrun::fuzz::write_input("weights.safetensors", data, size);
  try {
    const segrun::nn::TensorFile file = segrun::nn::read_safetensors(path);
    for (const auto& [name, tensor] : file.tensors) (void)tensor.numel();
  } catch (const std::exception&) {
  }
  return 0;
}
