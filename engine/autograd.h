#pragma once
// Reverse-mode automatic differentiation. Every op that sees an input requiring grad records one
// Node holding a backward closure; backward(loss) runs them in reverse topological order.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace segrun {

// Where a node sends the gradient for one of its inputs: another node, a leaf tensor that
// accumulates into .grad, or nowhere (input did not require grad).
struct Edge {
  std::shared_ptr<Node> fn;
  std::shared_ptr<TensorImpl> leaf;
  bool active() const { return fn || leaf; }
};

// Gradients for each input, in the order the inputs were recorded. An undefined Tensor means
// "no gradient" (e.g. for an integer input).
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

struct Node {
  std::string name;
  std::vector<Edge> next;
  std::vector<bool> needs_grad;  // needs_grad[i] == next[i].active()
  BackwardFn backward;           // released (with everything it saved) after it runs
  Shape out_shape;
  DType out_dtype = DType::F32;
  Device out_device;
};

bool grad_mode_enabled();

// Disables recording in its scope (evaluation, optimiser updates).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when grad mode is on and any input requires grad.
bool any_requires_grad(const std::vector<Tensor>& inputs);

// Records `out` as produced by `name` from `inputs` when any input requires grad (and grad mode
// is on). The closure must capture saved tensors with detach() so no reference cycle forms.
// Returns `out` (now carrying its grad_fn) for chaining.
Tensor record(const char* name, Tensor out, const std::vector<Tensor>& inputs, BackwardFn backward);

// Which inputs of the op being recorded need a gradient (valid inside a backward closure via
// the flags captured at record time); convenience for closures that want to skip work.
std::vector<bool> grad_needed(const std::vector<Tensor>& inputs);

// Runs backprop from `root` with seed gradient `grad_root` (ones for a scalar when omitted).
// Leaf tensors with requires_grad accumulate into .grad. The graph is freed as it runs.
void backward(const Tensor& root, const Tensor& grad_root = Tensor());

// dst += src, in place, same shape/dtype/device (the accumulation primitive).
void accumulate_into(Tensor& dst, const Tensor& src);

}  // namespace segrun
