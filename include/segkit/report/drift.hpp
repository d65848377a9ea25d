#pragma once
/// @file
/// @brief Report section for drift over several periods: segment shares period by period, the
/// features' population stability, the embedding's two-sample test and every alert, from the
/// monitor::drift_report of each period against one reference.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/monitor/drift.hpp"
#include "segkit/report/html.hpp"
#include "segkit/report/svg.hpp"

namespace segkit::report {

/// One period's drift check, for add_drift().
struct drift_period {
  std::string name;               ///< e.g. "2026-03"
  monitor::drift_report report;   ///< drift_monitor::check() of this period against the reference
};

/// Options of add_drift().
struct drift_section_params {
  std::string heading = "Drift over periods";  ///< the section's title
  std::vector<std::string> feature_names{};    ///< names of the columns (default "f0", "f1", ...)
  std::size_t max_features = 8;                ///< features drawn in the PSI chart: those of highest PSI in any period
};

/**
 * @brief Appends drift over periods: a line per segment of its share in the reference (x = 0)
 * and in each period; a line per feature (the max_features of highest PSI) of its population
 * stability index per period; and a table of each period's embedding test (MMD^2 and p-value),
 * share change (total variation) and alerts.
 * @param page     the report to append to.
 * @param periods  in time order, each checked against the same reference.
 * @param names    segment names by label (missing: "segment L"; -1: "noise").
 * @param params   heading, feature names, features drawn.
 * @throws segkit::invalid_argument for no periods, periods with different feature counts, or a
 *         feature_names list of another length.
 */
inline void add_drift(html_report& page, std::span<const drift_period> periods, const std::map<label_type, std::string>& names = {},
                      const drift_section_params& params = {}) {
  constexpr const char* comp = "segkit::report::add_drift";
  if (periods.empty()) segkit::detail::throw_invalid(comp, "no periods");
  const std::size_t d = periods.front().report.features.size();
  for (const auto& p : periods) {
    if (p.report.features.size() != d) {
      segkit::detail::throw_invalid(comp, fmt::format("period '{}' has {} features, the first period {}", p.name, p.report.features.size(), d));
    }
  }
  if (!params.feature_names.empty() && params.feature_names.size() != d) {
    segkit::detail::throw_invalid(comp, fmt::format("{} feature names for {} features", params.feature_names.size(), d));
  }
  page.heading(params.heading);
  const std::size_t n = periods.size();
  std::string axis;
  for (std::size_t i = 0; i < n; ++i) axis += fmt::format("{}{} = {}", i ? ", " : "", i + 1, periods[i].name);

  // Segment shares: the reference at x = 0, then each period (0 where a segment is absent).
  std::vector<label_type> labels;
  for (const auto& p : periods) labels.insert(labels.end(), p.report.segments.labels.begin(), p.report.segments.labels.end());
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  if (!labels.empty()) {
    std::vector<series> shares;
    for (const label_type l : labels) {
      series s{detail::name_of(l, names), {}, {}};
      double reference = 0.0;
      for (std::size_t i = 0; i < n; ++i) {
        const auto& sd = periods[i].report.segments;
        double current = 0.0;
        for (std::size_t j = 0; j < sd.labels.size(); ++j) {
          if (sd.labels[j] == l) {
            reference = std::max(reference, sd.reference_share[j]);  // the same reference in every period
            current = sd.current_share[j];
          }
        }
        s.x.push_back(static_cast<double>(i + 1));
        s.y.push_back(current);
      }
      s.x.insert(s.x.begin(), 0.0);
      s.y.insert(s.y.begin(), reference);
      shares.push_back(std::move(s));
    }
    page.figure(line_svg(shares, {.title = "Segment shares", .x_title = "period (0 = reference)", .y_title = "share", .width = 640, .height = 340}),
                fmt::format("Periods: {}.", axis));
  }

  // Features of highest PSI in any period.
  if (d > 0) {
    std::vector<std::size_t> order(d);
    std::vector<double> worst(d, 0.0);
    for (std::size_t j = 0; j < d; ++j) {
      order[j] = j;
      for (const auto& p : periods) worst[j] = std::max(worst[j], p.report.features[j].psi);
    }
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return worst[a] > worst[b]; });
    order.resize(std::min(order.size(), params.max_features));
    std::vector<series> psi;
    for (const std::size_t j : order) {
      series s{params.feature_names.empty() ? fmt::format("f{}", j) : params.feature_names[j], {}, {}};
      for (std::size_t i = 0; i < n; ++i) {
        s.x.push_back(static_cast<double>(i + 1));
        s.y.push_back(periods[i].report.features[j].psi);
      }
      psi.push_back(std::move(s));
    }
    page.figure(line_svg(psi, {.title = "Population stability index", .x_title = "period", .y_title = "PSI", .width = 640, .height = 300}),
                "PSI above 0.25 is commonly read as a material shift, 0.1-0.25 as a moderate one.");
  }

  std::vector<std::vector<cell>> rows;
  for (const auto& p : periods) {
    const auto& r = p.report;
    std::string alerts;
    for (const auto& a : r.alerts) alerts += (alerts.empty() ? "" : "; ") + a.message;
    rows.push_back({p.name, fmt::format("{:.4g} (p = {:.3g})", r.embedding.mmd.mmd2, r.embedding.mmd.p_value),
                    r.segments.labels.empty() ? std::string("-") : fmt::format("{:.3f}", r.segments.total_variation),
                    fmt::format("{}", r.alerts.size()), alerts.empty() ? "-" : alerts});
  }
  page.table({"period", "embedding MMD\u00b2", "share change (TV)", "alerts", "what"}, rows);
}

}  // namespace segkit::report
