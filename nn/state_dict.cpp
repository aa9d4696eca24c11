#include "nn/state_dict.h"

#include <cstring>
#include <set>
#include <stdexcept>

#include "engine/error.h"

namespace segrun::nn {

namespace {
// Moves dim 3 to position 1 (forward) or dim 1 to position 3 (inverse) with element-size copies.
Tensor permute_kernel(const Tensor& src, bool to_file) {
  SEGRUN_CHECK_ARG(src.dim() == 4, "state dict: kernel layout conversion needs a 4-d tensor, got ", src.str());
  const Tensor t = src.device().is_cpu() ? src.detach() : src.detach().to(Device::cpu());
  const Shape& s = t.shape();
  const Shape out_shape = to_file ? Shape{s[0], s[3], s[1], s[2]} : Shape{s[0], s[2], s[3], s[1]};
  Tensor out = Tensor::empty(out_shape, t.dtype());
  // Memory-layout sizes (A, KH, KW, B) whichever direction the copy goes.
  const int64_t a = s[0], kh = to_file ? s[1] : s[2], kw = to_file ? s[2] : s[3], b = to_file ? s[3] : s[1];
  const size_t es = dtype_size(t.dtype());
  const char* in = static_cast<const char*>(t.raw_data());
  char* o = static_cast<char*>(out.raw_data());
  for (int64_t i = 0; i < a; ++i)
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x)
        for (int64_t c = 0; c < b; ++c) {
          const int64_t mem = ((i * kh + y) * kw + x) * b + c;
          const int64_t file = ((i * b + c) * kh + y) * kw + x;
          const int64_t from = to_file ? mem : file, to = to_file ? file : mem;
          std::memcpy(o + static_cast<size_t>(to) * es, in + static_cast<size_t>(from) * es, es);
        }
  return out;
}

bool ignored(const std::string& name, const LoadOptions& options) {
  if (name.compare(0, options.prefix.size(), options.prefix) != 0) return true;
  for (const std::string& p : options.ignore_prefixes)
    if (name.compare(options.prefix.size(), p.size(), p) == 0) return true;
  return false;
}

void load_entry(const StateEntry& e, const Tensor& file_tensor, const std::string& source, const std::string& key) {
  Tensor& dst = *e.tensor;
  // Like PyTorch, a scalar buffer also loads from a one-element 1-d tensor (older segrun files).
  const bool legacy_scalar = dst.dim() == 0 && file_tensor.shape() == Shape{1};
  if (file_tensor.shape() != file_shape(e) && !legacy_scalar)
    throw std::runtime_error(cat_str("state dict: ", source, ": tensor '", key, "' has shape ",
                                     shape_str(file_tensor.shape()), ", the model expects ", shape_str(file_shape(e))));
  const bool both_float = is_floating(file_tensor.dtype()) && is_floating(dst.dtype());
  if (!both_float && file_tensor.dtype() != dst.dtype())
    throw std::runtime_error(cat_str("state dict: ", source, ": tensor '", key, "' is ",
                                     dtype_name(file_tensor.dtype()), ", the model holds ", dtype_name(dst.dtype())));
  Tensor t = e.layout == FileLayout::KernelChannelsLast ? kernel_from_file_layout(file_tensor)
             : legacy_scalar                            ? file_tensor.reshape({})
                                                        : file_tensor;
  dst.copy_from(t.contiguous_copy_on(Device::cpu(), dst.dtype()));
}
}  // namespace

Shape file_shape(const StateEntry& e) {
  const Shape& s = e.tensor->shape();
  if (e.layout == FileLayout::KernelChannelsLast) return {s[0], s[3], s[1], s[2]};
  return s;
}

Tensor kernel_to_file_layout(const Tensor& memory) {
  return permute_kernel(memory, true);
}
Tensor kernel_from_file_layout(const Tensor& file) {
  return permute_kernel(file, false);
}

std::vector<FileTensor> state_dict_tensors(const Module& module, const std::string& prefix) {
  std::vector<FileTensor> out;
  for (const StateEntry& e : module.state_entries()) {
    Tensor t = e.tensor->detach();
    if (e.layout == FileLayout::KernelChannelsLast) t = kernel_to_file_layout(t);
    out.push_back({prefix + e.name, t, e.file_int64});
  }
  return out;
}

void load_state_dict(Module& module, const TensorFile& file, const std::string& source, const LoadOptions& options) {
  std::set<std::string> used;
  for (const StateEntry& e : module.state_entries()) {
    const std::string key = options.prefix + e.name;
    auto found = file.tensors.find(key);
    if (found == file.tensors.end())
      throw std::runtime_error(cat_str("state dict: ", source, ": missing tensor '", key, "'"));
    load_entry(e, found->second, source, key);
    used.insert(key);
  }
  for (const auto& named : file.tensors)
    if (!used.count(named.first) && !ignored(named.first, options))
      throw std::runtime_error(cat_str("state dict: ", source, ": unexpected tensor '", named.first,
                                       "' (no such parameter or buffer in the model)"));
}

PartialLoad load_matching_state(Module& module, const TensorFile& file, const LoadOptions& options) {
  PartialLoad result;
  std::set<std::string> seen;
  for (const StateEntry& e : module.state_entries()) {
    const std::string key = options.prefix + e.name;
    auto found = file.tensors.find(key);
    if (found == file.tensors.end()) {
      result.missing.push_back(key);
      continue;
    }
    seen.insert(key);
    const Tensor& t = found->second;
    const bool shape_fits = t.shape() == file_shape(e) || (e.tensor->dim() == 0 && t.shape() == Shape{1});
    const bool dtype_fits =
        t.dtype() == e.tensor->dtype() || (is_floating(t.dtype()) && is_floating(e.tensor->dtype()));
    if (!shape_fits || !dtype_fits) {
      result.missing.push_back(cat_str(key, " (file ", shape_str(t.shape()), " ", dtype_name(t.dtype()), ", model ",
                                       shape_str(file_shape(e)), " ", dtype_name(e.tensor->dtype()), ")"));
      continue;
    }
    load_entry(e, t, "", key);
    result.loaded.push_back(key);
  }
  for (const auto& named : file.tensors)
    if (!seen.count(named.first) && !ignored(named.first, options)) result.unexpected.push_back(named.first);
  return result;
}

void save_state_dict(const std::string& path, const Module& module, const Metadata& metadata) {
  write_safetensors(path, state_dict_tensors(module), metadata);
}

void load_state_dict(const std::string& path, Module& module, const LoadOptions& options) {
  load_state_dict(module, read_safetensors(path), path, options);
}

}  // namespace segrun::nn
