#include "engine/host_traffic.h"

#include <atomic>

namespace segrun {

namespace {
std::atomic<int64_t> value_reads{0};
std::atomic<int64_t> downloads{0};
std::atomic<int64_t> uploads{0};
}  // namespace

HostTraffic host_traffic() {
  return {value_reads.load(), downloads.load(), uploads.load()};
}

namespace detail {
void count_value_read() {
  value_reads.fetch_add(1, std::memory_order_relaxed);
}
void count_download() {
  downloads.fetch_add(1, std::memory_order_relaxed);
}
void count_upload() {
  uploads.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace detail

}  // namespace segrun
