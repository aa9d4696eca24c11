// safetensors: round trips, the exact byte format, state dicts with PyTorch layouts, and every
// malformed-file case with its message.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "engine/half.h"
#include "nn/layers.h"
#include "nn/state_dict.h"
#include "tests/support/scratch_dir.h"

using namespace segrun;
using namespace segrun::nn;

namespace {
std::string temp_path(const std::string& name) {
  static const test::ScratchDir dir("nn_safetensors");
  return dir.str(name);
}

// A file with the given header text and data bytes; header_length overrides the real length.
std::string write_raw(const std::string& name, const std::string& header, const std::string& data,
                      int64_t header_length = -1) {
  const std::string path = temp_path(name);
  std::ofstream out(path, std::ios::binary);
  const uint64_t n = header_length >= 0 ? static_cast<uint64_t>(header_length) : header.size();
  out.write(reinterpret_cast<const char*>(&n), 8);
  out << header << data;
  return path;
}

std::string floats(std::vector<float> v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

std::string read_error(const std::string& path) {
  try {
    read_safetensors(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

class Tiny : public Module {
 public:
  explicit Tiny(Generator& gen) {
    conv = register_module("conv", std::make_shared<Conv2d>(2, 3, Conv2dOptions{3, 1, 1, 1, 1, true}, gen));
    up = register_module("up", std::make_shared<ConvTranspose2d>(3, 2, 2, 2, gen));
    bn = register_module("bn", std::make_shared<BatchNorm2d>(2));
  }
  std::shared_ptr<Conv2d> conv;
  std::shared_ptr<ConvTranspose2d> up;
  std::shared_ptr<BatchNorm2d> bn;
};
}  // namespace

TEST_CASE("reads a hand-written file") {
  const std::string header = R"({"b":{"dtype":"I64","shape":[1],"data_offsets":[8,16]},)"
                             R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"format":"pt"}})";
  std::string data = floats({1.5f, -2.0f});
  const int64_t seven = 7;
  data.append(reinterpret_cast<const char*>(&seven), 8);
  const TensorFile f = read_safetensors(write_raw("hand.safetensors", header, data));
  CHECK(f.metadata.at("format") == "pt");
  CHECK(f.tensors.at("a").to_double_vector() == std::vector<double>{1.5, -2.0});
  CHECK(f.tensors.at("b").dtype() == DType::I32);
  CHECK(f.tensors.at("b").at(0) == 7);
}

TEST_CASE("round trip of every dtype, with metadata and an aligned header") {
  const std::string path = temp_path("round.safetensors");
  Tensor half = Tensor::empty({2}, DType::F16);
  half.data<uint16_t>()[0] = float_to_half(0.5f);
  half.data<uint16_t>()[1] = float_to_half(-3.0f);
  std::vector<FileTensor> tensors = {{"w", Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}), false},
                                     {"h", half, false},
                                     {"d", Tensor::from_vector(std::vector<double>{0.1}, {1}), false},
                                     {"i", Tensor::from_vector(std::vector<int32_t>{-5, 9}, {2}), false},
                                     {"count", Tensor::from_vector(std::vector<int32_t>{3}, {1}), true},
                                     {"u", Tensor::from_vector(std::vector<uint8_t>{255, 0, 7}, {3}), false},
                                     {"empty", Tensor::zeros({0, 4}), false}};
  write_safetensors(path, tensors, {{"epoch", "3"}});
  const TensorFile f = read_safetensors(path);
  CHECK(f.metadata.at("epoch") == "3");
  CHECK(f.tensors.at("w").shape() == Shape{2, 3});
  CHECK(f.tensors.at("w").to_double_vector() == std::vector<double>{1, 2, 3, 4, 5, 6});
  CHECK(f.tensors.at("h").dtype() == DType::F16);
  CHECK(f.tensors.at("h").to_double_vector() == std::vector<double>{0.5, -3.0});
  CHECK(f.tensors.at("d").at(0) == 0.1);
  CHECK(f.tensors.at("i").to_double_vector() == std::vector<double>{-5, 9});
  CHECK(f.tensors.at("count").to_double_vector() == std::vector<double>{3});
  CHECK(f.tensors.at("u").to_double_vector() == std::vector<double>{255, 0, 7});
  CHECK(f.tensors.at("empty").shape() == Shape{0, 4});
  // Header length a multiple of 8; the counter takes 8 bytes (I64) in the file.
  std::ifstream in(path, std::ios::binary);
  uint64_t n = 0;
  in.read(reinterpret_cast<char*>(&n), 8);
  CHECK(n % 8 == 0);
  std::string header(n, ' ');
  in.read(header.data(), static_cast<std::streamsize>(n));
  CHECK(header.find(R"("count":{"dtype":"I64","shape":[1],"data_offsets":[44,52]})") != std::string::npos);
  CHECK(std::filesystem::file_size(path) == 8 + n + 24 + 4 + 8 + 8 + 8 + 3);
}

TEST_CASE("plain read_tensors / write_tensors keep names, shapes and values") {
  const std::string path = temp_path("plain.safetensors");
  write_tensors(path, {{"logits", Tensor::from_vector(std::vector<float>{0.25f, -1}, {1, 1, 1, 2})},
                       {"target", Tensor::from_vector(std::vector<uint8_t>{3}, {1, 1, 1})}});
  const auto t = read_tensors(path);
  CHECK(t.size() == 2);
  CHECK(t.at("logits").shape() == Shape{1, 1, 1, 2});
  CHECK(t.at("logits").to_double_vector() == std::vector<double>{0.25, -1});
  CHECK(t.at("target").dtype() == DType::U8);
}

TEST_CASE("state dict: conv weights are OIHW, conv-transpose IOHW in the file") {
  Generator gen(3);
  Tiny model(gen);
  const std::string path = temp_path("state.safetensors");
  save_state_dict(path, model);
  const TensorFile f = read_safetensors(path);
  const Tensor w_mem = model.conv->weight();  // (O=3, KH=3, KW=3, I=2)
  const Tensor w_file = f.tensors.at("conv.weight");
  CHECK(w_file.shape() == Shape{3, 2, 3, 3});
  // element (o=2, i=1, kh=0, kw=2): file index ((2*2+1)*3+0)*3+2, memory ((2*3+0)*3+2)*2+1
  CHECK(w_file.at(((2 * 2 + 1) * 3 + 0) * 3 + 2) == w_mem.at(((2 * 3 + 0) * 3 + 2) * 2 + 1));
  const Tensor up_file = f.tensors.at("up.weight");
  CHECK(up_file.shape() == Shape{3, 2, 2, 2});                 // (I=3, O=2, KH=2, KW=2)
  const Tensor up_mem = *model.up->state_entries()[0].tensor;  // (I=3, KH=2, KW=2, O=2)
  // element (i=1, o=0, kh=1, kw=0)
  CHECK(up_file.at(((1 * 2 + 0) * 2 + 1) * 2 + 0) == up_mem.at(((1 * 2 + 1) * 2 + 0) * 2 + 0));
  CHECK(f.tensors.at("bn.num_batches_tracked").dtype() == DType::I32);
  CHECK(f.tensors.count("bn.running_var") == 1);

  Generator other(4);
  Tiny loaded(other);
  CHECK(loaded.conv->weight().to_double_vector() != w_mem.to_double_vector());
  load_state_dict(path, loaded);
  for (size_t i = 0; i < model.state_entries().size(); ++i) {
    INFO(model.state_entries()[i].name);
    CHECK(loaded.state_entries()[i].tensor->to_double_vector() == model.state_entries()[i].tensor->to_double_vector());
  }
}

TEST_CASE("state dict: num_batches_tracked is a 0-dim I64 as PyTorch writes it; a [1] one still loads") {
  Generator gen(3);
  Tiny model(gen);
  const std::string path = temp_path("counter_state.safetensors");
  save_state_dict(path, model);
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(bytes.find(R"("bn.num_batches_tracked":{"dtype":"I64","shape":[])") != std::string::npos);

  std::vector<FileTensor> legacy = state_dict_tensors(model);
  for (FileTensor& t : legacy)
    if (t.name == "bn.num_batches_tracked") t.tensor = Tensor::from_vector(std::vector<int32_t>{7}, {1});
  const std::string legacy_path = temp_path("legacy_counter.safetensors");
  write_safetensors(legacy_path, legacy);
  load_state_dict(legacy_path, model);
  CHECK(model.bn->batches_tracked() == 7);
}

TEST_CASE("state dict: f16 weights load into f32 parameters") {
  Generator gen(3);
  Tiny model(gen);
  std::vector<FileTensor> tensors = state_dict_tensors(model);
  for (FileTensor& t : tensors)
    if (t.tensor.dtype() == DType::F32) t.tensor = t.tensor.contiguous_copy_on(Device::cpu(), DType::F16);
  const std::string path = temp_path("half_state.safetensors");
  write_safetensors(path, tensors);
  Generator other(4);
  Tiny loaded(other);
  load_state_dict(path, loaded);
  const std::vector<double> a = loaded.conv->weight().to_double_vector(), b = model.conv->weight().to_double_vector();
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i] == doctest::Approx(b[i]).epsilon(1e-3));
}

TEST_CASE("state dict: missing, unexpected and mis-shaped keys are errors naming file and key") {
  Generator gen(3);
  Tiny model(gen);
  std::vector<FileTensor> all = state_dict_tensors(model);
  const std::string missing = temp_path("missing.safetensors");
  write_safetensors(missing, std::vector<FileTensor>(all.begin() + 1, all.end()));
  CHECK_THROWS_WITH(load_state_dict(missing, model),
                    ("state dict: " + missing + ": missing tensor 'conv.weight'").c_str());

  std::vector<FileTensor> extra = all;
  extra.push_back({"head.weight", Tensor::zeros({1}), false});
  const std::string unexpected = temp_path("unexpected.safetensors");
  write_safetensors(unexpected, extra);
  CHECK_THROWS_WITH(
      load_state_dict(unexpected, model),
      ("state dict: " + unexpected + ": unexpected tensor 'head.weight' (no such parameter or buffer in the model)")
          .c_str());
  LoadOptions skip_head;
  skip_head.ignore_prefixes = {"head."};
  CHECK_NOTHROW(load_state_dict(unexpected, model, skip_head));

  std::vector<FileTensor> wrong = all;
  wrong[1].tensor = Tensor::zeros({4});  // conv.bias should be [3]
  const std::string shaped = temp_path("shaped.safetensors");
  write_safetensors(shaped, wrong);
  CHECK_THROWS_WITH(load_state_dict(shaped, model),
                    ("state dict: " + shaped + ": tensor 'conv.bias' has shape [4], the model expects [3]").c_str());
}

TEST_CASE("malformed files give one clear error naming the file and the key") {
  const std::string ok_entry = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  SUBCASE("too short") {
    const std::string path = temp_path("short.safetensors");
    std::ofstream(path, std::ios::binary) << "abc";
    CHECK(read_error(path) == "safetensors: " + path + ": file of 3 bytes is too short for the 8-byte header length");
  }
  SUBCASE("header length beyond the file") {
    const std::string path = write_raw("len.safetensors", "{" + ok_entry + "}", floats({1, 2}), 1000);
    CHECK(read_error(path) == "safetensors: " + path + ": header length 1000 exceeds the " +
                                  std::to_string(2 + ok_entry.size() + 8) + " bytes after it");
  }
  SUBCASE("invalid JSON") {
    const std::string path = write_raw("json.safetensors", "{\"a\":", floats({1, 2}));
    CHECK(read_error(path).rfind("safetensors: " + path + ": header is not valid JSON (", 0) == 0);
  }
  SUBCASE("offsets outside the data") {
    const std::string path =
        write_raw("outside.safetensors", R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", floats({1, 2}));
    CHECK(read_error(path) ==
          "safetensors: " + path + ": tensor 'a': data_offsets [0, 16] outside the data section of 8 bytes");
  }
  SUBCASE("overlapping tensors") {
    const std::string path =
        write_raw("overlap.safetensors", "{" + ok_entry + R"(,"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                  floats({1, 2}));
    CHECK(read_error(path) == "safetensors: " + path + ": tensor 'b': data overlaps the previous tensor at byte 4");
  }
  SUBCASE("bytes not covered by any tensor") {
    const std::string path = write_raw("trailing.safetensors", "{" + ok_entry + "}", floats({1, 2, 3}));
    CHECK(read_error(path) == "safetensors: " + path + ": data section has 4 bytes not covered by any tensor");
  }
  SUBCASE("gap between tensors") {
    const std::string path =
        write_raw("gap.safetensors", R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", floats({1, 2}));
    CHECK(read_error(path) == "safetensors: " + path + ": tensor 'a': gap in the data section before byte 4");
  }
  SUBCASE("shape and byte size disagree") {
    const std::string path =
        write_raw("size.safetensors", R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", floats({1, 2}));
    CHECK(read_error(path) ==
          "safetensors: " + path + ": tensor 'a': shape [3] of F32 needs 12 bytes but data_offsets hold 8");
  }
  SUBCASE("unknown dtype") {
    const std::string path =
        write_raw("dtype.safetensors", R"({"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", floats({1, 2}));
    CHECK(read_error(path) ==
          "safetensors: " + path + ": tensor 'a': unsupported dtype 'Q4' (F32, F16, F64, I64, I32, U8)");
  }
  SUBCASE("entry without data_offsets") {
    const std::string path = write_raw("fields.safetensors", R"({"a":{"dtype":"F32","shape":[2]}})", floats({1, 2}));
    CHECK(read_error(path) == "safetensors: " + path + ": tensor 'a': header entry lacks 'data_offsets'");
  }
  SUBCASE("I64 value beyond i32") {
    const int64_t big = int64_t{1} << 40;
    const std::string path = write_raw("big.safetensors", R"({"n":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})",
                                       std::string(reinterpret_cast<const char*>(&big), 8));
    CHECK(read_error(path) ==
          "safetensors: " + path + ": tensor 'n': I64 value 1099511627776 does not fit the i32 segrun holds it in");
  }
  SUBCASE("missing file") {
    const std::string path = temp_path("does_not_exist.safetensors");
    CHECK(read_error(path) == "safetensors: " + path + ": cannot open (No such file or directory)");
  }
}

TEST_CASE("writes are atomic: no temporary file is left and a rewrite replaces the old file") {
  const std::string path = temp_path("atomic.safetensors");
  write_tensors(path, {{"a", Tensor::zeros({3})}});
  write_tensors(path, {{"b", Tensor::full({2}, 4.0)}});
  const auto t = read_tensors(path);
  CHECK(t.count("a") == 0);
  CHECK(t.at("b").to_double_vector() == std::vector<double>{4, 4});
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path()))
    files += entry.path().string().find(".tmp.") != std::string::npos;
  CHECK(files == 0);
}
