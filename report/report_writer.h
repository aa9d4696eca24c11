#pragma once
// `segrun report DIR`: report.md (+ figures/) and a self-contained report.html.
#include <string>
#include <vector>

#include "report/panels.h"
#include "report/paper_tables.h"
#include "report/run_data.h"

namespace segrun::report {

struct ReportOptions {
  std::string compare_a;  // configuration names of Table VI and the panels; empty = automatic
  std::string compare_b;
  int panels = 3;  // qualitative panels (validation images where A and B differ most)
};

struct ReportPaths {
  std::string markdown;
  std::string html;
};

ReportPaths write_report(const std::string& dir, const ReportOptions& options);

// Table VI's pair: B = the best run, A = ce_dominant (the paper's choice) or else the runner-up.
std::pair<const RunData*, const RunData*> comparison_pair(const StudyData& study, const ReportOptions& options);

// Best run against every other finished run of the primary model (eval/ statistics).
std::vector<PairedComparison> paired_comparisons(const StudyData& study, const RunData& best);

struct Panel {
  std::string image_id;
  double miou_a = 0, miou_b = 0;
  std::string png;  // encoded PNG bytes
};
// Panels for the validation images with the largest per-image mIoU gain of b over a.
std::vector<Panel> qualitative_panels(const StudyData& study, const RunData& a, const RunData& b, int count);
// The data set's class colours (for the panels' legend).
Palette study_palette(const StudyData& study);

}  // namespace segrun::report
