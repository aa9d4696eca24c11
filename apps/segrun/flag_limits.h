#pragma once
// Limits of numeric flags, checked where the flags are parsed so that an absurd value is one
// line naming the flag (exit 2) instead of a crash or an allocation failure minutes later.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace segrun::app {

constexpr int kMaxThreads = 512;         // --threads: kernel (OpenMP) and drawing threads
constexpr int kMaxLoaderThreads = 64;    // --loader-threads
constexpr int kMaxImageSide = 8192;      // each side of --size
constexpr int kMaxModelWidth = 512;      // --width (the paper's full size is 64)
constexpr int kMaxBatch = 4096;          // --batch
constexpr int kMaxEpochs = 1000000;      // --epochs
constexpr int kMaxSceneCount = 1000000;  // synth --train / --val

// A finite number > 0 ("nan", "inf" and 1e999 are refused).
CLI::Validator finite_positive();
// A finite number >= 0.
CLI::Validator finite_non_negative();
// Decimal digits only, within 0 .. 2^64-1 (no sign, no empty string, no silent wrap-around).
CLI::Validator whole_number_u64();

// The bytes the largest activations of one training step take at least, for a memory check
// before anything is allocated: batch x height x width x model width floats, a few times over.
uint64_t training_memory_floor(int batch, int width_px, int height_px, int model_width);
// Physical memory of the machine in bytes (0 when unknown).
uint64_t physical_memory_bytes();
// Throws std::invalid_argument naming the flags when `needed` exceeds the machine's memory.
void check_fits_in_memory(uint64_t needed, const std::string& what);

}  // namespace segrun::app
