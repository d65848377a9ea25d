#pragma once
/// @file
/// @brief Choosing k for k-means: an inertia curve over a range of k and its knee (Kneedle).

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/kmeans.hpp"
#include "segkit/core/error.hpp"

namespace segkit::cluster {

/**
 * @brief The knee of a decreasing, convex curve (such as inertia against k) by Kneedle
 * (Satopää, Albrecht, Irwin & Raghavan, "Finding a 'Kneedle' in a Haystack", ICDCS workshops
 * 2011): both axes are scaled to [0, 1], and the knee is the point farthest below the chord from
 * the first point to the last, i.e. the maximum of (1 - x') - y'.
 * Like every chord method it answers "where does the curve bend most", which on unequal
 * clusters (two segments much closer than the rest) can be one k before the last big drop;
 * look at the whole curve, or at silhouette and stability, before trusting one number.
 * @return the index of the knee, or nothing if no point lies below the chord (no knee: a
 * straight or concave curve) or there are fewer than 3 points.
 * @throws segkit::invalid_argument if the lengths differ, x is not strictly increasing, or a
 * value is not finite.
 */
inline std::optional<std::size_t> kneedle(std::span<const double> x, std::span<const double> y) {
  const char* comp = "segkit::cluster::kneedle";
  if (x.size() != y.size()) segkit::detail::throw_invalid(comp, fmt::format("{} x values for {} y values", x.size(), y.size()));
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) segkit::detail::throw_invalid(comp, fmt::format("point {} is not finite", i));
    if (i > 0 && !(x[i] > x[i - 1])) segkit::detail::throw_invalid(comp, fmt::format("x must increase strictly (x[{}] = {} after {})", i, x[i], x[i - 1]));
  }
  if (x.size() < 3) return std::nullopt;
  const double x0 = x.front(), xr = x.back() - x.front();
  double y_min = y[0], y_max = y[0];
  for (double v : y) {
    y_min = std::min(y_min, v);
    y_max = std::max(y_max, v);
  }
  if (!(y_max > y_min)) return std::nullopt;  // flat curve
  std::optional<std::size_t> best;
  double best_gap = 1e-9;  // a point must lie clearly below the chord: rounding on a straight line is not a knee
  for (std::size_t i = 1; i + 1 < x.size(); ++i) {
    const double xn = (x[i] - x0) / xr, yn = (y[i] - y_min) / (y_max - y_min);
    const double gap = (1.0 - xn) - yn;
    if (gap > best_gap) {
      best_gap = gap;
      best = i;
    }
  }
  return best;
}

/// One point of a k sweep.
struct k_sweep_point {
  std::size_t k = 0;       ///< number of clusters
  double inertia = 0.0;    ///< inertia of the best restart
  std::size_t n_iter = 0;  ///< iterations of that restart
  bool converged = false;  ///< whether it converged
};

/// An inertia curve and the k its knee suggests.
struct k_sweep {
  std::vector<k_sweep_point> points;  ///< one per k, increasing
  std::optional<std::size_t> chosen_k;  ///< k at the knee (Kneedle), if the curve has one
};

/**
 * @brief Fits k-means for every k in [k_min, k_max] with the other parameters of `base` and
 * reports the inertia curve and its knee. Deterministic: each k uses `base.seed`.
 * @throws segkit::invalid_argument if k_min is 0, k_min > k_max, or k_max exceeds the number of
 * rows (and as kmeans::fit does).
 * @par Complexity  the sum of the k-means fits.
 */
template <class T = float, class E>
k_sweep kmeans_sweep(const E& x, std::size_t k_min, std::size_t k_max, kmeans_params base = {}) {
  const auto rows = as_rows<T>(x);
  detail::check_k_range("segkit::cluster::kmeans_sweep", k_min, k_max, rows.view().rows());
  base.initial_centers = {};
  k_sweep sweep;
  std::vector<double> ks, inertia;
  for (std::size_t k = k_min; k <= k_max; ++k) {
    base.k = k;
    const auto m = kmeans<T>(base).fit(rows.view());
    sweep.points.push_back({k, m.inertia, m.n_iter, m.converged});
    ks.push_back(static_cast<double>(k));
    inertia.push_back(m.inertia);
  }
  if (const auto i = kneedle(ks, inertia)) sweep.chosen_k = sweep.points[*i].k;
  return sweep;
}

}  // namespace segkit::cluster
