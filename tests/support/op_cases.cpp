#include "tests/support/op_cases.h"

namespace segrun::testing {

std::vector<OpCase>& op_case_registry() {
  static std::vector<OpCase> registry;
  return registry;
}

OpCaseRegistrar::OpCaseRegistrar(std::vector<OpCase> (*make)()) {
  for (OpCase& c : make()) op_case_registry().push_back(std::move(c));
}

std::vector<Tensor> make_inputs(const OpCase& c, DType dtype, Device device, uint64_t seed) {
  std::vector<Tensor> inputs;
  Generator gen(seed);
  for (const InputSpec& spec : c.inputs) {
    if (spec.kind == InputSpec::Kind::Labels) {
      Tensor t = Tensor::empty(spec.shape, DType::I32);
      for (int64_t i = 0, n = t.numel(); i < n; ++i) {
        const bool ignored = gen.next_unit() < 0.1;
        t.data<int32_t>()[i] =
            ignored ? 255 : static_cast<int32_t>(gen.next_below(static_cast<uint64_t>(spec.classes)));
      }
      inputs.push_back(t.contiguous_copy_on(device, spec.label_dtype));
      continue;
    }
    Tensor t = gen.uniform(spec.shape, spec.lo, spec.hi, DType::F64).contiguous_copy_on(device, dtype);
    if (spec.differentiable()) t.set_requires_grad(true);
    inputs.push_back(t);
  }
  return inputs;
}

}  // namespace segrun::testing
