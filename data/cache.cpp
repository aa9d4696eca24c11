#include "data/cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "data/image_io.h"
#include "data/worker_threads.h"

namespace segrun::data {

namespace {

// FNV-1a, 64 bit.
void hash_bytes(uint64_t& h, const std::string& s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  h = (h ^ 0xff) * 0x100000001b3ull;  // separator, so ("ab","c") != ("a","bc")
}

// Bytes after the header; sizes come from a file header, so the arithmetic is checked.
size_t payload_bytes(uint64_t count, uint64_t width, uint64_t height) {
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(width, height, &bytes) || __builtin_mul_overflow(bytes, count, &bytes) ||
      __builtin_mul_overflow(bytes, uint64_t{4}, &bytes) || bytes > std::numeric_limits<size_t>::max() / 2) {
    throw std::invalid_argument("cache: " + std::to_string(count) + " samples of " + std::to_string(width) + "x" +
                                std::to_string(height) + " do not fit in memory");
  }
  return static_cast<size_t>(bytes);
}

[[noreturn]] void fail(const std::string& path, const std::string& reason) {
  throw std::runtime_error("cache " + path + ": " + reason + " (" + std::strerror(errno) + ")");
}

// True when the file at `path` has a header matching what we would build.
bool cache_matches(const std::string& path, const CacheHeader& want) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  CacheHeader have{};
  struct stat st {};
  const bool ok = ::read(fd, &have, sizeof have) == static_cast<ssize_t>(sizeof have) && ::fstat(fd, &st) == 0;
  ::close(fd);
  return ok && std::memcmp(&have, &want, sizeof have) == 0 &&
         static_cast<uint64_t>(st.st_size) == sizeof have + payload_bytes(want.count, want.width, want.height);
}

// Writes all of `bytes` at `offset`; a full disk is an error naming the file, never a crash.
void write_at(int fd, const std::string& path, const uint8_t* bytes, size_t size, size_t offset) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, bytes, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(path, "cannot write " + std::to_string(size) + " bytes at offset " + std::to_string(offset));
    bytes += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<size_t>(n);
  }
}

// Refuses up front when the folder cannot hold the cache (instead of failing hours later).
void check_free_space(const std::string& path, const std::string& dir, size_t needed) {
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0) return;  // unknown: the writes will tell
  const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (needed <= free_bytes) return;
  constexpr double kMiB = 1024.0 * 1024.0;
  char line[128];
  std::snprintf(line, sizeof line, "needs %.1f MiB but %s has %.1f MiB free", needed / kMiB, dir.c_str(),
                free_bytes / kMiB);
  throw std::runtime_error("cache " + path + ": " + line);
}

// Decodes every sample and writes it in place in `fd`, `threads` workers striding the samples.
void fill_samples(const Dataset& dataset, int fd, const std::string& temp, int width, int height, ImageResize mode,
                  int threads) {
  const size_t count = dataset.samples.size(), pixels = static_cast<size_t>(width) * height;
  const size_t images = sizeof(CacheHeader), labels = images + count * pixels * 3;
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&](size_t first) {
    try {
      for (size_t i = first; i < count; i += static_cast<size_t>(threads)) {
        const LoadedSample s = load_sample(dataset, i);
        const Image image = resize_image(s.image, width, height, mode);
        const Image label =
            s.labels.width == width && s.labels.height == height ? s.labels : resize_nearest(s.labels, width, height);
        write_at(fd, temp, image.pixels.data(), pixels * 3, images + i * pixels * 3);
        write_at(fd, temp, label.pixels.data(), pixels, labels + i * pixels);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  };
  run_on_threads(
      threads, [&](int t) { work(static_cast<size_t>(t)); }, "cache");
  if (error) std::rethrow_exception(error);
}

// Written with plain writes, then mapped read-only: a memory-mapped write past what the disk
// holds would kill the process with SIGBUS, a write() fails with ENOSPC instead.
void build_cache(const Dataset& dataset, const std::string& path, const CacheHeader& header, ImageResize mode,
                 int threads) {
  const std::filesystem::path target(path);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  std::filesystem::create_directories(dir);
  const size_t total = sizeof header + payload_bytes(header.count, header.width, header.height);
  check_free_space(path, dir, total);
  const std::string temp = temporary_path(path);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(temp, "cannot create");
  try {
    fill_samples(dataset, fd, temp, static_cast<int>(header.width), static_cast<int>(header.height), mode, threads);
    // The header goes in last, so a file is only ever recognised once its payload is complete.
    write_at(fd, temp, reinterpret_cast<const uint8_t*>(&header), sizeof header, 0);
    if (::fsync(fd) != 0) fail(temp, "cannot flush");
  } catch (...) {
    ::close(fd);
    std::filesystem::remove(temp);
    throw;
  }
  ::close(fd);
  std::filesystem::rename(temp, target);
}

// A label that is neither a class nor the ignore value means the file was damaged after it was
// written; the first such byte is reported with its sample.
std::string first_bad_label(const SplitCache& cache, const Dataset& dataset) {
  const int classes =
      dataset.info.num_classes > 0 ? dataset.info.num_classes : static_cast<int>(dataset.info.class_names.size());
  if (classes <= 0) return "";
  const size_t pixels = static_cast<size_t>(cache.width()) * cache.height();
  for (size_t i = 0; i < cache.count(); ++i) {
    const uint8_t* labels = cache.labels(i);
    for (size_t p = 0; p < pixels; ++p) {
      if (labels[p] < classes || labels[p] == kIgnoreLabel) continue;
      return "sample " + dataset.samples[i].id + " has label " + std::to_string(labels[p]) + " (classes 0.." +
             std::to_string(classes - 1) + " and " + std::to_string(kIgnoreLabel) + ")";
    }
  }
  return "";
}

// Size and modification time (ns) of a source file: a changed image changes the cache key.
std::string file_stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "missing";
  return std::to_string(st.st_size) + "@" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

uint64_t dataset_list_hash(const Dataset& dataset, ImageResize mode) {
  uint64_t h = 0xcbf29ce484222325ull;
  hash_bytes(h, dataset.info.name);
  hash_bytes(h, image_resize_name(mode));
  for (const LabelMap& map : dataset.label_maps) {
    hash_bytes(h, map.description);
    hash_bytes(h, std::string(map.train_id.begin(), map.train_id.end()));
  }
  for (const Sample& s : dataset.samples) {
    hash_bytes(h, s.id);
    hash_bytes(h, s.image_path);
    hash_bytes(h, s.label_path);
    hash_bytes(h, std::to_string(s.label_map));
    hash_bytes(h, file_stamp(s.image_path));
    hash_bytes(h, file_stamp(s.label_path));
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
  const std::string damage = first_bad_label(cache, dataset);
  if (!damage.empty()) {
    if (cache.rebuilt_) throw std::runtime_error("cache " + path + ": " + damage + " right after building it");
    std::fprintf(stderr, "cache %s: damaged (%s); rebuilding it\n", path.c_str(), damage.c_str());
    cache.release();
    build_cache(dataset, path, header, mode, std::max(1, threads));
    cache.map_file(path);
    cache.rebuilt_ = true;
  }
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

SplitCache::SplitCache(SplitCache&& other) noexcept {
  *this = std::move(other);
}

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

SplitCache::~SplitCache() {
  release();
}

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
