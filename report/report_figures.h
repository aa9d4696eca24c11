#pragma once
// The report's plots, as SVG documents.
#include <string>
#include <vector>

#include "report/run_data.h"

namespace segrun::report {

struct Figure {
  std::string file;  // e.g. "convergence_val_miou.svg", written next to report.md
  std::string caption;
  std::string svg;
};

// Train/val loss, val mIoU and pixel accuracy per epoch for every run.
std::vector<Figure> convergence_figures(const StudyData& study);
// Per-term logit-gradient norms, the CE-Dice cosine, the pre-clip gradient norm and (when
// probed) per-term parameter-gradient norms, over optimiser steps.
std::vector<Figure> gradient_figures(const StudyData& study);

}  // namespace segrun::report
