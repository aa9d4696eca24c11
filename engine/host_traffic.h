#pragma once
// Counts of what makes the host wait for a GPU: reading a tensor's values on the host
// (Tensor::item, at, to_double_vector, to_float_vector, Readback::take) and copying device
// memory to the host (each waits until the device has drained its queue). Copies from the
// host to the device are counted too; they are queued without waiting (cuda/context.h). All
// are counted on every device, the CPU included, so a CPU test can prove that the training
// step's orchestration makes none of them.
#include <cstdint>

namespace segrun {

struct HostTraffic {
  int64_t value_reads = 0;  // tensor values read on the host
  int64_t downloads = 0;    // device-to-host copies (each waits for the device)
  int64_t uploads = 0;      // host-to-device copies (queued, no wait)
};

HostTraffic host_traffic();

namespace detail {
void count_value_read();
void count_download();
void count_upload();
}  // namespace detail

}  // namespace segrun
