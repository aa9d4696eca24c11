// segrun evaluate: scores a folder of prediction PNGs against a split's ground truth at the ground
// truth's size, like the Cityscapes evaluation script (docs/REFERENCE.md section 6.5).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "apps/segrun/commands.h"
#include "data/dataset.h"
#include "eval/boundary_iou.h"
#include "eval/confusion.h"
#include "training/run_files.h"

namespace segrun::app {

using training::read_json_file;

using training::Json;

namespace {

namespace fs = std::filesystem;

struct EvaluateArgs {
  std::string dataset = "cityscapes";
  std::string root;
  std::string split = "val";
  std::string pred_dir;
  std::string pred_format = "trainid";
  bool json = false;
};

// Every PNG under `dir`, by file name.
std::vector<fs::path> list_predictions(const std::string& dir) {
  if (!fs::is_directory(dir)) throw std::invalid_argument("--pred-dir: " + dir + " is not a folder");
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".png") files.push_back(entry.path());
  }
  return files;
}

// A run's val_pred/ names its files by position (000000.png, ...); the run's per_image_miou.json
// lists the sample ids in that order. Maps id -> file for such a folder, else nothing.
std::map<std::string, std::string> run_prediction_names(const std::string& dir) {
  std::map<std::string, std::string> names;
  const fs::path listing = fs::path(dir).parent_path() / "per_image_miou.json";
  if (fs::path(dir).filename() != "val_pred" || !fs::exists(listing)) return names;
  const Json ids = read_json_file(listing.string()).at("ids");
  for (size_t i = 0; i < ids.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%06zu.png", i);
    names[ids[i].get<std::string>()] = (fs::path(dir) / name).string();
  }
  return names;
}

std::string find_prediction(const std::vector<fs::path>& files, const std::string& id, const std::string& dir,
                            const std::map<std::string, std::string>& by_position) {
  const auto positional = by_position.find(id);
  if (positional != by_position.end() && fs::exists(positional->second)) return positional->second;
  std::vector<std::string> matches;
  for (const fs::path& f : files) {
    if (f.filename().string().rfind(id, 0) == 0) matches.push_back(f.string());
  }
  if (matches.empty())
    throw std::runtime_error("evaluate: no prediction for " + id + " in " + dir + " (want " + id + "*.png)");
  if (matches.size() > 1) {
    throw std::runtime_error("evaluate: " + std::to_string(matches.size()) + " predictions match " + id + " in " + dir +
                             " (" + matches[0] + ", " + matches[1] + ")");
  }
  return matches[0];
}

// Predictions in train ids must be classes; labelId predictions go through the data set's raw
// map, and those landing on an ignored id count as misses.
void convert_prediction(data::Image& pred, const data::Dataset& dataset, const std::string& format,
                        const std::string& path) {
  if (format == "labelid") {
    data::map_labels(pred, dataset.label_maps.front(), path);
    return;
  }
  for (int y = 0; y < pred.height; ++y) {
    for (int x = 0; x < pred.width; ++x) {
      if (pred.at(x, y) >= dataset.info.num_classes) {
        throw std::runtime_error("evaluate: prediction " + path + ": value " + std::to_string(pred.at(x, y)) +
                                 " at pixel (x=" + std::to_string(x) + ", y=" + std::to_string(y) +
                                 ") is not a train id (0.." + std::to_string(dataset.info.num_classes - 1) + ")");
      }
    }
  }
}

nlohmann::json nan_to_null(double v) {
  return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
}

void print_report(const data::Dataset& dataset, const eval::SegmentationMetrics& m, const std::vector<double>& biou,
                  double mean_biou, const nlohmann::json& per_image, bool json) {
  const auto& names = dataset.info.class_names;
  if (json) {
    nlohmann::json per_class, per_class_dice, per_class_biou;
    for (size_t c = 0; c < names.size(); ++c) {
      per_class[names[c]] = nan_to_null(m.iou[c]);
      per_class_dice[names[c]] = nan_to_null(m.dice[c]);
      per_class_biou[names[c]] = nan_to_null(biou[c]);
    }
    std::vector<std::string> scored;
    for (int c : m.scored) scored.push_back(names[c]);
    const nlohmann::json out{{"miou", nan_to_null(m.miou)},
                             {"pixel_accuracy", nan_to_null(m.pixel_accuracy)},
                             {"mean_dice", nan_to_null(m.mean_dice)},
                             {"boundary_iou", nan_to_null(mean_biou)},
                             {"per_class", per_class},
                             {"per_class_dice", per_class_dice},
                             {"per_class_boundary_iou", per_class_biou},
                             {"scored_classes", scored},
                             {"per_image_miou", per_image}};
    std::printf("%s\n", out.dump().c_str());
    return;
  }
  std::printf("%-16s %8s %8s %8s\n", "class", "IoU", "Dice", "bIoU");
  for (size_t c = 0; c < names.size(); ++c) {
    std::printf("%-16s %8.4f %8.4f %8.4f\n", names[c].c_str(), m.iou[c], m.dice[c], biou[c]);
  }
  std::printf("mIoU %.4f over %zu classes | pixel accuracy %.4f | mean Dice %.4f | boundary IoU %.4f | %zu images\n",
              m.miou, m.scored.size(), m.pixel_accuracy, m.mean_dice, mean_biou, per_image.size());
}

void run_evaluate(const EvaluateArgs& args) {
  const data::Dataset dataset = data::open_dataset(args.dataset, args.root, args.split);
  const std::vector<fs::path> predictions = list_predictions(args.pred_dir);
  const std::map<std::string, std::string> by_position = run_prediction_names(args.pred_dir);
  const int classes = dataset.info.num_classes;
  eval::ConfusionMatrix cm(classes);
  eval::BoundaryIoU boundary(classes);
  nlohmann::json per_image = nlohmann::json::object();
  for (const data::Sample& sample : dataset.samples) {
    data::Image gt = data::read_label_image(sample.label_path);
    data::map_labels(gt, dataset.label_maps.at(sample.label_map), sample.label_path);
    const std::string pred_path = find_prediction(predictions, sample.id, args.pred_dir, by_position);
    data::Image pred = data::read_label_image(pred_path);
    if (pred.width != gt.width || pred.height != gt.height) {
      throw std::runtime_error("evaluate: prediction for " + sample.id + " (" + pred_path + ") is " +
                               std::to_string(pred.width) + "x" + std::to_string(pred.height) + ", ground truth is " +
                               std::to_string(gt.width) + "x" + std::to_string(gt.height));
    }
    convert_prediction(pred, dataset, args.pred_format, pred_path);
    cm.add(gt.pixels.data(), pred.pixels.data(), gt.pixels.size());
    boundary.add(gt.pixels.data(), pred.pixels.data(), gt.width, gt.height);
    per_image[sample.id] =
        nan_to_null(eval::image_miou(gt.pixels.data(), pred.pixels.data(), gt.pixels.size(), classes));
  }
  print_report(dataset, eval::compute_metrics(cm), boundary.per_class(), boundary.mean(), per_image, args.json);
}

}  // namespace

void add_evaluate_command(CLI::App& root) {
  CLI::App* cmd = root.add_subcommand("evaluate", "Score a folder of prediction PNGs against a split's ground truth");
  auto args = std::make_shared<EvaluateArgs>();
  cmd->add_option("--dataset", args->dataset, "Data set kind")
      ->check(CLI::IsMember({"cityscapes", "camvid", "list"}))
      ->capture_default_str();
  cmd->add_option("--root", args->root, "Data set root folder")->required();
  cmd->add_option("--split", args->split, "Split to score")->capture_default_str();
  cmd->add_option("--pred-dir", args->pred_dir, "Folder of <id>*.png predictions (searched recursively)")->required();
  cmd->add_option("--pred-format", args->pred_format, "Prediction values: train ids or raw label ids")
      ->check(CLI::IsMember({"trainid", "labelid"}))
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print one JSON object instead of the table");
  cmd->callback([args] { run_evaluate(*args); });
}

}  // namespace segrun::app
