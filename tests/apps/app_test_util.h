#pragma once
// Helpers for the app tests: scratch folders, running segrun's CLI in-process with captured
// output, and one tiny synthetic data set shared by the tests of a process.
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "training/run_files.h"

namespace segrun::test {

// A fresh, empty folder under the system temp dir, removed when the object goes.
class AppScratchDir {
 public:
  explicit AppScratchDir(const std::string& name);
  ~AppScratchDir();
  AppScratchDir(const AppScratchDir&) = delete;
  AppScratchDir& operator=(const AppScratchDir&) = delete;
  std::string str(const std::string& rel = "") const;

 private:
  std::filesystem::path path_;
};

struct CliResult {
  int code = 0;
  std::string err;  // everything written to std::cerr
};

// Runs `segrun args...` through run_cli, capturing std::cerr.
CliResult run_segrun(const std::vector<std::string>& args);

// 6 train / 4 val synthetic scenes of 64x32 in the Cityscapes layout (written once per process).
const std::string& tiny_dataset_root();

// The flags of a tiny, fast training run on tiny_dataset_root().
std::vector<std::string> tiny_training_flags(int epochs);

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b);

}  // namespace segrun::test
