#include "data/cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <exception>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace segrun::data {

namespace {

// FNV-1a, 64 bit.
void hash_bytes(uint64_t& h, const std::string& s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  h = (h ^ 0xff) * 0x100000001b3ull;  // separator, so ("ab","c") != ("a","bc")
}

size_t payload_bytes(size_t count, int width, int height) { return count * static_cast<size_t>(width) * height * 4; }

[[noreturn]] void fail(const std::string& path, const std::string& reason) {
  throw std::runtime_error("cache " + path + ": " + reason + " (" + std::strerror(errno) + ")");
}

// True when the file at `path` has a header matching what we would build.
bool cache_matches(const std::string& path, const CacheHeader& want) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return false;
  CacheHeader have{};
  struct stat st {};
  const bool ok = ::read(fd, &have, sizeof have) == static_cast<ssize_t>(sizeof have) && ::fstat(fd, &st) == 0;
  ::close(fd);
  return ok && std::memcmp(&have, &want, sizeof have) == 0 &&
         static_cast<size_t>(st.st_size) == sizeof have + payload_bytes(want.count, want.width, want.height);
}

// Decodes every sample into the writable mapping `base`, `threads` workers striding the samples.
void fill_samples(const Dataset& dataset, uint8_t* base, int width, int height, ImageResize mode, int threads) {
  const size_t count = dataset.samples.size(), pixels = static_cast<size_t>(width) * height;
  uint8_t* images = base + sizeof(CacheHeader);
  uint8_t* labels = images + count * pixels * 3;
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&](size_t first) {
    try {
      for (size_t i = first; i < count; i += static_cast<size_t>(threads)) {
        const LoadedSample s = load_sample(dataset, i);
        const Image image = resize_image(s.image, width, height, mode);
        const Image label =
            s.labels.width == width && s.labels.height == height ? s.labels : resize_nearest(s.labels, width, height);
        std::memcpy(images + i * pixels * 3, image.pixels.data(), pixels * 3);
        std::memcpy(labels + i * pixels, label.pixels.data(), pixels);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  };
  std::vector<std::thread> workers;
  for (int t = 1; t < threads; ++t) workers.emplace_back(work, static_cast<size_t>(t));
  work(0);
  for (auto& w : workers) w.join();
  if (error) std::rethrow_exception(error);
}

void build_cache(const Dataset& dataset, const std::string& path, const CacheHeader& header, ImageResize mode,
                 int threads) {
  const std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path());
  const std::string temp = temporary_path(path);
  const size_t total = sizeof header + payload_bytes(header.count, header.width, header.height);
  const int fd = ::open(temp.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fail(temp, "cannot create");
  if (::ftruncate(fd, static_cast<off_t>(total)) != 0) {
    ::close(fd);
    fail(temp, "cannot size");
  }
  void* map = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) fail(temp, "cannot map");
  uint8_t* base = static_cast<uint8_t*>(map);
  try {
    fill_samples(dataset, base, static_cast<int>(header.width), static_cast<int>(header.height), mode, threads);
  } catch (...) {
    ::munmap(map, total);
    std::filesystem::remove(temp);
    throw;
  }
  // The header goes in last, so a file is only ever recognised once its payload is complete.
  std::memcpy(base, &header, sizeof header);
  const bool synced = ::msync(map, total, MS_SYNC) == 0;
  ::munmap(map, total);
  if (!synced) fail(temp, "cannot flush");
  std::filesystem::rename(temp, target);
}

}  // namespace

uint64_t dataset_list_hash(const Dataset& dataset, ImageResize mode) {
  uint64_t h = 0xcbf29ce484222325ull;
  hash_bytes(h, dataset.info.name);
  hash_bytes(h, mode == ImageResize::Area ? "area" : "bilinear");
  for (const LabelMap& map : dataset.label_maps) {
    hash_bytes(h, map.description);
    hash_bytes(h, std::string(map.train_id.begin(), map.train_id.end()));
  }
  for (const Sample& s : dataset.samples) {
    hash_bytes(h, s.id);
    hash_bytes(h, s.image_path);
    hash_bytes(h, s.label_path);
    hash_bytes(h, std::to_string(s.label_map));
  }
  return h;
}

SplitCache SplitCache::open_or_build(const Dataset& dataset, const std::string& path, int width, int height,
                                     ImageResize mode, int threads) {
  if (width <= 0 || height <= 0) throw std::invalid_argument("cache: size must be positive");
  CacheHeader header{};
  std::memcpy(header.magic, kCacheMagic, sizeof header.magic);
  header.version = kCacheVersion;
  header.width = static_cast<uint32_t>(width);
  header.height = static_cast<uint32_t>(height);
  header.count = dataset.samples.size();
  header.list_hash = dataset_list_hash(dataset, mode);
  SplitCache cache;
  if (!cache_matches(path, header)) {
    build_cache(dataset, path, header, mode, std::max(1, threads));
    cache.rebuilt_ = true;
  }
  cache.map_file(path);
  cache.count_ = header.count;
  cache.width_ = width;
  cache.height_ = height;
  cache.list_hash_ = header.list_hash;
  return cache;
}

void SplitCache::map_file(const std::string& path) {
  path_ = path;
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail(path, "cannot open");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    fail(path, "cannot stat");
  }
  mapped_bytes_ = static_cast<size_t>(st.st_size);
  mapping_ = ::mmap(nullptr, mapped_bytes_, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (mapping_ == MAP_FAILED) {
    mapping_ = nullptr;
    fail(path, "cannot map");
  }
}

void SplitCache::release() {
  if (mapping_) ::munmap(mapping_, mapped_bytes_);
  mapping_ = nullptr;
}

SplitCache::SplitCache(SplitCache&& other) noexcept { *this = std::move(other); }

SplitCache& SplitCache::operator=(SplitCache&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    mapping_ = other.mapping_;
    mapped_bytes_ = other.mapped_bytes_;
    count_ = other.count_;
    width_ = other.width_;
    height_ = other.height_;
    list_hash_ = other.list_hash_;
    rebuilt_ = other.rebuilt_;
    other.mapping_ = nullptr;
  }
  return *this;
}

SplitCache::~SplitCache() { release(); }

const uint8_t* SplitCache::image(size_t i) const {
  if (i >= count_) throw std::out_of_range("cache " + path_ + ": sample " + std::to_string(i) + " out of range");
  return static_cast<const uint8_t*>(mapping_) + sizeof(CacheHeader) + i * static_cast<size_t>(width_) * height_ * 3;
}

const uint8_t* SplitCache::labels(size_t i) const {
  if (i >= count_) throw std::out_of_range("cache " + path_ + ": sample " + std::to_string(i) + " out of range");
  const size_t pixels = static_cast<size_t>(width_) * height_;
  return static_cast<const uint8_t*>(mapping_) + sizeof(CacheHeader) + count_ * pixels * 3 + i * pixels;
}

}  // namespace segrun::data
