#include "report/seed_tables.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "eval/paired_stats.h"
#include "eval/seed_stats.h"

namespace segrun::report {

namespace {

constexpr double kAlpha = 0.05;

std::string mean_ci(const std::vector<double>& values, int decimals) {
  const eval::MeanInterval ci = eval::mean_ci95(values);
  if (ci.n == 0) return "-";
  if (ci.n < 2) return fixed(ci.mean, decimals);
  return fixed(ci.mean, decimals) + " +- " + fixed(ci.half_width, decimals);
}

// Per-image mIoU pairs of two runs of one seed, matched by image id.
void add_pairs(const RunData& a, const RunData& b, std::vector<double>& xa, std::vector<double>& xb) {
  std::map<std::string, double> by_id;
  for (size_t i = 0; i < b.image_ids.size() && i < b.image_miou.size(); ++i) by_id[b.image_ids[i]] = b.image_miou[i];
  for (size_t i = 0; i < a.image_ids.size() && i < a.image_miou.size(); ++i) {
    const auto it = by_id.find(a.image_ids[i]);
    if (it == by_id.end() || !std::isfinite(a.image_miou[i]) || !std::isfinite(it->second)) continue;
    xa.push_back(a.image_miou[i]);
    xb.push_back(it->second);
  }
}

const RunData* run_of_seed(const std::vector<const RunData*>& runs, uint64_t seed) {
  for (const RunData* r : runs)
    if (r->seed == seed) return r;
  return nullptr;
}

}  // namespace

std::vector<std::string> primary_configs(const StudyData& study) {
  std::vector<std::string> configs;
  for (const RunData& r : study.runs) {
    if (r.model == study.primary_model && std::find(configs.begin(), configs.end(), r.loss_config) == configs.end())
      configs.push_back(r.loss_config);
  }
  return configs;
}

std::vector<const RunData*> runs_across_seeds(const StudyData& study, const std::string& model,
                                              const std::string& config) {
  std::vector<const RunData*> out;
  for (uint64_t seed : study.seeds) {
    for (const std::vector<RunData>* group : {&study.runs, &study.other_seed_runs}) {
      for (const RunData& r : *group) {
        if (r.seed == seed && r.model == model && r.loss_config == config && r.finished()) out.push_back(&r);
      }
    }
  }
  return out;
}

std::string best_config_across_seeds(const StudyData& study) {
  std::string best;
  double best_mean = -1;
  for (const std::string& config : primary_configs(study)) {
    std::vector<double> values;
    for (const RunData* r : runs_across_seeds(study, study.primary_model, config))
      values.push_back(r->metrics->best_miou);
    const eval::MeanInterval ci = eval::mean_ci95(values);
    if (ci.n > 0 && ci.mean > best_mean) {
      best_mean = ci.mean;
      best = config;
    }
  }
  return best;
}

Table seed_summary_table(const StudyData& study) {
  Table t;
  t.caption = "Across seeds: " + display_model(study.primary_model) + ", mean +- 95% confidence interval over " +
              std::to_string(study.seeds.size()) + " seeds";
  t.header = {"Configuration",  "Seeds",     "Best mIoU",    "Final mIoU",
              "Best Pixel Acc", "Mean Dice", "Boundary IoU", "Ranked first"};
  // Which configuration is first (best mIoU) in each seed.
  std::map<std::string, int> firsts;
  for (uint64_t seed : study.seeds) {
    std::string first;
    double top = -1;
    for (const std::string& config : primary_configs(study)) {
      const RunData* r = run_of_seed(runs_across_seeds(study, study.primary_model, config), seed);
      if (r && std::isfinite(r->metrics->best_miou) && r->metrics->best_miou > top) {
        top = r->metrics->best_miou;
        first = config;
      }
    }
    if (!first.empty()) ++firsts[first];
  }
  const std::string best = best_config_across_seeds(study);
  for (const std::string& config : primary_configs(study)) {
    std::vector<double> best_miou, final_miou, accuracy, dice, boundary;
    const std::vector<const RunData*> runs = runs_across_seeds(study, study.primary_model, config);
    for (const RunData* r : runs) {
      best_miou.push_back(r->metrics->best_miou);
      final_miou.push_back(r->metrics->final_miou);
      accuracy.push_back(r->metrics->best_pixel_accuracy);
      dice.push_back(r->metrics->mean_dice);
      boundary.push_back(r->metrics->boundary_iou);
    }
    if (config == best) t.highlight_row = static_cast<int>(t.rows.size());
    t.rows.push_back({display_config(config), std::to_string(runs.size()), mean_ci(best_miou, 4),
                      mean_ci(final_miou, 4), mean_ci(accuracy, 4), mean_ci(dice, 4), mean_ci(boundary, 4),
                      std::to_string(firsts[config]) + " of " + std::to_string(study.seeds.size())});
  }
  t.note =
      "95% interval: mean +- t(0.975, n-1) sd / sqrt(n) over the seeds whose run finished with finite values "
      "(none shown with one seed). Ranked first: seeds in which the configuration has the highest best mIoU.";
  return t;
}

PairedDifference compare_per_image(const StudyData& study, const std::string& model, const std::string& config_a,
                                   const std::string& config_b) {
  const std::vector<const RunData*> runs_a = runs_across_seeds(study, model, config_a);
  std::vector<double> xa, xb;
  for (const RunData* b : runs_across_seeds(study, model, config_b)) {
    if (const RunData* a = run_of_seed(runs_a, b->seed)) add_pairs(*a, *b, xa, xb);
  }
  PairedDifference d;
  d.pairs = static_cast<int>(xa.size());
  if (xa.empty()) {
    d.mean_difference = std::nan("");
    return d;
  }
  double sum = 0;
  for (size_t i = 0; i < xa.size(); ++i) sum += xa[i] - xb[i];
  d.mean_difference = sum / static_cast<double>(xa.size());
  if (xa.size() >= 2) d.p_value = eval::wilcoxon_signed_rank(xa, xb).p_value;
  return d;
}

std::vector<SeedComparison> seed_comparisons(const StudyData& study) {
  std::vector<SeedComparison> out;
  const std::string best = best_config_across_seeds(study);
  if (best.empty()) return out;
  for (const std::string& config : primary_configs(study)) {
    if (config == best) continue;
    const PairedDifference d = compare_per_image(study, study.primary_model, best, config);
    out.push_back({config, d.mean_difference, d.pairs, d.p_value, 1.0});
  }
  std::vector<double> p;
  for (const SeedComparison& c : out) p.push_back(c.p_value);
  const std::vector<double> adjusted = eval::holm_adjust(p);
  for (size_t i = 0; i < out.size(); ++i) out[i].holm_p_value = adjusted[i];
  return out;
}

Table seed_comparison_table(const StudyData& study) {
  const std::string best = best_config_across_seeds(study);
  Table t;
  t.caption = "Across seeds: " + display_config(best) + " against every other configuration (paired per image)";
  t.header = {"Comparison", "Mean per-image mIoU difference", "Pairs", "p (Wilcoxon)", "p (Holm)", "At alpha 0.05"};
  for (const SeedComparison& c : seed_comparisons(study)) {
    const char* verdict = c.holm_p_value <= kAlpha ? (c.mean_difference > 0 ? "better" : "worse") : "no evidence";
    t.rows.push_back({display_config(best) + " vs " + display_config(c.config), signed_pp(c.mean_difference),
                      std::to_string(c.pairs), p_value(c.p_value), p_value(c.holm_p_value), verdict});
  }
  t.note =
      "Pairs: the same validation image scored by both configurations' runs of the same seed (best epoch), over "
      "every seed. Two-sided Wilcoxon signed-rank test (normal approximation, tie-corrected) per comparison; "
      "p-values adjusted for the number of comparisons with Holm's method.";
  return t;
}

}  // namespace segrun::report
