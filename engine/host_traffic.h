#pragma once
// Counts of the two things a training step must never do, because on a GPU each one stalls
// the host until the device has drained its queue: reading a tensor's values on the host
// (Tensor::item, at, to_double_vector, to_float_vector) and copying between host and device
// memory (Tensor::copy_from, to). They are counted on every device, the CPU included, so a CPU
// test can prove that the step's orchestration does neither.
#include <cstdint>

namespace segrun {

struct HostTraffic {
  int64_t value_reads = 0;    // tensor values read on the host
  int64_t device_copies = 0;  // copies between host and device memory (each waits for the device)
};

HostTraffic host_traffic();

namespace detail {
void count_value_read();
void count_device_copy();
}  // namespace detail

}  // namespace segrun
