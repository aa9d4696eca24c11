// Run-directory formats: summaries from hand-computed logs, JSON round trips, atomic writes.
#include "training/run_records.h"

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "apps/segrun/ablation.h"
#include "report/panels.h"
#include "report/report_writer.h"
#include "report/svg_chart.h"
#include "report/table.h"
#include "tests/apps/app_test_util.h"

namespace segrun::test {

using training::EpochRecord;
using training::StepRecord;

namespace {

training::RunLog six_epoch_log() {
  training::RunLog log;
  const double train[] = {2.0, 1.5, 1.2, 1.1, 1.0, 0.9};
  const double val[] = {1.8, 1.4, 1.3, 1.25, 1.35, 1.4};
  const double acc[] = {0.5, 0.6, 0.7, 0.8, 0.75, 0.7};
  for (int e = 0; e < 6; ++e) {
    EpochRecord r;
    r.epoch = e;
    r.train_loss = train[e];
    r.val_loss = val[e];
    r.pixel_accuracy = acc[e];
    r.val_miou = 0.1 * e;
    log.epochs.push_back(r);
  }
  const double norms[] = {3.0, 1.0, 1e9, 2.0};
  for (int s = 0; s < 4; ++s) {
    StepRecord r;
    r.step = s;
    r.grad_norm = norms[s];
    r.skipped = s == 2;
    log.steps.push_back(r);
  }
  return log;
}

}  // namespace

TEST_CASE("summarise_run: loss reduction, stability, mean grad norm over taken steps, min val loss") {
  training::BestScores best;
  best.epoch = 3;
  best.miou = 0.3;
  best.per_class_iou = {0.5, std::nan("")};
  const training::RunMetrics m = training::summarise_run(six_epoch_log(), best, 12.5);
  CHECK(m.loss_reduction_pct == doctest::Approx(55.0));  // (2.0 - 0.9) / 2.0
  // Last five train losses 1.5 1.2 1.1 1.0 0.9: mean 1.14, population variance 0.0424.
  CHECK(m.stability == doctest::Approx(std::sqrt(0.0424)));
  CHECK(m.avg_grad_norm == doctest::Approx(2.0));  // (3 + 1 + 2) / 3, the skipped step left out
  CHECK(m.skipped_steps == 1);
  CHECK(m.min_val_loss == doctest::Approx(1.25));
  CHECK(m.best_pixel_accuracy == doctest::Approx(0.8));
  CHECK(m.final_miou == doctest::Approx(0.5));
  CHECK(m.best_epoch == 3);
  CHECK(m.wall_time_s == 12.5);
  const training::Json j = training::to_json(m, {"road", "sky"});
  CHECK(j.at("per_class_iou").at("sky").is_null());
  const training::RunMetrics back = training::metrics_from_json(j);
  CHECK(back.stability == m.stability);
  CHECK(std::isnan(back.per_class_iou[1]));
}

TEST_CASE("step and epoch records survive a JSON-lines round trip; a truncated last line is dropped") {
  ScratchDir dir("records");
  const std::string path = dir.str("log.jsonl");
  StepRecord s;
  s.epoch = 1;
  s.step = 7;
  s.loss = 0.75;
  s.terms = {{"ce", 0.5}, {"dice", 0.25}};
  s.grad_norm = 1.5;
  s.loss_scale = 32768;
  s.skipped = true;
  s.lr = 5e-5;
  s.logit_grad_norm = {{"ce", 0.01}, {"dice", 0.002}};
  s.ce_dice_cosine = -0.25;
  training::append_json_line(path, training::to_json(s));
  EpochRecord e;
  e.epoch = 1;
  e.per_class_iou = {0.25, std::nan("")};
  training::append_json_line(path, training::to_json(e));
  std::ofstream(path, std::ios::app) << "{\"type\":\"step\",\"epo";
  const training::RunLog log = training::read_run_log(path);
  REQUIRE(log.steps.size() == 1);
  REQUIRE(log.epochs.size() == 1);
  CHECK(log.steps[0].step == 7);
  CHECK(log.steps[0].terms.at("dice") == 0.25);
  CHECK(log.steps[0].skipped);
  CHECK(log.steps[0].loss_scale == 32768);
  CHECK(*log.steps[0].ce_dice_cosine == -0.25);
  CHECK(log.steps[0].param_grad_norm.empty());
  CHECK(std::isnan(log.epochs[0].per_class_iou[1]));
}

TEST_CASE("run records refuse counts that are not whole numbers in range, naming the field") {
  // A fuzzed log line: a step number beyond int64 used to be converted with undefined behaviour.
  training::Json step = training::to_json(StepRecord{});
  step["step"] = 3.333e72;
  CHECK_THROWS_WITH_AS(training::step_from_json(step), doctest::Contains("step is"), std::runtime_error);
  step["step"] = 1.5;
  CHECK_THROWS_WITH_AS(training::step_from_json(step), doctest::Contains("step is 1.5"), std::runtime_error);
  step["step"] = 7;
  step["epoch"] = -2;
  CHECK_THROWS_WITH_AS(training::step_from_json(step), doctest::Contains("epoch is -2"), std::runtime_error);
  step["epoch"] = 3;
  CHECK(training::step_from_json(step).step == 7);
  CHECK(training::step_from_json(step).epoch == 3);
}

TEST_CASE("write_file_atomic replaces the file and leaves no temporary behind") {
  ScratchDir dir("atomic");
  const std::string path = dir.str("metrics.json");
  training::write_file_atomic(path, "first");
  training::write_file_atomic(path, "second");
  CHECK(training::read_text_file(path) == "second");
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.str())) files += entry.is_regular_file();
  CHECK(files == 1);
}

TEST_CASE("report helpers: base64, percentage points, p-values, ticks") {
  using namespace report;
  CHECK(base64_encode("Man") == "TWFu");
  CHECK(base64_encode("Ma") == "TWE=");
  CHECK(base64_encode("M") == "TQ==");
  CHECK(signed_pp(0.0224) == "+2.24 pp");
  CHECK(signed_pp(-0.1276) == "-12.76 pp");
  CHECK(p_value(0.03125) == "0.0312");
  CHECK(p_value(2e-6) == "<1e-4");
  const std::vector<double> unit = nice_ticks(0.0, 1.0, 5);
  REQUIRE(unit.size() == 6);
  for (size_t i = 0; i < unit.size(); ++i) CHECK(unit[i] == doctest::Approx(0.2 * static_cast<double>(i)));
  CHECK(nice_ticks(3.0, 17.0, 6) == std::vector<double>{0, 5, 10, 15, 20});
  Series s{"a", "#000", {0, 1, 2, 3}, {1, 3, 5, 7}, false};
  const Series d = downsample(s, 2);
  CHECK(d.x == std::vector<double>{0.5, 2.5});
  CHECK(d.y == std::vector<double>{2.0, 6.0});
}

TEST_CASE("ablation plan: config lists and shards") {
  CHECK(app::parse_config_list("all").size() == 7);
  CHECK(app::parse_config_list("dice_only,equal,dice_only") == std::vector<std::string>{"dice_only", "equal"});
  int index = 0, count = 0;
  app::parse_shard("1/4", index, count);
  CHECK(index == 1);
  CHECK(count == 4);
  CHECK_THROWS_AS(app::parse_shard("4/4", index, count), std::invalid_argument);
  CHECK(app::run_folder_name("deeplabv3plus", "dice_dominant") == "deeplabv3plus-dice_dominant");
}

}  // namespace segrun::test
