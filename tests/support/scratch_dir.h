#pragma once
// The one scratch-folder helper of the tests: a fresh, empty folder under the system temp dir,
// named after the test and the process, removed when the object goes.
#include <filesystem>
#include <string>

namespace segrun::test {

class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // The folder itself, or `rel` inside it.
  std::string str(const std::string& rel = "") const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace segrun::test
