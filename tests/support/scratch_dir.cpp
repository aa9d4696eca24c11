#include "tests/support/scratch_dir.h"

#include <unistd.h>

namespace segrun::test {

ScratchDir::ScratchDir(const std::string& name)
    : path_(std::filesystem::temp_directory_path() / ("segrun_" + name + "_" + std::to_string(::getpid()))) {
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;  // a destructor must not throw; a leftover temp folder is harmless
  std::filesystem::remove_all(path_, ignored);
}

std::string ScratchDir::str(const std::string& rel) const {
  return rel.empty() ? path_.string() : (path_ / rel).string();
}

}  // namespace segrun::test
