#pragma once
// Counter-based random numbers: value i of stream (seed, offset) depends only on seed and
// offset + i, so the same seed gives the same numbers on every device and thread count.
#include <cstdint>

#include "engine/tensor.h"

namespace segrun {

// The splitmix64 finaliser: a bijective 64-bit mix with full avalanche.
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

inline uint64_t random_bits(uint64_t seed, uint64_t counter) {
  return mix64(mix64(seed) ^ counter);
}

// Uniform in [0, 1) with 53 random bits.
inline double random_unit(uint64_t seed, uint64_t counter) {
  return static_cast<double>(random_bits(seed, counter) >> 11) * (1.0 / 9007199254740992.0);
}

// A seeded stream: each draw consumes a contiguous block of counters, so state is two integers
// (checkpointed as such).
class Generator {
 public:
  explicit Generator(uint64_t seed = 42, uint64_t offset = 0) : seed_(seed), offset_(offset) {}
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_state(uint64_t seed, uint64_t offset) {
    seed_ = seed;
    offset_ = offset;
  }

  double next_unit() { return random_unit(seed_, offset_++); }
  double next_uniform(double lo, double hi) { return lo + (hi - lo) * next_unit(); }
  uint64_t next_bits() { return random_bits(seed_, offset_++); }
  // Integer in [0, n).
  uint64_t next_below(uint64_t n) { return n ? next_bits() % n : 0; }

  // Tensors on the CPU (f32/f64), then moved to `device`.
  Tensor uniform(const Shape& shape, double lo, double hi, DType dtype = DType::F32, Device device = Device::cpu());
  Tensor normal(const Shape& shape, double mean, double stddev, DType dtype = DType::F32,
                Device device = Device::cpu());

 private:
  uint64_t seed_;
  uint64_t offset_;
};

}  // namespace segrun
