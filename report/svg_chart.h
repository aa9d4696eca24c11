#pragma once
// Line charts as standalone SVG: axes with "nice" ticks, grid, legend. Used by the report for
// convergence and gradient-dynamics plots, so report.html needs no script or external file.
#include <string>
#include <vector>

namespace segrun::report {

struct Series {
  std::string name;
  std::string color;  // CSS colour
  std::vector<double> x;
  std::vector<double> y;  // non-finite values break the line
  bool dashed = false;
};

struct ChartSpec {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<Series> series;
  bool log_y = false;  // values <= 0 are dropped on a log axis
  int width = 570;
  int height = 320;
};

std::string render_line_chart(const ChartSpec& spec);

// Tick positions covering [lo, hi] with about `target` steps of 1, 2 or 5 x 10^k.
std::vector<double> nice_ticks(double lo, double hi, int target);

// A categorical palette (colour-blind friendly, Okabe-Ito then Tableau) indexed by series.
std::string series_color(size_t index);

// Bucket means that reduce a long per-step curve to at most `max_points` points.
Series downsample(const Series& s, size_t max_points);

}  // namespace segrun::report
