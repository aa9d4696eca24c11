// The claims table's logic on synthetic study folders: run folders written by hand with chosen
// per-image scores, so each claim's verdict is known in advance.
#include "report/claims.h"

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "report/gradient_dynamics.h"
#include "report/run_data.h"
#include "tests/support/scratch_dir.h"
#include "training/run_files.h"
#include "training/run_records.h"

namespace segrun::test {

namespace {

const std::vector<std::string> kClasses = {"road", "car", "person"};

struct RunSpec {
  std::string model = "attention_unet", config;
  uint64_t seed = 1;
  double image_miou = 0.5;  // every validation image scores about this
  double best = 0.5, final = 0.5, boundary = 0.3;
  std::vector<double> per_class = {0.8, 0.5, 0.2};
};

// A finished run folder: config.json, an empty log, metrics.json and per_image_miou.json with
// 20 images whose scores are image_miou plus a small image-dependent wobble.
void write_run(const ScratchDir& dir, const RunSpec& s, const std::vector<training::StepRecord>& steps = {}) {
  const std::string run = dir.str(s.model + "-" + s.config + "-seed" + std::to_string(s.seed));
  training::make_directories(run);
  training::write_json_atomic(run + "/config.json", {{"model", s.model},
                                                     {"loss", s.config},
                                                     {"seed", s.seed},
                                                     {"epochs", 10},
                                                     {"class_names", kClasses},
                                                     {"class_weight_values", {1.0, 3.0, 9.0}}});
  std::ofstream log(run + "/log.jsonl");
  for (const training::StepRecord& step : steps) log << training::to_json(step).dump() << "\n";
  log.close();
  training::RunMetrics m;
  m.best_miou = s.best;
  m.final_miou = s.final;
  m.best_epoch = 4;
  m.boundary_iou = s.boundary;
  m.per_class_iou = s.per_class;
  training::write_json_atomic(run + "/metrics.json", training::to_json(m, kClasses));
  std::vector<std::string> ids;
  std::vector<double> miou;
  for (int i = 0; i < 20; ++i) {
    ids.push_back("img" + std::to_string(i));
    miou.push_back(s.image_miou + 0.01 * std::sin(i + 0.3 * static_cast<double>(s.seed)));
  }
  training::write_json_atomic(run + "/per_image_miou.json", {{"epoch", 4}, {"ids", ids}, {"miou", miou}});
}

report::Claim claim(const std::vector<report::Claim>& claims, const std::string& start) {
  for (const report::Claim& c : claims)
    if (c.statement.rfind(start, 0) == 0) return c;
  FAIL("no claim starting with " << start);
  return {};
}

}  // namespace

TEST_CASE("claims: one that holds, one that fails, and undecided ones, on synthetic runs") {
  ScratchDir dir("claims");
  for (uint64_t seed : {1, 2, 3}) {
    // dice_dominant clearly best; ce_only beats the equal combination; dice_only collapses in
    // every seed; focal_only has higher rare-class IoU than ce_only in every seed.
    write_run(dir, {"attention_unet", "dice_dominant", seed, 0.70, 0.70, 0.70, 0.40, {0.9, 0.6, 0.3}});
    write_run(dir, {"attention_unet", "equal", seed, 0.40, 0.45, 0.45, 0.30, {0.8, 0.5, 0.2}});
    write_run(dir, {"attention_unet", "ce_only", seed, 0.50, 0.50, 0.50, 0.30, {0.8, 0.5, 0.1 + 0.01 * seed}});
    write_run(dir, {"attention_unet", "focal_only", seed, 0.30, 0.35, 0.35, 0.30, {0.7, 0.5, 0.3 + 0.02 * seed}});
    write_run(dir, {"attention_unet", "dice_only", seed, 0.20, 0.40, 0.30, 0.30, {0.7, 0.3, 0.1}});
  }
  write_run(dir, {"deeplabv3plus", "dice_dominant", 1, 0.6, 0.6, 0.6});
  const report::StudyData study = report::load_study(dir.str());
  CHECK(study.seeds.size() == 3);
  CHECK(study.primary_model == "attention_unet");
  const std::vector<report::Claim> claims = report::evaluate_claims(study);
  REQUIRE(claims.size() == 6);

  const report::Claim best = claim(claims, "Dice-dominant");
  INFO(best.evidence);
  CHECK(best.verdict == report::Verdict::Holds);
  const report::Claim combos = claim(claims, "Every combination");
  INFO(combos.evidence);
  CHECK(combos.verdict == report::Verdict::DoesNotHold);  // ce_only is better than equal
  const report::Claim collapse = claim(claims, "Dice alone");
  INFO(collapse.evidence);
  CHECK(collapse.verdict == report::Verdict::Holds);  // drop 0.10 > 0.05 in all three seeds
  CHECK(collapse.evidence.find("3 of 3 runs collapsed") != std::string::npos);
  const report::Claim rare = claim(claims, "Focal loss");
  INFO(rare.evidence);
  CHECK(rare.verdict == report::Verdict::Holds);  // the rarest class (largest weight) gains every seed
  const report::Claim carry = claim(claims, "The best weighting carries over");
  INFO(carry.evidence);
  CHECK(carry.verdict == report::Verdict::Undecided);  // one configuration on the second network
  CHECK(carry.evidence.find("nothing to compare") != std::string::npos);
}

TEST_CASE("claims: a single seed leaves the tests over seeds undecided") {
  ScratchDir dir("claims_one_seed");
  write_run(dir, {"attention_unet", "dice_dominant", 7, 0.6, 0.6, 0.6, 0.5});
  write_run(dir, {"attention_unet", "equal", 7, 0.5, 0.5, 0.5, 0.3});
  write_run(dir, {"attention_unet", "dice_only", 7, 0.2, 0.4, 0.2});
  const std::vector<report::Claim> claims = report::evaluate_claims(report::load_study(dir.str()));
  const report::Claim boundary = claim(claims, "The best weighting improves boundary");
  INFO(boundary.evidence);
  CHECK(boundary.verdict == report::Verdict::Undecided);
  CHECK(boundary.evidence.find("needs at least 2") != std::string::npos);
  CHECK(claim(claims, "Dice alone").verdict == report::Verdict::Undecided);  // one collapsed run decides nothing
  const report::StudyData study = report::load_study(dir.str());
  const report::RunData* dice_only = report::find_run(study, "attention_unet", "dice_only");
  REQUIRE(dice_only != nullptr);
  CHECK(report::collapsed(*dice_only));  // best 0.4, final 0.2
  CHECK_FALSE(report::collapsed(*report::find_run(study, "attention_unet", "equal")));
}

TEST_CASE("the gradient-dynamics paragraph is written from the logged per-class Dice pull and cosine") {
  ScratchDir dir("gradient_dynamics");
  // Ten epochs of one step each. dice_only: best at epoch 4 (0-based 3), then its pull on the
  // rarest class (index 2, weight 9) triples; dice_dominant: steady, with a CE-Dice cosine.
  std::vector<training::StepRecord> collapsing, steady;
  for (int e = 0; e < 10; ++e) {
    training::StepRecord a;
    a.epoch = e;
    a.step = e;
    a.dice_class_grad = {0.01, 0.02, e <= 3 ? 0.1 : 0.3};
    collapsing.push_back(a);
    training::StepRecord b = a;
    b.dice_class_grad = {0.01, 0.02, 0.05};
    b.ce_dice_cosine = 0.25;
    steady.push_back(b);
  }
  write_run(dir, {"attention_unet", "dice_only", 1, 0.2, 0.40, 0.20, 0.3, {0.7, 0.3, 0.1}}, collapsing);
  write_run(dir, {"attention_unet", "dice_dominant", 1, 0.6, 0.60, 0.60, 0.3, {0.8, 0.5, 0.2}}, steady);
  const std::string text = report::gradient_dynamics_text(report::load_study(dir.str()));
  INFO(text);
  CHECK(text.find("Dice only: rare classes pulled") != std::string::npos);
  CHECK(text.find("it collapsed after epoch 5") != std::string::npos);  // metrics' best_epoch 4 is 0-based
  CHECK(text.find("the collapse follows a rise in the pull on rare classes") != std::string::npos);
  CHECK(text.find("CE-Dice cosine 0.25 on average; no collapse") != std::string::npos);
}

}  // namespace segrun::test
