#pragma once
// Helpers for the app tests: one tiny synthetic data set shared by the tests of a process and
// the flags of a tiny training run on it. Scratch folders and running segrun's command line
// come from tests/support/.
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "tests/support/scratch_dir.h"
#include "tests/support/segrun_cli.h"
#include "training/run_files.h"

namespace segrun::test {

// 6 train / 4 val synthetic scenes of 64x32 in the Cityscapes layout (written once per process).
const std::string& tiny_dataset_root();

// The flags of a tiny, fast training run on tiny_dataset_root().
std::vector<std::string> tiny_training_flags(int epochs);

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b);

}  // namespace segrun::test
