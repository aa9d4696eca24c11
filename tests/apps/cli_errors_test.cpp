// Command-line errors: one line naming the problem, then the command's help, exit status 2.
#include <doctest/doctest.h>

#include "tests/apps/app_test_util.h"

namespace segrun::test {

namespace {

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

void check_usage_error(const std::vector<std::string>& args, const std::string& reason) {
  const CliResult r = run_segrun(args);
  CHECK(r.code == 2);
  const std::string line = first_line(r.err);
  CHECK_MESSAGE(line.find(reason) != std::string::npos, line);
  CHECK(line.rfind("segrun: ", 0) == 0);
  CHECK(r.err.find("Usage:") != std::string::npos);  // the help follows the one line
}

}  // namespace

TEST_CASE("train: unknown model, unknown config, missing root, bad size and CPU --amp exit 2 with one line") {
  const std::vector<std::string> base = {"train", "--out", "/tmp/segrun_unused_run"};
  const std::vector<std::string> data = {"--root", tiny_dataset_root()};
  check_usage_error(concat(concat(base, data), {"--model", "unet"}), "--model");
  check_usage_error(concat(concat(base, data), {"--loss", "dice_heavy"}), "--loss");
  check_usage_error(concat(base, {"--root", "/nonexistent/segrun/data"}), "--root");
  check_usage_error(concat(concat(base, data), {"--size", "100x50"}), "multiples of 16");
  check_usage_error(concat(concat(base, data), {"--size", "512by256"}), "WIDTHxHEIGHT");
  check_usage_error(concat(concat(base, data), {"--amp"}), "--amp");
  check_usage_error(concat(concat(base, data), {"--loss", "equal", "--weights", "1,1,1"}), "--weights");
}

TEST_CASE("ablation: unknown configuration or shard exit 2 with one line") {
  const std::vector<std::string> base = {"ablation", "--out", "/tmp/segrun_unused_study", "--root",
                                         tiny_dataset_root()};
  check_usage_error(concat(base, {"--configs", "equal,dice_heavy"}), "dice_heavy");
  check_usage_error(concat(base, {"--shard", "3/3"}), "--shard");
  check_usage_error(concat(base, {"--then", "segformer"}), "--then");
}

TEST_CASE("report of a folder without runs is an error naming the folder") {
  ScratchDir dir("empty_study");
  const CliResult r = run_segrun({"report", dir.str()});
  CHECK(r.code == 2);
  CHECK(first_line(r.err).find(dir.str()) != std::string::npos);
}

}  // namespace segrun::test
