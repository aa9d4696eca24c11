// Cityscapes: directory layout and the labelId -> trainId table (docs/REFERENCE.md section 5.1).
#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "data/dataset.h"

namespace segrun::data {

namespace fs = std::filesystem;

namespace {

const std::string kImageSuffix = "_leftImg8bit.png";
const std::string kLabelIdsSuffix = "_gtFine_labelIds.png";
const std::string kTrainIdsSuffix = "_gtFine_labelTrainIds.png";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

LabelMap cityscapes_train_ids_map() {
  LabelMap map;
  map.description = "cityscapes labelTrainIds";
  for (int id = 0; id < 19; ++id) map.set(id, static_cast<uint8_t>(id));
  map.set(kIgnoreLabel, kIgnoreLabel);
  return map;
}

}  // namespace

LabelMap cityscapes_label_ids_map() {
  LabelMap map;
  map.description = "cityscapes labelIds";
  // Every id of the official label table (0..33, and -1 stored as 255) is known; most are ignored.
  for (int id = 0; id <= 33; ++id) map.set(id, kIgnoreLabel);
  map.set(255, kIgnoreLabel);
  const int label_ids[19] = {7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33};
  for (int train_id = 0; train_id < 19; ++train_id) map.set(label_ids[train_id], static_cast<uint8_t>(train_id));
  return map;
}

DatasetInfo cityscapes_info() {
  DatasetInfo info;
  info.name = "cityscapes";
  info.class_names = {"road",         "sidewalk",   "building", "wall",       "fence",  "pole",  "traffic light",
                      "traffic sign", "vegetation", "terrain",  "sky",        "person", "rider", "car",
                      "truck",        "bus",        "train",    "motorcycle", "bicycle"};
  info.palette = {{128, 64, 128},  {244, 35, 232}, {70, 70, 70},  {102, 102, 156}, {190, 153, 153},
                  {153, 153, 153}, {250, 170, 30}, {220, 220, 0}, {107, 142, 35},  {152, 251, 152},
                  {70, 130, 180},  {220, 20, 60},  {255, 0, 0},   {0, 0, 142},     {0, 0, 70},
                  {0, 60, 100},    {0, 80, 100},   {0, 0, 230},   {119, 11, 32}};
  info.num_classes = 19;
  return info;
}

Dataset open_cityscapes(const std::string& root, const std::string& split) {
  const fs::path image_dir = fs::path(root) / "leftImg8bit" / split;
  const fs::path label_dir = fs::path(root) / "gtFine" / split;
  if (!fs::is_directory(image_dir)) {
    throw std::runtime_error("cityscapes: image folder " + image_dir.string() + " not found");
  }
  Dataset dataset;
  dataset.info = cityscapes_info();
  dataset.label_maps = {cityscapes_label_ids_map(), cityscapes_train_ids_map()};
  for (const auto& entry : fs::recursive_directory_iterator(image_dir)) {
    const std::string file = entry.path().filename().string();
    if (!entry.is_regular_file() || !ends_with(file, kImageSuffix)) continue;
    const std::string id = file.substr(0, file.size() - kImageSuffix.size());
    const fs::path city_dir = label_dir / entry.path().parent_path().filename();
    const fs::path train_ids = city_dir / (id + kTrainIdsSuffix);
    const fs::path label_ids = city_dir / (id + kLabelIdsSuffix);
    Sample sample{id, entry.path().string(), "", 0};
    if (fs::exists(train_ids)) {
      sample.label_path = train_ids.string();
      sample.label_map = 1;
    } else if (fs::exists(label_ids)) {
      sample.label_path = label_ids.string();
    } else {
      throw std::runtime_error("cityscapes: label file missing for " + id + " (looked for " + label_ids.string() +
                               " and " + train_ids.string() + ")");
    }
    dataset.samples.push_back(sample);
  }
  if (dataset.samples.empty()) {
    throw std::runtime_error("cityscapes: no *" + kImageSuffix + " files under " + image_dir.string());
  }
  // Directory iteration order is unspecified; sort so every run sees the same order.
  std::sort(dataset.samples.begin(), dataset.samples.end(),
            [](const Sample& a, const Sample& b) { return a.id < b.id; });
  return dataset;
}

}  // namespace segrun::data
