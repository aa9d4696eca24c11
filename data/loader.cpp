#include "data/loader.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <numeric>
#include <stdexcept>
#include <string>
#include <system_error>

#include "data/augment.h"
#include "engine/random.h"

namespace segrun::data {

namespace {
// Stream index reserved for the shuffle, distinct from every sample index.
constexpr uint64_t kShuffleStream = ~0ull;

// The kernel threads of a training step wait for one another at every barrier: when a loader
// thread takes the core of one of them, all of them wait. A little lower priority lets the
// scheduler prefer the kernel threads while the loader still fills its queue in their gaps.
constexpr int kLoaderNiceIncrement = 5;

// On Linux a nice value belongs to one thread (its task id), not to the whole process.
void lower_this_thread_priority() {
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  errno = 0;
  const int current = ::getpriority(PRIO_PROCESS, tid);
  if (errno == 0) (void)::setpriority(PRIO_PROCESS, tid, current + kLoaderNiceIncrement);
}
}  // namespace

std::vector<size_t> epoch_order(size_t count, uint64_t seed, uint64_t epoch, bool shuffle) {
  std::vector<size_t> order(count);
  std::iota(order.begin(), order.end(), size_t{0});
  if (!shuffle) return order;
  Generator gen(sample_stream_key(seed, epoch, kShuffleStream));
  for (size_t i = count; i > 1; --i) std::swap(order[i - 1], order[gen.next_below(i)]);
  return order;
}

Batch make_batch(const SplitCache& cache, const std::vector<size_t>& indices, uint64_t seed, uint64_t epoch,
                 bool augment) {
  const int64_t n = static_cast<int64_t>(indices.size()), h = cache.height(), w = cache.width();
  Batch batch{Tensor::empty({n, h, w, 3}, DType::F32), Tensor::empty({n, h, w}, DType::U8), indices};
  const size_t pixels = static_cast<size_t>(h * w);
  for (int64_t b = 0; b < n; ++b) {
    const size_t index = indices[b];
    const AugmentParams params = draw_augment(seed, epoch, index);
    prepare_sample(cache.image(index), cache.labels(index), static_cast<int>(w), static_cast<int>(h),
                   augment ? &params : nullptr, batch.images.data<float>() + b * pixels * 3,
                   batch.labels.data<uint8_t>() + b * pixels);
  }
  return batch;
}

BatchLoader::BatchLoader(const SplitCache& cache, const LoaderOptions& options, uint64_t epoch)
    : cache_(cache), options_(options), epoch_(epoch) {
  if (options.batch_size <= 0 || options.threads <= 0 || options.queue_depth <= 0 || options.min_last_batch <= 0) {
    throw std::invalid_argument("loader: batch_size, threads, queue_depth and min_last_batch must be positive");
  }
  const std::vector<size_t> order = epoch_order(cache.count(), options.seed, epoch, options.shuffle);
  const size_t size = static_cast<size_t>(options.batch_size);
  for (size_t begin = 0; begin < order.size(); begin += size) {
    const size_t end = std::min(order.size(), begin + size);
    if (end - begin < size && (options.drop_last || end - begin < static_cast<size_t>(options.min_last_batch))) break;
    batches_.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(begin),
                          order.begin() + static_cast<std::ptrdiff_t>(end));
  }
  try {
    for (int t = 0; t < options.threads; ++t) workers_.emplace_back(&BatchLoader::work, this);
  } catch (const std::system_error& e) {
    // The destructor does not run for a half-built object: stop and join what started here.
    const size_t started = workers_.size();
    stop_workers();
    throw std::runtime_error("loader: cannot start thread " + std::to_string(started + 1) + " of " +
                             std::to_string(options.threads) + " (" + e.what() + "); use fewer --loader-threads");
  }
}

void BatchLoader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  space_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
}

BatchLoader::~BatchLoader() {
  stop_workers();
}

void BatchLoader::work() {
  lower_this_thread_priority();
  const size_t depth = static_cast<size_t>(options_.queue_depth);
  for (;;) {
    size_t claimed;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      space_.wait(lock, [&] { return stopping_ || next_to_claim_ < next_to_yield_ + depth; });
      if (stopping_ || next_to_claim_ >= batches_.size()) return;
      claimed = next_to_claim_++;
    }
    try {
      Batch batch = make_batch(cache_, batches_[claimed], options_.seed, epoch_, options_.augment);
      if (options_.image_dtype != DType::F32) batch.images = batch.images.to(options_.image_dtype);
      std::lock_guard<std::mutex> lock(mutex_);
      done_.emplace(claimed, std::move(batch));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    ready_.notify_all();
  }
}

bool BatchLoader::next(Batch& out) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (next_to_yield_ >= batches_.size()) return false;
  ready_.wait(lock, [&] { return error_ || done_.count(next_to_yield_) > 0; });
  if (error_) std::rethrow_exception(error_);
  auto it = done_.find(next_to_yield_);
  out = std::move(it->second);
  done_.erase(it);
  ++next_to_yield_;
  lock.unlock();
  space_.notify_all();
  return true;
}

}  // namespace segrun::data
