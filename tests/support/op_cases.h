#pragma once
// The one table of op cases. Each family registers its cases with SEGRUN_OP_CASES; the same
// table drives the CPU gradient check (tests/engine), the f32-vs-f64 forward check and the
// CPU-vs-CUDA parity suite (tests/cuda).
#include <functional>
#include <string>
#include <vector>

#include "engine/ops.h"

namespace segrun::testing {

struct InputSpec {
  enum class Kind {
    Uniform,  // floating, values in [lo, hi), differentiated
    Fixed,    // floating, values in [lo, hi), not differentiated (e.g. running statistics)
    Labels,   // integer class ids in [0, classes) with about 10% set to 255 (ignored)
  };
  Shape shape;
  Kind kind = Kind::Uniform;
  double lo = -1.0, hi = 1.0;
  int classes = 0;
  DType label_dtype = DType::U8;

  static InputSpec uniform(Shape s, double lo = -1.0, double hi = 1.0) { return {std::move(s), Kind::Uniform, lo, hi}; }
  static InputSpec fixed(Shape s, double lo, double hi) { return {std::move(s), Kind::Fixed, lo, hi}; }
  static InputSpec labels(Shape s, int classes) { return {std::move(s), Kind::Labels, 0, 0, classes}; }
  bool differentiable() const { return kind == Kind::Uniform; }
};

// CUDA parity tolerances for inputs stored in f16, as max |gpu - ref| / max |ref| over the
// output and every gradient (the reference sees the same f16-rounded inputs, in f64). The unit
// roundoff of f16 is 2^-11 = 4.9e-4, so storing a result in f16 alone costs up to 4.9e-4 of
// its largest value; our kernels and cuDNN accumulate in f32, which adds far less.
// - kF16OneRounding: the op's output and each gradient are rounded to f16 once (elementwise,
//   pooling, resize, concat, softmax, the losses, reductions): 4 unit roundoffs of headroom.
// - kF16Normalised: batch norm; its backward subtracts two per-channel means from the incoming
//   gradient, and that cancellation can magnify the rounding of the f16 gradient a few times.
// - kF16Convolution: cuDNN tensor-core algorithms (including Winograd-like transforms) round
//   intermediate tiles to f16 before accumulating in f32.
// - kF16Composite: chains of several f16-rounded ops with batch norm between them (the model
//   blocks, a cast round trip through f16 and back): the roundings compound.
inline constexpr double kF16OneRounding = 2e-3;
inline constexpr double kF16Normalised = 5e-3;
inline constexpr double kF16Convolution = 5e-3;
inline constexpr double kF16Composite = 1e-2;

struct OpCase {
  std::string op;    // the op (family member) this case exercises, e.g. "conv2d"
  std::string name;  // what is special about it, e.g. "3x3 stride 2 dilation 2, batch 2"
  std::vector<InputSpec> inputs;
  std::function<Tensor(const std::vector<Tensor>&)> run;
  double grad_tol = 1e-6;  // max relative error, analytic vs central differences (f64)
  double f32_tol = 1e-4;   // f32 forward vs f64 forward, relative to the output's max
  double fd_step = 1e-6;   // finite-difference step
  bool check_f32 = true;
  double f16_tol = kF16OneRounding;  // CUDA parity with f16 storage (see above)
  // A case at the sizes the models run (millions of elements): the kernels' multi-block
  // reductions (batch-norm statistics over 4x256x512 pixels per channel, or one channel),
  // grid-stride loops that iterate, cross-block accumulation of bias and broadcast gradients,
  // and f16 convolutions wide enough for tensor cores only show their bugs there. Too large for
  // one finite difference per element, so its gradient check probes random directions instead.
  bool real_size = false;
  // An update rule rather than a function to differentiate (the optimiser ops): no gradient
  // check, and no f16 parity (the optimiser keeps f32 master weights).
  bool update_rule = false;
};

// Real-size cases run at batch 4 and 512x256, the training size of the study.
inline constexpr int64_t kRealBatch = 4, kRealHeight = 256, kRealWidth = 512;
inline OpCase real_size(OpCase c) {
  c.real_size = true;
  return c;
}

inline OpCase update_rule(OpCase c) {
  c.update_rule = true;
  return c;
}

std::vector<OpCase>& op_case_registry();

struct OpCaseRegistrar {
  explicit OpCaseRegistrar(std::vector<OpCase> (*make)());
};

// Builds the inputs of a case in `dtype` (floating inputs) on `device`; labels keep their dtype.
// The values depend only on `seed` and the case, so f32, f64 and CUDA runs see the same numbers.
std::vector<Tensor> make_inputs(const OpCase& c, DType dtype, Device device, uint64_t seed);

}  // namespace segrun::testing

#define SEGRUN_OP_CASES(family)                                                                  \
  static std::vector<::segrun::testing::OpCase> family##_op_cases();                             \
  static const ::segrun::testing::OpCaseRegistrar family##_op_case_registrar(family##_op_cases); \
  static std::vector<::segrun::testing::OpCase> family##_op_cases()
