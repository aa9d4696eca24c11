#pragma once
// Element types and devices a tensor can have.
#include <cstddef>
#include <cstdint>
#include <string>

namespace segrun {

enum class DType : uint8_t { F32, F64, F16, I32, U8 };

size_t dtype_size(DType t);
// Inline, so that the CUDA library (which uses engine headers only) names dtypes the same way.
inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32:
      return "f32";
    case DType::F64:
      return "f64";
    case DType::F16:
      return "f16";
    case DType::I32:
      return "i32";
    case DType::U8:
      return "u8";
  }
  return "?";
}
inline bool is_floating(DType t) {
  return t == DType::F32 || t == DType::F64 || t == DType::F16;
}

enum class DeviceType : uint8_t { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;
  static Device cpu() { return {DeviceType::CPU, 0}; }
  static Device cuda(int i = 0) { return {DeviceType::CUDA, i}; }
  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const;
  // Parses "cpu", "cuda", "cuda:0"; throws std::invalid_argument otherwise.
  static Device parse(const std::string& s);
};

}  // namespace segrun
