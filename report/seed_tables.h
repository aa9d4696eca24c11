#pragma once
// The tables of a study trained with several seeds (segrun ablation --seeds): each configuration
// as mean +- 95% CI over seeds, how often it ranks first, and paired tests of the best
// configuration against every other one over seeds x validation images, Holm-corrected.
#include <cstdint>
#include <string>
#include <vector>

#include "report/run_data.h"
#include "report/table.h"

namespace segrun::report {

// The primary model's configurations, in study order.
std::vector<std::string> primary_configs(const StudyData& study);

// Every finished run of (model, config), one per seed, in study seed order.
std::vector<const RunData*> runs_across_seeds(const StudyData& study, const std::string& model,
                                              const std::string& config);

// The primary model's configuration with the highest mean best mIoU over seeds ("" when none).
std::string best_config_across_seeds(const StudyData& study);

// Per configuration: seeds, best and final mIoU, pixel accuracy, mean Dice and boundary IoU as
// mean +- 95% CI half width, and in how many seeds it ranked first by best mIoU.
Table seed_summary_table(const StudyData& study);

// a minus b over every (seed, validation image) pair both runs scored (per-image mIoU at the
// best epoch): the mean difference, the number of pairs and the two-sided Wilcoxon p-value (1
// with fewer than two pairs).
struct PairedDifference {
  double mean_difference = 0;
  int pairs = 0;
  double p_value = 1;
};
PairedDifference compare_per_image(const StudyData& study, const std::string& model, const std::string& config_a,
                                   const std::string& config_b);

struct SeedComparison {
  std::string config;      // compared with the best configuration
  double mean_difference;  // best minus this, per-image mIoU, over all pairs
  int pairs;               // (seed, image) pairs with both runs scored
  double p_value;          // two-sided Wilcoxon signed-rank
  double holm_p_value;     // adjusted over all comparisons of the table
};

// The best configuration against each other one (empty with fewer than two configurations).
std::vector<SeedComparison> seed_comparisons(const StudyData& study);
Table seed_comparison_table(const StudyData& study);

}  // namespace segrun::report
