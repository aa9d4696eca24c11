#include "tests/apps/app_test_util.h"

#include "data/synth.h"

namespace segrun::test {

const std::string& tiny_dataset_root() {
  static ScratchDir dir("tiny_data");
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
