// The parts of the report computed from more than the run files: paired statistics (eval/) and
// qualitative panels (the validation split through data/).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "data/cache.h"
#include "data/dataset.h"
#include "data/image_io.h"
#include "eval/paired_stats.h"
#include "report/report_writer.h"

namespace segrun::report {

using training::join_path;

namespace {

constexpr uint64_t kBootstrapSeed = 42;
constexpr int kMinTileWidth = 256;  // small images are enlarged to at least this width per tile

// The per-image scores of `a` and `b` on the images both scored (finite values only).
void paired_scores(const RunData& a, const RunData& b, std::vector<double>& sa, std::vector<double>& sb) {
  const size_t n = std::min(a.image_miou.size(), b.image_miou.size());
  for (size_t i = 0; i < n; ++i) {
    if (a.image_ids[i] != b.image_ids[i]) continue;
    if (!std::isfinite(a.image_miou[i]) || !std::isfinite(b.image_miou[i])) continue;
    sa.push_back(a.image_miou[i]);
    sb.push_back(b.image_miou[i]);
  }
}

std::vector<uint8_t> read_prediction(const RunData& run, size_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "%06zu.png", index);
  return data::read_label_image(join_path(join_path(run.dir, "val_pred"), name)).pixels;
}

}  // namespace

std::vector<PairedComparison> paired_comparisons(const StudyData& study, const RunData& best) {
  std::vector<PairedComparison> out;
  for (const RunData* other : finished_runs(study, best.model)) {
    if (other == &best) continue;
    std::vector<double> sb, so;
    paired_scores(best, *other, sb, so);
    if (sb.size() < 2) continue;
    PairedComparison c;
    c.other = other->loss_config;
    c.images = sb.size();
    const eval::ConfidenceInterval ci = eval::bootstrap_mean_difference(sb, so, kBootstrapSeed);
    c.mean_difference = ci.mean;
    c.ci_low = ci.low;
    c.ci_high = ci.high;
    c.t_test_p = eval::paired_t_test(sb, so).p_value;
    c.wilcoxon_p = eval::wilcoxon_signed_rank(sb, so).p_value;
    out.push_back(c);
  }
  return out;
}

std::vector<Panel> qualitative_panels(const StudyData& study, const RunData& a, const RunData& b, int count) {
  std::vector<Panel> panels;
  const Json& config = b.config;
  const std::string cache_path = config.value("val_cache", "");
  if (count <= 0 || cache_path.empty() || !std::filesystem::exists(cache_path) ||
      a.image_miou.size() != b.image_miou.size()) {
    return panels;
  }
  const data::Dataset dataset = data::open_dataset(config.at("dataset"), config.at("root"), "val");
  const data::SplitCache cache =
      data::SplitCache::open_or_build(dataset, cache_path, config.at("size")[0], config.at("size")[1]);
  std::vector<size_t> order(b.image_miou.size());
  std::iota(order.begin(), order.end(), size_t{0});
  auto gain = [&](size_t i) {
    const double g = b.image_miou[i] - a.image_miou[i];
    return std::isfinite(g) ? g : -1e9;
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return gain(x) > gain(y); });
  const Palette palette = study_palette(study);
  for (size_t k = 0; k < order.size() && static_cast<int>(k) < count; ++k) {
    const size_t i = order[k];
    if (i >= cache.count()) break;
    PanelInputs in;
    in.width = cache.width();
    in.height = cache.height();
    const size_t pixels = static_cast<size_t>(in.width) * in.height;
    in.rgb.assign(cache.image(i), cache.image(i) + pixels * 3);
    in.ground_truth.assign(cache.labels(i), cache.labels(i) + pixels);
    in.prediction_a = read_prediction(a, i);
    in.prediction_b = read_prediction(b, i);
    int width = 0;
    const int factor = std::max(1, (kMinTileWidth + in.width - 1) / in.width);
    const std::vector<uint8_t> composed = compose_panel_rgb(in, palette, width);
    const std::vector<uint8_t> rgb = upscale_nearest(composed, width, in.height, factor);
    panels.push_back(
        {b.image_ids[i], a.image_miou[i], b.image_miou[i], encode_png(rgb, width * factor, in.height * factor)});
  }
  return panels;
}

Palette study_palette(const StudyData& study) {
  Palette palette;
  for (const Json& c : study.runs.front().config.at("palette")) palette.push_back({c[0], c[1], c[2]});
  return palette;
}

}  // namespace segrun::report
