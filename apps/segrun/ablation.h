#pragma once
// `segrun ablation`: the seven loss configurations on one model, then the best one on a second
// model, each an independent run folder under one study folder, then the report.
#include <cstdint>
#include <string>
#include <vector>

#include "apps/segrun/training_flags.h"

namespace segrun::app {

struct AblationPlan {
  std::string model = "attention_unet";
  std::vector<std::string> configs;  // run order
  std::string then_model;            // empty: no cross-architecture run
  TrainConfig base;                  // shared training settings (data, size, schedule, ...)
  // Several seeds train every run once per seed, in folders named with the seed; none (or one)
  // trains base.seed in folders without it, as a single-seed study always has.
  std::vector<uint64_t> seeds;
  std::string out;
  int shard_index = 0, shard_count = 1;  // this process runs the runs k with k % count == index
};

// "all" or a comma list of configuration names (std::invalid_argument naming an unknown one).
std::vector<std::string> parse_config_list(const std::string& text);
// "i/n" with 0 <= i < n.
void parse_shard(const std::string& text, int& index, int& count);

std::string run_folder_name(const std::string& model, const std::string& config);
// The folder of one seed's run in a study with several seeds: model-config-seedN.
std::string run_folder_name(const std::string& model, const std::string& config, uint64_t seed);
// "42,43,44": distinct whole numbers (std::invalid_argument naming --seeds otherwise).
std::vector<uint64_t> parse_seed_list(const std::string& text);

struct AblationOutcome {
  int runs_trained = 0, runs_skipped = 0;
  std::string best_config;  // empty until every first-model run has finished
  bool complete = false;    // every planned run finished
  std::string report_html;  // written when complete
};

AblationOutcome run_ablation(const AblationPlan& plan);

}  // namespace segrun::app
