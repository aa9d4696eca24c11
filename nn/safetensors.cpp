#include "nn/safetensors.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "engine/error.h"

namespace segrun::nn {

namespace {
using nlohmann::json;

// Header and data are little-endian; segrun's hosts (x86-64, aarch64) are too.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the limit the reference implementation uses

template <typename... Parts>
[[noreturn]] void fail(const std::string& path, const Parts&... parts) {
  throw std::runtime_error(cat_str("safetensors: ", path, ": ", parts...));
}

struct DTypeInfo {
  const char* name;
  size_t bytes;
  DType memory;
};

// File dtype -> memory dtype; I64 narrows to i32.
const DTypeInfo* find_dtype(const std::string& name) {
  static const DTypeInfo kTable[] = {{"F32", 4, DType::F32}, {"F16", 2, DType::F16}, {"F64", 8, DType::F64},
                                     {"I64", 8, DType::I32}, {"I32", 4, DType::I32}, {"U8", 1, DType::U8}};
  for (const DTypeInfo& d : kTable)
    if (name == d.name) return &d;
  return nullptr;
}

const char* file_dtype_name(DType t, bool as_int64) {
  switch (t) {
    case DType::F32:
      return "F32";
    case DType::F64:
      return "F64";
    case DType::F16:
      return "F16";
    case DType::I32:
      return as_int64 ? "I64" : "I32";
    case DType::U8:
      return "U8";
  }
  return "?";
}

std::vector<char> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) fail(path, "cannot open (", std::strerror(errno), ")");
  const std::streamsize size = in.tellg();
  std::vector<char> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(bytes.data(), size)) fail(path, "read error");
  return bytes;
}

struct HeaderEntry {
  std::string name;
  const DTypeInfo* dtype;
  Shape shape;
  uint64_t begin, end;
};

uint64_t as_offset(const std::string& path, const std::string& key, const json& v) {
  if (!v.is_number_unsigned()) fail(path, "tensor '", key, "': data_offsets must be non-negative integers");
  return v.get<uint64_t>();
}

HeaderEntry parse_entry(const std::string& path, const std::string& key, const json& v) {
  if (!v.is_object()) fail(path, "tensor '", key, "': header entry is not an object");
  for (const char* field : {"dtype", "shape", "data_offsets"})
    if (!v.contains(field)) fail(path, "tensor '", key, "': header entry lacks '", field, "'");
  if (!v["dtype"].is_string()) fail(path, "tensor '", key, "': dtype is not a string");
  const std::string dtype = v["dtype"].get<std::string>();
  HeaderEntry e{key, find_dtype(dtype), {}, 0, 0};
  if (!e.dtype) fail(path, "tensor '", key, "': unsupported dtype '", dtype, "' (F32, F16, F64, I64, I32, U8)");
  if (!v["shape"].is_array() || v["shape"].size() > kMaxDims)
    fail(path, "tensor '", key, "': shape must be an array of at most ", kMaxDims, " sizes");
  for (const json& d : v["shape"]) {
    if (!d.is_number_unsigned()) fail(path, "tensor '", key, "': shape entries must be non-negative integers");
    if (d.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      fail(path, "tensor '", key, "': shape entry ", d.get<uint64_t>(), " is too large");
    e.shape.push_back(d.get<int64_t>());
  }
  const json& offsets = v["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2) fail(path, "tensor '", key, "': data_offsets must be [begin, end]");
  e.begin = as_offset(path, key, offsets[0]);
  e.end = as_offset(path, key, offsets[1]);
  return e;
}

Metadata parse_metadata(const std::string& path, const json& v) {
  if (!v.is_object()) fail(path, "__metadata__ is not an object of strings");
  Metadata m;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!it.value().is_string()) fail(path, "__metadata__ value of '", it.key(), "' is not a string");
    m[it.key()] = it.value().get<std::string>();
  }
  return m;
}

// The bytes a header entry's shape and dtype take; the product is checked, since a shape such as
// [2^62, 32, 32, 3] wraps to 0 and would otherwise match empty data_offsets.
uint64_t tensor_bytes(const std::string& path, const HeaderEntry& e) {
  uint64_t bytes = e.dtype->bytes;
  for (int64_t d : e.shape) {
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes))
      fail(path, "tensor '", e.name, "': shape ", shape_str(e.shape), " of ", e.dtype->name, " overflows 64 bits");
  }
  return bytes;
}

// Every entry inside the data section, sized as its shape says, and together tiling it exactly.
void check_layout(const std::string& path, std::vector<HeaderEntry>& entries, uint64_t data_bytes) {
  for (const HeaderEntry& e : entries) {
    if (e.begin > e.end || e.end > data_bytes)
      fail(path, "tensor '", e.name, "': data_offsets [", e.begin, ", ", e.end, "] outside the data section of ",
           data_bytes, " bytes");
    const uint64_t need = tensor_bytes(path, e);
    if (need != e.end - e.begin)
      fail(path, "tensor '", e.name, "': shape ", shape_str(e.shape), " of ", e.dtype->name, " needs ", need,
           " bytes but data_offsets hold ", e.end - e.begin);
  }
  std::sort(entries.begin(), entries.end(), [](const HeaderEntry& a, const HeaderEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t expected = 0;
  for (const HeaderEntry& e : entries) {
    if (e.begin < expected) fail(path, "tensor '", e.name, "': data overlaps the previous tensor at byte ", e.begin);
    if (e.begin > expected) fail(path, "tensor '", e.name, "': gap in the data section before byte ", e.begin);
    expected = e.end;
  }
  if (expected != data_bytes)
    fail(path, "data section has ", data_bytes - expected, " bytes not covered by any tensor");
}

Tensor decode(const std::string& path, const HeaderEntry& e, const char* data) {
  Tensor t = Tensor::empty(e.shape, e.dtype->memory);
  const int64_t n = t.numel();
  if (std::string(e.dtype->name) != "I64") {
    if (n) std::memcpy(t.raw_data(), data + e.begin, t.nbytes());
    return t;
  }
  int32_t* out = t.data<int32_t>();
  for (int64_t i = 0; i < n; ++i) {
    int64_t v;
    std::memcpy(&v, data + e.begin + 8 * static_cast<uint64_t>(i), 8);
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
      fail(path, "tensor '", e.name, "': I64 value ", v, " does not fit the i32 segrun holds it in");
    out[i] = static_cast<int32_t>(v);
  }
  return t;
}
}  // namespace

TensorFile read_safetensors(const std::string& path) {
  const std::vector<char> bytes = read_file(path);
  if (bytes.size() < 8) fail(path, "file of ", bytes.size(), " bytes is too short for the 8-byte header length");
  uint64_t header_bytes;
  std::memcpy(&header_bytes, bytes.data(), 8);
  if (header_bytes > bytes.size() - 8)
    fail(path, "header length ", header_bytes, " exceeds the ", bytes.size() - 8, " bytes after it");
  if (header_bytes > kMaxHeaderBytes) fail(path, "header length ", header_bytes, " exceeds the 100 MiB limit");
  json header;
  try {
    header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(header_bytes));
  } catch (const json::parse_error& err) {
    fail(path, "header is not valid JSON (", err.what(), ")");
  }
  if (!header.is_object()) fail(path, "header is not a JSON object");
  TensorFile file;
  std::vector<HeaderEntry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__")
      file.metadata = parse_metadata(path, it.value());
    else
      entries.push_back(parse_entry(path, it.key(), it.value()));
  }
  const uint64_t data_bytes = bytes.size() - 8 - header_bytes;
  check_layout(path, entries, data_bytes);
  const char* data = bytes.data() + 8 + header_bytes;
  for (const HeaderEntry& e : entries) file.tensors[e.name] = decode(path, e, data);
  return file;
}

namespace {
// Host bytes of one tensor as the file stores it.
std::vector<char> encode(const FileTensor& ft) {
  const Tensor t = ft.tensor.device().is_cpu() ? ft.tensor : ft.tensor.detach().to(Device::cpu());
  if (!ft.as_int64) {
    const char* p = static_cast<const char*>(t.raw_data());
    return std::vector<char>(p, p + t.nbytes());
  }
  std::vector<char> out(static_cast<size_t>(t.numel()) * 8);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const int64_t v = t.data<int32_t>()[i];
    std::memcpy(out.data() + 8 * i, &v, 8);
  }
  return out;
}

void write_all(const std::string& path, const std::string& tmp, const std::string& header,
               const std::vector<std::vector<char>>& blobs) {
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) fail(path, "cannot create ", tmp, " (", std::strerror(errno), ")");
  const uint64_t header_bytes = header.size();
  bool ok =
      std::fwrite(&header_bytes, 8, 1, f) == 1 && std::fwrite(header.data(), 1, header.size(), f) == header.size();
  for (const std::vector<char>& b : blobs) ok = ok && (b.empty() || std::fwrite(b.data(), 1, b.size(), f) == b.size());
  ok = std::fflush(f) == 0 && ok;
  ok = ::fsync(fileno(f)) == 0 && ok;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    std::remove(tmp.c_str());
    fail(path, "write failed (", std::strerror(errno), ")");
  }
}
}  // namespace

void write_safetensors(const std::string& path, const std::vector<FileTensor>& tensors, const Metadata& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<std::vector<char>> blobs;
  uint64_t offset = 0;
  for (const FileTensor& ft : tensors) {
    if (!ft.tensor.defined()) fail(path, "tensor '", ft.name, "' is undefined");
    if (ft.name == "__metadata__" || header.contains(ft.name))
      fail(path, "tensor name '", ft.name, "' is reserved or repeated");
    if (ft.as_int64 && ft.tensor.dtype() != DType::I32)
      fail(path, "tensor '", ft.name, "': only i32 tensors are written as I64");
    blobs.push_back(encode(ft));
    header[ft.name] = {{"dtype", file_dtype_name(ft.tensor.dtype(), ft.as_int64)},
                       {"shape", ft.tensor.shape()},
                       {"data_offsets", {offset, offset + blobs.back().size()}}};
    offset += blobs.back().size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data section starts 8-byte aligned
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  write_all(path, tmp, text, blobs);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    fail(path, "cannot rename ", tmp, " into place (", ec.message(), ")");
  }
}

std::map<std::string, Tensor> read_tensors(const std::string& path) {
  return read_safetensors(path).tensors;
}

void write_tensors(const std::string& path, const std::map<std::string, Tensor>& tensors, const Metadata& metadata) {
  std::vector<FileTensor> list;
  for (const auto& [name, t] : tensors) list.push_back({name, t, false});
  write_safetensors(path, list, metadata);
}

}  // namespace segrun::nn
