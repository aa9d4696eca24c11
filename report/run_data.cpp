#include "report/run_data.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <stdexcept>

namespace segrun::report {

using training::metrics_from_json;
using training::number_from;
using training::read_json_file;
using training::read_run_log;

namespace fs = std::filesystem;

namespace {

RunData load_run(const fs::path& dir) {
  RunData run;
  run.dir = dir.string();
  run.name = dir.filename().string();
  run.config = read_json_file((dir / "config.json").string());
  run.model = run.config.at("model").get<std::string>();
  run.loss_config = run.config.at("loss").get<std::string>();
  run.seed = run.config.value("seed", uint64_t{0});
  run.log = read_run_log((dir / "log.jsonl").string());
  if (fs::exists(dir / "metrics.json"))
    run.metrics = metrics_from_json(read_json_file((dir / "metrics.json").string()));
  if (fs::exists(dir / "per_image_miou.json")) {
    const Json per_image = read_json_file((dir / "per_image_miou.json").string());
    run.image_ids = per_image.at("ids").get<std::vector<std::string>>();
    for (const Json& v : per_image.at("miou")) run.image_miou.push_back(number_from(v));
  }
  return run;
}

// Study order: ablation.json's run list first, then any other run folder by name.
std::vector<std::string> run_order(const fs::path& dir) {
  std::vector<std::string> names, others;
  if (fs::exists(dir / "ablation.json")) {
    // Held by name: a range-for over `.at()` of the temporary would read freed memory.
    const Json study = read_json_file((dir / "ablation.json").string());
    for (const Json& n : study.at("runs")) names.push_back(n.get<std::string>());
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && fs::exists(entry.path() / "config.json") &&
        std::find(names.begin(), names.end(), name) == names.end()) {
      others.push_back(name);
    }
  }
  std::sort(others.begin(), others.end());
  names.insert(names.end(), others.begin(), others.end());
  return names;
}

void check_same_classes(const StudyData& study, const RunData& run) {
  if (run.config.at("class_names").get<std::vector<std::string>>() != study.class_names) {
    throw std::invalid_argument("report: run " + run.dir + " has other classes than run " + study.runs.front().dir +
                                " (" + std::to_string(run.config.at("class_names").size()) + " vs " +
                                std::to_string(study.class_names.size()) + "); report runs of one data set together");
  }
}

}  // namespace

StudyData load_study(const std::string& dir) {
  if (!fs::is_directory(dir)) throw std::invalid_argument("report: " + dir + " is not a directory");
  StudyData study;
  study.dir = dir;
  std::map<std::string, int> runs_per_model;
  for (const std::string& name : run_order(dir)) {
    if (!fs::exists(fs::path(dir) / name / "config.json")) continue;
    RunData run = load_run(fs::path(dir) / name);
    if (std::find(study.seeds.begin(), study.seeds.end(), run.seed) == study.seeds.end())
      study.seeds.push_back(run.seed);
    if (run.seed != study.seeds.front()) {
      study.other_seed_runs.push_back(std::move(run));
      continue;
    }
    ++runs_per_model[run.model];
    study.runs.push_back(std::move(run));
  }
  if (study.runs.empty()) throw std::invalid_argument("report: no run folders (with config.json) in " + dir);
  if (fs::exists(fs::path(dir) / "ablation.json")) {
    study.primary_model = read_json_file((fs::path(dir) / "ablation.json").string()).at("model").get<std::string>();
  } else {
    for (const auto& [model, count] : runs_per_model) {
      if (study.primary_model.empty() || count > runs_per_model[study.primary_model]) study.primary_model = model;
    }
  }
  study.class_names = study.runs.front().config.at("class_names").get<std::vector<std::string>>();
  for (const std::vector<RunData>* group : {&study.runs, &study.other_seed_runs}) {
    for (const RunData& run : *group) check_same_classes(study, run);
  }
  return study;
}

std::vector<const RunData*> finished_runs(const StudyData& study, const std::string& model) {
  std::vector<const RunData*> out;
  for (const RunData& r : study.runs) {
    if (r.model == model && r.finished()) out.push_back(&r);
  }
  return out;
}

const RunData* best_run(const StudyData& study, const std::string& model) {
  const RunData* best = nullptr;
  for (const RunData* r : finished_runs(study, model)) {
    if (!best || r->metrics->best_miou > best->metrics->best_miou) best = r;
  }
  return best;
}

const RunData* find_run(const StudyData& study, const std::string& model, const std::string& config) {
  for (const RunData& r : study.runs) {
    if (r.model == model && r.loss_config == config && r.finished()) return &r;
  }
  return nullptr;
}

std::string display_config(const std::string& config) {
  static const std::map<std::string, std::string> kNames = {
      {"equal", "Equal (baseline)"},        {"ce_dominant", "CE-dominant"}, {"dice_dominant", "Dice-dominant"},
      {"focal_dominant", "Focal-dominant"}, {"ce_only", "CE only"},         {"dice_only", "Dice only"},
      {"focal_only", "Focal only"}};
  const auto it = kNames.find(config);
  return it == kNames.end() ? config : it->second;
}

std::string display_model(const std::string& model) {
  if (model == "attention_unet") return "Attention U-Net";
  if (model == "deeplabv3plus") return "DeepLabV3+";
  return model;
}

}  // namespace segrun::report
