#pragma once
// The splits a run trains and validates on, decoded once into the preprocessed cache.
#include <memory>
#include <string>
#include <vector>

#include "data/cache.h"
#include "data/dataset.h"
#include "training/train_config.h"

namespace segrun::training {

struct TrainingData {
  data::Dataset train, val;
  std::unique_ptr<data::SplitCache> train_cache, val_cache;
  std::vector<double> class_weights;  // CE weights from the training labels' frequencies
  std::vector<std::string> val_ids;   // in cache order
  int num_classes() const { return train.info.num_classes; }
};

TrainingData load_training_data(const TrainConfig& config);

// <cache_dir>/<dataset>-<hash of root>-<split>-<W>x<H>.cache
std::string split_cache_path(const TrainConfig& config, const std::string& split);

}  // namespace segrun::training
