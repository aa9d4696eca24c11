#include "report/claims.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>

#include "eval/paired_stats.h"
#include "eval/seed_stats.h"
#include "report/seed_tables.h"

namespace segrun::report {

namespace {

const std::vector<std::string> kCombinations = {"equal", "ce_dominant", "dice_dominant", "focal_dominant"};
const std::vector<std::string> kSingleLosses = {"ce_only", "dice_only", "focal_only"};

bool trained(const StudyData& study, const std::string& config) {
  const std::vector<std::string> configs = primary_configs(study);
  return std::find(configs.begin(), configs.end(), config) != configs.end();
}

Claim undecided(const std::string& statement, const std::string& why) {
  return {statement, Verdict::Undecided, why};
}

struct Tested {
  std::string a, b;
  PairedDifference d;
  double holm = 1;
};

// Per-image comparisons of (a, b) pairs on `model`, Holm-adjusted together.
std::vector<Tested> test_pairs(const StudyData& study, const std::string& model,
                               const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::vector<Tested> out;
  std::vector<double> p;
  for (const auto& [a, b] : pairs) {
    out.push_back({a, b, compare_per_image(study, model, a, b)});
    p.push_back(out.back().d.p_value);
  }
  const std::vector<double> adjusted = eval::holm_adjust(p);
  for (size_t i = 0; i < out.size(); ++i) out[i].holm = adjusted[i];
  return out;
}

bool better(const Tested& t) {
  return t.holm <= kClaimAlpha && t.d.mean_difference > 0;
}
bool worse(const Tested& t) {
  return t.holm <= kClaimAlpha && t.d.mean_difference < 0;
}

std::string describe(const Tested& t) {
  return display_config(t.a) + " vs " + display_config(t.b) + " " + signed_pp(t.d.mean_difference) + " (" +
         std::to_string(t.d.pairs) + " pairs, Holm p " + p_value(t.holm) + ")";
}

// A verdict from Holm-adjusted comparisons that the claim says should all come out "better".
Claim from_comparisons(const std::string& statement, const std::vector<Tested>& tests) {
  Claim c{statement, Verdict::Undecided, ""};
  int n_better = 0, n_worse = 0;
  for (const Tested& t : tests) n_better += better(t), n_worse += worse(t);
  if (n_worse > 0) {
    c.verdict = Verdict::DoesNotHold;
  } else if (!tests.empty() && n_better == static_cast<int>(tests.size())) {
    c.verdict = Verdict::Holds;
  }
  std::ostringstream e;
  e << n_better << " of " << tests.size() << " comparisons significantly in favour, " << n_worse << " against";
  // The comparisons that decide it: those against it, else the weakest in favour.
  std::vector<const Tested*> shown;
  for (const Tested& t : tests)
    if (worse(t)) shown.push_back(&t);
  if (shown.empty() && !tests.empty()) {
    shown.push_back(&*std::max_element(tests.begin(), tests.end(),
                                       [](const Tested& x, const Tested& y) { return x.holm < y.holm; }));
  }
  for (size_t i = 0; i < shown.size() && i < 3; ++i) e << (i ? "; " : ": ") << describe(*shown[i]);
  c.evidence = e.str() + ".";
  return c;
}

// A per-seed metric of (model, config), in the study's seed order; NaN where a seed is missing.
std::vector<double> per_seed(const StudyData& study, const std::string& model, const std::string& config,
                             const std::function<double(const RunData&)>& metric) {
  std::vector<double> out;
  const std::vector<const RunData*> runs = runs_across_seeds(study, model, config);
  for (uint64_t seed : study.seeds) {
    double v = std::nan("");
    for (const RunData* r : runs)
      if (r->seed == seed) v = metric(*r);
    out.push_back(v);
  }
  return out;
}

// A paired t-test over seeds of metric(a) - metric(b), for claims about run-level metrics.
Claim from_seed_test(const std::string& statement, const std::string& what, const std::vector<double>& a,
                     const std::vector<double>& b) {
  std::vector<double> xa, xb;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (std::isfinite(a[i]) && std::isfinite(b[i])) xa.push_back(a[i]), xb.push_back(b[i]);
  }
  if (xa.size() < 2) {
    return undecided(statement, what + ": " + std::to_string(xa.size()) +
                                    " paired seed(s); a test over seeds needs at least 2 (ablation --seeds)");
  }
  const eval::TestResult t = eval::paired_t_test(xa, xb);
  double mean = 0;
  for (size_t i = 0; i < xa.size(); ++i) mean += (xa[i] - xb[i]) / static_cast<double>(xa.size());
  Claim c{statement, Verdict::Undecided, ""};
  if (t.p_value <= kClaimAlpha) c.verdict = mean > 0 ? Verdict::Holds : Verdict::DoesNotHold;
  c.evidence = what + ": " + signed_pp(mean) + " over " + std::to_string(xa.size()) + " seeds, paired t-test p " +
               p_value(t.p_value) + ".";
  return c;
}

Claim dice_dominant_is_best(const StudyData& study) {
  const std::string statement = "Dice-dominant weighting (0.5 CE + 1.0 Dice + 0.5 Focal) segments best";
  if (!trained(study, "dice_dominant") || primary_configs(study).size() < 2)
    return undecided(statement, "dice_dominant and at least one other configuration must be trained.");
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string& other : primary_configs(study))
    if (other != "dice_dominant") pairs.push_back({"dice_dominant", other});
  return from_comparisons(statement, test_pairs(study, study.primary_model, pairs));
}

Claim combinations_beat_single_losses(const StudyData& study) {
  const std::string statement = "Every combination of losses beats every single loss";
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string& combo : kCombinations) {
    for (const std::string& single : kSingleLosses) {
      if (trained(study, combo) && trained(study, single)) pairs.push_back({combo, single});
    }
  }
  if (pairs.empty()) return undecided(statement, "needs at least one combination and one single-loss run.");
  return from_comparisons(statement, test_pairs(study, study.primary_model, pairs));
}

Claim dice_alone_collapses(const StudyData& study) {
  const std::string statement = "Dice alone collapses late in training";
  const std::vector<const RunData*> runs = runs_across_seeds(study, study.primary_model, "dice_only");
  if (runs.empty()) return undecided(statement, "dice_only was not trained.");
  int count = 0;
  std::ostringstream e;
  e << "collapse = final mIoU more than " << fixed(100 * kCollapseDrop, 0) << " points below best; best to final";
  for (size_t i = 0; i < runs.size(); ++i) {
    count += collapsed(*runs[i]);
    e << (i ? "," : "") << " seed " << runs[i]->seed << ": down "
      << fixed(100 * std::max(0.0, collapse_drop(*runs[i])), 2) << " points after best epoch "
      << runs[i]->metrics->best_epoch + 1 << " of " << runs[i]->config.value("epochs", 0);
  }
  e << "; " << count << " of " << runs.size() << " runs collapsed.";
  Claim c{statement, Verdict::Undecided, e.str()};
  if (runs.size() >= 2 && count == static_cast<int>(runs.size())) c.verdict = Verdict::Holds;
  if (runs.size() >= 2 && count == 0) c.verdict = Verdict::DoesNotHold;
  if (runs.size() < 2) c.evidence += " One run decides nothing: train several seeds.";
  return c;
}

Claim focal_helps_rare_classes(const StudyData& study) {
  const std::string statement = "Focal loss helps the rare classes";
  if (!trained(study, "focal_only") || !trained(study, "ce_only"))
    return undecided(statement, "compares focal_only with ce_only; both must be trained.");
  const std::vector<size_t> rare = rare_classes(study);
  if (rare.empty()) return undecided(statement, "the runs' class weights do not rank the classes by rarity.");
  const auto rare_iou = [rare](const RunData& r) {
    double sum = 0;
    int n = 0;
    for (size_t c : rare) {
      if (c < r.metrics->per_class_iou.size() && std::isfinite(r.metrics->per_class_iou[c]))
        sum += r.metrics->per_class_iou[c], ++n;
    }
    return n ? sum / n : std::nan("");
  };
  Claim c = from_seed_test(statement,
                           "mean IoU of the " + std::to_string(rare.size()) +
                               " rarest classes (largest CE weights), focal_only minus ce_only",
                           per_seed(study, study.primary_model, "focal_only", rare_iou),
                           per_seed(study, study.primary_model, "ce_only", rare_iou));
  return c;
}

Claim best_improves_boundaries(const StudyData& study) {
  const std::string statement = "The best weighting improves boundary IoU";
  const std::string best = best_config_across_seeds(study);
  if (best.empty() || !trained(study, "equal") || best == "equal")
    return undecided(statement, best == "equal" ? "the best configuration is equal weighting itself."
                                                : "compares the best configuration with equal; both must be trained.");
  const auto boundary = [](const RunData& r) { return r.metrics->boundary_iou; };
  return from_seed_test(statement, "boundary IoU, " + display_config(best) + " minus equal",
                        per_seed(study, study.primary_model, best, boundary),
                        per_seed(study, study.primary_model, "equal", boundary));
}

Claim best_carries_over(const StudyData& study) {
  const std::string statement = "The best weighting carries over to DeepLabV3+";
  const std::string best = best_config_across_seeds(study);
  std::string second;
  for (const RunData& r : study.runs)
    if (r.model != study.primary_model) second = r.model;
  if (best.empty() || second.empty()) return undecided(statement, "no run on a second network (ablation --then).");
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const RunData& r : study.runs) {
    if (r.model == second && r.loss_config != best && r.finished()) pairs.push_back({best, r.loss_config});
  }
  if (pairs.empty()) {
    return undecided(statement, "only " + display_config(best) + " was trained on " + display_model(second) +
                                    ", so nothing to compare it with there.");
  }
  Claim c = from_comparisons(statement, test_pairs(study, second, pairs));
  c.evidence = "on " + display_model(second) + ": " + c.evidence;
  return c;
}

}  // namespace

std::vector<size_t> rare_classes(const StudyData& study) {
  const std::vector<double> w = study.runs.front().config.value("class_weight_values", std::vector<double>{});
  if (w.empty() || *std::max_element(w.begin(), w.end()) == *std::min_element(w.begin(), w.end())) return {};
  std::vector<size_t> order(w.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return w[a] > w[b]; });
  order.resize((w.size() + 2) / 3);
  return order;
}

std::string verdict_text(Verdict v) {
  switch (v) {
    case Verdict::Holds:
      return "holds";
    case Verdict::DoesNotHold:
      return "does not hold";
    case Verdict::Undecided:
      return "undecided";
  }
  return "undecided";
}

double collapse_drop(const RunData& run) {
  return run.finished() ? run.metrics->best_miou - run.metrics->final_miou : std::nan("");
}

bool collapsed(const RunData& run) {
  return collapse_drop(run) > kCollapseDrop;
}

std::vector<Claim> evaluate_claims(const StudyData& study) {
  return {dice_dominant_is_best(study),    combinations_beat_single_losses(study), dice_alone_collapses(study),
          focal_helps_rare_classes(study), best_improves_boundaries(study),        best_carries_over(study)};
}

Table claims_table(const StudyData& study) {
  Table t;
  t.caption = "The paper's claims on this study (alpha " + fixed(kClaimAlpha, 2) + ")";
  t.header = {"Claim", "Verdict", "Evidence"};
  for (const Claim& c : evaluate_claims(study)) t.rows.push_back({c.statement, verdict_text(c.verdict), c.evidence});
  t.note =
      "Comparisons of configurations pair the same validation image scored by both runs of the same seed "
      "(per-image mIoU at the best epoch) over every seed: two-sided Wilcoxon signed-rank, Holm-adjusted within "
      "each claim; a claim holds when every comparison is significantly in its favour and does not hold when any "
      "is significantly against it. Run-level metrics (rare-class IoU, boundary IoU) are paired over seeds with a "
      "t-test. Undecided: neither, or the study lacks the runs to test it.";
  return t;
}

}  // namespace segrun::report
