#pragma once
/// @file
/// @brief Choosing the number of segments: fit any clusterer for k = k_min..k_max and tabulate
/// inertia, silhouette, Davies-Bouldin, Calinski-Harabasz, BIC (when the model has one), the gap
/// statistic and resampling stability, then recommend a k and say why.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/random.hpp"
#include "segkit/core/params.hpp"
#include "segkit/quality/internal.hpp"
#include "segkit/quality/stability.hpp"

namespace segkit::quality {

/// Parameters of sweep_k().
struct sweep_params {
  std::size_t k_min = 2;             ///< first k (>= 1; silhouette, DB and CH need k >= 2)
  std::size_t k_max = 10;            ///< last k (k_min <= k_max < n)
  std::size_t gap_references = 10;   ///< uniform reference sets for the gap statistic (0 = skip it)
  std::size_t stability_runs = 10;   ///< subsampled fits per k for stability (0 = skip; otherwise >= 2)
  double stability_fraction = 0.8;   ///< subsample share for stability
  std::size_t exact_silhouette_rows = 10000;  ///< above this n, the silhouette is estimated from that many rows
  std::uint64_t seed = 0;            ///< the only source of randomness
  std::size_t threads = 0;           ///< threads of the scores (the fit chooses its own); results do not depend on it

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = sweep_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("k_min", &p::k_min, "first k (silhouette, Davies-Bouldin and Calinski-Harabasz need k >= 2)", sp::at_least(1)),
                      sp::field("k_max", &p::k_max, "last k (k_min <= k_max < n)", sp::at_least(1)),
                      sp::field("gap_references", &p::gap_references, "uniform reference sets for the gap statistic (0 = skip it)"),
                      sp::field("stability_runs", &p::stability_runs, "subsampled fits per k for stability (0 = skip; otherwise >= 2)"),
                      sp::field("stability_fraction", &p::stability_fraction, "subsample share for stability", sp::above_up_to(0, 1)),
                      sp::field("exact_silhouette_rows", &p::exact_silhouette_rows, "above this n, the silhouette is estimated from that many rows", sp::at_least(2)),
                      sp::field("seed", &p::seed, "the only source of randomness"),
                      sp::field("threads", &p::threads, "threads of the scores (the fit chooses its own); results do not depend on it")};
  }
};

/// One k of a sweep; NaN where a figure does not apply or was not asked for.
struct sweep_row {
  std::size_t k = 0;               ///< clusters asked for
  std::size_t n_clusters = 0;      ///< distinct non-noise labels the fit returned
  double inertia = 0.0;            ///< within-cluster sum of squares
  double silhouette = std::numeric_limits<double>::quiet_NaN();         ///< mean silhouette (higher is better)
  double davies_bouldin = std::numeric_limits<double>::quiet_NaN();     ///< lower is better
  double calinski_harabasz = std::numeric_limits<double>::quiet_NaN();  ///< higher is better
  double bic = std::numeric_limits<double>::quiet_NaN();                ///< from the model, if it has one (lower is better)
  double gap = std::numeric_limits<double>::quiet_NaN();                ///< gap statistic (Tibshirani et al. 2001)
  double gap_se = std::numeric_limits<double>::quiet_NaN();             ///< its standard error s_k
  double stability = std::numeric_limits<double>::quiet_NaN();          ///< mean clusterwise Jaccard under subsampling
};

/// The table, each criterion's choice (0 when not computed) and the recommendation.
struct sweep_result {
  std::vector<sweep_row> rows;         ///< one per k, ascending
  std::size_t silhouette_k = 0;        ///< highest silhouette
  std::size_t davies_bouldin_k = 0;    ///< lowest Davies-Bouldin
  std::size_t calinski_harabasz_k = 0; ///< highest Calinski-Harabasz
  std::size_t bic_k = 0;               ///< lowest BIC
  std::size_t gap_k = 0;               ///< smallest k with gap(k) >= gap(k+1) - s(k+1)
  std::size_t stability_k = 0;         ///< highest stability
  std::size_t chosen_k = 0;       ///< the k most criteria chose (ties: the higher silhouette, then the smaller k)
  std::string reason;                  ///< which criteria chose it, with its figures
};

namespace detail {

/// BIC of whatever a fit returns, when it offers one: a `bic(rows)` method or a `bic` value.
template <class R, class V>
double bic_of_fit(const R& r, const V& rows) {
  if constexpr (requires { { r.bic(rows) } -> std::convertible_to<double>; }) {
    return r.bic(rows);
  } else if constexpr (requires { { r.bic } -> std::convertible_to<double>; }) {
    return static_cast<double>(r.bic);
  } else {
    return std::numeric_limits<double>::quiet_NaN();
  }
}

}  // namespace detail

/**
 * @brief Fits `fit(rows, k, seed)` for every k in [k_min, k_max] and scores each labeling.
 *
 * `fit` returns labels or a fitted model with `labels()` (and optionally a BIC, as a `bic(rows)`
 * method or a `bic` member). The gap statistic draws `gap_references` uniform sets in the data's
 * bounding box (Tibshirani, Walther & Hastie 2001, reference (a)) and fits each at every k.
 * Stability is cluster_stability()'s mean Jaccard over `stability_runs` subsamples.
 *
 * The recommendation is a vote of the criteria computed (silhouette, Davies-Bouldin,
 * Calinski-Harabasz, BIC, gap, stability): the k chosen by most, ties broken by the higher
 * silhouette and then the smaller k; `reason` names the criteria and the figures.
 * @throws segkit::invalid_argument for k_min 0, k_min > k_max, k_max >= n, stability_runs 1,
 *         NaN/Inf, or a fit returning the wrong number of labels.
 * @par Complexity  (k_max - k_min + 1) x (1 + gap_references + stability_runs) fits, plus the scores.
 */
template <class Fit, class E, class T = typename std::decay_t<E>::value_type>
sweep_result sweep_k(const E& x_in, Fit&& fit, const sweep_params& params = {}) {
  constexpr const char* comp = "segkit::quality::sweep_k";
  const auto x = as_rows<T>(x_in);
  const std::size_t n = x->rows(), d = x->cols();
  if (params.k_min == 0 || params.k_min > params.k_max) {
    segkit::detail::throw_invalid(comp, fmt::format("needs 1 <= k_min <= k_max (got {} and {})", params.k_min, params.k_max));
  }
  if (params.k_max >= n) segkit::detail::throw_invalid(comp, fmt::format("k_max ({}) must be below the number of rows ({})", params.k_max, n));
  if (params.stability_runs == 1) segkit::detail::throw_invalid(comp, "stability_runs must be 0 (skip) or at least 2");
  require_finite<T>(comp, "x", x.view());
  const auto labels_for = [&](const auto& rows, std::size_t k, std::uint64_t seed, double* bic) {
    const auto r = fit(rows, k, seed);
    auto l = detail::labels_of_fit(r);
    if (l.size() != rows.rows()) segkit::detail::throw_invalid(comp, fmt::format("the fit returned {} labels for {} rows", l.size(), rows.rows()));
    if (bic != nullptr) *bic = detail::bic_of_fit(r, rows);
    return l;
  };

  // Uniform reference sets in the bounding box, drawn once and reused for every k.
  std::vector<matrix<T>> refs;
  if (params.gap_references > 0) {
    std::vector<double> lo(d, std::numeric_limits<double>::infinity()), hi(d, -std::numeric_limits<double>::infinity());
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < d; ++j) {
        lo[j] = std::min(lo[j], static_cast<double>(x->row(i)[j]));
        hi[j] = std::max(hi[j], static_cast<double>(x->row(i)[j]));
      }
    }
    for (std::size_t b = 0; b < params.gap_references; ++b) {
      segkit::rng gen(params.seed, 0x6A90000ULL + b);
      matrix<T> r = matrix<T>::from_shape({n, d});
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < d; ++j) r(i, j) = static_cast<T>(lo[j] + gen.uniform() * (hi[j] - lo[j]));
      }
      refs.push_back(std::move(r));
    }
  }

  sweep_result res;
  for (std::size_t k = params.k_min; k <= params.k_max; ++k) {
    sweep_row row;
    row.k = k;
    const auto labels = labels_for(x.view(), k, params.seed, &row.bic);
    std::vector<label_type> distinct;
    for (const label_type l : labels) {
      if (l != noise_label) distinct.push_back(l);
    }
    std::sort(distinct.begin(), distinct.end());
    row.n_clusters = static_cast<std::size_t>(std::unique(distinct.begin(), distinct.end()) - distinct.begin());
    row.inertia = inertia(x.view(), labels);
    if (row.n_clusters >= 2 && row.n_clusters < n) {
      if (n <= params.exact_silhouette_rows) {
        row.silhouette = silhouette_score(x.view(), labels, {.threads = params.threads});
      } else {
        row.silhouette = silhouette_estimate(x.view(), labels, {.sample_size = params.exact_silhouette_rows, .seed = params.seed,
                                                                .silhouette = {.threads = params.threads}})
                             .value;
      }
      row.davies_bouldin = davies_bouldin(x.view(), labels);
      row.calinski_harabasz = calinski_harabasz(x.view(), labels);
    }
    if (!refs.empty()) {
      std::vector<double> logs;
      for (std::size_t b = 0; b < refs.size(); ++b) {
        const matrix_view<T> rv(refs[b].data(), n, d, d);
        const auto rl = labels_for(rv, k, params.seed + 1 + b, nullptr);
        logs.push_back(std::log(std::max(inertia(rv, rl), std::numeric_limits<double>::min())));
      }
      const double mean = std::accumulate(logs.begin(), logs.end(), 0.0) / static_cast<double>(logs.size());
      double var = 0.0;
      for (const double v : logs) var += (v - mean) * (v - mean);
      var /= static_cast<double>(logs.size());
      row.gap = mean - std::log(std::max(row.inertia, std::numeric_limits<double>::min()));
      row.gap_se = std::sqrt(var) * std::sqrt(1.0 + 1.0 / static_cast<double>(logs.size()));
    }
    if (params.stability_runs >= 2) {
      const auto st = cluster_stability(
          x.view(), [&](const matrix_view<T>& rows, std::uint64_t seed) { return labels_for(rows, k, seed, nullptr); },
          {.runs = params.stability_runs, .fraction = params.stability_fraction, .seed = params.seed});
      row.stability = st.mean_jaccard;
    }
    res.rows.push_back(row);
  }

  // Each criterion's choice.
  const auto pick = [&](auto value, bool higher) {
    std::size_t best = 0;
    double bv = 0.0;
    for (const auto& r : res.rows) {
      const double v = value(r);
      if (std::isnan(v)) continue;
      if (best == 0 || (higher ? v > bv : v < bv)) best = r.k, bv = v;
    }
    return best;
  };
  res.silhouette_k = pick([](const sweep_row& r) { return r.silhouette; }, true);
  res.davies_bouldin_k = pick([](const sweep_row& r) { return r.davies_bouldin; }, false);
  res.calinski_harabasz_k = pick([](const sweep_row& r) { return r.calinski_harabasz; }, true);
  res.bic_k = pick([](const sweep_row& r) { return r.bic; }, false);
  res.stability_k = pick([](const sweep_row& r) { return r.stability; }, true);
  if (!refs.empty()) {
    for (std::size_t i = 0; i + 1 < res.rows.size() && res.gap_k == 0; ++i) {
      if (res.rows[i].gap >= res.rows[i + 1].gap - res.rows[i + 1].gap_se) res.gap_k = res.rows[i].k;
    }
    if (res.gap_k == 0) res.gap_k = pick([](const sweep_row& r) { return r.gap; }, true);
  }

  // The vote.
  const std::pair<const char*, std::size_t> votes[] = {{"silhouette", res.silhouette_k},     {"Davies-Bouldin", res.davies_bouldin_k},
                                                      {"Calinski-Harabasz", res.calinski_harabasz_k}, {"BIC", res.bic_k},
                                                      {"gap statistic", res.gap_k},            {"stability", res.stability_k}};
  std::size_t criteria = 0, best_count = 0;
  for (const auto& [name, k] : votes) criteria += k != 0 ? 1 : 0;
  const auto row_of = [&](std::size_t k) -> const sweep_row& { return res.rows[k - params.k_min]; };
  for (const auto& r : res.rows) {
    std::size_t count = 0;
    for (const auto& [name, k] : votes) count += k == r.k ? 1 : 0;
    const bool better_tie = res.chosen_k != 0 && count == best_count &&
                            !std::isnan(r.silhouette) && (std::isnan(row_of(res.chosen_k).silhouette) || r.silhouette > row_of(res.chosen_k).silhouette);
    if (res.chosen_k == 0 || count > best_count || better_tie) {
      best_count = count;
      res.chosen_k = r.k;
    }
  }
  std::string names;
  for (const auto& [name, k] : votes) {
    if (k == res.chosen_k) names += (names.empty() ? "" : ", ") + std::string(name);
  }
  const auto& chosen = row_of(res.chosen_k);
  res.reason = fmt::format("k = {}: chosen by {} ({} of {} criteria)", res.chosen_k, names.empty() ? "no criterion" : names, best_count, criteria);
  if (!std::isnan(chosen.silhouette)) res.reason += fmt::format("; silhouette {:.3f}", chosen.silhouette);
  if (!std::isnan(chosen.stability)) res.reason += fmt::format(", stability {:.2f}", chosen.stability);
  return res;
}

}  // namespace segkit::quality
