#pragma once
// Batches from a preprocessed split, prepared by a thread pool ahead of the consumer through a
// bounded queue. Batch content and order depend only on (seed, epoch), never on the thread count.
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "data/cache.h"
#include "engine/tensor.h"

namespace segrun::data {

struct LoaderOptions {
  int batch_size = 4;
  uint64_t seed = 42;
  bool shuffle = true;
  bool augment = true;
  bool drop_last = false;
  int min_last_batch = 1;  // a final batch of fewer images is dropped too
  int threads = 2;
  int queue_depth = 4;             // batches prepared ahead of the consumer
  DType image_dtype = DType::F32;  // F16 halves the host-to-GPU copy for a half-precision network
};

struct Batch {
  Tensor images;                // (N, H, W, 3), ImageNet-normalised, f32 or LoaderOptions::image_dtype
  Tensor labels;                // u8 (N, H, W), train ids or 255
  std::vector<size_t> indices;  // sample indices in the split
};

// The sample order of an epoch: a Fisher-Yates shuffle from the (seed, epoch) stream, or 0..n-1.
std::vector<size_t> epoch_order(size_t count, uint64_t seed, uint64_t epoch, bool shuffle);

// Builds one batch on the calling thread.
Batch make_batch(const SplitCache& cache, const std::vector<size_t>& indices, uint64_t seed, uint64_t epoch,
                 bool augment);

class BatchLoader {
 public:
  BatchLoader(const SplitCache& cache, const LoaderOptions& options, uint64_t epoch);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  size_t num_batches() const { return batches_.size(); }
  // The next batch in order; false once the epoch is exhausted. Rethrows a worker's error.
  bool next(Batch& out);

 private:
  void work();
  void stop_workers();

  const SplitCache& cache_;
  LoaderOptions options_;
  uint64_t epoch_;
  std::vector<std::vector<size_t>> batches_;
  std::mutex mutex_;
  std::condition_variable ready_;  // a batch was finished (or a worker failed)
  std::condition_variable space_;  // the consumer took a batch (or the loader is stopping)
  std::map<size_t, Batch> done_;
  size_t next_to_claim_ = 0;
  size_t next_to_yield_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::vector<std::thread> workers_;
};

}  // namespace segrun::data
