// End to end on a tiny synthetic set: a two-configuration ablation with its report, the run
// files' fields, and --resume after a stop reproducing an uninterrupted run bit for bit.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "tests/apps/app_test_util.h"
#include "training/run_records.h"

namespace segrun::test {

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// metrics.json without the wall time, which differs between any two runs.
std::string metrics_without_time(const std::string& run_dir) {
  training::Json m = training::read_json_file(run_dir + "/metrics.json");
  m.erase("wall_time_s");
  return m.dump();
}

std::vector<training::Json> log_without_times(const std::string& run_dir) {
  std::vector<training::Json> lines = training::read_json_lines(run_dir + "/log.jsonl");
  for (training::Json& l : lines) {
    l.erase("time_s");
    l.erase("phases_s");
  }
  return lines;
}

}  // namespace

TEST_CASE("a two-configuration, one-epoch ablation writes every report section") {
  ScratchDir dir("study");
  const std::string out = dir.str("study");
  const CliResult r = run_segrun(
      concat({"ablation", "--model", "attention_unet", "--configs", "ce_only,dice_dominant", "--then", "deeplabv3plus",
              "--out", out, "--max-steps-per-epoch", "1", "--grad-probe-every", "1", "--resize", "bilinear"},
             tiny_training_flags(1)));
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const training::Json study = training::read_json_file(out + "/ablation.json");
  CHECK(study.at("runs").size() == 3);
  const std::string md = training::read_text_file(out + "/report.md");
  for (const char* section :
       {"Table III", "Table IV", "Table V", "Table VI", "Paired significance", "## Convergence", "## Gradient dynamics",
        "## Qualitative comparison", "## Per-class IoU", "DeepLabV3+", " pp"}) {
    CHECK_MESSAGE(contains(md, section), section);
  }
  // The image filter reaches every run and the report's setup.
  CHECK(training::read_json_file(out + "/deeplabv3plus-ce_only/config.json").at("resize") == "bilinear");
  CHECK(contains(md, "images resized with 4-tap bilinear"));
  const std::string html = training::read_text_file(out + "/report.html");
  CHECK(contains(html, "<svg"));
  CHECK(contains(html, "data:image/png;base64,"));
  CHECK(contains(html, "Table VI"));
  CHECK(std::filesystem::exists(out + "/figures/panel_1.png"));
  CHECK(std::filesystem::exists(out + "/figures/grad_params_ce.svg"));  // probe steps were logged

  // A second invocation finds every run finished and trains nothing.
  const auto metrics_time = std::filesystem::last_write_time(out + "/attention_unet-ce_only/metrics.json");
  const CliResult again =
      run_segrun(concat({"ablation", "--configs", "ce_only,dice_dominant", "--then", "deeplabv3plus", "--out", out,
                         "--max-steps-per-epoch", "1", "--grad-probe-every", "1", "--resize", "bilinear"},
                        tiny_training_flags(1)));
  CHECK(again.code == 0);
  CHECK(std::filesystem::last_write_time(out + "/attention_unet-ce_only/metrics.json") == metrics_time);
  CHECK(training::read_json_lines(out + "/deeplabv3plus-ce_only/log.jsonl").size() == 2);
}

TEST_CASE("an ablation over two seeds trains every run per seed and reports means, intervals and paired tests") {
  ScratchDir dir("study_seeds");
  const std::string out = dir.str("study");
  const std::vector<std::string> flags =
      concat({"ablation", "--configs", "ce_only,dice_dominant", "--then", "deeplabv3plus", "--seeds", "5,6", "--out",
              out, "--max-steps-per-epoch", "1"},
             tiny_training_flags(1));
  const CliResult r = run_segrun(flags);
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const training::Json study = training::read_json_file(out + "/ablation.json");
  CHECK(study.at("seeds") == training::Json::array({5, 6}));
  CHECK(study.at("runs").size() == 6);  // two configurations and the second model, per seed
  for (const char* run : {"attention_unet-ce_only-seed5", "attention_unet-ce_only-seed6",
                          "attention_unet-dice_dominant-seed5", "attention_unet-dice_dominant-seed6"}) {
    CHECK_MESSAGE(training::read_json_file(out + "/" + run + "/config.json").at("seed") ==
                      (std::string(run).back() == '5' ? 5 : 6),
                  run);
  }
  const std::string md = training::read_text_file(out + "/report.md");
  for (const char* text :
       {"Across seeds", "+-", "p (Holm)", "Ranked first", "of 2", "The per-run tables show seed 5"}) {
    CHECK_MESSAGE(contains(md, text), text);
  }
  // Seeds are whole numbers, given once, and exclude --seed.
  CHECK(run_segrun(concat({"ablation", "--seeds", "5,-1", "--out", dir.str("bad")}, tiny_training_flags(1))).code == 2);
  CHECK(run_segrun(concat({"ablation", "--seeds", "5,5", "--out", dir.str("bad")}, tiny_training_flags(1))).code == 2);
  CHECK(
      run_segrun(concat({"ablation", "--seeds", "5,6", "--seed", "3", "--out", dir.str("bad")}, tiny_training_flags(1)))
          .code == 2);
}

TEST_CASE("log.jsonl and metrics.json hold every documented field") {
  ScratchDir dir("fields");
  const std::string run = dir.str("run");
  REQUIRE(run_segrun(
              concat({"train", "--loss", "equal", "--out", run, "--max-steps-per-epoch", "2"}, tiny_training_flags(2)))
              .code == 0);
  size_t steps = 0, epochs = 0;
  for (const training::Json& line : training::read_json_lines(run + "/log.jsonl")) {
    if (line.at("type") == "step") {
      ++steps;
      for (const char* key : {"epoch", "step", "loss", "terms", "grad_norm", "loss_scale", "skipped", "lr",
                              "logit_grad_norm", "ce_dice_cosine"}) {
        CHECK_MESSAGE(line.contains(key), key);
      }
      CHECK(line.at("terms").size() == 3);
      CHECK(line.at("logit_grad_norm").size() == 3);
      CHECK(line.at("ce_dice_cosine").is_number());
    } else {
      ++epochs;
      for (const char* key : {"train_loss", "val_loss", "val_miou", "pixel_accuracy", "per_class_iou", "time_s"}) {
        CHECK_MESSAGE(line.contains(key), key);
      }
      for (const char* phase : {"data_wait", "forward", "backward", "optimizer", "validation", "checkpoint"}) {
        CHECK_MESSAGE(line.at("phases_s").at(phase).get<double>() >= 0, phase);
      }
      CHECK(line.at("phases_s").at("forward").get<double>() > 0);
      CHECK(line.at("per_class_iou").size() == 19);
    }
  }
  CHECK(steps == 4);
  CHECK(epochs == 2);
  const training::Json m = training::read_json_file(run + "/metrics.json");
  for (const char* key :
       {"best_miou", "final_miou", "best_pixel_accuracy", "mean_dice", "boundary_iou", "per_class_iou",
        "loss_reduction_pct", "stability", "avg_grad_norm", "min_val_loss", "wall_time_s"}) {
    CHECK_MESSAGE(m.contains(key), key);
  }
  const training::Json per_image = training::read_json_file(run + "/per_image_miou.json");
  CHECK(per_image.at("ids").size() == 4);
  CHECK(per_image.at("miou").size() == 4);
  CHECK(training::read_json_file(run + "/config.json").at("weights").at("dice") == 1.0);
}

TEST_CASE("--resume after a stop ends with the same metrics and log as an uninterrupted run") {
  ScratchDir dir("resume");
  const std::vector<std::string> flags =
      concat({"--loss", "dice_dominant", "--max-steps-per-epoch", "2"}, tiny_training_flags(3));
  REQUIRE(run_segrun(concat({"train", "--out", dir.str("whole")}, flags)).code == 0);
  REQUIRE(run_segrun(concat({"train", "--out", dir.str("split"), "--stop-after-epochs", "1"}, flags)).code == 0);
  CHECK_FALSE(std::filesystem::exists(dir.str("split/metrics.json")));
  // A run killed mid-epoch leaves step lines the checkpoint does not cover; resume drops them.
  std::ofstream(dir.str("split/log.jsonl"), std::ios::app) << "{\"type\":\"step\",\"epoch\":1,\"step\":2,\"loss\":9}\n";
  const CliResult without_resume = run_segrun(concat({"train", "--out", dir.str("split")}, flags));
  CHECK(without_resume.code == 2);
  CHECK(contains(without_resume.err, "--resume"));
  REQUIRE(run_segrun(concat({"train", "--out", dir.str("split"), "--resume"}, flags)).code == 0);
  CHECK(metrics_without_time(dir.str("split")) == metrics_without_time(dir.str("whole")));
  CHECK(log_without_times(dir.str("split")) == log_without_times(dir.str("whole")));
  CHECK(training::read_text_file(dir.str("split/per_image_miou.json")) ==
        training::read_text_file(dir.str("whole/per_image_miou.json")));
}

}  // namespace segrun::test
