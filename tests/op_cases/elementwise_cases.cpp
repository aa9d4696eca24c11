// Op cases: elementwise ops, activations, casts and views.
#include "tests/support/op_cases.h"

namespace segrun::testing {
namespace {
using In = InputSpec;
}

SEGRUN_OP_CASES(elementwise) {
  std::vector<OpCase> cases;
  cases.push_back({"add",
                   "same shape, odd sizes",
                   {In::uniform({2, 3, 5, 3}), In::uniform({2, 3, 5, 3})},
                   [](const std::vector<Tensor>& x) { return add(x[0], x[1]); }});
  cases.push_back({"add",
                   "bias broadcast over N,H,W",
                   {In::uniform({2, 3, 4, 5}), In::uniform({5})},
                   [](const std::vector<Tensor>& x) { return add(x[0], x[1]); }});
  cases.push_back({"sub",
                   "N,H,W,1 broadcast on the left",
                   {In::uniform({2, 3, 3, 1}), In::uniform({2, 3, 3, 4})},
                   [](const std::vector<Tensor>& x) { return sub(x[0], x[1]); }});
  cases.push_back({"mul",
                   "attention gate N,H,W,C x N,H,W,1",
                   {In::uniform({2, 5, 3, 4}), In::uniform({2, 5, 3, 1})},
                   [](const std::vector<Tensor>& x) { return mul(x[0], x[1]); }});
  cases.push_back({"mul", "same operand twice (shared input)", {In::uniform({3, 7})}, [](const std::vector<Tensor>& x) {
                     return mul(x[0], x[0]);
                   }});
  cases.push_back(
      {"scale", "times -2.5", {In::uniform({4, 6})}, [](const std::vector<Tensor>& x) { return scale(x[0], -2.5); }});
  // relu inputs stay away from the kink at 0, where the derivative is undefined.
  cases.push_back(
      {"relu", "positive and negative", {In::uniform({2, 4, 3, 5}, 0.05, 1.0)}, [](const std::vector<Tensor>& x) {
         return relu(sub(x[0], Tensor::full({1}, 0.5, x[0].dtype(), x[0].device())));
       }});
  cases.push_back({"sigmoid", "wide range", {In::uniform({3, 5, 7}, -4.0, 4.0)}, [](const std::vector<Tensor>& x) {
                     return sigmoid(x[0]);
                   }});
  cases.push_back({"reshape", "view then square", {In::uniform({2, 3, 4})}, [](const std::vector<Tensor>& x) {
                     Tensor r = x[0].reshape({6, 4});
                     return mul(r, r);
                   }});
  cases.push_back({"slice", "rows 1..3 of the batch", {In::uniform({4, 3, 2})}, [](const std::vector<Tensor>& x) {
                     return scale(x[0].slice(1, 3), 3.0);
                   }});
  OpCase c{"cast", "f64 -> f32 -> f64 round trip", {In::uniform({5, 3})}, [](const std::vector<Tensor>& x) {
             return cast(cast(x[0], DType::F32), x[0].dtype());
           }};
  c.fd_step = 1e-2;  // the f32 round trip rounds the forward values: use a step far above f32 epsilon
  c.grad_tol = 1e-4;
  cases.push_back(c);
  // The copy is made from x outside the recorded graph, as the optimiser makes its f16 copy;
  // the gradient reaches x through cast_with_copy alone.
  OpCase with_copy{"cast_with_copy",
                   "f64 -> f32 copy made beforehand -> f64",
                   {In::uniform({4, 3})},
                   [](const std::vector<Tensor>& x) {
                     const Tensor copy = cast(x[0], DType::F32).detach();
                     return cast(cast_with_copy(x[0], copy), x[0].dtype());
                   }};
  with_copy.fd_step = 1e-2;  // as for the round trip above
  with_copy.grad_tol = 1e-4;
  cases.push_back(with_copy);
  const Shape real{kRealBatch, kRealHeight, kRealWidth, 64};
  cases.push_back(real_size({"add",
                             "real size: bias broadcast over N,H,W (sum_to), 4x256x512x64",
                             {In::uniform(real), In::uniform({64})},
                             [](const std::vector<Tensor>& x) { return add(x[0], x[1]); }}));
  cases.push_back(real_size({"add",
                             "real size: 3-channel bias over N,H,W (sum_to in narrow column tiles), 2x64x96x3",
                             {In::uniform({2, 64, 96, 3}), In::uniform({3})},
                             [](const std::vector<Tensor>& x) { return add(x[0], x[1]); }}));
  cases.push_back(real_size({"mul",
                             "real size: attention gate N,H,W,64 x N,H,W,1",
                             {In::uniform(real), In::uniform({kRealBatch, kRealHeight, kRealWidth, 1})},
                             [](const std::vector<Tensor>& x) { return mul(x[0], x[1]); }}));
  return cases;
}

}  // namespace segrun::testing
