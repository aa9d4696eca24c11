#include "tests/apps/app_test_util.h"

#include <unistd.h>

#include <iostream>
#include <sstream>

#include "apps/segrun/cli.h"
#include "data/synth.h"

namespace segrun::test {

AppScratchDir::AppScratchDir(const std::string& name)
    : path_(std::filesystem::temp_directory_path() / ("segrun_app_" + name + "_" + std::to_string(::getpid()))) {
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

AppScratchDir::~AppScratchDir() {
  std::filesystem::remove_all(path_);
}

std::string AppScratchDir::str(const std::string& rel) const {
  return rel.empty() ? path_.string() : (path_ / rel).string();
}

CliResult run_segrun(const std::vector<std::string>& args) {
  std::vector<std::string> storage = {"segrun"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : storage) argv.push_back(a.data());
  std::ostringstream captured;
  std::streambuf* previous = std::cerr.rdbuf(captured.rdbuf());
  CliResult result;
  result.code = app::run_cli(static_cast<int>(argv.size()), argv.data());
  std::cerr.rdbuf(previous);
  result.err = captured.str();
  return result;
}

const std::string& tiny_dataset_root() {
  static AppScratchDir dir("tiny_data");
  static const std::string root = [] {
    data::SynthOptions options;
    options.out_dir = dir.str("data");
    options.train_count = 6;
    options.val_count = 4;
    options.width = 64;
    options.height = 32;
    options.seed = 3;
    data::write_synth_dataset(options);
    return options.out_dir;
  }();
  return root;
}

std::vector<std::string> tiny_training_flags(int epochs) {
  return {"--dataset", "cityscapes", "--root",   tiny_dataset_root(),
          "--size",    "64x32",      "--epochs", std::to_string(epochs),
          "--batch",   "3",          "--width",  "4",
          "--threads", "2",          "--quiet"};
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace segrun::test
