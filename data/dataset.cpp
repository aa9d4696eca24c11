// CamVid, generic list data sets, label mapping and sample loading.
#include "data/dataset.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace segrun::data {

namespace fs = std::filesystem;

namespace {

std::ifstream open_text(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(what + ": cannot open " + path);
  return in;
}

bool blank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

std::string where(const std::string& path, int line_no) {
  return path + ":" + std::to_string(line_no);
}

// `image label` lines, paths relative to the list file's folder.
std::vector<Sample> read_pair_list(const std::string& path, const std::string& what) {
  std::ifstream in = open_text(path, what);
  const fs::path base = fs::path(path).parent_path();
  std::vector<Sample> samples;
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    if (blank(line)) continue;
    std::istringstream fields(line);
    std::string image, label, extra;
    if (!(fields >> image >> label) || (fields >> extra)) {
      throw std::runtime_error(what + ": " + where(path, line_no) + ": expected `image label`, got '" + line + "'");
    }
    samples.push_back({fs::path(image).stem().string(), (base / image).string(), (base / label).string(), 0});
  }
  if (samples.empty()) throw std::runtime_error(what + ": " + path + " lists no samples");
  return samples;
}

std::vector<std::string> read_names(const std::string& path, const std::string& what) {
  std::ifstream in = open_text(path, what);
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!blank(line)) names.push_back(line);
  }
  if (names.empty() || names.size() > 255) {
    throw std::runtime_error(what + ": " + path + " must list 1..255 class names, found " +
                             std::to_string(names.size()));
  }
  return names;
}

// Reads lines of `count` integers each in [lo, hi].
std::vector<std::vector<int>> read_int_rows(const std::string& path, const std::string& what, size_t count, int lo,
                                            int hi) {
  std::ifstream in = open_text(path, what);
  std::vector<std::vector<int>> rows;
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    if (blank(line)) continue;
    std::istringstream fields(line);
    std::vector<int> row(count);
    std::string extra;
    for (int& v : row) {
      if (!(fields >> v) || v < lo || v > hi) {
        throw std::runtime_error(what + ": " + where(path, line_no) + ": expected " + std::to_string(count) +
                                 " integers in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got '" + line +
                                 "'");
      }
    }
    if (fields >> extra) throw std::runtime_error(what + ": " + where(path, line_no) + ": extra field '" + extra + "'");
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

DatasetInfo camvid_info() {
  DatasetInfo info;
  info.name = "camvid";
  info.class_names = {"Sky",        "Building", "Pole", "Road",       "Pavement", "Tree",
                      "SignSymbol", "Fence",    "Car",  "Pedestrian", "Bicyclist"};
  info.palette = {{128, 128, 128}, {128, 0, 0},   {192, 192, 128}, {128, 64, 128}, {60, 40, 222}, {128, 128, 0},
                  {192, 128, 128}, {64, 64, 128}, {64, 0, 128},    {64, 64, 0},    {0, 128, 192}};
  info.num_classes = 11;
  return info;
}

Dataset open_camvid(const std::string& root, const std::string& split) {
  Dataset dataset;
  dataset.info = camvid_info();
  dataset.samples = read_pair_list((fs::path(root) / (split + ".txt")).string(), "camvid");
  LabelMap map;
  map.description = "camvid 11 classes";
  for (int c = 0; c < 11; ++c) map.set(c, static_cast<uint8_t>(c));
  map.set(11, kIgnoreLabel);
  map.set(kIgnoreLabel, kIgnoreLabel);
  dataset.label_maps = {map};
  return dataset;
}

Dataset open_list(const ListSpec& spec, const std::string& name) {
  Dataset dataset;
  dataset.info.name = name;
  dataset.info.class_names = read_names(spec.class_names_file, name);
  const int classes = static_cast<int>(dataset.info.class_names.size());
  dataset.info.num_classes = classes;
  dataset.samples = read_pair_list(spec.list_file, name);
  if (!spec.palette_file.empty()) {
    for (const auto& row : read_int_rows(spec.palette_file, name, 3, 0, 255)) {
      dataset.info.palette.push_back(
          {static_cast<uint8_t>(row[0]), static_cast<uint8_t>(row[1]), static_cast<uint8_t>(row[2])});
    }
    if (static_cast<int>(dataset.info.palette.size()) != classes) {
      throw std::runtime_error(name + ": " + spec.palette_file + " has " + std::to_string(dataset.info.palette.size()) +
                               " colours for " + std::to_string(classes) + " classes");
    }
  }
  LabelMap map;
  map.description = name + (spec.remap_file.empty() ? " identity" : " remap " + spec.remap_file);
  if (spec.remap_file.empty()) {
    for (int c = 0; c < classes; ++c) map.set(c, static_cast<uint8_t>(c));
    map.set(kIgnoreLabel, kIgnoreLabel);
  } else {
    for (const auto& row : read_int_rows(spec.remap_file, name, 2, 0, 255)) {
      if (row[1] >= classes && row[1] != kIgnoreLabel) {
        throw std::runtime_error(name + ": " + spec.remap_file + ": value " + std::to_string(row[0]) + " maps to " +
                                 std::to_string(row[1]) + ", not a class id (0.." + std::to_string(classes - 1) +
                                 ") or 255");
      }
      map.set(row[0], static_cast<uint8_t>(row[1]));
    }
  }
  dataset.label_maps = {map};
  return dataset;
}

Dataset open_dataset(const std::string& name, const std::string& root, const std::string& split) {
  if (name == "cityscapes") return open_cityscapes(root, split);
  if (name == "camvid") return open_camvid(root, split);
  if (name == "list") {
    const fs::path dir(root);
    ListSpec spec{(dir / (split + ".txt")).string(), (dir / "classes.txt").string(), "", ""};
    if (fs::exists(dir / "palette.txt")) spec.palette_file = (dir / "palette.txt").string();
    if (fs::exists(dir / "remap.txt")) spec.remap_file = (dir / "remap.txt").string();
    return open_list(spec);
  }
  throw std::invalid_argument("unknown data set '" + name + "' (expected cityscapes, camvid or list)");
}

void map_labels(Image& labels, const LabelMap& map, const std::string& path) {
  for (int y = 0; y < labels.height; ++y) {
    for (int x = 0; x < labels.width; ++x) {
      uint8_t& v = labels.at(x, y);
      if (!map.known[v]) {
        throw std::runtime_error("label " + path + ": value " + std::to_string(v) +
                                 " at pixel (x=" + std::to_string(x) + ", y=" + std::to_string(y) +
                                 ") has no mapping in " + map.description);
      }
      v = map.train_id[v];
    }
  }
}

LoadedSample load_sample(const Dataset& dataset, size_t index) {
  const Sample& sample = dataset.samples.at(index);
  LoadedSample loaded{read_rgb_image(sample.image_path), read_label_image(sample.label_path)};
  if (loaded.image.width != loaded.labels.width || loaded.image.height != loaded.labels.height) {
    throw std::runtime_error(dataset.info.name + ": image/label size mismatch for " + sample.id + ": " +
                             sample.image_path + " is " + std::to_string(loaded.image.width) + "x" +
                             std::to_string(loaded.image.height) + ", " + sample.label_path + " is " +
                             std::to_string(loaded.labels.width) + "x" + std::to_string(loaded.labels.height));
  }
  map_labels(loaded.labels, dataset.label_maps.at(sample.label_map), sample.label_path);
  return loaded;
}

}  // namespace segrun::data
