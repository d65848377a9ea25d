#pragma once
/// @file
/// @brief Inline SVG charts for segment reports: a 2-D scatter colored by segment (hover text,
/// density background and stratified sampling for large n), horizontal bars, a silhouette plot
/// and line charts (elbow, BIC, stability). Each function returns one `<svg>` element as text,
/// self-contained (no scripts, no external references), deterministic for its input.

/// Longer than segkit's ~600-line guide: one small function per chart kind, sharing the axis,
/// color and escaping helpers at the top.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/random.hpp"
#include "segkit/core/types.hpp"

namespace segkit::report {

/// Escapes text for HTML and SVG content and attribute values (& < > " ').
inline std::string escape(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (const char ch : s) {
    switch (ch) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += ch;
    }
  }
  return o;
}

/**
 * @brief The color of a segment as "#rrggbb": hues 137.5 degrees apart (the golden angle), so
 * neighboring labels differ strongly, with lightness cycling over three levels; noise (-1) is gray.
 * Distinct for the first 60 labels.
 */
inline std::string segment_color(label_type label) {
  if (label < 0) return "#9a9a9a";
  const double h = std::fmod(static_cast<double>(label) * 137.50776405, 360.0);
  const double s = 0.62;
  const double l = 0.40 + 0.10 * static_cast<double>(label % 3);
  // HSL to RGB (the standard conversion).
  const double c = (1.0 - std::abs(2.0 * l - 1.0)) * s;
  const double hp = h / 60.0;
  const double x = c * (1.0 - std::abs(std::fmod(hp, 2.0) - 1.0));
  double r = 0, g = 0, b = 0;
  if (hp < 1) { r = c; g = x; }
  else if (hp < 2) { r = x; g = c; }
  else if (hp < 3) { g = c; b = x; }
  else if (hp < 4) { g = x; b = c; }
  else if (hp < 5) { r = x; b = c; }
  else { r = c; b = x; }
  const double m = l - c / 2.0;
  const auto byte = [&](double v) { return static_cast<unsigned>(std::lround(std::clamp(v + m, 0.0, 1.0) * 255.0)); };
  return fmt::format("#{:02x}{:02x}{:02x}", byte(r), byte(g), byte(b));
}

/// Tick positions for an axis over [lo, hi]: about `target` round values (1, 2 or 5 times a power of ten).
inline std::vector<double> nice_ticks(double lo, double hi, std::size_t target = 5) {
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return {lo};
  const double raw = (hi - lo) / static_cast<double>(std::max<std::size_t>(target, 1));
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (const double f : {1.0, 2.0, 5.0, 10.0}) {
    step = f * mag;
    if (step >= raw) break;
  }
  std::vector<double> t;
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

/// A number for an axis label: no trailing zeros, at most 4 significant digits.
inline std::string tick_label(double v) { return fmt::format("{:.4g}", v); }

/// Parameters of scatter_svg().
struct scatter_params {
  std::string title{};                ///< drawn above the plot (empty: none)
  std::size_t width = 760;          ///< pixels, legend included
  std::size_t height = 520;         ///< pixels
  std::size_t max_points = 6000;    ///< points drawn as circles; beyond it a stratified sample (every segment keeps at least min(size, 25))
  double point_radius = 2.6;        ///< circle radius (pixels)
  std::size_t density_bins = 100;   ///< with more rows than max_points, all rows are also drawn as a gray density grid of this many columns (0 = none)
  std::uint64_t seed = 0;           ///< of the sample
};

namespace detail {

[[noreturn]] inline void throw_report(std::string_view component, const std::string& m) { segkit::detail::throw_invalid(component, m); }

/// Labels, each once, ascending (noise first when present).
inline std::vector<label_type> distinct_labels(std::span<const label_type> labels) {
  std::vector<label_type> u(labels.begin(), labels.end());
  std::sort(u.begin(), u.end());
  u.erase(std::unique(u.begin(), u.end()), u.end());
  return u;
}

/// The name shown for a segment: from `names` when given, else "segment L" (or "noise").
inline std::string name_of(label_type l, const std::map<label_type, std::string>& names) {
  if (const auto it = names.find(l); it != names.end() && !it->second.empty()) return it->second;
  return l < 0 ? std::string("noise") : fmt::format("segment {}", l);
}

/// Rows to draw: all of them, or a stratified sample of about `budget` (each segment in proportion
/// to its size, at least min(size, 25)), chosen by a seeded shuffle and returned in row order.
inline std::vector<std::size_t> stratified_sample(std::span<const label_type> labels, std::size_t budget, std::uint64_t seed) {
  const std::size_t n = labels.size();
  std::vector<std::size_t> all(n);
  for (std::size_t i = 0; i < n; ++i) all[i] = i;
  if (n <= budget) return all;
  std::map<label_type, std::vector<std::size_t>> by;
  for (std::size_t i = 0; i < n; ++i) by[labels[i]].push_back(i);
  std::vector<std::size_t> out;
  for (auto& [l, rows] : by) {
    const double share = static_cast<double>(rows.size()) * static_cast<double>(budget) / static_cast<double>(n);
    const std::size_t keep = std::min(rows.size(), std::max<std::size_t>(static_cast<std::size_t>(share), 25));
    rng r(seed, static_cast<std::uint64_t>(static_cast<std::int64_t>(l) + 1));
    for (std::size_t i = 0; i < keep; ++i) std::swap(rows[i], rows[i + r.below(rows.size() - i)]);  // partial Fisher-Yates
    out.insert(out.end(), rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(keep));
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// A plot area inside an SVG: maps data coordinates to pixels and draws axes with ticks.
struct frame {
  double left, top, width, height;
  double x0, x1, y0, y1;

  [[nodiscard]] double px(double x) const { return left + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * width; }
  [[nodiscard]] double py(double y) const { return top + height - (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5) * height; }

  /// Frame, ticks and tick labels; axis titles when not empty.
  [[nodiscard]] std::string axes(std::string_view x_title, std::string_view y_title, bool x_ticks = true) const {
    std::string s = fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#888\"/>\n", left, top, width, height);
    if (x_ticks) {
      for (const double t : nice_ticks(x0, x1)) {
        const double p = px(t);
        s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#888\"/><text x=\"{0:.1f}\" y=\"{3:.1f}\" "
                         "text-anchor=\"middle\" font-size=\"11\">{4}</text>\n",
                         p, top + height, top + height + 4, top + height + 16, tick_label(t));
      }
    }
    for (const double t : nice_ticks(y0, y1)) {
      const double p = py(t);
      s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"#888\"/><text x=\"{3:.1f}\" y=\"{4:.1f}\" "
                       "text-anchor=\"end\" font-size=\"11\">{5}</text>\n",
                       left - 4, p, left, left - 6, p + 4, tick_label(t));
    }
    if (!x_title.empty()) {
      s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"12\">{}</text>\n", left + width / 2, top + height + 32,
                       escape(x_title));
    }
    if (!y_title.empty()) {
      s += fmt::format("<text transform=\"translate({:.1f},{:.1f}) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">{}</text>\n", left - 40,
                       top + height / 2, escape(y_title));
    }
    return s;
  }
};

inline std::string svg_open(std::size_t width, std::size_t height, std::string_view role_label) {
  return fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\" "
                     "aria-label=\"{2}\" font-family=\"sans-serif\">\n",
                     width, height, escape(role_label));
}

inline std::string title_text(std::string_view title, double x) {
  return title.empty() ? std::string() : fmt::format("<text x=\"{:.1f}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{}</text>\n", x, escape(title));
}

/// Legend rows (color swatch, name, count) from (x, y), in up to two columns of `rows_per_column`.
inline std::string legend(const std::vector<label_type>& segs, const std::map<label_type, std::string>& names,
                          const std::map<label_type, std::size_t>& counts, double x, double y, double column_width, std::size_t rows_per_column) {
  std::string s = "<g class=\"legend\" font-size=\"11\">\n";
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const double cx = x + static_cast<double>(i / rows_per_column) * column_width;
    const double cy = y + static_cast<double>(i % rows_per_column) * 15.0;
    std::string name = name_of(segs[i], names);
    if (name.size() > 22) name = name.substr(0, 21) + "~";
    const auto c = counts.find(segs[i]);
    s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.1f}\" y=\"{:.1f}\">{} ({})</text>\n", cx, cy,
                     segment_color(segs[i]), cx + 14, cy + 9, escape(name), c == counts.end() ? 0 : c->second);
  }
  return s + "</g>\n";
}

}  // namespace detail

/**
 * @brief A 2-D scatter of `coords` (n x 2) colored by segment, with a legend (name and size of
 * each segment) and a hover text per point (`hover[i]` then the segment's name, as an SVG
 * `<title>`, which browsers show as a tooltip).
 *
 * Up to `max_points` rows are drawn as circles; beyond that, a stratified sample is drawn over a
 * gray density grid of all rows, so 100k points stay legible and the file stays small (~1 MB).
 * @param coords_in  n x 2 coordinates (finite), any 2-D xtensor expression or row view.
 * @param labels     n segment labels (-1 = noise, drawn gray and underneath).
 * @param hover      n texts (or empty: the row number is shown).
 * @param names      segment names by label (missing: "segment L").
 * @param params     size, sampling and title (scatter_params).
 * @throws segkit::invalid_argument for a shape other than n x 2, n of 0, label or hover counts other than n, NaN/Inf.
 * @par Complexity  O(n log n).
 */
template <class E>
std::string scatter_svg(const E& coords_in, std::span<const label_type> labels, std::span<const std::string> hover = {},
                        const std::map<label_type, std::string>& names = {}, const scatter_params& params = {}) {
  constexpr const char* comp = "segkit::report::scatter_svg";
  const auto coords = as_rows<double>(coords_in);
  const std::size_t n = coords->rows();
  if (n == 0) detail::throw_report(comp, "no points (coords has 0 rows)");
  if (coords->cols() != 2) detail::throw_report(comp, fmt::format("coords must have 2 columns (got {})", coords->cols()));
  if (labels.size() != n) detail::throw_report(comp, fmt::format("{} labels for {} points", labels.size(), n));
  if (!hover.empty() && hover.size() != n) detail::throw_report(comp, fmt::format("{} hover texts for {} points", hover.size(), n));
  require_finite<double>(comp, "coords", coords.view());

  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (std::size_t i = 0; i < n; ++i) {
    x0 = std::min(x0, coords->row(i)[0]);
    x1 = std::max(x1, coords->row(i)[0]);
    y0 = std::min(y0, coords->row(i)[1]);
    y1 = std::max(y1, coords->row(i)[1]);
  }
  const double padx = (x1 - x0) * 0.03 + 1e-9, pady = (y1 - y0) * 0.03 + 1e-9;
  const auto segs = detail::distinct_labels(labels);
  std::map<label_type, std::size_t> counts;
  for (const label_type l : labels) ++counts[l];
  const std::size_t rows_per_column = std::max<std::size_t>(1, (params.height - 50) / 15);
  const std::size_t legend_columns = (segs.size() + rows_per_column - 1) / rows_per_column;
  const double legend_width = 170.0 * static_cast<double>(std::min<std::size_t>(legend_columns, 2));
  const double W = static_cast<double>(params.width), H = static_cast<double>(params.height);
  const double plot_w = std::max(100.0, W - legend_width - 60.0);
  const detail::frame f{45.0, 30.0, plot_w, H - 70.0, x0 - padx, x1 + padx, y0 - pady, y1 + pady};

  std::string s = detail::svg_open(params.width, params.height, params.title.empty() ? "scatter plot of segments" : params.title);
  s += detail::title_text(params.title, f.left);
  s += f.axes("", "", true);
  const auto drawn = detail::stratified_sample(labels, params.max_points, params.seed);
  if (drawn.size() < n && params.density_bins > 0) {
    // Density of every row: a grid of cells shaded by log(count).
    const std::size_t bx = params.density_bins;
    const std::size_t by = std::max<std::size_t>(1, static_cast<std::size_t>(static_cast<double>(bx) * f.height / f.width));
    std::vector<std::uint32_t> grid(bx * by, 0);
    for (std::size_t i = 0; i < n; ++i) {
      const auto cx = std::min(bx - 1, static_cast<std::size_t>((coords->row(i)[0] - f.x0) / (f.x1 - f.x0) * static_cast<double>(bx)));
      const auto cy = std::min(by - 1, static_cast<std::size_t>((coords->row(i)[1] - f.y0) / (f.y1 - f.y0) * static_cast<double>(by)));
      ++grid[cy * bx + cx];
    }
    const double top = std::log1p(static_cast<double>(*std::max_element(grid.begin(), grid.end())));
    const double cw = f.width / static_cast<double>(bx), ch = f.height / static_cast<double>(by);
    s += "<g class=\"density\" fill=\"#000\">\n";
    for (std::size_t cy = 0; cy < by; ++cy) {
      for (std::size_t cx = 0; cx < bx; ++cx) {
        const std::uint32_t c = grid[cy * bx + cx];
        if (c == 0) continue;
        s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.2f}\" fill-opacity=\"{:.3f}\"/>\n", f.left + static_cast<double>(cx) * cw,
                         f.top + f.height - static_cast<double>(cy + 1) * ch, cw, ch, 0.04 + 0.26 * std::log1p(static_cast<double>(c)) / top);
      }
    }
    s += "</g>\n";
  }
  // One group per segment, noise first so it lies underneath.
  std::map<label_type, std::vector<std::size_t>> by_segment;
  for (const std::size_t i : drawn) by_segment[labels[i]].push_back(i);
  for (const auto& [l, rows] : by_segment) {
    const std::string name = detail::name_of(l, names);
    s += fmt::format("<g class=\"segment\" data-segment=\"{}\" fill=\"{}\" fill-opacity=\"0.8\">\n", l, segment_color(l));
    for (const std::size_t i : rows) {
      s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\"><title>{} \xe2\x80\x94 {}</title></circle>\n", f.px(coords->row(i)[0]),
                       f.py(coords->row(i)[1]), params.point_radius, hover.empty() ? fmt::format("row {}", i) : escape(hover[i]), escape(name));
    }
    s += "</g>\n";
  }
  s += detail::legend(segs, names, counts, f.left + f.width + 15.0, f.top, 170.0, rows_per_column);
  if (drawn.size() < n) {
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" fill=\"#555\">{} of {} points drawn (stratified sample); gray cells: density of all</text>\n",
                     f.left, H - 8, drawn.size(), n);
  }
  return s + "</svg>\n";
}

/// Parameters of bar_svg().
struct bar_params {
  std::string title{};            ///< drawn above the chart
  std::string value_title{};      ///< what the values are ("rows")
  std::size_t width = 640;      ///< pixels; the height grows with the number of bars
  std::size_t bar_height = 16;  ///< pixels per bar
};

/**
 * @brief Horizontal bars, one per (label, value), in the given order, each colored by `colors[i]`
 * when given (e.g. segment colors) and annotated with its value.
 * @throws segkit::invalid_argument for counts that differ, negative or non-finite values.
 */
inline std::string bar_svg(std::span<const std::string> labels, std::span<const double> values, std::span<const std::string> colors = {},
                           const bar_params& params = {}) {
  constexpr const char* comp = "segkit::report::bar_svg";
  if (labels.size() != values.size()) detail::throw_report(comp, fmt::format("{} labels for {} values", labels.size(), values.size()));
  if (!colors.empty() && colors.size() != values.size()) detail::throw_report(comp, fmt::format("{} colors for {} values", colors.size(), values.size()));
  double top = 0.0;
  for (const double v : values) {
    if (!std::isfinite(v) || v < 0) detail::throw_report(comp, fmt::format("values must be finite and >= 0 (got {})", v));
    top = std::max(top, v);
  }
  const double bh = static_cast<double>(params.bar_height);
  const double label_w = 190.0, left = label_w + 10.0;
  const double H = 40.0 + bh * static_cast<double>(values.size()) + 40.0;
  const double plot_w = static_cast<double>(params.width) - left - 70.0;
  std::string s = detail::svg_open(params.width, static_cast<std::size_t>(H), params.title.empty() ? "bar chart" : params.title);
  s += detail::title_text(params.title, 10);
  const detail::frame f{left, 30.0, plot_w, bh * static_cast<double>(values.size()), 0.0, top > 0 ? top : 1.0, 0.0, 1.0};
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double y = f.top + bh * static_cast<double>(i);
    std::string name = labels[i];
    if (name.size() > 30) name = name.substr(0, 29) + "~";
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\" font-size=\"11\">{}</text>"
                     "<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"><title>{}: {}</title></rect>"
                     "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"10\">{}</text>\n",
                     left - 6, y + bh * 0.75, escape(name), f.left, y + 1, f.px(values[i]) - f.left, bh - 2, colors.empty() ? "#4a78b5" : colors[i],
                     escape(labels[i]), tick_label(values[i]), f.px(values[i]) + 4, y + bh * 0.75, tick_label(values[i]));
  }
  s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#888\"/>\n", f.left, f.top, f.top + f.height);
  for (const double t : nice_ticks(f.x0, f.x1)) {
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">{}</text>\n", f.px(t), f.top + f.height + 14,
                     tick_label(t));
  }
  if (!params.value_title.empty()) {
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"11\">{}</text>\n", f.left + f.width / 2, f.top + f.height + 30,
                     escape(params.value_title));
  }
  return s + "</svg>\n";
}

/// Parameters of silhouette_svg().
struct silhouette_params {
  std::string title = "Silhouette per sample";  ///< drawn above the plot
  std::size_t width = 640;                      ///< pixels
  std::size_t height = 480;                     ///< pixels
  std::size_t max_steps = 150;                  ///< vertices per segment's outline (larger segments are resampled)
};

/**
 * @brief The silhouette plot of Rousseeuw (1987): per segment, its samples' silhouette values
 * sorted in decreasing order as a filled band whose height is proportional to the segment's size,
 * with the mean as a dashed line. Noise (-1) is left out.
 * @param values  per-sample silhouette values in [-1, 1] (e.g. quality::silhouette_samples).
 * @param labels  the samples' segments (-1 = noise, left out).
 * @param names   segment names by label (missing: "segment L").
 * @param params  size and title (silhouette_params).
 * @throws segkit::invalid_argument for counts that differ, values outside [-1, 1] or NaN, or no labeled sample.
 */
inline std::string silhouette_svg(std::span<const double> values, std::span<const label_type> labels,
                                  const std::map<label_type, std::string>& names = {}, const silhouette_params& params = {}) {
  constexpr const char* comp = "segkit::report::silhouette_svg";
  if (values.size() != labels.size()) detail::throw_report(comp, fmt::format("{} values for {} labels", values.size(), labels.size()));
  std::map<label_type, std::vector<double>> by;
  double sum = 0.0;
  std::size_t m = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!(values[i] >= -1.0 && values[i] <= 1.0)) detail::throw_report(comp, fmt::format("values must lie in [-1, 1] (row {} is {})", i, values[i]));
    if (labels[i] < 0) continue;
    by[labels[i]].push_back(values[i]);
    sum += values[i];
    ++m;
  }
  if (m == 0) detail::throw_report(comp, "no sample outside noise");
  const double W = static_cast<double>(params.width), H = static_cast<double>(params.height);
  const detail::frame f{150.0, 30.0, W - 170.0, H - 75.0, -1.0, 1.0, 0.0, 1.0};
  std::string s = detail::svg_open(params.width, params.height, params.title);
  s += detail::title_text(params.title, 10);
  const double gap = 2.0;
  const double usable = f.height - gap * static_cast<double>(by.size());
  double y = f.top;
  for (auto& [l, v] : by) {
    std::sort(v.begin(), v.end(), std::greater<>());
    const double band = usable * static_cast<double>(v.size()) / static_cast<double>(m);
    const std::size_t steps = std::min(v.size(), params.max_steps);
    std::string pts = fmt::format("{:.1f},{:.1f}", f.px(0.0), y);
    for (std::size_t j = 0; j < steps; ++j) {
      // Step j covers the samples [j v / steps, (j + 1) v / steps); its outline uses their first value.
      const std::size_t at = j * v.size() / steps;
      const double yy0 = y + band * static_cast<double>(j) / static_cast<double>(steps);
      const double yy1 = y + band * static_cast<double>(j + 1) / static_cast<double>(steps);
      pts += fmt::format(" {0:.1f},{1:.1f} {0:.1f},{2:.1f}", f.px(v[at]), yy0, yy1);
    }
    pts += fmt::format(" {:.1f},{:.1f}", f.px(0.0), y + band);
    double ms = 0.0;
    for (const double x : v) ms += x;
    ms /= static_cast<double>(v.size());
    s += fmt::format("<polygon class=\"band\" data-segment=\"{}\" points=\"{}\" fill=\"{}\"><title>{}: {} samples, mean {:.3f}</title></polygon>\n", l, pts,
                     segment_color(l), escape(detail::name_of(l, names)), v.size(), ms);
    std::string name = detail::name_of(l, names);
    if (name.size() > 22) name = name.substr(0, 21) + "~";
    if (band >= 8.0) {
      s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\" font-size=\"10\">{}</text>\n", f.left - 4, y + band / 2 + 3, escape(name));
    }
    y += band + gap;
  }
  const double mean = sum / static_cast<double>(m);
  s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#c00\" stroke-dasharray=\"4 3\"/>"
                   "<text x=\"{0:.1f}\" y=\"{3:.1f}\" font-size=\"11\" fill=\"#c00\">mean {4:.3f}</text>\n",
                   f.px(mean), f.top, f.top + f.height, f.top - 3, mean);
  s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#444\"/>\n", f.px(0.0), f.top, f.top + f.height);
  for (const double t : nice_ticks(-1.0, 1.0)) {
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"11\">{}</text>\n", f.px(t), f.top + f.height + 15, tick_label(t));
  }
  s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"12\">silhouette</text>\n", f.left + f.width / 2, f.top + f.height + 32);
  return s + "</svg>\n";
}

/// One line of line_svg(): (x, y) points; NaN y values leave a gap.
struct series {
  std::string name;        ///< legend text
  std::vector<double> x;   ///< abscissae
  std::vector<double> y;   ///< values (NaN: missing)
};

/// Parameters of line_svg().
struct line_params {
  std::string title{};                 ///< drawn above the chart
  std::string x_title{};               ///< e.g. "k"
  std::string y_title{};               ///< e.g. "inertia"
  std::size_t width = 480;           ///< pixels
  std::size_t height = 300;          ///< pixels
  double marked_x = std::numeric_limits<double>::quiet_NaN();  ///< a vertical marker (the chosen k), NaN = none
};

/**
 * @brief Line chart of one or more series with markers at each point (elbow, BIC and stability
 * curves), an optional vertical marker at `marked_x`, and a legend when there are several series.
 * @throws segkit::invalid_argument for a series whose x and y differ in length, an infinite value or no finite point.
 */
inline std::string line_svg(std::span<const series> lines, const line_params& params = {}) {
  constexpr const char* comp = "segkit::report::line_svg";
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& l : lines) {
    if (l.x.size() != l.y.size()) detail::throw_report(comp, fmt::format("series '{}' has {} x and {} y values", l.name, l.x.size(), l.y.size()));
    for (std::size_t i = 0; i < l.x.size(); ++i) {
      if (std::isinf(l.y[i]) || !std::isfinite(l.x[i])) detail::throw_report(comp, fmt::format("series '{}' has an infinite or NaN x or infinite y", l.name));
      if (std::isnan(l.y[i])) continue;
      x0 = std::min(x0, l.x[i]);
      x1 = std::max(x1, l.x[i]);
      y0 = std::min(y0, l.y[i]);
      y1 = std::max(y1, l.y[i]);
    }
  }
  if (!(x1 >= x0)) detail::throw_report(comp, "no finite point to draw");
  if (x1 == x0) { x0 -= 1; x1 += 1; }
  if (y1 == y0) { y0 -= 1; y1 += 1; }
  const double pad = (y1 - y0) * 0.05;
  const double W = static_cast<double>(params.width), H = static_cast<double>(params.height);
  const detail::frame f{70.0, 30.0, W - 90.0, H - 80.0, x0, x1, y0 - pad, y1 + pad};
  std::string s = detail::svg_open(params.width, params.height, params.title.empty() ? "line chart" : params.title);
  s += detail::title_text(params.title, 10);
  s += f.axes(params.x_title, params.y_title);
  if (std::isfinite(params.marked_x)) {
    s += fmt::format("<line class=\"marker\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#c00\" stroke-dasharray=\"4 3\"/>\n",
                     f.px(params.marked_x), f.top, f.top + f.height);
  }
  for (std::size_t k = 0; k < lines.size(); ++k) {
    const auto& l = lines[k];
    const std::string color = segment_color(static_cast<label_type>(k));
    std::string path;
    bool pen = false;
    for (std::size_t i = 0; i < l.x.size(); ++i) {
      if (std::isnan(l.y[i])) {
        pen = false;
        continue;
      }
      path += fmt::format("{}{:.1f},{:.1f} ", pen ? "L" : "M", f.px(l.x[i]), f.py(l.y[i]));
      pen = true;
    }
    s += fmt::format("<path class=\"series\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\"/>\n", path, color);
    for (std::size_t i = 0; i < l.x.size(); ++i) {
      if (std::isnan(l.y[i])) continue;
      s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"><title>{} at {}: {}</title></circle>\n", f.px(l.x[i]), f.py(l.y[i]), color,
                       escape(l.name), tick_label(l.x[i]), fmt::format("{:.5g}", l.y[i]));
    }
    if (lines.size() > 1) {
      s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" fill=\"{}\">{}</text>\n", f.left + 8, f.top + 14 + 14 * static_cast<double>(k), color,
                       escape(l.name));
    }
  }
  return s + "</svg>\n";
}

/// Parameters of condensed_tree_svg().
struct tree_params {
  std::string title = "HDBSCAN condensed tree";  ///< drawn above the plot
  std::size_t width = 760;                       ///< pixels
  std::size_t height = 420;                      ///< pixels
};

/**
 * @brief The condensed tree of an HDBSCAN fit as an icicle plot (Campello et al. 2013; the hdbscan
 * library's condensed_tree_.plot): every cluster of the tree is a bar from the lambda (1 /
 * distance) at which it appears to the one at which its last points leave or it splits, as wide
 * as the points it holds at birth; children sit under their parent. The selected clusters are
 * colored as segments 0, 1, ... (the order of `selected`, i.e. their labels), the others gray.
 * @param parent, child, lambda, child_size, n_points  the tree (cluster::condensed_tree's fields).
 * @param selected  tree ids of the selected clusters, by label.
 * @param params    title and size.
 * @throws segkit::invalid_argument for columns of different lengths or an empty tree.
 */
inline std::string condensed_tree_svg(std::span<const std::size_t> parent, std::span<const std::size_t> child, std::span<const double> lambda,
                                      std::span<const double> child_size, std::size_t n_points, std::span<const std::size_t> selected,
                                      const tree_params& params = {}) {
  constexpr const char* comp = "segkit::report::condensed_tree_svg";
  if (child.size() != parent.size() || lambda.size() != parent.size() || child_size.size() != parent.size()) {
    detail::throw_report(comp, "parent, child, lambda and child_size must have the same length");
  }
  if (parent.empty() || n_points == 0) detail::throw_report(comp, "the tree is empty");
  // Clusters are n_points, n_points + 1, ...; the root is n_points.
  std::size_t top_id = n_points;
  for (std::size_t r = 0; r < parent.size(); ++r) top_id = std::max({top_id, parent[r], child[r] >= n_points ? child[r] : n_points});
  const std::size_t m = top_id - n_points + 1;
  std::vector<double> birth(m, 0.0), death(m, 0.0), size(m, 0.0);
  std::vector<std::vector<std::size_t>> kids(m);
  double root_size = 0.0, finite_top = 0.0;
  for (std::size_t r = 0; r < parent.size(); ++r) {
    if (std::isfinite(lambda[r])) finite_top = std::max(finite_top, lambda[r]);
  }
  const double cap = finite_top > 0 ? finite_top * 1.05 : 1.0;
  for (std::size_t r = 0; r < parent.size(); ++r) {
    const std::size_t p = parent[r] - n_points;
    const double l = std::min(lambda[r], cap);
    death[p] = std::max(death[p], l);
    if (child[r] >= n_points) {
      const std::size_t c = child[r] - n_points;
      birth[c] = l;
      size[c] = child_size[r];
      kids[p].push_back(c);
    }
    if (p == 0 && child[r] < n_points) root_size += child_size[r];
  }
  for (const std::size_t c : kids[0]) root_size += size[c];
  size[0] = root_size;
  std::vector<int> label_of(m, -1);
  for (std::size_t l = 0; l < selected.size(); ++l) {
    if (selected[l] >= n_points && selected[l] - n_points < m) label_of[selected[l] - n_points] = static_cast<int>(l);
  }
  const double W = static_cast<double>(params.width), H = static_cast<double>(params.height);
  const detail::frame f{70.0, 30.0, W - 90.0, H - 60.0, 0.0, root_size, 0.0, cap};
  const auto ypix = [&](double l) { return f.top + l / cap * f.height; };
  std::string s = detail::svg_open(params.width, params.height, params.title);
  s += detail::title_text(params.title, 10);
  // Place each cluster inside its parent's span, children side by side and centered.
  std::vector<double> left(m, 0.0);
  std::vector<std::size_t> order{0};
  for (std::size_t q = 0; q < order.size(); ++q) {
    const std::size_t c = order[q];
    double used = 0.0;
    for (const std::size_t k : kids[c]) used += size[k];
    double x = left[c] + (size[c] - used) / 2.0;
    for (const std::size_t k : kids[c]) {
      left[k] = x;
      x += size[k];
      order.push_back(k);
    }
  }
  for (const std::size_t c : order) {
    const double x0 = f.left + left[c] / root_size * f.width, w = std::max(1.0, size[c] / root_size * f.width);
    const double y0 = ypix(birth[c]), y1 = std::max(y0 + 1.0, ypix(death[c]));
    const bool chosen = label_of[c] >= 0;
    s += fmt::format("<rect class=\"cluster{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\" fill-opacity=\"{}\" stroke=\"#666\" "
                     "stroke-width=\"0.5\"><title>{}: {:.0f} points, lambda {:.4g} to {:.4g}</title></rect>\n",
                     chosen ? " selected" : "", x0, y0, w, y1 - y0, chosen ? segment_color(label_of[c]) : "#d0d0d0", chosen ? "0.9" : "0.6",
                     chosen ? fmt::format("segment {}", label_of[c]) : std::string("cluster"), size[c], birth[c], death[c]);
  }
  for (const double t : nice_ticks(0.0, cap)) {
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\" font-size=\"11\">{}</text>\n", f.left - 6, ypix(t) + 4, tick_label(t));
  }
  s += fmt::format("<text transform=\"translate({:.1f},{:.1f}) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">lambda = 1 / distance</text>\n", f.left - 48,
                   f.top + f.height / 2);
  return s + "</svg>\n";
}

/// Parameters of migration_svg().
struct migration_params {
  std::string title = "Segment migration";  ///< drawn above the plot
  std::string from_title = "before";         ///< the first period's name
  std::string to_title = "after";            ///< the second period's name
  std::size_t width = 640;                   ///< pixels
  std::size_t height = 440;                  ///< pixels
  double min_share = 0.005;                  ///< flows below this share of all entities are not drawn
};

/**
 * @brief Where the entities of each segment went between two periods, as a flow diagram: the
 * segments of each period are stacked bars sized by their entities, and a band per
 * (from, to) pair, as wide as its count and colored by the segment of origin, joins them.
 * @param counts       from x to entity counts (e.g. monitor::migration(...).counts).
 * @param from_labels  the rows' segments.
 * @param to_labels    the columns' segments.
 * @param names        segment names by label (missing: "segment L").
 * @param params       titles, size and the smallest flow drawn.
 * @throws segkit::invalid_argument for label counts that do not match the matrix, negative counts or no entities.
 */
template <class C>
std::string migration_svg(const C& counts, std::span<const label_type> from_labels, std::span<const label_type> to_labels,
                          const std::map<label_type, std::string>& names = {}, const migration_params& params = {}) {
  constexpr const char* comp = "segkit::report::migration_svg";
  if (counts.dimension() != 2 || counts.shape(0) != from_labels.size() || counts.shape(1) != to_labels.size()) {
    detail::throw_report(comp, fmt::format("the counts must be {} x {} (one row per 'from' and one column per 'to' label)", from_labels.size(), to_labels.size()));
  }
  const std::size_t a = from_labels.size(), b = to_labels.size();
  std::vector<double> out(a, 0.0), in(b, 0.0);
  double total = 0.0;
  for (std::size_t i = 0; i < a; ++i) {
    for (std::size_t j = 0; j < b; ++j) {
      const auto c = static_cast<double>(counts(i, j));
      if (c < 0) detail::throw_report(comp, "counts must be >= 0");
      out[i] += c;
      in[j] += c;
      total += c;
    }
  }
  if (total <= 0) detail::throw_report(comp, "no entities to draw");
  const double W = static_cast<double>(params.width), H = static_cast<double>(params.height);
  const double top = 40.0, gap = 4.0, bar = 14.0, xl = 170.0, xr = W - 170.0;
  const double scale_a = (H - top - 20.0 - gap * static_cast<double>(a)) / total, scale_b = (H - top - 20.0 - gap * static_cast<double>(b)) / total;
  const double scale = std::min(scale_a, scale_b);
  std::vector<double> ya(a), yb(b);
  for (std::size_t i = 0; i < a; ++i) ya[i] = top + static_cast<double>(i) * gap + scale * std::accumulate(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(i), 0.0);
  for (std::size_t j = 0; j < b; ++j) yb[j] = top + static_cast<double>(j) * gap + scale * std::accumulate(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(j), 0.0);
  std::string s = detail::svg_open(params.width, params.height, params.title);
  s += detail::title_text(params.title, 10);
  s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"12\">{}</text><text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" "
                   "font-size=\"12\">{}</text>\n",
                   xl + bar / 2, top - 8, escape(params.from_title), xr + bar / 2, top - 8, escape(params.to_title));
  // Bands first (under the bars); each end advances down its bar as bands are drawn.
  std::vector<double> off_a(a, 0.0), off_b(b, 0.0);
  for (std::size_t i = 0; i < a; ++i) {
    for (std::size_t j = 0; j < b; ++j) {
      const auto c = static_cast<double>(counts(i, j));
      const double h = c * scale;
      if (c > 0 && c >= params.min_share * total) {
        const double y0 = ya[i] + off_a[i] + h / 2, y1 = yb[j] + off_b[j] + h / 2, xm = (xl + bar + xr) / 2;
        s += fmt::format("<path class=\"flow\" d=\"M{:.1f},{:.1f} C{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}\" fill=\"none\" stroke=\"{}\" stroke-opacity=\"0.45\" "
                         "stroke-width=\"{:.2f}\"><title>{} \u2192 {}: {}</title></path>\n",
                         xl + bar, y0, xm, y0, xm, y1, xr, y1, segment_color(from_labels[i]), std::max(h, 0.5), escape(detail::name_of(from_labels[i], names)),
                         escape(detail::name_of(to_labels[j], names)), counts(i, j));
      }
      off_a[i] += h;
      off_b[j] += h;
    }
  }
  for (std::size_t i = 0; i < a; ++i) {
    s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"/><text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\" "
                     "font-size=\"11\">{} ({:.0f})</text>\n",
                     xl, ya[i], bar, std::max(out[i] * scale, 0.5), segment_color(from_labels[i]), xl - 4, ya[i] + out[i] * scale / 2 + 4,
                     escape(detail::name_of(from_labels[i], names)), out[i]);
  }
  for (std::size_t j = 0; j < b; ++j) {
    s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"/><text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\">{} ({:.0f})</text>\n",
                     xr, yb[j], bar, std::max(in[j] * scale, 0.5), segment_color(to_labels[j]), xr + bar + 4, yb[j] + in[j] * scale / 2 + 4,
                     escape(detail::name_of(to_labels[j], names)), in[j]);
  }
  return s + "</svg>\n";
}

}  // namespace segkit::report
