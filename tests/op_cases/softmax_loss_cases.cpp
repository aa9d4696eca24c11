// Op cases: the fused softmax-loss op through the loss API (docs/REFERENCE.md section 2), one
// autograd node each.
#include "losses/losses.h"
#include "tests/support/op_cases.h"

namespace segrun::testing {
namespace {
using In = InputSpec;
using Inputs = std::vector<Tensor>;

In int32_labels(Shape s, int classes) {
  In spec = In::labels(std::move(s), classes);
  spec.label_dtype = DType::I32;
  return spec;
}

// Logits in [-3, 3] make some probabilities small, exercising the focal factor (1 - p_t)^gamma.
In logits(Shape s) {
  return In::uniform(std::move(s), -3.0, 3.0);
}
// CE class weights are constants of the loss, not differentiated.
In class_weights(int64_t classes) {
  return In::fixed({classes}, 0.2, 3.0);
}
}  // namespace

SEGRUN_OP_CASES(softmax_loss) {
  using losses::DiceAbsent;
  std::vector<OpCase> cases;
  cases.push_back({"cross_entropy",
                   "u8 target with ignored pixels",
                   {logits({2, 3, 4, 5}), In::labels({2, 3, 4}, 5)},
                   [](const Inputs& x) { return losses::cross_entropy(x[0], x[1]); }});
  cases.push_back({"cross_entropy",
                   "i32 target, class weights",
                   {logits({2, 4, 3, 6}), int32_labels({2, 4, 3}, 6), class_weights(6)},
                   [](const Inputs& x) { return losses::cross_entropy(x[0], x[1], x[2]); }});
  cases.push_back({"dice",
                   "absent classes included (3 of 5 present)",
                   {logits({2, 3, 4, 5}), In::labels({2, 3, 4}, 3)},
                   [](const Inputs& x) { return losses::dice(x[0], x[1], DiceAbsent::Include); }});
  cases.push_back({"dice",
                   "absent classes masked (3 of 5 present)",
                   {logits({2, 3, 4, 5}), In::labels({2, 3, 4}, 3)},
                   [](const Inputs& x) { return losses::dice(x[0], x[1], DiceAbsent::Mask); }});
  cases.push_back({"dice",
                   "i32 target, every class present",
                   {logits({1, 6, 5, 3}), int32_labels({1, 6, 5}, 3)},
                   [](const Inputs& x) { return losses::dice(x[0], x[1]); }});
  cases.push_back({"focal", "alpha 1 gamma 2", {logits({2, 3, 4, 5}), In::labels({2, 3, 4}, 5)}, [](const Inputs& x) {
                     return losses::focal(x[0], x[1]);
                   }});
  cases.push_back(
      {"focal", "gamma 0.5, alpha 0.25", {logits({1, 4, 5, 4}), int32_labels({1, 4, 5}, 4)}, [](const Inputs& x) {
         return losses::focal(x[0], x[1], {0.25, 0.5});
       }});
  cases.push_back({"combined_loss",
                   "equal, class weights, dice masked",
                   {logits({2, 3, 4, 5}), In::labels({2, 3, 4}, 4), class_weights(5)},
                   [](const Inputs& x) {
                     losses::LossOptions options;
                     options.class_weight = x[2];
                     options.dice_absent = DiceAbsent::Mask;
                     return losses::combined_loss(x[0], x[1], {1.0, 1.0, 1.0}, options).total;
                   }});
  cases.push_back({"combined_loss",
                   "dice_dominant 0.5/1/0.5",
                   {logits({2, 4, 4, 3}), int32_labels({2, 4, 4}, 3)},
                   [](const Inputs& x) {
                     return losses::combined_loss(x[0], x[1], {0.5, 1.0, 0.5}).total;
                   }});
  cases.push_back({"combined_loss",
                   "dice skipped (weight 0), grad stats on",
                   {logits({1, 5, 4, 4}), In::labels({1, 5, 4}, 4)},
                   [](const Inputs& x) {
                     losses::LossOptions options;
                     options.grad_stats = true;
                     return losses::combined_loss(x[0], x[1], {1.0, 0.0, 2.0}, options).total;
                   }});
  // The loss is a mean over 524288 pixels: each logit moves it by ~1e-6 of the step, so a larger
  // step keeps the central difference well above the rounding of the loss itself.
  OpCase real{
      "combined_loss",
      "real size: equal weights, 4x256x512x19",
      {logits({kRealBatch, kRealHeight, kRealWidth, 19}), In::labels({kRealBatch, kRealHeight, kRealWidth}, 19)},
      [](const Inputs& x) {
        return losses::combined_loss(x[0], x[1], {1.0, 1.0, 1.0}).total;
      }};
  real.fd_step = 1e-4;
  cases.push_back(real_size(real));
  return cases;
}

}  // namespace segrun::testing
