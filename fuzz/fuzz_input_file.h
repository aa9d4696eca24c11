#pragma once
// The readers under fuzzing take file paths, so each input is written to a per-process scratch
// file first. Only std::exception may leave a reader: anything else (a crash, a sanitizer
// report, std::terminate) is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace segrun::fuzz {

inline std::string scratch_dir() {
  static const std::string dir = [] {
    const auto path = std::filesystem::temp_directory_path() / ("segrun_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path.string();
  }();
  return dir;
}

inline std::string write_input(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = scratch_dir() + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace segrun::fuzz
