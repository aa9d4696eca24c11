#pragma once
// Data sets: a list of (image, label) samples plus what the labels mean. Labels are mapped to
// train ids 0..C-1 with 255 ignored at load time (docs/REFERENCE.md section 5).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "data/image_io.h"
#include "engine/labels.h"

namespace segrun::data {

struct Sample {
  std::string id;
  std::string image_path;
  std::string label_path;
  int label_map = 0;  // index into Dataset::label_maps (Cityscapes mixes labelIds and trainIds files)
};

using Rgb = std::array<uint8_t, 3>;

struct DatasetInfo {
  std::string name;
  std::vector<std::string> class_names;
  std::vector<Rgb> palette;  // one colour per class
  int num_classes = 0;
};

// Raw label value -> train id (or kIgnoreLabel); values not `known` are errors.
struct LabelMap {
  std::string description;  // e.g. "cityscapes labelIds"
  std::array<uint8_t, 256> train_id{};
  std::array<bool, 256> known{};
  void set(int raw, uint8_t id) { train_id[raw] = id, known[raw] = true; }
};

struct Dataset {
  DatasetInfo info;
  std::vector<Sample> samples;
  std::vector<LabelMap> label_maps;
};

// Cityscapes: root/leftImg8bit/<split>/<city>/<id>_leftImg8bit.png with
// root/gtFine/<split>/<city>/<id>_gtFine_labelTrainIds.png (preferred) or _gtFine_labelIds.png.
Dataset open_cityscapes(const std::string& root, const std::string& split);
// CamVid (SegNet 11 classes): root/<split>.txt with `image label` lines; void 11 -> 255.
Dataset open_camvid(const std::string& root, const std::string& split);

struct ListSpec {
  std::string list_file;         // `image label` per line, paths relative to the list's folder
  std::string class_names_file;  // one name per line
  std::string palette_file;      // optional: `r g b` per class
  std::string remap_file;        // optional: `raw train_id` per line (train_id 255 = ignore)
};
Dataset open_list(const ListSpec& spec, const std::string& name = "list");

// By name: "cityscapes" | "camvid" | "list"; for "list", root is the folder holding
// <split>.txt, classes.txt and optionally palette.txt and remap.txt.
Dataset open_dataset(const std::string& name, const std::string& root, const std::string& split);

// The labelId -> trainId table of Cityscapes (docs/REFERENCE.md section 5.1) and its train classes.
LabelMap cityscapes_label_ids_map();
DatasetInfo cityscapes_info();
DatasetInfo camvid_info();

// Applies a label map in place; a value with no mapping is an error naming file, value and pixel.
void map_labels(Image& labels, const LabelMap& map, const std::string& path);

struct LoadedSample {
  Image image;   // RGB
  Image labels;  // train ids, kIgnoreLabel for ignored pixels
};
// Reads and checks one sample: both files readable, same size, every label value mapped.
LoadedSample load_sample(const Dataset& dataset, size_t index);

}  // namespace segrun::data
