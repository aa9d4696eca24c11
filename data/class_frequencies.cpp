#include "data/class_frequencies.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace segrun::data {

namespace {

ClassFrequencies count_classes(const SplitCache& cache, int num_classes) {
  ClassFrequencies stats;
  stats.pixel_counts.assign(num_classes, 0);
  const size_t pixels = static_cast<size_t>(cache.width()) * cache.height();
  for (size_t i = 0; i < cache.count(); ++i) {
    const uint8_t* labels = cache.labels(i);
    for (size_t p = 0; p < pixels; ++p) {
      const uint8_t v = labels[p];
      if (v == kIgnoreLabel) continue;
      if (v >= num_classes) {
        throw std::runtime_error("class frequencies: " + cache.path() + " sample " + std::to_string(i) + " pixel " +
                                 std::to_string(p) + " has label " + std::to_string(v) +
                                 " >= " + std::to_string(num_classes) + " classes");
      }
      ++stats.pixel_counts[v];
    }
  }
  return stats;
}

void fill_frequencies(ClassFrequencies& stats) {
  stats.valid_pixels = 0;
  for (uint64_t c : stats.pixel_counts) stats.valid_pixels += c;
  stats.frequencies.clear();
  for (uint64_t c : stats.pixel_counts) {
    stats.frequencies.push_back(stats.valid_pixels ? static_cast<double>(c) / stats.valid_pixels : 0.0);
  }
}

nlohmann::json cache_key(const SplitCache& cache, int num_classes) {
  return {{"list_hash", cache.list_hash()},
          {"width", cache.width()},
          {"height", cache.height()},
          {"count", cache.count()},
          {"num_classes", num_classes}};
}

}  // namespace

ClassFrequencies class_frequencies(const SplitCache& cache, int num_classes) {
  const std::string path = cache.path() + ".classfreq.json";
  const nlohmann::json key = cache_key(cache, num_classes);
  ClassFrequencies stats;
  std::ifstream in(path);
  if (in && !cache.was_rebuilt()) {
    const nlohmann::json stored = nlohmann::json::parse(in, nullptr, false);
    if (!stored.is_discarded() && stored.value("key", nlohmann::json()) == key) {
      stats.pixel_counts = stored.at("pixel_counts").get<std::vector<uint64_t>>();
      fill_frequencies(stats);
      return stats;
    }
  }
  stats = count_classes(cache, num_classes);
  fill_frequencies(stats);
  const std::string temp = temporary_path(path);
  {
    std::ofstream out(temp);
    out << nlohmann::json{{"key", key}, {"pixel_counts", stats.pixel_counts}, {"frequencies", stats.frequencies}}.dump(
               1)
        << "\n";
    if (!out) throw std::runtime_error("class frequencies: cannot write " + temp);
  }
  std::filesystem::rename(temp, path);
  return stats;
}

}  // namespace segrun::data
