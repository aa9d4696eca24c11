#pragma once
// Procedurally drawn urban street scenes in the Cityscapes layout: segrun's built-in data set.
#include <cstdint>
#include <string>

#include "data/image_io.h"

namespace segrun::data {

struct SynthScene {
  Image image;      // RGB
  Image label_ids;  // Cityscapes labelIds (not trainIds), e.g. 7 road, 23 sky, 0 unlabelled
};

// One scene; the same (seed, index) always gives the same pixels.
SynthScene draw_synth_scene(int width, int height, uint64_t seed, uint64_t index);

struct SynthOptions {
  std::string out_dir;
  int train_count = 200;
  int val_count = 50;
  int width = 256;
  int height = 128;
  uint64_t seed = 42;
  int threads = 2;
};

// Writes out_dir/leftImg8bit/{train,val}/<city>/<id>_leftImg8bit.png and
// out_dir/gtFine/{train,val}/<city>/<id>_gtFine_labelIds.png.
void write_synth_dataset(const SynthOptions& options);

}  // namespace segrun::data
