// Bad input is refused up front with one line naming the flag or file: absurd limits, NaN flag
// values, loose numbers, data-losing predict targets, inconsistent studies, damaged checkpoints.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "nn/safetensors.h"
#include "report/run_data.h"
#include "tests/apps/app_test_util.h"
#include "training/checkpoint.h"

namespace segrun::test {

namespace {

namespace fs = std::filesystem;

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// Exit 2 and a first line that names `flag` (and `reason` when given).
void check_refused(const std::vector<std::string>& args, const std::string& flag, const std::string& reason = "") {
  const CliResult r = run_segrun(args);
  CHECK_MESSAGE(r.code == 2, r.err);
  const std::string line = first_line(r.err);
  CHECK_MESSAGE(line.find(flag) != std::string::npos, line);
  CHECK_MESSAGE(line.find(reason) != std::string::npos, line);
}

// `segrun train` on the tiny data set with `extra` flags replacing the tiny run's values.
std::vector<std::string> train_args(const std::vector<std::string>& extra) {
  std::vector<std::string> flags = tiny_training_flags(1);
  for (size_t i = 0; i + 1 < extra.size(); i += 2) {
    const auto it = std::find(flags.begin(), flags.end(), extra[i]);
    if (it != flags.end()) flags.erase(it, it + 2);
  }
  return concat(concat({"train", "--out", "/tmp/segrun_unused_run"}, flags), extra);
}

// One tiny finished run (best.safetensors, config.json, val_pred/) shared by the tests here.
const std::string& tiny_run() {
  static ScratchDir dir("input_checks_run");
  static const std::string run = [] {
    const std::string out = dir.str("run");
    const CliResult r =
        run_segrun(concat({"train", "--out", out, "--max-steps-per-epoch", "1"}, tiny_training_flags(1)));
    REQUIRE_MESSAGE(r.code == 0, r.err);
    return out;
  }();
  return run;
}

std::string file_bytes(const std::string& path) {
  return training::read_text_file(path);
}

}  // namespace

TEST_CASE("predict refuses to overwrite its input") {
  ScratchDir dir("predict_inputs");
  const std::string image = tiny_dataset_root() + "/leftImg8bit/val/synthval/synthval_000000_000000_leftImg8bit.png";
  REQUIRE(fs::exists(image));
  fs::create_directories(dir.str("in"));
  fs::copy_file(image, dir.str("in/a.png"));
  const std::string before = file_bytes(dir.str("in/a.png"));
  const std::vector<std::string> base = {"predict", "--model", "attention_unet", "--weights",
                                         tiny_run() + "/best.safetensors"};
  const CliResult same = run_segrun(concat(base, {"--input", dir.str("in"), "--out", dir.str("in")}));
  CHECK(same.code == 2);
  CHECK_MESSAGE(first_line(same.err).find("input") != std::string::npos, same.err);
  CHECK(file_bytes(dir.str("in/a.png")) == before);
  const CliResult single = run_segrun(concat(base, {"--input", dir.str("in/a.png"), "--out", dir.str("in")}));
  CHECK(single.code == 2);
  CHECK(file_bytes(dir.str("in/a.png")) == before);
}

TEST_CASE("predict refuses two inputs that would write one output") {
  ScratchDir dir("predict_clash");
  const std::string image = tiny_dataset_root() + "/leftImg8bit/val/synthval/synthval_000000_000000_leftImg8bit.png";
  fs::create_directories(dir.str("in"));
  fs::copy_file(image, dir.str("in/a.png"));
  fs::copy_file(image, dir.str("in/a.jpg"));  // decoded by content, so a PNG under .jpg is fine
  const CliResult r = run_segrun({"predict", "--model", "attention_unet", "--weights", tiny_run() + "/best.safetensors",
                                  "--input", dir.str("in"), "--out", dir.str("out")});
  CHECK(r.code == 2);
  const std::string line = first_line(r.err);
  CHECK_MESSAGE(line.find("a.jpg") != std::string::npos, line);
  CHECK_MESSAGE(line.find("a.png") != std::string::npos, line);
  CHECK_FALSE(fs::exists(dir.str("out/a.png")));
  // A folder of distinct names still works.
  fs::remove(dir.str("in/a.jpg"));
  const CliResult ok =
      run_segrun({"predict", "--model", "attention_unet", "--weights", tiny_run() + "/best.safetensors", "--input",
                  dir.str("in"), "--out", dir.str("out")});
  CHECK_MESSAGE(ok.code == 0, ok.err);
  CHECK(fs::exists(dir.str("out/a.png")));
}

TEST_CASE("huge --threads and --loader-threads are refused at parse time naming the flag") {
  check_refused(train_args({"--threads", "100000"}), "--threads");
  check_refused(train_args({"--loader-threads", "2000"}), "--loader-threads");
  check_refused({"demo", "--quick", "--out", "/tmp/segrun_unused_demo", "--threads", "100000"}, "--threads");
  check_refused({"bench", "conv", "--threads", "100000"}, "--threads");
  check_refused({"synth", "--out", "/tmp/segrun_unused_synth", "--threads", "100000"}, "--threads");
}

TEST_CASE("huge --width, --size, --batch and --epochs are refused at parse time naming the flag") {
  check_refused(train_args({"--width", "100000"}), "--width");
  check_refused(train_args({"--size", "65536x65536"}), "--size", "at most");
  check_refused(train_args({"--batch", "1000000"}), "--batch");
  check_refused(train_args({"--model", "deeplabv3plus", "--batch", "1"}), "--batch", "at least 2 images");
  check_refused(train_args({"--epochs", "2000000000"}), "--epochs");
  check_refused({"synth", "--out", "/tmp/segrun_unused_synth", "--size", "100000x16"}, "--size", "at most");
  // Within every single limit but together far beyond any machine's memory.
  check_refused(train_args({"--batch", "4096", "--size", "8192x8192", "--width", "512"}), "--batch", "GiB");
}

TEST_CASE("NaN and infinite flag values are rejected at parse time with the flag named") {
  for (const char* bad : {"nan", "inf", "-inf", "1e999", "0", "-1e-4", "1e-4x"}) {
    CAPTURE(bad);
    check_refused(train_args({"--lr", bad}), "--lr");
  }
  for (const char* bad : {"nan,1,1", "1,inf,1", "1,1,1e999"}) {
    CAPTURE(bad);
    check_refused(train_args({"--weights", bad}), "--weights");
  }
}

TEST_CASE("loose numbers are refused: --shard 0/1/2 and --seed -1, 99999999999999999999 or ''") {
  const std::vector<std::string> study = {"ablation", "--out", "/tmp/segrun_unused_study", "--root",
                                          tiny_dataset_root()};
  for (const char* shard : {"0/1/2", "0/4x", "+0/4", "0/", "/4"}) {
    CAPTURE(shard);
    check_refused(concat(study, {"--shard", shard}), "--shard");
  }
  for (const char* seed : {"-1", "99999999999999999999", "", "1.5", " 7"}) {
    CAPTURE(seed);
    check_refused(train_args({"--seed", seed}), "--seed");
  }
  check_refused({"synth", "--out", "/tmp/segrun_unused_synth", "--seed", "-1"}, "--seed");
}

TEST_CASE("report reads ablation.json's run order without use-after-free") {
  // The run list of ablation.json is iterated while the parsed file is alive (under ASan the
  // old loop over a temporary's member aborted); the order given there wins over the name order.
  ScratchDir dir("report_order");
  for (const char* run : {"b-run", "a-run"}) {
    fs::create_directories(dir.str(run));
    training::write_json_atomic(dir.str(std::string(run) + "/config.json"),
                                {{"model", "attention_unet"}, {"loss", "equal"}, {"class_names", {"x", "y"}}});
  }
  training::write_json_atomic(dir.str("ablation.json"), {{"model", "attention_unet"}, {"runs", {"b-run", "a-run"}}});
  const report::StudyData study = report::load_study(dir.str());
  REQUIRE(study.runs.size() == 2);
  CHECK(study.runs[0].name == "b-run");
  CHECK(study.runs[1].name == "a-run");
}

TEST_CASE("report over runs with different class counts names both runs") {
  ScratchDir dir("report_classes");
  fs::create_directories(dir.str("a"));
  fs::create_directories(dir.str("b"));
  training::write_json_atomic(dir.str("a/config.json"),
                              {{"model", "attention_unet"}, {"loss", "equal"}, {"class_names", {"x", "y"}}});
  training::write_json_atomic(dir.str("b/config.json"),
                              {{"model", "attention_unet"}, {"loss", "equal"}, {"class_names", {"x", "y", "z"}}});
  const CliResult r = run_segrun({"report", dir.str()});
  CHECK(r.code != 0);
  const std::string line = first_line(r.err);
  CHECK_MESSAGE(line.find(dir.str("a")) != std::string::npos, line);
  CHECK_MESSAGE(line.find(dir.str("b")) != std::string::npos, line);
  CHECK_MESSAGE(line.find("classes") != std::string::npos, line);
}

TEST_CASE("a broken checkpoint's loop state is an error naming the file and the field") {
  ScratchDir dir("broken_checkpoint");
  const std::string weights = tiny_run() + "/last.safetensors";
  nn::TensorFile file = nn::read_safetensors(weights);
  const training::Json loop = training::Json::parse(file.metadata.at("segrun.loop_state"));
  std::vector<nn::FileTensor> tensors;
  for (const auto& [name, t] : file.tensors) tensors.push_back({name, t, false});
  // The tiny run's last checkpoint with its loop state replaced by `state`.
  auto checkpoint_with = [&](const std::string& state) {
    const std::string path = dir.str("ckpt.safetensors");
    nn::write_safetensors(path, tensors, {{"segrun.loop_state", state}});
    return path;
  };
  // Each bad loop state: the copied run refuses to resume with one line naming file and field.
  struct Case {
    const char* field;
    training::Json value;
  };
  for (const Case& c :
       {Case{"next_epoch", -5}, Case{"next_epoch", 1ll << 40}, Case{"next_step", "x"}, Case{"log_lines", -1}}) {
    CAPTURE(c.field);
    training::Json bad = loop;
    bad[c.field] = c.value;
    const std::string run = dir.str(std::string("run_") + c.field + "_" + c.value.dump());
    fs::copy(tiny_run(), run, fs::copy_options::recursive);
    fs::remove(run + "/metrics.json");
    fs::remove(run + "/segrun.lock");
    fs::copy_file(checkpoint_with(bad.dump()), run + "/last.safetensors", fs::copy_options::overwrite_existing);
    const CliResult r =
        run_segrun(concat({"train", "--resume", "--out", run, "--max-steps-per-epoch", "1"}, tiny_training_flags(1)));
    CHECK(r.code == 1);
    const std::string line = first_line(r.err);
    CHECK_MESSAGE(line.find(run + "/last.safetensors") != std::string::npos, line);
    CHECK_MESSAGE(line.find(c.field) != std::string::npos, line);
  }
  // Not JSON at all.
  const std::string run = dir.str("run_garbage");
  fs::copy(tiny_run(), run, fs::copy_options::recursive);
  fs::remove(run + "/metrics.json");
  fs::copy_file(checkpoint_with("{not json"), run + "/last.safetensors", fs::copy_options::overwrite_existing);
  const CliResult r =
      run_segrun(concat({"train", "--resume", "--out", run, "--max-steps-per-epoch", "1"}, tiny_training_flags(1)));
  CHECK(r.code == 1);
  CHECK_MESSAGE(first_line(r.err).find("segrun.loop_state") != std::string::npos, r.err);
}

TEST_CASE("--resize: an unknown filter is refused naming the flag; config.json records the filter") {
  check_refused(train_args({"--resize", "bicubic"}), "--resize");
  CHECK(training::read_json_file(tiny_run() + "/config.json").at("resize") == "antialias");
}

TEST_CASE("--resume refuses another --resize; a run stored without one resized with bilinear") {
  ScratchDir dir("resume_resize");
  const std::string out = dir.str("run");
  const std::vector<std::string> start = {"train", "--out", out, "--max-steps-per-epoch", "1"};
  const CliResult first = run_segrun(concat(concat(start, {"--stop-after-epochs", "1"}), tiny_training_flags(2)));
  REQUIRE_MESSAGE(first.code == 0, first.err);
  const std::vector<std::string> resume_bilinear =
      concat(concat(start, {"--resume", "--resize", "bilinear"}), tiny_training_flags(2));
  const CliResult refused = run_segrun(resume_bilinear);
  CHECK(refused.code != 0);
  CHECK_MESSAGE(first_line(refused.err).find("--resize \"antialias\", not \"bilinear\"") != std::string::npos,
                refused.err);
  // A config.json from before the filter was recorded: its runs resized with 4-tap bilinear.
  training::Json config = training::read_json_file(out + "/config.json");
  config.erase("resize");
  std::ofstream(out + "/config.json") << config.dump(2);
  const CliResult resumed = run_segrun(resume_bilinear);
  CHECK_MESSAGE(resumed.code == 0, resumed.err);
  CHECK(fs::exists(out + "/metrics.json"));
}

TEST_CASE("--resume accepts the same root given relative or absolute") {
  ScratchDir dir("resume_relative");
  const std::string out = dir.str("run");
  const std::string absolute_root = tiny_dataset_root();
  const CliResult first = run_segrun(concat(
      {"train", "--out", out, "--max-steps-per-epoch", "1", "--stop-after-epochs", "1"}, tiny_training_flags(2)));
  REQUIRE_MESSAGE(first.code == 0, first.err);
  const fs::path cwd = fs::current_path();
  fs::current_path(fs::path(absolute_root).parent_path());
  std::vector<std::string> flags = tiny_training_flags(2);
  for (std::string& f : flags) {
    if (f == absolute_root) f = fs::path(absolute_root).filename().string();  // "data", relative
  }
  const CliResult resumed =
      run_segrun(concat({"train", "--resume", "--out", out, "--max-steps-per-epoch", "1"}, flags));
  fs::current_path(cwd);
  CHECK_MESSAGE(resumed.code == 0, resumed.err);
  CHECK(fs::exists(out + "/metrics.json"));
}

TEST_CASE("evaluate scores a run's val_pred folder by position") {
  const CliResult r = run_segrun({"evaluate", "--dataset", "cityscapes", "--root", tiny_dataset_root(), "--split",
                                  "val", "--pred-dir", tiny_run() + "/val_pred", "--json"});
  CHECK_MESSAGE(r.code == 0, r.err);
}

}  // namespace segrun::test
