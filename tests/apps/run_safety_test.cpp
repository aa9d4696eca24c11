// What a run directory survives: diverged (non-finite) epochs, a kill between its files, a second
// process on the same folder, and temporary files left by killed writers.
#include <doctest/doctest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "data/image_io.h"
#include "nn/safetensors.h"
#include "tests/apps/app_test_util.h"
#include "training/run_records.h"

namespace segrun::test {

namespace {

namespace fs = std::filesystem;

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// The tiny data set with every validation label void (labelId 0 -> ignore): no class is ever
// scored, so every epoch's validation mIoU is NaN.
const std::string& void_validation_root() {
  static ScratchDir dir("void_val_data");
  static const std::string root = [] {
    const std::string copy = dir.str("data");
    fs::copy(tiny_dataset_root(), copy, fs::copy_options::recursive);
    for (const auto& entry : fs::recursive_directory_iterator(copy + "/gtFine/val")) {
      if (entry.path().string().find("_labelIds.png") == std::string::npos) continue;
      const data::Image labels = data::read_label_image(entry.path().string());
      data::write_png(entry.path().string(), data::make_image(labels.width, labels.height, 1, 0));
    }
    return copy;
  }();
  return root;
}

std::vector<std::string> void_val_flags(int epochs) {
  std::vector<std::string> flags = tiny_training_flags(epochs);
  for (std::string& f : flags) {
    if (f == tiny_dataset_root()) f = void_validation_root();
  }
  return concat(flags, {"--max-steps-per-epoch", "1"});
}

// The segrun binary next to the test executables (build/segrun), or "" when it is not there.
std::string segrun_binary() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const fs::path binary = self.parent_path().parent_path() / "segrun";
  return !ec && fs::exists(binary) ? binary.string() : "";
}

// Runs the segrun binary with SEGRUN_CRASH_AT=`point`; true when it died of SIGKILL there.
bool killed_at(const std::string& point, const std::vector<std::string>& args) {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::setenv("SEGRUN_CRASH_AT", point.c_str(), 1);
    std::vector<std::string> storage = concat({segrun_binary()}, args);
    std::vector<char*> argv;
    for (std::string& a : storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::freopen("/dev/null", "w", stderr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

// The PID of a process that has exited (and been reaped): no process has it for now.
long dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

std::map<std::string, std::vector<double>> model_tensors(const std::string& path) {
  std::map<std::string, std::vector<double>> out;
  for (const auto& [name, t] : nn::read_safetensors(path).tensors) {
    if (name.rfind("model.", 0) == 0) out[name] = t.to_double_vector();
  }
  return out;
}

}  // namespace

TEST_CASE("non-finite validation values are recorded as null and the run, --resume and the report go on") {
  ScratchDir dir("non_finite");
  const std::string out = dir.str("run");
  const CliResult stopped = run_segrun(concat({"train", "--out", out, "--stop-after-epochs", "1"}, void_val_flags(2)));
  REQUIRE_MESSAGE(stopped.code == 0, stopped.err);
  // One line naming the run and the epoch.
  CHECK_MESSAGE(stopped.err.find("run " + out + ": epoch 1:") != std::string::npos, stopped.err);
  const std::vector<training::Json> lines = training::read_json_lines(out + "/log.jsonl");
  REQUIRE_FALSE(lines.empty());
  CHECK(lines.back().at("val_miou").is_null());
  // --resume reads the log and the checkpoint back and finishes the run.
  const CliResult resumed = run_segrun(concat({"train", "--resume", "--out", out}, void_val_flags(2)));
  REQUIRE_MESSAGE(resumed.code == 0, resumed.err);
  const training::Json metrics = training::read_json_file(out + "/metrics.json");
  CHECK(metrics.at("best_miou").is_null());
  CHECK(std::isnan(training::metrics_from_json(metrics).best_miou));
  CHECK(fs::exists(out + "/best.safetensors"));
  // A finished run resumed again returns its metrics.
  CHECK(run_segrun(concat({"train", "--resume", "--out", out}, void_val_flags(2))).code == 0);
}

TEST_CASE("an ablation whose runs diverge finishes and writes its report") {
  ScratchDir dir("non_finite_study");
  const std::string out = dir.str("study");
  const CliResult r = run_segrun(concat({"ablation", "--configs", "equal,ce_only", "--out", out}, void_val_flags(1)));
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(fs::exists(out + "/report.html"));
  CHECK(training::read_json_file(out + "/ablation.json").at("best_config") == "equal");
  // And again: every run is finished, nothing stalls on the null values.
  const CliResult again =
      run_segrun(concat({"ablation", "--configs", "equal,ce_only", "--out", out}, void_val_flags(1)));
  CHECK_MESSAGE(again.code == 0, again.err);
}

TEST_CASE("a kill between the checkpoint files never loses best.safetensors") {
  REQUIRE_MESSAGE(!segrun_binary().empty(), "build/segrun is built with the tests");
  ScratchDir dir("kill_between");
  const std::vector<std::string> flags = concat(tiny_training_flags(2), {"--max-steps-per-epoch", "1"});
  const std::string whole = dir.str("whole"), killed = dir.str("killed");
  REQUIRE(run_segrun(concat({"train", "--out", whole}, flags)).code == 0);
  // Killed right after the first epoch's best weights: they must be on disk.
  REQUIRE(killed_at("between-checkpoint-files", concat({"train", "--out", killed}, flags)));
  CHECK(fs::exists(killed + "/best.safetensors"));
  // --resume redoes that epoch and finishes; the best weights equal the uninterrupted run's.
  const CliResult resumed = run_segrun(concat({"train", "--resume", "--out", killed}, flags));
  REQUIRE_MESSAGE(resumed.code == 0, resumed.err);
  CHECK(model_tensors(killed + "/best.safetensors") == model_tensors(whole + "/best.safetensors"));
  CHECK(training::read_json_file(killed + "/metrics.json").at("best_epoch") ==
        training::read_json_file(whole + "/metrics.json").at("best_epoch"));
}

TEST_CASE("a second process on a run or study directory gets one line naming the holder") {
  ScratchDir dir("locked");
  for (const char* command : {"train", "ablation"}) {
    CAPTURE(command);
    const std::string out = dir.str(command);
    fs::create_directories(out);
    // Another segrun holds the folder: an open, flock-ed lock file with its PID.
    const int fd = ::open((out + "/segrun.lock").c_str(), O_RDWR | O_CREAT, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
    const std::string holder = std::to_string(::getpid()) + "\n";
    REQUIRE(::write(fd, holder.data(), holder.size()) == static_cast<ssize_t>(holder.size()));
    std::vector<std::string> args = {command, "--out", out, "--max-steps-per-epoch", "1"};
    if (std::string(command) == "ablation") args = concat(args, {"--configs", "equal"});
    const CliResult r = run_segrun(concat(args, tiny_training_flags(1)));
    CHECK(r.code == 1);
    const std::string line = first_line(r.err);
    CHECK_MESSAGE(line.find(out) != std::string::npos, line);
    CHECK_MESSAGE(line.find("process " + std::to_string(::getpid())) != std::string::npos, line);
    CHECK_FALSE(fs::exists(out + "/log.jsonl"));
    CHECK_FALSE(fs::exists(out + "/ablation.json"));
    ::close(fd);  // released: the folder is usable again
    CHECK(run_segrun(concat(args, tiny_training_flags(1))).code == 0);
  }
}

TEST_CASE("stale temporary files of dead processes are removed when a run starts") {
  ScratchDir dir("stale_temps");
  const std::string out = dir.str("run"), cache = dir.str(".segrun-cache");
  fs::create_directories(out);
  fs::create_directories(cache);
  const std::string dead = std::to_string(dead_pid()), live = std::to_string(::getpid());
  const std::vector<std::string> stale = {out + "/last.safetensors.tmp." + dead, out + "/config.json.tmp." + dead,
                                          cache + "/x.cache.tmp." + dead};
  const std::string alive = out + "/notes.json.tmp." + live;
  for (const std::string& path : concat(stale, {alive})) std::ofstream(path) << "partial";
  const CliResult r = run_segrun(concat({"train", "--out", out, "--max-steps-per-epoch", "1"}, tiny_training_flags(1)));
  REQUIRE_MESSAGE(r.code == 0, r.err);
  for (const std::string& path : stale) CHECK_MESSAGE(!fs::exists(path), path);
  CHECK(fs::exists(alive));  // a live writer's temporary is never touched
}

}  // namespace segrun::test
