#include "report/paper_tables.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace segrun::report {

namespace {

// Attention U-Net best val mIoU on Cityscapes as published (docs/REFERENCE.md section 7.6).
const std::map<std::string, double> kPaperBestMiou = {
    {"dice_dominant", 0.5783}, {"focal_dominant", 0.5588}, {"equal", 0.5559},    {"ce_dominant", 0.5426},
    {"ce_only", 0.5005},       {"focal_only", 0.4976},     {"dice_only", 0.4075}};

std::vector<const RunData*> by_best_miou(std::vector<const RunData*> runs) {
  std::stable_sort(runs.begin(), runs.end(),
                   [](const RunData* a, const RunData* b) { return a->metrics->best_miou > b->metrics->best_miou; });
  return runs;
}

std::string parameters_text(const RunData& run) {
  const double params = run.config.value("params", 0.0);
  return fixed(params / 1e6, 2) + "M";
}

std::string paper_value(const std::string& config) {
  return fixed(paper_best_miou(config), 4);
}

// The best run of the primary model with at least two active loss terms.
const RunData* best_combined_run(const StudyData& study) {
  const RunData* best = nullptr;
  for (const RunData* r : finished_runs(study, study.primary_model)) {
    const Json& w = r->config.at("weights");
    const int active =
        (w.at("ce").get<double>() > 0) + (w.at("dice").get<double>() > 0) + (w.at("focal").get<double>() > 0);
    if (active >= 2 && (!best || r->metrics->best_miou > best->metrics->best_miou)) best = r;
  }
  return best;
}

}  // namespace

double paper_best_miou(const std::string& config) {
  const auto it = kPaperBestMiou.find(config);
  return it == kPaperBestMiou.end() ? std::nan("") : it->second;
}

std::string weights_text(const RunData& run) {
  const Json& w = run.config.at("weights");
  return fixed(w.at("ce").get<double>(), 1) + " : " + fixed(w.at("dice").get<double>(), 1) + " : " +
         fixed(w.at("focal").get<double>(), 1);
}

Table ablation_table(const StudyData& study) {
  Table t;
  t.caption = "Table III. Ablation of the loss weights on " + display_model(study.primary_model) +
              " (validation split; best configuration in bold)";
  t.header = {"Configuration",  "w_ce : w_dice : w_focal",
              "Best mIoU",      "Final mIoU",
              "Best Pixel Acc", "Min Val Loss",
              "Avg Grad Norm",  "Mean Dice",
              "Boundary IoU",   "Loss Red. %",
              "Stability",      "Skipped",
              "Paper mIoU"};
  for (const RunData* r : by_best_miou(finished_runs(study, study.primary_model))) {
    const RunMetrics& m = *r->metrics;
    t.rows.push_back({display_config(r->loss_config), weights_text(*r), fixed(m.best_miou, 4), fixed(m.final_miou, 4),
                      fixed(m.best_pixel_accuracy, 4), fixed(m.min_val_loss, 4), fixed(m.avg_grad_norm, 4),
                      fixed(m.mean_dice, 4), fixed(m.boundary_iou, 4), fixed(m.loss_reduction_pct, 1),
                      fixed(m.stability, 4), std::to_string(m.skipped_steps), paper_value(r->loss_config)});
  }
  t.highlight_row = t.rows.empty() ? -1 : 0;
  t.note =
      "Best/final mIoU and pixel accuracy on the validation split; Avg Grad Norm = mean total gradient "
      "norm before clipping over all optimiser steps; Stability = std of the last five epochs' train loss; "
      "Mean Dice and Boundary IoU at the best epoch. Paper mIoU: Attention U-Net on Cityscapes as published.";
  return t;
}

Table cross_architecture_table(const StudyData& study) {
  Table t;
  t.caption = "Table IV. Cross-architecture validation of the best configuration";
  t.header = {"Architecture", "Configuration", "Best mIoU", "Best Pixel Acc", "Parameters", "Improvement over Equal"};
  const RunData* best = best_run(study, study.primary_model);
  if (!best) return t;
  std::vector<std::string> models = {study.primary_model};
  for (const RunData& r : study.runs) {
    if (std::find(models.begin(), models.end(), r.model) == models.end()) models.push_back(r.model);
  }
  for (const std::string& model : models) {
    const RunData* run = find_run(study, model, best->loss_config);
    if (!run) continue;
    const RunData* equal = find_run(study, model, "equal");
    const std::string gain = equal ? signed_pp(run->metrics->best_miou - equal->metrics->best_miou) : "N/A";
    t.rows.push_back({display_model(model), display_config(run->loss_config), fixed(run->metrics->best_miou, 4),
                      fixed(run->metrics->best_pixel_accuracy, 4), parameters_text(*run), gain});
  }
  t.note =
      "Improvement = best mIoU of the configuration minus that of equal weights on the same architecture, "
      "in percentage points (N/A where equal weights were not run).";
  return t;
}

Table component_table(const StudyData& study) {
  Table t;
  t.caption = "Table V. Component contribution: single losses against the best combination";
  t.header = {"Loss", "Best mIoU", "Final mIoU", "Difference to best single loss"};
  const std::vector<std::pair<std::string, std::string>> singles = {{"ce_only", "pixel-wise classification"},
                                                                    {"dice_only", "overlap / class imbalance"},
                                                                    {"focal_only", "hard examples"}};
  double best_single = -1;
  std::string best_single_name;
  for (const auto& [config, role] : singles) {
    const RunData* r = find_run(study, study.primary_model, config);
    if (!r) continue;
    if (r->metrics->best_miou > best_single) {
      best_single = r->metrics->best_miou;
      best_single_name = display_config(config);
    }
  }
  for (const auto& [config, role] : singles) {
    const RunData* r = find_run(study, study.primary_model, config);
    if (!r) continue;
    t.rows.push_back({display_config(config) + " (" + role + ")", fixed(r->metrics->best_miou, 4),
                      fixed(r->metrics->final_miou, 4), signed_pp(r->metrics->best_miou - best_single)});
  }
  const RunData* best = best_combined_run(study);
  if (best && best_single >= 0) {
    t.rows.push_back({display_config(best->loss_config) + " (best combination)", fixed(best->metrics->best_miou, 4),
                      fixed(best->metrics->final_miou, 4), signed_pp(best->metrics->best_miou - best_single)});
    t.highlight_row = static_cast<int>(t.rows.size()) - 1;
    t.note = "Differences are relative to the best single loss (" + best_single_name + ").";
  }
  return t;
}

Table class_difference_table(const StudyData& study, const RunData& a, const RunData& b, int top_k) {
  Table t;
  const std::string name_a = display_config(a.loss_config), name_b = display_config(b.loss_config);
  t.caption = std::string(top_k > 0 ? "Table VI. Classes with the largest IoU change, " : "Per-class IoU, ") + name_a +
              " vs " + name_b + " (" + display_model(b.model) + ")";
  t.header = {"Class", name_a + " IoU", name_b + " IoU", "Difference"};
  std::vector<size_t> order;
  for (size_t c = 0; c < study.class_names.size(); ++c) order.push_back(c);
  auto diff = [&](size_t c) {
    const double d = b.metrics->per_class_iou.at(c) - a.metrics->per_class_iou.at(c);
    return std::isfinite(d) ? d : -1e9;
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return diff(x) > diff(y); });
  if (top_k > 0 && order.size() > static_cast<size_t>(top_k)) order.resize(static_cast<size_t>(top_k));
  for (size_t c : order) {
    const double ia = a.metrics->per_class_iou.at(c), ib = b.metrics->per_class_iou.at(c);
    t.rows.push_back({study.class_names[c], fixed(ia, 4), fixed(ib, 4), signed_pp(ib - ia)});
  }
  t.note =
      "IoU at each run's best epoch; differences in percentage points (pp); '-' = class absent from "
      "ground truth and prediction.";
  return t;
}

Table per_class_table(const StudyData& study) {
  Table t;
  t.caption = "Per-class IoU of every run (best epoch)";
  t.header = {"Class"};
  std::vector<const RunData*> runs;
  for (const RunData& r : study.runs) {
    if (!r.finished()) continue;
    runs.push_back(&r);
    t.header.push_back(display_config(r.loss_config) +
                       (r.model == study.primary_model ? "" : " / " + display_model(r.model)));
  }
  for (size_t c = 0; c < study.class_names.size(); ++c) {
    std::vector<std::string> row = {study.class_names[c]};
    for (const RunData* r : runs) row.push_back(fixed(r->metrics->per_class_iou.at(c), 3));
    t.rows.push_back(row);
  }
  std::vector<std::string> mean_row = {"mIoU"};
  for (const RunData* r : runs) mean_row.push_back(fixed(r->metrics->best_miou, 3));
  t.rows.push_back(mean_row);
  t.highlight_row = static_cast<int>(t.rows.size()) - 1;
  return t;
}

Table significance_table(const RunData& best, const std::vector<PairedComparison>& rows) {
  Table t;
  t.caption = "Paired significance: " + display_config(best.loss_config) + " against every other configuration";
  t.header = {"Compared with", "Images", "Mean difference", "95% CI (bootstrap)", "Paired t-test p", "Wilcoxon p"};
  for (const PairedComparison& c : rows) {
    t.rows.push_back({display_config(c.other), std::to_string(c.images), signed_pp(c.mean_difference),
                      "[" + signed_pp(c.ci_low) + ", " + signed_pp(c.ci_high) + "]", p_value(c.t_test_p),
                      p_value(c.wilcoxon_p)});
  }
  t.note =
      "Per-image mIoU at each run's best epoch; difference = best minus other in percentage points; "
      "two-sided p-values; bootstrap with 10,000 seeded resamples.";
  return t;
}

}  // namespace segrun::report
