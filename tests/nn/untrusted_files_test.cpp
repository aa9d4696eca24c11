// Shapes and offsets read from a file are checked arithmetic: a product that wraps must not pass
// as a smaller tensor.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/tensor.h"
#include "nn/safetensors.h"
#include "tests/support/scratch_dir.h"

using namespace segrun;

namespace {

std::string header_file(const std::string& header) {
  static const test::ScratchDir dir("nn_untrusted");
  const std::string path = dir.str("header.safetensors");
  const uint64_t size = header.size();
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &size, 8);
  std::ofstream(path, std::ios::binary) << bytes << header;
  return path;
}

std::string read_error(const std::string& path) {
  try {
    (void)nn::read_safetensors(path);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("shape_numel signed overflow: a safetensors shape whose size wraps is rejected") {
  // 2^62 * 32 * 32 * 3 * 4 bytes wraps to 0 in 64 bits and used to match empty data_offsets.
  const std::string path =
      header_file(R"({"x":{"dtype":"F32","shape":[4611686018427387904,32,32,3],"data_offsets":[0,0]}})");
  const std::string error = read_error(path);
  std::filesystem::remove(path);
  CHECK_MESSAGE(error.find(path) != std::string::npos, error);
  CHECK_MESSAGE(error.find("overflows") != std::string::npos, error);
}

TEST_CASE("a safetensors shape entry beyond int64 is rejected") {
  const std::string path = header_file(R"({"x":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,0]}})");
  const std::string error = read_error(path);
  std::filesystem::remove(path);
  CHECK_MESSAGE(error.find("too large") != std::string::npos, error);
}

TEST_CASE("shape_numel refuses products beyond int64 and negative sizes") {
  CHECK_THROWS_AS(shape_numel({4611686018427387904, 32, 32, 3}), std::invalid_argument);
  CHECK_THROWS_AS(shape_numel({-1, 4}), std::invalid_argument);
  CHECK(shape_numel({1 << 20, 1 << 20}) == int64_t{1} << 40);
  CHECK(shape_numel({}) == 1);
}

TEST_CASE("a tensor larger than the machine's memory is refused with its shape, not std::bad_alloc") {
  try {
    (void)Tensor::empty({int64_t{1} << 40, 1024}, DType::F32);
    FAIL("allocated 4 PiB");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    CHECK_MESSAGE(what.find("[1099511627776,1024]") != std::string::npos, what);
    CHECK_MESSAGE(what.find("GiB") != std::string::npos, what);
  }
}
