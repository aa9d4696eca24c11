#include "engine/host_traffic.h"

#include <atomic>

namespace segrun {

namespace {
std::atomic<int64_t> value_reads{0};
std::atomic<int64_t> device_copies{0};
}  // namespace

HostTraffic host_traffic() {
  return {value_reads.load(), device_copies.load()};
}

namespace detail {
void count_value_read() {
  value_reads.fetch_add(1, std::memory_order_relaxed);
}
void count_device_copy() {
  device_copies.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace detail

}  // namespace segrun
