#include "engine/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "engine/error.h"
#include "engine/ops/elementwise.h"

namespace segrun {

namespace {
thread_local bool t_grad_mode = true;
}

bool grad_mode_enabled() {
  return t_grad_mode;
}

NoGradGuard::NoGradGuard() : previous_(t_grad_mode) {
  t_grad_mode = false;
}
NoGradGuard::~NoGradGuard() {
  t_grad_mode = previous_;
}

bool any_requires_grad(const std::vector<Tensor>& inputs) {
  if (!t_grad_mode) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

std::vector<bool> grad_needed(const std::vector<Tensor>& inputs) {
  std::vector<bool> need;
  need.reserve(inputs.size());
  for (const Tensor& t : inputs) need.push_back(t_grad_mode && t.defined() && t.requires_grad());
  return need;
}

Tensor record(const char* name, Tensor out, const std::vector<Tensor>& inputs, BackwardFn backward_fn) {
  if (!any_requires_grad(inputs)) return out;
  auto node = std::make_shared<Node>();
  node->name = name;
  for (const Tensor& t : inputs) {
    Edge e;
    if (t.defined() && t.requires_grad()) {
      if (t.grad_fn())
        e.fn = t.grad_fn();
      else
        e.leaf = t.impl_ptr();
    }
    node->needs_grad.push_back(e.active());
    node->next.push_back(std::move(e));
  }
  node->backward = std::move(backward_fn);
  node->out_shape = out.shape();
  node->out_dtype = out.dtype();
  node->out_device = out.device();
  out.set_grad_fn(node);
  return out;
}

void accumulate_into(Tensor& dst, const Tensor& src) {
  SEGRUN_CHECK_ARG(dst.shape() == src.shape(), "backward: gradient shape ", shape_str(src.shape()), " does not match ",
                   shape_str(dst.shape()));
  add_inplace(dst, src);
}

namespace {
// Post-order DFS without recursion (graphs of deep networks are thousands of nodes).
std::vector<Node*> topological_order(Node* root) {
  std::vector<Node*> order;
  std::unordered_set<Node*> seen;
  std::vector<std::pair<Node*, size_t>> stack{{root, 0}};
  seen.insert(root);
  while (!stack.empty()) {
    auto& [node, child] = stack.back();
    if (child < node->next.size()) {
      Node* c = node->next[child++].fn.get();
      if (c && seen.insert(c).second) stack.push_back({c, 0});
    } else {
      order.push_back(node);
      stack.pop_back();
    }
  }
  return order;  // children before parents
}

void accumulate_leaf(TensorImpl* leaf, const Tensor& g) {
  if (!leaf->grad.defined()) {
    leaf->grad = g.detach().clone();  // own copy: g may alias a buffer the graph reuses
  } else {
    accumulate_into(leaf->grad, g);
  }
}
}  // namespace

void backward(const Tensor& root, const Tensor& grad_root) {
  check_defined(root, "backward", "root");
  Tensor seed = grad_root;
  if (!seed.defined()) {
    SEGRUN_CHECK_ARG(root.numel() == 1, "backward: root ", root.str(), " is not a scalar; pass its gradient");
    seed = Tensor::full(root.shape(), 1.0, root.dtype(), root.device());
  }
  SEGRUN_CHECK_ARG(seed.shape() == root.shape(), "backward: seed ", seed.str(), " vs root ", root.str());
  if (!root.grad_fn()) {
    if (root.requires_grad()) accumulate_leaf(root.impl(), seed);
    return;
  }
  NoGradGuard no_grad;  // backward rules are not themselves differentiated
  std::vector<Node*> order = topological_order(root.grad_fn().get());
  std::unordered_map<Node*, Tensor> grads;
  grads[root.grad_fn().get()] = seed;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* node = *it;
    auto found = grads.find(node);
    if (found == grads.end() || !node->backward) continue;
    Tensor g = found->second;
    grads.erase(found);
    std::vector<Tensor> in_grads = node->backward(g);
    node->backward = nullptr;  // frees the saved tensors now
    SEGRUN_CHECK_ARG(in_grads.size() == node->next.size(), "backward: node ", node->name, " returned ", in_grads.size(),
                     " gradients for ", node->next.size(), " inputs");
    for (size_t i = 0; i < node->next.size(); ++i) {
      const Edge& e = node->next[i];
      if (!e.active() || !in_grads[i].defined()) continue;
      if (e.leaf) {
        accumulate_leaf(e.leaf.get(), in_grads[i]);
      } else {
        auto slot = grads.find(e.fn.get());
        if (slot == grads.end())
          grads.emplace(e.fn.get(), in_grads[i]);
        else
          slot->second = add(slot->second, in_grads[i]);  // out of place: either may alias saved data
      }
    }
  }
}

}  // namespace segrun
