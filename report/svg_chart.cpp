#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "report/table.h"

namespace segrun::report {

namespace {

constexpr double kMarginLeft = 62, kMarginRight = 190, kMarginTop = 30, kMarginBottom = 44;

std::string format_tick(double v, double step) {
  char buf[32];
  const double mag = std::fabs(v);
  if (v != 0 && (mag >= 1e5 || mag < 1e-3))
    std::snprintf(buf, sizeof buf, "%.0e", v);
  else {
    const int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
    std::snprintf(buf, sizeof buf, "%.*f", std::min(decimals, 6), v);
  }
  return buf;
}

// Whole decades covering [lo, hi] (log10 units), every k-th one when there are many.
std::vector<double> decade_ticks(double lo, double hi) {
  const double first = std::floor(lo), last = std::ceil(hi);
  const double step = std::max(1.0, std::ceil((last - first) / 6));
  std::vector<double> ticks;
  for (double t = first; t < last + step; t += step) ticks.push_back(t);
  return ticks;
}

// 10^t written plainly (0.001, 0.003, 10) rather than in exponent form.
std::string log_tick(double t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", std::pow(10.0, t));
  return buf;
}

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return !(lo <= hi); }
};

// Axis ranges over the plottable points; a flat range is widened so it has a height.
void data_ranges(const ChartSpec& spec, Range& xr, Range& yr) {
  for (const Series& s : spec.series) {
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (spec.log_y && s.y[i] <= 0)) continue;
      xr.add(s.x[i]);
      yr.add(spec.log_y ? std::log10(s.y[i]) : s.y[i]);
    }
  }
  if (xr.empty()) xr = {0, 1};
  if (yr.empty()) yr = {0, 1};
  if (xr.hi == xr.lo) xr = {xr.lo - 0.5, xr.hi + 0.5};
  if (yr.hi == yr.lo) {
    const double pad = std::max(std::fabs(yr.lo) * 0.05, 1e-3);
    yr = {yr.lo - pad, yr.hi + pad};
  }
}

struct Frame {
  Range xr, yr;
  double plot_w = 0, plot_h = 0;
  double px(double x) const { return kMarginLeft + (x - xr.lo) / (xr.hi - xr.lo) * plot_w; }
  double py(double y) const { return kMarginTop + (1 - (y - yr.lo) / (yr.hi - yr.lo)) * plot_h; }
};

void draw_axes(std::ostringstream& svg, const ChartSpec& spec, Frame& f) {
  const std::vector<double> xt = nice_ticks(f.xr.lo, f.xr.hi, 6);
  const std::vector<double> yt = spec.log_y ? decade_ticks(f.yr.lo, f.yr.hi) : nice_ticks(f.yr.lo, f.yr.hi, 5);
  f.xr = {std::min(f.xr.lo, xt.front()), std::max(f.xr.hi, xt.back())};
  f.yr = {std::min(f.yr.lo, yt.front()), std::max(f.yr.hi, yt.back())};
  const double x_step = xt.size() > 1 ? xt[1] - xt[0] : 1, y_step = yt.size() > 1 ? yt[1] - yt[0] : 1;
  for (double t : xt) {
    svg << "<line x1='" << f.px(t) << "' y1='" << kMarginTop << "' x2='" << f.px(t) << "' y2='" << kMarginTop + f.plot_h
        << "' stroke='#e5e5e5'/>";
    svg << "<text x='" << f.px(t) << "' y='" << kMarginTop + f.plot_h + 16 << "' text-anchor='middle'>"
        << format_tick(t, x_step) << "</text>";
  }
  for (double t : yt) {
    const std::string label = spec.log_y ? log_tick(t) : format_tick(t, y_step);
    svg << "<line x1='" << kMarginLeft << "' y1='" << f.py(t) << "' x2='" << kMarginLeft + f.plot_w << "' y2='"
        << f.py(t) << "' stroke='#e5e5e5'/>";
    svg << "<text x='" << kMarginLeft - 6 << "' y='" << f.py(t) + 4 << "' text-anchor='end'>" << label << "</text>";
  }
  svg << "<rect x='" << kMarginLeft << "' y='" << kMarginTop << "' width='" << f.plot_w << "' height='" << f.plot_h
      << "' fill='none' stroke='#444'/>";
  svg << "<text x='" << kMarginLeft + f.plot_w / 2 << "' y='" << spec.height - 8 << "' text-anchor='middle'>"
      << escape_html(spec.x_label) << "</text>";
  svg << "<text transform='translate(14," << kMarginTop + f.plot_h / 2 << ") rotate(-90)' text-anchor='middle'>"
      << escape_html(spec.y_label + (spec.log_y ? " (log)" : "")) << "</text>";
  svg << "<text x='" << kMarginLeft + f.plot_w / 2 << "' y='18' text-anchor='middle' font-weight='bold'>"
      << escape_html(spec.title) << "</text>";
}

void draw_series(std::ostringstream& svg, const ChartSpec& spec, const Frame& f, const Series& s) {
  std::string points;
  auto flush = [&] {
    if (points.empty()) return;
    svg << "<polyline fill='none' stroke='" << s.color << "' stroke-width='1.6'"
        << (s.dashed ? " stroke-dasharray='5,3'" : "") << " points='" << points << "'/>";
    points.clear();
  };
  char buf[64];
  for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
    const bool ok = std::isfinite(s.x[i]) && std::isfinite(s.y[i]) && !(spec.log_y && s.y[i] <= 0);
    if (!ok) {
      flush();
      continue;
    }
    std::snprintf(buf, sizeof buf, "%.1f,%.1f ", f.px(s.x[i]), f.py(spec.log_y ? std::log10(s.y[i]) : s.y[i]));
    points += buf;
  }
  if (s.x.size() == 1 && std::isfinite(s.y[0])) {
    svg << "<circle cx='" << f.px(s.x[0]) << "' cy='" << f.py(spec.log_y ? std::log10(s.y[0]) : s.y[0])
        << "' r='3' fill='" << s.color << "'/>";
  }
  flush();
}

void draw_legend(std::ostringstream& svg, const ChartSpec& spec, const Frame& f) {
  const double x = kMarginLeft + f.plot_w + 12;
  double y = kMarginTop + 8;
  for (const Series& s : spec.series) {
    svg << "<line x1='" << x << "' y1='" << y << "' x2='" << x + 18 << "' y2='" << y << "' stroke='" << s.color
        << "' stroke-width='2.5'" << (s.dashed ? " stroke-dasharray='5,3'" : "") << "/>";
    svg << "<text x='" << x + 24 << "' y='" << y + 4 << "'>" << escape_html(s.name) << "</text>";
    y += 16;
  }
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  const double span = hi - lo;
  const double raw = span / std::max(target, 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  const double first = std::floor(lo / step + 1e-9);
  for (double i = first; i * step <= hi + step * 0.999; i += 1) ticks.push_back(i == 0 ? 0.0 : i * step);
  return ticks;
}

std::string series_color(size_t index) {
  static const char* kColors[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                  "#56B4E9", "#000000", "#8c564b", "#7f7f7f", "#bcbd22"};
  return kColors[index % (sizeof kColors / sizeof kColors[0])];
}

Series downsample(const Series& s, size_t max_points) {
  const size_t n = std::min(s.x.size(), s.y.size());
  if (n <= max_points || max_points == 0) return s;
  Series out = s;
  out.x.clear();
  out.y.clear();
  const double bucket = static_cast<double>(n) / static_cast<double>(max_points);
  for (size_t b = 0; b < max_points; ++b) {
    const size_t begin = static_cast<size_t>(b * bucket), end = std::min(n, static_cast<size_t>((b + 1) * bucket));
    double sx = 0, sy = 0;
    size_t count = 0;
    for (size_t i = begin; i < end; ++i) {
      if (!std::isfinite(s.y[i])) continue;
      sx += s.x[i];
      sy += s.y[i];
      ++count;
    }
    if (count == 0) continue;
    out.x.push_back(sx / static_cast<double>(count));
    out.y.push_back(sy / static_cast<double>(count));
  }
  return out;
}

std::string render_line_chart(const ChartSpec& spec) {
  Frame f;
  data_ranges(spec, f.xr, f.yr);
  f.plot_w = spec.width - kMarginLeft - kMarginRight;
  f.plot_h = spec.height - kMarginTop - kMarginBottom;
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << spec.width << "' height='" << spec.height
      << "' viewBox='0 0 " << spec.width << ' ' << spec.height
      << "' font-family='Helvetica,Arial,sans-serif' font-size='11'>";
  svg << "<rect width='100%' height='100%' fill='white'/>";
  draw_axes(svg, spec, f);
  for (const Series& s : spec.series) draw_series(svg, spec, f, s);
  draw_legend(svg, spec, f);
  svg << "</svg>";
  return svg.str();
}

}  // namespace segrun::report
