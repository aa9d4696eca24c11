#include "training/training_data.h"

#include <filesystem>
#include <functional>

#include "data/class_frequencies.h"
#include "engine/cpu_runtime.h"
#include "losses/class_weights.h"
#include "training/run_files.h"

namespace segrun::training {

std::string split_cache_path(const TrainConfig& config, const std::string& split) {
  const std::string root = std::filesystem::absolute(config.root).lexically_normal().string();
  const size_t root_hash = std::hash<std::string>{}(root)&0xffffffffu;
  char name[160];
  // The filter is in the name so runs with different filters keep their own caches; the cache's
  // own key (data::dataset_list_hash) also includes it, so a mismatch rebuilds either way.
  std::snprintf(name, sizeof name, "%s-%08zx-%s-%dx%d-%s.cache", config.dataset.c_str(), root_hash, split.c_str(),
                config.width_px, config.height_px, config.resize.c_str());
  return join_path(config.cache_dir, name);
}

TrainingData load_training_data(const TrainConfig& config) {
  TrainingData d;
  d.train = data::open_dataset(config.dataset, config.root, "train");
  d.val = data::open_dataset(config.dataset, config.root, "val");
  if (d.train.samples.empty()) throw std::runtime_error(config.root + ": the train split has no samples");
  if (d.val.samples.empty()) throw std::runtime_error(config.root + ": the val split has no samples");
  make_directories(config.cache_dir);
  // Decoding the split is the only work running while the cache is built: every core helps.
  const int threads = config.loader_threads > 0 ? config.loader_threads : available_cpus();
  const data::ImageResize filter = data::parse_image_resize(config.resize);
  d.train_cache = std::make_unique<data::SplitCache>(data::SplitCache::open_or_build(
      d.train, split_cache_path(config, "train"), config.width_px, config.height_px, filter, threads));
  d.val_cache = std::make_unique<data::SplitCache>(data::SplitCache::open_or_build(
      d.val, split_cache_path(config, "val"), config.width_px, config.height_px, filter, threads));
  const data::ClassFrequencies freq = data::class_frequencies(*d.train_cache, d.num_classes());
  d.class_weights = losses::class_weights(config.class_weights, freq.frequencies);
  for (const data::Sample& s : d.val.samples) d.val_ids.push_back(s.id);
  return d;
}

}  // namespace segrun::training
