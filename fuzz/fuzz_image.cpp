// Images through stb and label maps: read_rgb_image, read_label_image, then the Cityscapes and
// CamVid label maps on the decoded labels.
#include <exception>

#include "data/dataset.h"
#include "data/image_io.h"
#include "fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace segrun;
  const std::string path = fuzz::write_input("image.png", data, size);
  try {
    (void)data::read_rgb_image(path);
  } catch (const std::exception&) {
  }
  try {
    data::Image labels = data::read_label_image(path);
    data::Image copy = labels;
    data::map_labels(labels, data::cityscapes_label_ids_map(), path);
    data::LabelMap camvid;
    for (int v = 0; v < 11; ++v) camvid.set(v, static_cast<uint8_t>(v));
    camvid.set(11, kIgnoreLabel);
    data::map_labels(copy, camvid, path);
  } catch (const std::exception&) {
  }
  return 0;
}
