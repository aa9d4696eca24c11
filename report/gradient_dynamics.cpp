#include "report/gradient_dynamics.h"

#include <cmath>
#include <map>
#include <sstream>
#include <vector>

#include "report/claims.h"
#include "report/table.h"

namespace segrun::report {

namespace {

struct EpochMeans {
  double rare = NAN, common = NAN, cosine = NAN;  // NaN where nothing was logged
};

double mean_of(const std::vector<double>& v) {
  double sum = 0;
  int n = 0;
  for (double x : v)
    if (std::isfinite(x)) sum += x, ++n;
  return n ? sum / n : NAN;
}

// Per epoch (0-based): the mean rare- and common-class Dice pull and the mean CE-Dice cosine.
std::map<int, EpochMeans> epoch_means(const RunData& run, const std::vector<size_t>& rare) {
  std::map<int, std::vector<double>> rare_v, common_v, cos_v;
  for (const StepRecord& s : run.log.steps) {
    if (s.ce_dice_cosine) cos_v[s.epoch].push_back(*s.ce_dice_cosine);
    if (s.dice_class_grad.empty()) continue;
    std::vector<bool> is_rare(s.dice_class_grad.size(), false);
    for (size_t c : rare)
      if (c < is_rare.size()) is_rare[c] = true;
    std::vector<double> r, o;
    for (size_t c = 0; c < s.dice_class_grad.size(); ++c) (is_rare[c] ? r : o).push_back(s.dice_class_grad[c]);
    rare_v[s.epoch].push_back(mean_of(r));
    common_v[s.epoch].push_back(mean_of(o));
  }
  std::map<int, EpochMeans> out;
  for (const auto& [e, v] : rare_v) out[e].rare = mean_of(v);
  for (const auto& [e, v] : common_v) out[e].common = mean_of(v);
  for (const auto& [e, v] : cos_v) out[e].cosine = mean_of(v);
  return out;
}

// Mean of one field over the epochs in [first, last].
double window(const std::map<int, EpochMeans>& m, int first, int last, double EpochMeans::*field) {
  std::vector<double> v;
  for (const auto& [e, means] : m)
    if (e >= first && e <= last) v.push_back(means.*field);
  return mean_of(v);
}

std::string ratio(double a, double b) {
  return std::isfinite(a) && std::isfinite(b) && b > 0 ? fixed(a / b, 2) + "x" : "-";
}

}  // namespace

std::string gradient_dynamics_text(const StudyData& study) {
  const std::vector<size_t> rare = rare_classes(study);
  std::ostringstream text;
  text << "Norms of each weighted loss term's gradient with respect to the logits (every step) and the cosine "
          "between the CE and Dice logit gradients (runs with both terms); curves are bucket means.";
  if (rare.empty()) {
    text << " The runs' class weights do not rank the classes by rarity, so the per-class Dice pull is not split "
            "into rare and common classes.";
    return text.str();
  }
  text << " Dice's pull on class c, |dDice/dI_c| = 2 / (K (S_c + eps)), grows as the class's soft mass S_c shrinks; "
          "below, 'rare' is the third of the classes with the largest CE class weights.";
  for (const RunData& run : study.runs) {
    if (run.model != study.primary_model || !run.finished()) continue;
    const std::map<int, EpochMeans> m = epoch_means(run, rare);
    if (m.empty() || !std::isfinite(m.begin()->second.rare)) continue;
    const int last = m.rbegin()->first, best = run.metrics->best_epoch;
    const double rare_all = window(m, 0, last, &EpochMeans::rare), common_all = window(m, 0, last, &EpochMeans::common);
    text << " " << display_config(run.loss_config) << ": rare classes pulled " << ratio(rare_all, common_all)
         << " as hard as common ones over training";
    const double cos_all = window(m, 0, last, &EpochMeans::cosine);
    if (std::isfinite(cos_all)) text << ", CE-Dice cosine " << fixed(cos_all, 2) << " on average";
    if (collapsed(run) && best < last) {
      const double rare_before = window(m, std::max(0, best - 1), best, &EpochMeans::rare);
      const double rare_after = window(m, best + 1, last, &EpochMeans::rare);
      text << "; it collapsed after epoch " << best + 1 << " (final mIoU " << fixed(100 * collapse_drop(run), 1)
           << " points below best), and its rare-class pull went from " << fixed(rare_before, 4) << " around the best "
           << "epoch to " << fixed(rare_after, 4) << " after it (" << ratio(rare_after, rare_before) << ")";
      const double cos_before = window(m, std::max(0, best - 1), best, &EpochMeans::cosine);
      const double cos_after = window(m, best + 1, last, &EpochMeans::cosine);
      if (std::isfinite(cos_before) && std::isfinite(cos_after))
        text << ", the CE-Dice cosine from " << fixed(cos_before, 2) << " to " << fixed(cos_after, 2);
      text << (std::isfinite(rare_before) && std::isfinite(rare_after) && rare_after > 1.2 * rare_before
                   ? ": the collapse follows a rise in the pull on rare classes."
                   : ": no rise in the rare-class pull precedes it.");
    } else {
      text << "; no collapse (final mIoU within " << fixed(100 * kCollapseDrop, 0) << " points of best).";
    }
  }
  return text.str();
}

}  // namespace segrun::report
