#include "report/report_figures.h"

#include <functional>

#include "report/svg_chart.h"

namespace segrun::report {

namespace {

constexpr size_t kMaxStepPoints = 300;

std::string series_name(const StudyData& study, const RunData& run) {
  return display_config(run.loss_config) +
         (run.model == study.primary_model ? "" : " (" + display_model(run.model) + ")");
}

Figure epoch_figure(const StudyData& study, const std::string& file, const std::string& title,
                    const std::string& y_label, const std::function<double(const EpochRecord&)>& value) {
  ChartSpec spec{title, "epoch", y_label, {}, false};
  for (size_t i = 0; i < study.runs.size(); ++i) {
    const RunData& run = study.runs[i];
    Series s{series_name(study, run), series_color(i), {}, {}, run.model != study.primary_model};
    for (const EpochRecord& e : run.log.epochs) {
      s.x.push_back(e.epoch + 1);
      s.y.push_back(value(e));
    }
    spec.series.push_back(s);
  }
  return {file, title + " per epoch, all runs", render_line_chart(spec)};
}

// One curve per run over optimiser steps; runs for which `value` yields nothing are left out.
Figure step_figure(const StudyData& study, const std::string& file, const std::string& title,
                   const std::string& y_label, bool log_y,
                   const std::function<bool(const StepRecord&, double&)>& value) {
  ChartSpec spec{title, "optimiser step", y_label, {}, log_y};
  for (size_t i = 0; i < study.runs.size(); ++i) {
    const RunData& run = study.runs[i];
    Series s{series_name(study, run), series_color(i), {}, {}, run.model != study.primary_model};
    for (const StepRecord& r : run.log.steps) {
      double v = 0;
      if (!value(r, v)) continue;
      s.x.push_back(static_cast<double>(r.step));
      s.y.push_back(v);
    }
    if (!s.x.empty()) spec.series.push_back(downsample(s, kMaxStepPoints));
  }
  return {file, title, render_line_chart(spec)};
}

std::function<bool(const StepRecord&, double&)> term_of(const TermValues StepRecord::*field, const std::string& term) {
  return [field, term](const StepRecord& r, double& v) {
    const auto it = (r.*field).find(term);
    if (it == (r.*field).end()) return false;
    v = it->second;
    return true;
  };
}

}  // namespace

std::vector<Figure> convergence_figures(const StudyData& study) {
  return {
      epoch_figure(study, "convergence_train_loss.svg", "Training loss", "loss",
                   [](const EpochRecord& e) { return e.train_loss; }),
      epoch_figure(study, "convergence_val_loss.svg", "Validation loss", "loss",
                   [](const EpochRecord& e) { return e.val_loss; }),
      epoch_figure(study, "convergence_val_miou.svg", "Validation mIoU", "mIoU",
                   [](const EpochRecord& e) { return e.val_miou; }),
      epoch_figure(study, "convergence_pixel_acc.svg", "Validation pixel accuracy", "pixel accuracy",
                   [](const EpochRecord& e) { return e.pixel_accuracy; }),
  };
}

std::vector<Figure> gradient_figures(const StudyData& study) {
  std::vector<Figure> candidates;
  const std::vector<std::pair<std::string, std::string>> terms = {{"ce", "CE"}, {"dice", "Dice"}, {"focal", "Focal"}};
  for (const auto& [term, label] : terms) {
    candidates.push_back(step_figure(study, "grad_logits_" + term + ".svg",
                                     "Logit-gradient norm of the weighted " + label + " term", "||w dL/dz||", true,
                                     term_of(&StepRecord::logit_grad_norm, term)));
  }
  candidates.push_back(step_figure(study, "grad_ce_dice_cosine.svg", "Cosine between CE and Dice logit gradients",
                                   "cosine", false, [](const StepRecord& r, double& v) {
                                     if (!r.ce_dice_cosine) return false;
                                     v = *r.ce_dice_cosine;
                                     return true;
                                   }));
  candidates.push_back(step_figure(study, "grad_total_norm.svg", "Total parameter-gradient norm before clipping",
                                   "||g||", true, [](const StepRecord& r, double& v) {
                                     v = r.grad_norm;
                                     return !r.skipped;
                                   }));
  for (const auto& [term, label] : terms) {
    candidates.push_back(step_figure(study, "grad_params_" + term + ".svg",
                                     "Parameter-gradient norm of the weighted " + label + " term (probe steps)",
                                     "||w dL/dtheta||", true, term_of(&StepRecord::param_grad_norm, term)));
  }
  // A plot is kept only when some run has data for it (e.g. no Dice plot without a Dice term).
  std::vector<Figure> figures;
  for (Figure& f : candidates) {
    if (f.svg.find("<polyline") != std::string::npos || f.svg.find("<circle") != std::string::npos)
      figures.push_back(std::move(f));
  }
  return figures;
}

}  // namespace segrun::report
