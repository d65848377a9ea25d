#pragma once
/// @file
/// @brief Segment profiles: what sets each segment apart. Size and share, centroid, per-feature
/// mean and lift against the whole population with Welch's t-test (segment vs the rest), the top
/// distinguishing numeric features, over-represented categories with a chi-square test, and, for
/// text, c-TF-IDF keywords and a short name.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <xtensor/xtensor.hpp>

#include "segkit/core/csv.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/types.hpp"
#include "segkit/core/params.hpp"
#include "segkit/core/parse.hpp"
#include "segkit/monitor/statistics.hpp"
#include "segkit/pipeline/keywords.hpp"

namespace segkit::pipeline {

/// Categorical attributes of the same rows: `values[c][i]` is row i's value of attribute c.
struct categorical_columns {
  std::vector<std::string> names;                 ///< one per attribute
  std::vector<std::vector<std::string>> values;   ///< one column of n values per attribute
};

/// Parameters of profile_segments().
struct profile_params {
  double p_value = 0.01;                 ///< significance level of the tests
  std::size_t top_features = 5;          ///< distinguishing numeric features kept per segment
  std::size_t top_categories = 5;        ///< over-represented categories kept per segment
  double min_category_share = 0.05;      ///< a category must hold this share of the segment to be reported
  std::vector<std::string> feature_names{};  ///< names of the columns (default "f0", "f1", ...)
  keyword_params keywords{};             ///< c-TF-IDF settings when documents are given

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = profile_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("p_value", &p::p_value, "significance level of the tests", {0, 1, true, true}),
                      sp::field("top_features", &p::top_features, "distinguishing numeric features kept per segment"),
                      sp::field("top_categories", &p::top_categories, "over-represented categories kept per segment"),
                      sp::field("min_category_share", &p::min_category_share, "a category must hold this share of the segment to be reported", sp::between(0, 1)),
                      sp::field("feature_names", &p::feature_names, "names of the columns (default f0, f1, ...)"),
                      sp::field("keywords", &p::keywords, "c-TF-IDF settings when documents are given")};
  }
};

/// One numeric feature in one segment.
struct feature_profile {
  std::size_t feature = 0;           ///< column
  std::string name;                  ///< its name
  double segment_mean = 0.0;         ///< mean over the segment
  double population_mean = 0.0;      ///< mean over all rows
  double lift = 0.0;                 ///< segment_mean / population_mean (NaN when the population mean is 0)
  double effect_size = 0.0;          ///< (segment mean - rest mean) / pooled standard deviation (Cohen's d)
  monitor::t_test_result test;       ///< Welch's t-test, segment vs the rest
  bool significant = false;          ///< p < p_value
};

/// One category over-represented in a segment.
struct category_profile {
  std::string attribute;           ///< attribute name
  std::string value;               ///< the category
  double segment_share = 0.0;      ///< share of the segment's rows with this value
  double population_share = 0.0;   ///< share of all rows
  double lift = 0.0;               ///< segment_share / population_share
  double p_value = 1.0;            ///< chi-square test (Yates) of segment vs rest by value vs other values
};

/// The profile of one segment.
struct segment_profile {
  label_type segment = 0;                     ///< its label
  std::size_t size = 0;                       ///< rows
  double share = 0.0;                         ///< of all rows (noise included)
  std::vector<double> centroid;               ///< mean row
  std::vector<feature_profile> features;      ///< every column, in column order
  std::vector<std::size_t> top_features;      ///< significant columns by decreasing |effect size|, at most top_features
  std::vector<category_profile> top_categories;  ///< significant over-represented categories by decreasing lift
  std::vector<std::pair<std::string, double>> keywords;  ///< c-TF-IDF keywords (with documents)
  std::string name;                           ///< from the keywords, else from the top feature ("high-income"), else "segment-<label>"
};

/**
 * @brief Profiles of every segment (noise -1 is profiled too, as segment -1, when present).
 * `categories` and `documents` are optional (empty: not used).
 * @throws segkit::invalid_argument for no rows, a label count other than n, NaN/Inf, or
 *         categorical columns / documents whose length is not n.
 * @par Complexity  O(n d + n c) plus tokenizing the documents.
 */
template <class E, class T = typename std::decay_t<E>::value_type>
std::vector<segment_profile> profile_segments(const E& x_in, std::span<const label_type> labels, const profile_params& params = {},
                                              const categorical_columns& categories = {}, std::span<const std::string> documents = {}) {
  constexpr const char* comp = "segkit::pipeline::profile_segments";
  const auto x = as_rows<T>(x_in);
  const std::size_t n = x->rows(), d = x->cols();
  if (n == 0) segkit::detail::throw_invalid(comp, "no samples (x has 0 rows)");
  if (labels.size() != n) segkit::detail::throw_invalid(comp, fmt::format("{} labels for {} rows", labels.size(), n));
  require_finite<T>(comp, "x", x.view());
  if (!params.feature_names.empty() && params.feature_names.size() != d) {
    segkit::detail::throw_invalid(comp, fmt::format("{} feature names for {} columns", params.feature_names.size(), d));
  }
  if (categories.names.size() != categories.values.size()) {
    segkit::detail::throw_invalid(comp, fmt::format("{} attribute names for {} columns", categories.names.size(), categories.values.size()));
  }
  for (std::size_t c = 0; c < categories.values.size(); ++c) {
    if (categories.values[c].size() != n) {
      segkit::detail::throw_invalid(comp, fmt::format("attribute '{}' has {} values for {} rows", categories.names[c], categories.values[c].size(), n));
    }
  }
  if (!documents.empty() && documents.size() != n) segkit::detail::throw_invalid(comp, fmt::format("{} documents for {} rows", documents.size(), n));

  std::map<label_type, std::size_t> index;
  for (const label_type l : labels) index.emplace(l, 0);
  std::size_t k = 0;
  for (auto& [l, c] : index) c = k++;
  // Per segment and overall: count, sum and sum of squares per column.
  std::vector<double> cnt(k, 0.0), sum(k * d, 0.0), sq(k * d, 0.0), all_sum(d, 0.0), all_sq(d, 0.0);
  std::vector<std::size_t> seg(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t s = index[labels[i]];
    seg[i] = s;
    cnt[s] += 1.0;
    for (std::size_t j = 0; j < d; ++j) {
      const double v = static_cast<double>(x->row(i)[j]);
      sum[s * d + j] += v;
      sq[s * d + j] += v * v;
      all_sum[j] += v;
      all_sq[j] += v * v;
    }
  }
  const auto name_of = [&](std::size_t j) { return params.feature_names.empty() ? fmt::format("f{}", j) : params.feature_names[j]; };
  std::vector<segment_keywords> kw;
  if (!documents.empty()) kw = keywords_by_segment(documents, labels, params.keywords);

  std::vector<segment_profile> out;
  const double dn = static_cast<double>(n);
  for (const auto& [label, s] : index) {
    segment_profile p;
    p.segment = label;
    p.size = static_cast<std::size_t>(cnt[s]);
    p.share = cnt[s] / dn;
    const double ns = cnt[s], nr = dn - ns;
    for (std::size_t j = 0; j < d; ++j) {
      feature_profile f;
      f.feature = j;
      f.name = name_of(j);
      f.segment_mean = sum[s * d + j] / ns;
      f.population_mean = all_sum[j] / dn;
      f.lift = f.population_mean != 0.0 ? f.segment_mean / f.population_mean : std::numeric_limits<double>::quiet_NaN();
      p.centroid.push_back(f.segment_mean);
      if (ns >= 2.0 && nr >= 2.0) {
        const double rest_mean = (all_sum[j] - sum[s * d + j]) / nr;
        const double var_s = std::max(0.0, (sq[s * d + j] - ns * f.segment_mean * f.segment_mean) / (ns - 1.0));
        const double var_r = std::max(0.0, ((all_sq[j] - sq[s * d + j]) - nr * rest_mean * rest_mean) / (nr - 1.0));
        f.test = monitor::welch_t_test(f.segment_mean, var_s, ns, rest_mean, var_r, nr);
        const double pooled = std::sqrt(((ns - 1.0) * var_s + (nr - 1.0) * var_r) / (ns + nr - 2.0));
        f.effect_size = pooled > 0.0 ? (f.segment_mean - rest_mean) / pooled : 0.0;
        f.significant = f.test.p_value < params.p_value;
      } else {
        f.test.p_value = std::numeric_limits<double>::quiet_NaN();
      }
      p.features.push_back(std::move(f));
    }
    std::vector<std::size_t> order;
    for (std::size_t j = 0; j < d; ++j) {
      if (p.features[j].significant) order.push_back(j);
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return std::abs(p.features[a].effect_size) > std::abs(p.features[b].effect_size); });
    if (order.size() > params.top_features) order.resize(params.top_features);
    p.top_features = order;

    // Categories: every value of every attribute, segment vs rest.
    for (std::size_t c = 0; c < categories.values.size(); ++c) {
      std::map<std::string, std::pair<double, double>> counts;  // value -> (in segment, overall)
      for (std::size_t i = 0; i < n; ++i) {
        auto& e = counts[categories.values[c][i]];
        e.second += 1.0;
        if (seg[i] == s) e.first += 1.0;
      }
      for (const auto& [value, e] : counts) {
        category_profile cp;
        cp.attribute = categories.names[c];
        cp.value = value;
        cp.segment_share = e.first / ns;
        cp.population_share = e.second / dn;
        cp.lift = cp.segment_share / cp.population_share;
        if (cp.segment_share < params.min_category_share || cp.lift <= 1.0 || nr == 0.0) continue;
        xt::xtensor<std::int64_t, 2> table{{static_cast<std::int64_t>(e.first), static_cast<std::int64_t>(ns - e.first)},
                                           {static_cast<std::int64_t>(e.second - e.first), static_cast<std::int64_t>(nr - (e.second - e.first))}};
        bool degenerate = false;
        for (std::size_t col = 0; col < 2; ++col) degenerate |= table(0, col) + table(1, col) == 0;
        if (degenerate) continue;
        cp.p_value = monitor::chi_square_test(table).p_value;
        if (cp.p_value < params.p_value) p.top_categories.push_back(std::move(cp));
      }
    }
    std::stable_sort(p.top_categories.begin(), p.top_categories.end(), [](const auto& a, const auto& b) { return a.lift > b.lift; });
    if (p.top_categories.size() > params.top_categories) p.top_categories.resize(params.top_categories);

    for (const auto& w : kw) {
      if (w.segment == label) {
        p.keywords = w.terms;
        p.name = w.name;
      }
    }
    if (p.name.empty() && !p.top_features.empty()) {
      const auto& f = p.features[p.top_features.front()];
      p.name = fmt::format("{}-{}", f.effect_size > 0.0 ? "high" : "low", f.name);
    }
    if (p.name.empty()) p.name = label == noise_label ? "noise" : fmt::format("segment-{}", label);
    out.push_back(std::move(p));
  }
  return out;
}

/// Columns of a table made ready for profile_segments(): numeric features and categorical attributes.
struct table_columns {
  matrix<double> numeric;                  ///< n x (numeric columns)
  std::vector<std::string> numeric_names;  ///< their names, in the order asked for
  categorical_columns categorical;         ///< the other columns, as text
};

/**
 * @brief The named columns of a CSV table, split by what they hold: a column whose every value is
 * a finite number (parse_real) becomes a numeric feature (profiled by mean, lift and effect
 * size), any other a categorical attribute (by share and lift).
 * @throws segkit::invalid_argument naming a column the table lacks (and listing those it has).
 */
inline table_columns split_columns(const csv_table& table, std::span<const std::string> names) {
  table_columns out;
  std::vector<std::vector<double>> numeric;
  for (const auto& name : names) {
    const std::size_t c = table.column_index(name);
    std::vector<double> values;
    for (const auto& row : table.rows()) {
      const auto v = parse_real(row[c]);
      if (!v || !std::isfinite(*v)) break;
      values.push_back(*v);
    }
    if (values.size() == table.row_count()) {
      out.numeric_names.push_back(name);
      numeric.push_back(std::move(values));
    } else {
      out.categorical.names.push_back(name);
      auto& column = out.categorical.values.emplace_back();
      for (const auto& row : table.rows()) column.push_back(row[c]);
    }
  }
  out.numeric = matrix<double>::from_shape({table.row_count(), numeric.size()});
  for (std::size_t j = 0; j < numeric.size(); ++j) {
    for (std::size_t i = 0; i < table.row_count(); ++i) out.numeric(i, j) = numeric[j][i];
  }
  return out;
}

}  // namespace segkit::pipeline
