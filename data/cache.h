#pragma once
// A preprocessed split: every sample decoded, label-mapped and resized once into one binary file
// of uint8 NHWC images and (N, H, W) labels, memory-mapped by later runs.
#include <cstdint>
#include <string>

#include "data/dataset.h"
#include "data/resize.h"

namespace segrun::data {

// File layout: CacheHeader, then count*H*W*3 image bytes, then count*H*W label bytes.
struct CacheHeader {
  char magic[8];
  uint32_t version;
  uint32_t width;
  uint32_t height;
  uint32_t reserved;
  uint64_t count;
  uint64_t list_hash;
};
constexpr char kCacheMagic[8] = {'S', 'E', 'G', 'C', 'A', 'C', 'H', 'E'};
constexpr uint32_t kCacheVersion = 1;

// Hash of what the cache content depends on apart from the size: the sample list, label maps and
// resize mode.
uint64_t dataset_list_hash(const Dataset& dataset, ImageResize mode);

class SplitCache {
 public:
  // Maps `path` when it matches the data set and size; otherwise (re)builds it with `threads`
  // decoding threads, writing a temporary file that is renamed into place when complete.
  static SplitCache open_or_build(const Dataset& dataset, const std::string& path, int width, int height,
                                  ImageResize mode = ImageResize::Bilinear, int threads = 1);
  SplitCache(SplitCache&& other) noexcept;
  SplitCache& operator=(SplitCache&& other) noexcept;
  SplitCache(const SplitCache&) = delete;
  SplitCache& operator=(const SplitCache&) = delete;
  ~SplitCache();

  size_t count() const { return count_; }
  int width() const { return width_; }
  int height() const { return height_; }
  uint64_t list_hash() const { return list_hash_; }
  bool was_rebuilt() const { return rebuilt_; }
  const std::string& path() const { return path_; }
  const uint8_t* image(size_t i) const;   // (H, W, 3)
  const uint8_t* labels(size_t i) const;  // (H, W), train ids or 255

 private:
  SplitCache() = default;
  void map_file(const std::string& path);
  void release();

  std::string path_;
  void* mapping_ = nullptr;
  size_t mapped_bytes_ = 0;
  size_t count_ = 0;
  int width_ = 0;
  int height_ = 0;
  uint64_t list_hash_ = 0;
  bool rebuilt_ = false;
};

}  // namespace segrun::data
