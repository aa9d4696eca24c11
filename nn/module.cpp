#include "nn/module.h"

#include "engine/error.h"
#include "engine/ops/elementwise.h"

namespace segrun::nn {

void Module::register_parameter(const std::string& name, Tensor* slot, FileLayout layout) {
  SEGRUN_CHECK_ARG(slot && slot->defined() && is_floating(slot->dtype()), "module: parameter '", name,
                   "' must be a defined floating tensor");
  slot->set_requires_grad(true);
  parameters_.push_back({name, slot, layout, false, false});
}

void Module::register_buffer(const std::string& name, Tensor* slot, bool file_int64) {
  SEGRUN_CHECK_ARG(slot && slot->defined(), "module: buffer '", name, "' is an undefined tensor");
  SEGRUN_CHECK_ARG(!file_int64 || slot->dtype() == DType::I32, "module: buffer '", name,
                   "' stored as I64 must be i32 in memory, got ", slot->str());
  buffers_.push_back({name, slot, FileLayout::Same, true, file_int64});
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> child) {
  SEGRUN_CHECK_ARG(child != nullptr, "module: child '", name, "' is null");
  for (const auto& existing : children_)
    SEGRUN_CHECK_ARG(existing.first != name, "module: child '", name, "' registered twice");
  child->train(training_);
  children_.emplace_back(name, std::move(child));
}

void Module::collect(const std::string& prefix, std::vector<StateEntry>& out) const {
  for (const StateEntry& e : parameters_) out.push_back({prefix + e.name, e.tensor, e.layout, false, false});
  for (const StateEntry& e : buffers_) out.push_back({prefix + e.name, e.tensor, e.layout, true, e.file_int64});
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out);
}

std::vector<StateEntry> Module::state_entries() const {
  std::vector<StateEntry> out;
  collect("", out);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const StateEntry& e : state_entries())
    if (!e.is_buffer) out.emplace_back(e.name, *e.tensor);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (const auto& named : named_parameters()) out.push_back(named.second);
  return out;
}

int64_t Module::parameter_count() const {
  int64_t n = 0;
  for (const auto& named : named_parameters()) n += named.second.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& child : children_) child.second->train(on);
}

void Module::to(Device device) {
  for (const StateEntry& e : state_entries()) {
    Tensor& t = *e.tensor;
    if (!is_floating(t.dtype()) || t.device() == device) continue;
    const bool requires_grad = t.requires_grad();
    t = t.detach().to(device);
    if (requires_grad) t.set_requires_grad(true);
  }
}

void Module::to(DType dtype) {
  SEGRUN_CHECK_ARG(is_floating(dtype), "module: cannot cast parameters to ", dtype_name(dtype));
  for (const StateEntry& e : state_entries()) {
    Tensor& t = *e.tensor;
    if (!is_floating(t.dtype()) || t.dtype() == dtype) continue;
    const bool requires_grad = t.requires_grad();
    t = t.detach().contiguous_copy_on(t.device(), dtype);
    if (requires_grad) t.set_requires_grad(true);
  }
}

void Module::zero_grad() {
  for (const StateEntry& e : state_entries())
    if (!e.is_buffer) e.tensor->set_grad(Tensor());
}

Tensor SegmentationModel::forward(const Tensor& x) {
  const Tensor logits = network(x);
  return logits.dtype() == DType::F16 ? cast(logits, DType::F32) : logits;
}

}  // namespace segrun::nn
