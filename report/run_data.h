#pragma once
// An ablation directory as the report sees it: every run folder's config, log, metrics and
// per-image scores, plus which runs the tables compare.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "training/run_records.h"

namespace segrun::report {

// The run directory's format is the training library's (training/run_records.h, run_files.h).
using training::EpochRecord;
using training::Json;
using training::RunLog;
using training::RunMetrics;
using training::StepRecord;
using training::TermValues;

struct RunData {
  std::string dir;
  std::string name;  // folder name
  Json config;       // config.json
  std::string model;
  std::string loss_config;
  uint64_t seed = 0;  // config.json's seed
  RunLog log;
  std::optional<RunMetrics> metrics;   // absent until the run has finished
  std::vector<std::string> image_ids;  // per_image_miou.json (best epoch)
  std::vector<double> image_miou;
  bool finished() const { return metrics.has_value(); }
};

struct StudyData {
  std::string dir;
  // The runs of the first seed, in ablation order when ablation.json exists, else by name: every
  // per-run table and figure reads these. A study trained with several seeds (ablation --seeds)
  // keeps the runs of the other seeds apart, for the tables across seeds (seed_tables.h).
  std::vector<RunData> runs;
  std::vector<RunData> other_seed_runs;
  std::vector<uint64_t> seeds;  // distinct seeds in study order; seeds.front() is the runs' seed
  std::string primary_model;    // the model the seven configurations ran on
  std::vector<std::string> class_names;
};

// Reads every sub-folder of `dir` holding a config.json. Throws when there is none.
StudyData load_study(const std::string& dir);

// Runs of `model` that finished, in study order.
std::vector<const RunData*> finished_runs(const StudyData& study, const std::string& model);
// The finished run of `model` with the highest best val mIoU (nullptr when none).
const RunData* best_run(const StudyData& study, const std::string& model);
const RunData* find_run(const StudyData& study, const std::string& model, const std::string& config);

// Human names for configurations and models ("dice_dominant" -> "Dice-dominant").
std::string display_config(const std::string& config);
std::string display_model(const std::string& model);

}  // namespace segrun::report
