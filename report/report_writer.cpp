#include "report/report_writer.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "eval/rank_correlation.h"
#include "report/claims.h"
#include "report/gradient_dynamics.h"
#include "report/report_figures.h"
#include "report/report_html.h"
#include "report/seed_tables.h"
#include "training/train_config.h"

namespace segrun::report {

using training::join_path;
using training::make_directories;
using training::write_file_atomic;

namespace {

std::string resize_description(const std::string& filter) {
  if (filter == "antialias")
    return "the antialiasing filter (PIL's bilinear: triangle widened by the reduction factor)";
  if (filter == "bilinear") return "4-tap bilinear (no antialiasing)";
  return "`" + filter + "`";
}

std::string setup_text(const StudyData& study) {
  const Json& c = study.runs.front().config;
  std::ostringstream s;
  s << "Data set `" << c.value("dataset", "?") << "` (" << c.value("root", "?") << "), " << c.at("size")[0] << "x"
    << c.at("size")[1] << " (WxH), " << study.class_names.size() << " classes; " << c.value("epochs", 0)
    << " epochs, batch " << c.value("batch", 0) << ", AdamW lr " << c.value("lr", 0.0) << " wd "
    << c.value("weight_decay", 0.0) << ", StepLR " << c.value("lr_step", 0) << "/" << c.value("lr_gamma", 0.0)
    << ", clip " << c.value("clip_norm", 0.0) << ", " << (c.value("amp", false) ? "FP16 with loss scaling" : "FP32")
    << " on " << c.value("device", "cpu") << ", seed " << c.value("seed", 0) << ", model width " << c.value("width", 0)
    << ", CE class weights `" << c.value("class_weights", "none") << "`; images resized with "
    << resize_description(training::recorded_resize(c)) << ", labels nearest.";
  return s.str();
}

// Spearman's rho between this study's best mIoU and the published values, over shared configs.
std::string paper_rank_agreement(const std::vector<const RunData*>& runs) {
  std::vector<double> ours, paper;
  for (const RunData* r : runs) {
    const double p = paper_best_miou(r->loss_config);
    if (!std::isfinite(p)) continue;
    ours.push_back(r->metrics->best_miou);
    paper.push_back(p);
  }
  if (ours.size() < 3) return "";
  const double rho = eval::spearman_rho(ours, paper);
  if (!std::isfinite(rho)) return "";
  return "Ranking of the configurations against the published Cityscapes ranking: Spearman rho = " + fixed(rho, 2) +
         " over " + std::to_string(ours.size()) + " configurations.";
}

// The per-run tables read the first seed; this line says what the other seeds add.
std::string seed_finding(const StudyData& study) {
  const std::string best = best_config_across_seeds(study);
  std::string line = "The per-run tables show seed " + std::to_string(study.seeds.front()) + " (the first of " +
                     std::to_string(study.seeds.size()) + " seeds). Across the seeds, " + display_config(best) +
                     " has the highest mean best mIoU";
  int better = 0, compared = 0;
  for (const SeedComparison& c : seed_comparisons(study)) {
    ++compared;
    better += c.holm_p_value <= 0.05 && c.mean_difference > 0;
  }
  return line + "; it is significantly better (Holm-corrected Wilcoxon, alpha 0.05) than " + std::to_string(better) +
         " of the " + std::to_string(compared) + " other configurations.";
}

std::vector<std::string> findings(const StudyData& study) {
  std::vector<std::string> out;
  const auto runs = finished_runs(study, study.primary_model);
  const RunData* best = best_run(study, study.primary_model);
  if (!best) return out;
  double lo = best->metrics->best_miou;
  for (const RunData* r : runs) lo = std::min(lo, r->metrics->best_miou);
  std::string line = display_config(best->loss_config) + " is best on " + display_model(best->model) +
                     " with best val mIoU " + fixed(best->metrics->best_miou, 4);
  if (const RunData* equal = find_run(study, study.primary_model, "equal"); equal && equal != best) {
    line += " (" + signed_pp(best->metrics->best_miou - equal->metrics->best_miou) + " over equal weights)";
  }
  out.push_back(line + "; the configurations span " + signed_pp(best->metrics->best_miou - lo).substr(1) + ".");
  for (const RunData* r : runs) {
    if (collapsed(*r)) {
      out.push_back(display_config(r->loss_config) + " collapses after its best epoch (" +
                    std::to_string(r->metrics->best_epoch + 1) + "): final mIoU is " + signed_pp(-collapse_drop(*r)) +
                    " from its best (a collapse: more than " + fixed(100 * kCollapseDrop, 0) + " points).");
    }
  }
  if (const std::string agreement = paper_rank_agreement(runs); !agreement.empty()) out.push_back(agreement);
  if (study.seeds.size() > 1) out.push_back(seed_finding(study));
  long skipped = 0;
  for (const RunData* r : runs) skipped += r->metrics->skipped_steps;
  if (skipped > 0)
    out.push_back(std::to_string(skipped) + " optimiser steps were skipped for inf/NaN gradients (loss scaling).");
  return out;
}

std::string markdown_document(const ReportContent& c) {
  std::ostringstream md;
  md << "# " << c.title << "\n\n" << c.setup << "\n\n";
  if (!c.findings.empty()) {
    md << "## Summary\n\n";
    for (const std::string& f : c.findings) md << "- " << f << "\n";
    md << "\n";
  }
  md << "## Results\n\n";
  for (const Table& t : c.tables) md << table_markdown(t);
  md << "## Convergence\n\n";
  for (const Figure& f : c.convergence) md << "![" << f.caption << "](figures/" << f.file << ")\n\n";
  md << "## Gradient dynamics\n\n" << c.gradient_note << "\n\n";
  for (const Figure& f : c.gradients) md << "![" << f.caption << "](figures/" << f.file << ")\n\n";
  md << "## Qualitative comparison\n\n" << c.panel_note << "\n\n";
  for (size_t i = 0; i < c.panels.size(); ++i) {
    md << "![" << c.panels[i].image_id << "](figures/panel_" << i + 1 << ".png)\n\n";
  }
  md << "## Per-class IoU\n\n" << table_markdown(c.per_class);
  return md.str();
}

void write_figures(const std::string& dir, const ReportContent& c) {
  const std::string figures = join_path(dir, "figures");
  make_directories(figures);
  for (const Figure& f : c.convergence) write_file_atomic(join_path(figures, f.file), f.svg);
  for (const Figure& f : c.gradients) write_file_atomic(join_path(figures, f.file), f.svg);
  for (size_t i = 0; i < c.panels.size(); ++i) {
    write_file_atomic(join_path(figures, "panel_" + std::to_string(i + 1) + ".png"), c.panels[i].png);
  }
}

std::string panel_note(const RunData& a, const RunData& b, const std::vector<Panel>& panels) {
  if (panels.empty()) return "No panels: the runs saved no validation predictions, or the data set is not readable.";
  return "Validation images where " + display_config(b.loss_config) + " gains most over " +
         display_config(a.loss_config) + " in per-image mIoU. Columns: image | ground truth | " +
         display_config(a.loss_config) + " | " + display_config(b.loss_config) + " (black = ignored).";
}

}  // namespace

std::pair<const RunData*, const RunData*> comparison_pair(const StudyData& study, const ReportOptions& options) {
  const RunData* b = options.compare_b.empty() ? best_run(study, study.primary_model)
                                               : find_run(study, study.primary_model, options.compare_b);
  if (!b) return {nullptr, nullptr};
  const RunData* a = options.compare_a.empty() ? nullptr : find_run(study, study.primary_model, options.compare_a);
  if (!a && options.compare_a.empty() && b->loss_config != "ce_dominant")
    a = find_run(study, study.primary_model, "ce_dominant");
  if (!a) {
    for (const RunData* r : finished_runs(study, study.primary_model)) {
      if (r != b && (!a || r->metrics->best_miou > a->metrics->best_miou)) a = r;
    }
  }
  return {a, b};
}

ReportPaths write_report(const std::string& dir, const ReportOptions& options) {
  const StudyData study = load_study(dir);
  ReportContent c;
  c.title = "Loss-weight ablation: " + display_model(study.primary_model);
  c.setup = setup_text(study);
  c.findings = findings(study);
  c.tables = {ablation_table(study), cross_architecture_table(study), component_table(study)};
  c.tables.push_back(claims_table(study));
  if (study.seeds.size() > 1) {
    c.tables.push_back(seed_summary_table(study));
    c.tables.push_back(seed_comparison_table(study));
  }
  const auto [a, b] = comparison_pair(study, options);
  if (a && b) {
    c.tables.push_back(class_difference_table(study, *a, *b, 5));
    c.tables.push_back(significance_table(*b, paired_comparisons(study, *b)));
    c.panels = qualitative_panels(study, *a, *b, options.panels);
    c.panel_note = panel_note(*a, *b, c.panels);
  } else {
    c.panel_note = "No panels: fewer than two finished runs.";
  }
  c.per_class = per_class_table(study);
  c.convergence = convergence_figures(study);
  c.gradients = gradient_figures(study);
  c.gradient_note = gradient_dynamics_text(study);
  c.class_names = study.class_names;
  c.palette = study_palette(study);
  write_figures(dir, c);
  ReportPaths paths{join_path(dir, "report.md"), join_path(dir, "report.html")};
  write_file_atomic(paths.markdown, markdown_document(c));
  write_file_atomic(paths.html, html_document(c));
  return paths;
}

}  // namespace segrun::report
