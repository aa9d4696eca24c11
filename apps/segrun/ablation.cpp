#include "apps/segrun/ablation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "data/stale_temp_files.h"
#include "report/report_writer.h"
#include "training/trainer.h"

namespace segrun::app {

using training::Json;

using training::DirectoryLock;
using training::join_path;
using training::make_directories;
using training::number_from;
using training::read_json_file;
using training::run_state;
using training::RunState;
using training::write_json_atomic;

namespace {

// The seeds this plan trains: its list, or the base configuration's seed.
std::vector<uint64_t> plan_seeds(const AblationPlan& plan) {
  return plan.seeds.empty() ? std::vector<uint64_t>{plan.base.seed} : plan.seeds;
}

std::string folder_of(const AblationPlan& plan, const std::string& model, const std::string& config, uint64_t seed) {
  return plan.seeds.size() > 1 ? run_folder_name(model, config, seed) : run_folder_name(model, config);
}

// The first model's configuration with the highest mean best mIoU over the seeds, or "" while
// any of its runs is unfinished. A diverged run (null mIoU) counts for nothing in the mean; a
// configuration with no finite value is chosen only when no configuration has one.
std::string best_first_model_config(const AblationPlan& plan) {
  std::string best;
  double best_mean = std::numeric_limits<double>::quiet_NaN();
  for (const std::string& config : plan.configs) {
    double sum = 0;
    int finite = 0;
    for (uint64_t seed : plan_seeds(plan)) {
      const std::string dir = join_path(plan.out, folder_of(plan, plan.model, config, seed));
      if (run_state(dir) != RunState::Finished) return "";
      const double miou = number_from(read_json_file(join_path(dir, "metrics.json")).at("best_miou"));
      if (std::isfinite(miou)) sum += miou, ++finite;
    }
    const double mean = finite > 0 ? sum / finite : std::numeric_limits<double>::quiet_NaN();
    if (best.empty() || (std::isfinite(mean) && !(mean <= best_mean))) {
      best_mean = mean;
      best = config;
    }
  }
  return best;
}

void write_study_file(const AblationPlan& plan, const std::string& best) {
  Json runs = Json::array();
  for (uint64_t seed : plan_seeds(plan)) {
    for (const std::string& c : plan.configs) runs.push_back(folder_of(plan, plan.model, c, seed));
  }
  for (uint64_t seed : plan_seeds(plan)) {
    if (!plan.then_model.empty() && !best.empty()) runs.push_back(folder_of(plan, plan.then_model, best, seed));
  }
  write_json_atomic(join_path(plan.out, "ablation.json"), {{"model", plan.model},
                                                           {"configs", plan.configs},
                                                           {"then", plan.then_model},
                                                           {"seeds", plan_seeds(plan)},
                                                           {"best_config", best},
                                                           {"runs", runs}});
}

// Trains one run unless it has finished; an interrupted run resumes.
void run_one(const AblationPlan& plan, const std::string& model, const std::string& config, uint64_t seed,
             AblationOutcome& outcome) {
  TrainConfig c = plan.base;
  c.model = model;
  c.seed = seed;
  // --init is a state dict of the first network; the encoder weights fit DeepLabV3+ runs only.
  if (model != plan.model) {
    c.init.clear();
    c.init_partial = false;
  }
  if (model != "deeplabv3plus") c.encoder_weights.clear();
  c.out = join_path(plan.out, folder_of(plan, model, config, seed));
  c.resume = true;
  c.loss = config;
  finalize_train_config(c, "");
  if (run_state(c.out) == RunState::Finished) {
    std::fprintf(stderr, "%s: finished, skipped\n", folder_of(plan, model, config, seed).c_str());
    ++outcome.runs_skipped;
    return;
  }
  run_training(c);
  ++outcome.runs_trained;
}

}  // namespace

std::vector<std::string> parse_config_list(const std::string& text) {
  const std::vector<std::string> known = loss_config_names();
  if (text == "all") return known;
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string name;
  while (std::getline(in, name, ',')) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      throw std::invalid_argument("--configs: unknown configuration '" + name +
                                  "' (known: all or a comma list of equal, "
                                  "ce_dominant, dice_dominant, focal_dominant, ce_only, dice_only, focal_only)");
    }
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  if (out.empty()) throw std::invalid_argument("--configs: no configuration given");
  return out;
}

void parse_shard(const std::string& text, int& index, int& count) {
  // Exactly digits '/' digits: "0/1/2", "+0/4" or "0/4x" are mistakes, not shards.
  const size_t slash = text.find('/');
  const auto digits = [](const std::string& part) {
    return !part.empty() && part.size() <= 6 && part.find_first_not_of("0123456789") == std::string::npos;
  };
  if (slash == std::string::npos || !digits(text.substr(0, slash)) || !digits(text.substr(slash + 1))) {
    throw std::invalid_argument("--shard " + text + ": expected i/n, e.g. 0/4");
  }
  index = std::stoi(text.substr(0, slash));
  count = std::stoi(text.substr(slash + 1));
  if (count < 1 || index < 0 || index >= count) {
    throw std::invalid_argument("--shard " + text + ": need 0 <= i < n");
  }
}

std::string run_folder_name(const std::string& model, const std::string& config) {
  return model + "-" + config;
}

std::string run_folder_name(const std::string& model, const std::string& config, uint64_t seed) {
  return run_folder_name(model, config) + "-seed" + std::to_string(seed);
}

std::vector<uint64_t> parse_seed_list(const std::string& text) {
  std::vector<uint64_t> seeds;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    // Digits only: "-1", "" or "4x" are mistakes, not seeds (std::stoull would wrap or stop early).
    if (item.empty() || item.size() > 19 || item.find_first_not_of("0123456789") != std::string::npos) {
      throw std::invalid_argument("--seeds " + text + ": '" + item + "' is not a whole number (e.g. --seeds 42,43,44)");
    }
    const uint64_t seed = std::stoull(item);
    if (std::find(seeds.begin(), seeds.end(), seed) != seeds.end())
      throw std::invalid_argument("--seeds " + text + ": seed " + item + " is given twice");
    seeds.push_back(seed);
  }
  if (seeds.empty()) throw std::invalid_argument("--seeds: no seed given");
  return seeds;
}

AblationOutcome run_ablation(const AblationPlan& plan) {
  make_directories(plan.out);
  const DirectoryLock lock(plan.out, "--out");
  data::remove_stale_temp_files(plan.out);
  write_study_file(plan, best_first_model_config(plan));
  AblationOutcome outcome;
  // Runs are numbered seed by seed (the first model's configurations, then the second model's
  // run per seed) and shard i of n takes every run k with k % n == i.
  const std::vector<uint64_t> seeds = plan_seeds(plan);
  const auto mine = [&](size_t k) { return static_cast<int>(k % plan.shard_count) == plan.shard_index; };
  for (size_t s = 0; s < seeds.size(); ++s) {
    for (size_t k = 0; k < plan.configs.size(); ++k) {
      if (mine(s * plan.configs.size() + k)) run_one(plan, plan.model, plan.configs[k], seeds[s], outcome);
    }
  }
  outcome.best_config = best_first_model_config(plan);
  write_study_file(plan, outcome.best_config);
  bool then_done = plan.then_model.empty();
  if (!plan.then_model.empty() && !outcome.best_config.empty()) {
    then_done = true;
    for (size_t s = 0; s < seeds.size(); ++s) {
      if (mine(seeds.size() * plan.configs.size() + s))
        run_one(plan, plan.then_model, outcome.best_config, seeds[s], outcome);
      const std::string dir = join_path(plan.out, folder_of(plan, plan.then_model, outcome.best_config, seeds[s]));
      then_done = then_done && run_state(dir) == RunState::Finished;
    }
  }
  outcome.complete = !outcome.best_config.empty() && then_done;
  if (outcome.complete) outcome.report_html = report::write_report(plan.out, {}).html;
  return outcome;
}

}  // namespace segrun::app
