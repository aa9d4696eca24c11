#pragma once
// The ignore label: a target pixel with this value belongs to no class. Data sets map void
// classes to it, the losses skip it and the metrics leave it out (docs/REFERENCE.md section 1).

namespace segrun {

constexpr int kIgnoreLabel = 255;

}  // namespace segrun
