#pragma once
/// @file
/// @brief Two-sample tests of drift: the population stability index of a feature (binned on the reference's quantiles, or of counts) and the kernel maximum mean discrepancy of two sets of embeddings with a permutation p-value (segkit/monitor/drift.hpp uses them in its reports).

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>
#include <fmt/format.h>
#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/random.hpp"
#include "segkit/core/types.hpp"
#include "segkit/core/params.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/distance/pairwise.hpp"
#include "segkit/monitor/statistics.hpp"

namespace segkit::monitor {

// ---------------------------------------------------------------------------------------------
// Population stability index

/// Parameters of population_stability_index().
struct psi_params {
  std::size_t bins = 10;  ///< quantile bins of the reference (>= 2); ties may merge bins
  double floor = 1e-4;    ///< shares below this count as this much, so empty bins stay finite (> 0)

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = psi_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("bins", &p::bins, "quantile bins of the reference; ties may merge bins", sp::at_least(2)),
                      sp::field("floor", &p::floor, "shares below this count as this much, so empty bins stay finite", sp::above(0))};
  }
};

/// A population stability index with the bins it used.
struct psi_result {
  double value = 0.0;                   ///< sum (c - r) ln(c / r) over bins; < 0.1 stable, > 0.25 a major shift
  std::vector<double> edges;            ///< inner bin edges (a value v falls in the first bin whose edge is >= v)
  std::vector<double> reference_share;  ///< per bin
  std::vector<double> current_share;    ///< per bin
};

namespace detail {

inline double psi_of_shares(const std::vector<double>& r, const std::vector<double>& c, double floor) {
  double s = 0.0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const double a = std::max(r[i], floor), b = std::max(c[i], floor);
    s += (b - a) * std::log(b / a);
  }
  return s;
}

inline void check_finite_values(const char* comp, const char* what, std::span<const double> v) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) segkit::detail::throw_invalid(comp, fmt::format("{} holds a non-finite value ({}) at {}", what, v[i], i));
  }
}

/// Inner edges at the reference's quantiles i / bins (sorted input), duplicates removed.
inline std::vector<double> quantile_edges(const std::vector<double>& sorted, std::size_t bins) {
  std::vector<double> edges;
  for (std::size_t i = 1; i < bins; ++i) {
    const std::size_t at = std::min(sorted.size() - 1, (i * sorted.size()) / bins);
    edges.push_back(sorted[at == 0 ? 0 : at - 1]);
  }
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  if (!edges.empty() && edges.back() >= sorted.back()) edges.pop_back();
  return edges;
}

inline std::vector<double> bin_shares(std::span<const double> v, const std::vector<double>& edges) {
  std::vector<double> share(edges.size() + 1, 0.0);
  for (const double x : v) share[static_cast<std::size_t>(std::lower_bound(edges.begin(), edges.end(), x) - edges.begin())] += 1.0;
  for (double& s : share) s /= static_cast<double>(v.size());
  return share;
}

}  // namespace detail

/**
 * @brief Population stability index of a numeric feature: bins at the reference's quantiles,
 * then sum (c - r) ln(c / r) over the bins' reference and current shares (Siddiqi 2006).
 * Conventional reading: below 0.1 stable, 0.1-0.25 a moderate shift, above 0.25 a major one.
 * @throws segkit::invalid_argument for an empty sample, NaN/Inf, bins < 2 or floor <= 0.
 */
inline psi_result population_stability_index(std::span<const double> reference, std::span<const double> current, const psi_params& params = {}) {
  constexpr const char* comp = "segkit::monitor::population_stability_index";
  if (reference.empty() || current.empty()) {
    segkit::detail::throw_invalid(comp, fmt::format("both samples need values (sizes {} and {})", reference.size(), current.size()));
  }
  if (params.bins < 2) segkit::detail::throw_invalid(comp, fmt::format("bins ({}) must be at least 2", params.bins));
  if (!(params.floor > 0.0)) segkit::detail::throw_invalid(comp, fmt::format("floor ({}) must be > 0", params.floor));
  detail::check_finite_values(comp, "reference", reference);
  detail::check_finite_values(comp, "current", current);
  std::vector<double> sorted(reference.begin(), reference.end());
  std::sort(sorted.begin(), sorted.end());
  psi_result r;
  r.edges = detail::quantile_edges(sorted, params.bins);
  r.reference_share = detail::bin_shares(reference, r.edges);
  r.current_share = detail::bin_shares(current, r.edges);
  r.value = detail::psi_of_shares(r.reference_share, r.current_share, params.floor);
  return r;
}

/**
 * @brief Population stability index of a categorical attribute from per-category counts of the
 * two periods (same categories, same order).
 * @throws segkit::invalid_argument if the lengths differ, a count is negative or a period is empty.
 */
inline double population_stability_index_counts(std::span<const std::int64_t> reference, std::span<const std::int64_t> current,
                                                double floor = 1e-4) {
  constexpr const char* comp = "segkit::monitor::population_stability_index_counts";
  if (reference.size() != current.size()) {
    segkit::detail::throw_invalid(comp, fmt::format("{} reference categories but {} current ones", reference.size(), current.size()));
  }
  const auto shares = [&](std::span<const std::int64_t> c, const char* what) {
    double total = 0.0;
    for (const auto v : c) {
      if (v < 0) segkit::detail::throw_invalid(comp, fmt::format("{} holds a negative count ({})", what, v));
      total += static_cast<double>(v);
    }
    if (total == 0.0) segkit::detail::throw_invalid(comp, fmt::format("{} counts sum to 0", what));
    std::vector<double> s(c.size());
    for (std::size_t i = 0; i < c.size(); ++i) s[i] = static_cast<double>(c[i]) / total;
    return s;
  };
  return detail::psi_of_shares(shares(reference, "reference"), shares(current, "current"), floor);
}

// ---------------------------------------------------------------------------------------------
// Kernel two-sample test

/// Parameters of mmd_test().
struct mmd_params {
  std::size_t max_samples = 1000;   ///< rows drawn (without replacement) from each period at most
  std::size_t permutations = 200;   ///< label permutations for the p-value (>= 1)
  double bandwidth = 0.0;           ///< RBF sigma; 0 = the median pairwise distance of the pooled rows
  std::uint64_t seed = 0;           ///< the only source of randomness
  std::size_t threads = 0;          ///< 0 = all hardware threads; results do not depend on it

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = mmd_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("max_samples", &p::max_samples, "rows drawn (without replacement) from each period at most", sp::at_least(2)),
                      sp::field("permutations", &p::permutations, "label permutations for the p-value", sp::at_least(1)),
                      sp::field("bandwidth", &p::bandwidth, "RBF sigma; 0 = the median pairwise distance of the pooled rows", sp::at_least(0)),
                      sp::field("seed", &p::seed, "the only source of randomness"),
                      sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it")};
  }
};

/// Result of mmd_test().
struct mmd_result {
  double mmd2 = 0.0;       ///< unbiased estimate of the squared maximum mean discrepancy
  double p_value = 1.0;    ///< (1 + the number of permutations with MMD^2 >= observed) / (1 + permutations)
  double bandwidth = 0.0;  ///< the sigma used
  std::size_t reference_rows = 0;  ///< rows of the reference actually used
  std::size_t current_rows = 0;    ///< rows of the current period actually used
  double reference_mean_distance = 0.0;  ///< mean pairwise Euclidean distance within the used reference rows
  double current_mean_distance = 0.0;    ///< the same within the used current rows
};

namespace detail {

/// Up to `m` distinct row numbers of [0, n), drawn with a seeded partial shuffle, ascending.
inline std::vector<std::size_t> sample_rows(std::size_t n, std::size_t m, std::uint64_t seed, std::uint64_t stream) {
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  if (m >= n) return idx;
  segkit::rng gen(seed, stream);
  for (std::size_t i = 0; i < m; ++i) std::swap(idx[i], idx[i + static_cast<std::size_t>(gen.below(n - i))]);
  idx.resize(m);
  std::sort(idx.begin(), idx.end());
  return idx;
}

/// Unbiased MMD^2 of the split `in_x` of a kernel matrix (n x n, row-major).
inline double mmd2_of_split(const std::vector<double>& kernel, std::size_t n, const std::vector<char>& in_x, std::size_t nx) {
  double sxx = 0.0, syy = 0.0, sxy = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double* row = kernel.data() + i * n;
    for (std::size_t j = i + 1; j < n; ++j) {
      if (in_x[i] && in_x[j]) {
        sxx += row[j];
      } else if (!in_x[i] && !in_x[j]) {
        syy += row[j];
      } else {
        sxy += row[j];
      }
    }
  }
  const double m = static_cast<double>(nx), k = static_cast<double>(n - nx);
  return 2.0 * sxx / (m * (m - 1.0)) + 2.0 * syy / (k * (k - 1.0)) - 2.0 * sxy / (m * k);
}

}  // namespace detail

/**
 * @brief Kernel two-sample test (Gretton et al. 2012): the unbiased MMD^2 with the RBF kernel
 * exp(-|x - y|^2 / (2 sigma^2)) between (a sample of) the two periods' rows, and a permutation
 * p-value. Needs no classifier and sees any change of distribution, not only of the mean.
 * @throws segkit::invalid_argument if the column counts differ, a period has fewer than 2 rows,
 *         the data hold NaN/Inf, permutations is 0, max_samples < 2 or bandwidth < 0.
 * @par Complexity  O(N^2 (d + permutations)) with N = rows used from both periods.
 */
template <class E1, class E2, class T = typename std::decay_t<E1>::value_type>
mmd_result mmd_test(const E1& reference_in, const E2& current_in, const mmd_params& params = {}) {
  constexpr const char* comp = "segkit::monitor::mmd_test";
  const auto ref = as_rows<T>(reference_in);
  const auto cur = as_rows<T>(current_in);
  if (ref->cols() != cur->cols()) segkit::detail::throw_invalid(comp, fmt::format("reference has {} columns but current has {}", ref->cols(), cur->cols()));
  if (ref->rows() < 2 || cur->rows() < 2) {
    segkit::detail::throw_invalid(comp, fmt::format("each period needs at least 2 rows (got {} and {})", ref->rows(), cur->rows()));
  }
  if (params.permutations == 0) segkit::detail::throw_invalid(comp, "permutations must be at least 1");
  if (params.max_samples < 2) segkit::detail::throw_invalid(comp, fmt::format("max_samples ({}) must be at least 2", params.max_samples));
  if (!(params.bandwidth >= 0.0) || !std::isfinite(params.bandwidth)) segkit::detail::throw_invalid(comp, fmt::format("bandwidth ({}) must be >= 0", params.bandwidth));
  require_finite<T>(comp, "reference", ref.view());
  require_finite<T>(comp, "current", cur.view());
  const auto ri = detail::sample_rows(ref->rows(), params.max_samples, params.seed, 1);
  const auto ci = detail::sample_rows(cur->rows(), params.max_samples, params.seed, 2);
  const std::size_t nx = ri.size(), n = nx + ci.size(), d = ref->cols();
  matrix<double> pooled = matrix<double>::from_shape({n, d});
  for (std::size_t i = 0; i < n; ++i) {
    const T* src = i < nx ? ref->row(ri[i]) : cur->row(ci[i - nx]);
    std::copy_n(src, d, pooled.data() + i * d);
  }
  const matrix_view<double> pv(pooled.data(), n, d, d);
  std::vector<double> dist(n * n);
  const auto terms = distance::row_norm_terms<distance::l2_metric>(pv);
  executor ex(params.threads);
  parallel_for(ex, n, 64, [&](std::size_t b, std::size_t e, std::size_t) {
    distance::distance_block(distance::l2_metric{}, pv.slice(b, e), pv, terms.data() + b, terms.data(), dist.data() + b * n, n);
    for (std::size_t i = b; i < e; ++i) dist[i * n + i] = 0.0;
  });
  mmd_result r;
  r.reference_rows = nx;
  r.current_rows = n - nx;
  std::vector<double> upper;
  upper.reserve(n * (n - 1) / 2);
  double within_r = 0.0, within_c = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      upper.push_back(dist[i * n + j]);
      if (j < nx) within_r += dist[i * n + j];
      if (i >= nx) within_c += dist[i * n + j];
    }
  }
  r.reference_mean_distance = within_r / (0.5 * static_cast<double>(nx) * static_cast<double>(nx - 1));
  r.current_mean_distance = within_c / (0.5 * static_cast<double>(n - nx) * static_cast<double>(n - nx - 1));
  r.bandwidth = params.bandwidth;
  if (r.bandwidth == 0.0) {
    auto mid = upper.begin() + static_cast<std::ptrdiff_t>(upper.size() / 2);
    std::nth_element(upper.begin(), mid, upper.end());
    r.bandwidth = *mid > 0.0 ? *mid : 1.0;  // all rows equal: any bandwidth gives MMD 0
  }
  const double gamma = 1.0 / (2.0 * r.bandwidth * r.bandwidth);
  std::vector<double> kernel(n * n);
  for (std::size_t i = 0; i < n * n; ++i) kernel[i] = std::exp(-gamma * dist[i] * dist[i]);
  std::vector<char> split(n, 0);
  std::fill_n(split.begin(), nx, char{1});
  r.mmd2 = detail::mmd2_of_split(kernel, n, split, nx);
  const std::size_t at_least = parallel_reduce(
      ex, params.permutations, 4, std::size_t{0},
      [&](std::size_t b, std::size_t e, std::size_t) {
        std::size_t count = 0;
        std::vector<char> s(n);
        for (std::size_t p = b; p < e; ++p) {
          std::fill(s.begin(), s.end(), char{0});
          std::fill_n(s.begin(), nx, char{1});
          segkit::rng gen(params.seed, 1000 + p);
          for (std::size_t i = n - 1; i > 0; --i) std::swap(s[i], s[static_cast<std::size_t>(gen.below(i + 1))]);
          count += detail::mmd2_of_split(kernel, n, s, nx) >= r.mmd2 ? 1 : 0;
        }
        return count;
      },
      [](std::size_t a, std::size_t b) { return a + b; });
  r.p_value = static_cast<double>(1 + at_least) / static_cast<double>(1 + params.permutations);
  return r;
}


}  // namespace segkit::monitor
