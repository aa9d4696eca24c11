#pragma once
// Concatenation along the last (channel) dimension of NHWC tensors.
#include <vector>

#include "engine/tensor.h"

namespace segrun {

// All inputs share every dim but the last; op name in the table and errors: "concat".
Tensor concat_channels(const std::vector<Tensor>& xs);

}  // namespace segrun
