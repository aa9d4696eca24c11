#pragma once
// Module: a node of a network with hierarchically named parameters and buffers, mirroring
// PyTorch's nn.Module naming (`layer1.0.conv1.weight`, `bn1.running_mean`) and ordering
// (a module's own parameters, then its buffers, then its children in registration order).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace segrun::nn {

// How a tensor is laid out in memory relative to its PyTorch state-dict layout.
enum class FileLayout : uint8_t {
  Same,
  // Memory (A,KH,KW,B), file (A,B,KH,KW): conv weights OHWI <-> OIHW and
  // conv-transpose weights IHWO <-> IOHW are the same permutation.
  KernelChannelsLast,
};

// One named tensor of a module's state: where it lives and how it is stored in a file.
struct StateEntry {
  std::string name;
  Tensor* tensor = nullptr;
  FileLayout layout = FileLayout::Same;
  bool is_buffer = false;
  bool file_int64 = false;  // an integer counter held as i32 in memory, I64 in PyTorch files
};

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Parameters and buffers with full dotted names, in PyTorch state_dict order.
  std::vector<StateEntry> state_entries() const;
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  std::vector<Tensor> parameters() const;
  int64_t parameter_count() const;

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Moves floating parameters and buffers to `device` (integer counters stay on the host,
  // where they are incremented). Build optimisers after moving.
  void to(Device device);
  // Casts floating parameters and buffers (f64 for gradient checks, f32 for training).
  void to(DType dtype);
  void zero_grad();

 protected:
  // `slot` is a member of the derived module; modules never move, so the pointer stays valid.
  void register_parameter(const std::string& name, Tensor* slot, FileLayout layout = FileLayout::Same);
  void register_buffer(const std::string& name, Tensor* slot, bool file_int64 = false);

  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> child) {
    add_child(name, child);
    return child;
  }

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> child);
  void collect(const std::string& prefix, std::vector<StateEntry>& out) const;

  std::vector<StateEntry> parameters_;
  std::vector<StateEntry> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

// A network mapping an NHWC image batch to NHWC logits.
class SegmentationModel : public Module {
 public:
  // The logits, always f32: under autocast on the GPU the network runs in f16
  // (nn/autocast.h) and its f16 logits are cast back here, so softmax, the losses and the
  // metrics work in f32.
  Tensor forward(const Tensor& x);
  // The fewest images a training batch may hold (batch norm needs more than one value per
  // channel).
  virtual int64_t min_training_batch() const { return 1; }

 protected:
  // The network itself; f16 logits under autocast on the GPU, else x's dtype.
  virtual Tensor network(const Tensor& x) = 0;
};

}  // namespace segrun::nn
