// Split lists: the input is cut at "\n--\n" into <split>.txt, classes.txt, palette.txt and
// remap.txt of a "list" data set (and the same <split>.txt read as CamVid's list).
#include <exception>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace segrun;
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts;
  for (size_t from = 0;;) {
    const size_t cut = text.find("\n--\n", from);
    parts.push_back(text.substr(from, cut == std::string::npos ? std::string::npos : cut - from));
    if (cut == std::string::npos || parts.size() == 4) break;
    from = cut + 4;
  }
  parts.resize(4);
  const char* names[4] = {"train.txt", "classes.txt", "palette.txt", "remap.txt"};
  for (int i = 0; i < 4; ++i) {
    fuzz::write_input(names[i], reinterpret_cast<const uint8_t*>(parts[i].data()), parts[i].size());
  }
  try {
    (void)data::open_dataset("list", fuzz::scratch_dir(), "train");
  } catch (const std::exception&) {
  }
  try {
    (void)data::open_camvid(fuzz::scratch_dir(), "train");
  } catch (const std::exception&) {
  }
  return 0;
}
