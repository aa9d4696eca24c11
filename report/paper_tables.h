#pragma once
// The report's tables, each named after the paper table it reproduces.
#include <string>
#include <vector>

#include "report/run_data.h"
#include "report/table.h"

namespace segrun::report {

// Table III: every configuration of the primary model, best first.
Table ablation_table(const StudyData& study);
// Table IV: the best configuration on each architecture, with its gain over `equal` in pp.
Table cross_architecture_table(const StudyData& study);
// Table V: single-loss runs against the best combined run.
Table component_table(const StudyData& study);
// Table VI: the classes where run b gains most over run a (all classes when top_k <= 0).
Table class_difference_table(const StudyData& study, const RunData& a, const RunData& b, int top_k);
// Every configuration's per-class IoU (classes as rows).
Table per_class_table(const StudyData& study);

// Paired comparison of per-image mIoU between two runs on the same validation images.
struct PairedComparison {
  std::string other;  // the run compared against the best
  size_t images = 0;
  double mean_difference = 0;  // best - other, as a fraction
  double ci_low = 0, ci_high = 0;
  double t_test_p = 0, wilcoxon_p = 0;
};
Table significance_table(const RunData& best, const std::vector<PairedComparison>& rows);

// Attention U-Net's best val mIoU on Cityscapes as published, or NaN for other names.
double paper_best_miou(const std::string& config);

// "1.0 : 0.5 : 0.5" from a run's config.json.
std::string weights_text(const RunData& run);

}  // namespace segrun::report
