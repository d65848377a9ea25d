#pragma once
/// @file
/// @brief DBSCAN: density-based clusters of core points, their border points, and noise.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/detail/dbscan_grid.hpp"
#include "segkit/neighbors/exact.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/graph/union_find.hpp"

namespace segkit::cluster {

/// Parameters of segkit::cluster::dbscan. Every field has a default.
struct dbscan_params {
  double eps = 0.5;             ///< neighborhood radius, in the metric's units (> 0); a neighbor is at distance <= eps
  std::size_t min_samples = 5;  ///< a core point has at least this many (weighted) points within eps, itself included (>= 1)
  std::size_t max_kept_neighbors = std::size_t{1} << 27;  ///< neighbor-list entries kept between passes (4 bytes each); beyond, search again (0 = never keep)
  std::size_t threads = 0;      ///< 0 = all hardware threads; results do not depend on it
};

/// What dbscan::fit returns.
struct dbscan_result {
  xt::xtensor<label_type, 1> labels;            ///< cluster of each row, 0..n_clusters-1, or -1 for noise
  std::size_t n_clusters = 0;                   ///< number of clusters
  std::vector<std::size_t> core_sample_indices; ///< rows that are core points, ascending
  double noise_fraction = 0.0;                  ///< share of rows labeled -1
};

/**
 * @brief DBSCAN (Ester, Kriegel, Sander & Xu, KDD 1996) with scikit-learn's labeling.
 *
 * Clusters are the connected components of core points (rows with at least min_samples
 * weighted rows within eps, counting themselves), numbered in the order of their lowest core
 * row. A border row (not core, within eps of a core row) joins the lowest-numbered cluster among
 * its core neighbors: exactly what scikit-learn's depth-first expansion produces, so labels are
 * identical to scikit-learn's DBSCAN and do not depend on the thread count. Neighborhoods come
 * from a uniform grid of cells of side eps / sqrt(2) for 2-D l2/sqeuclidean data (a dense cell is
 * core and connected as a whole; neighbors lie in the 5 x 5 block of cells), a k-d tree (up to
 * 16 dimensions, l2/sqeuclidean/cosine) or blocked exact scans, never an n x n matrix; distances
 * are compared to eps in double precision, the same way on every path.
 *
 * @tparam Metric  a distance (l2 default, sqeuclidean, cosine, manhattan); inner product is refused.
 * @par Complexity  one radius pass, about O(n log n + neighbors) on a tree, O(n^2 d) by scan;
 * memory O(n + neighbors) — neighbor lists are kept while they hold at most max_kept_neighbors
 * entries; beyond that passes 2 and 3 search again and memory stays O(n).
 * @par Thread safety  fit() is const.
 */
template <class Metric = distance::l2_metric, class T = float>
class dbscan {
 public:
  using value_type = T;

  /// @throws segkit::invalid_argument if eps is not finite and > 0 or min_samples is 0.
  explicit dbscan(dbscan_params params = {}) : p_(params) {
    using segkit::detail::throw_invalid;
    if (!(p_.eps > 0.0) || !std::isfinite(p_.eps)) throw_invalid(component, fmt::format("eps must be finite and > 0, got {}", p_.eps));
    if (p_.min_samples == 0) throw_invalid(component, "min_samples must be at least 1");
    distance::require_distance<Metric>(component);
  }

  [[nodiscard]] const dbscan_params& params() const noexcept { return p_; }

  /**
   * @brief Clusters the rows of x (n x d), optionally weighted (a row of weight w counts w times
   * towards its neighbors' density).
   * @throws segkit::invalid_argument if x is empty, has no columns or holds NaN/Inf, or the
   * weights are of the wrong length, negative or not finite.
   */
  template <class E>
  [[nodiscard]] dbscan_result fit(const E& x, std::span<const double> weights = {}) const {
    const auto rows = as_rows<T>(x);
    return fit_view(rows.view(), weights);
  }

 private:
  static constexpr const char* component = "segkit::cluster::dbscan";
  static constexpr std::size_t grain = 256;

  dbscan_result fit_view(const matrix_view<T>& x, std::span<const double> weights) const {
    const std::size_t n = x.rows();
    check_samples(component, x);
    const std::vector<double> w = sample_weights(component, weights, n, false);
    const double need = static_cast<double>(p_.min_samples);

    executor ex(p_.threads);
    if constexpr (distance::gemm_form_of<Metric>() == distance::gemm_form::squared_l2) {
      if (x.cols() == 2) {
        const detail::dbscan_grid grid(x, Metric::squared ? p_.eps : p_.eps * p_.eps);
        if (grid.valid()) return fit_grid(grid, w, need, ex);
      }
    }
    const neighbors::exact_neighbors<Metric, T> nb(x);

    // 1. Core points: weighted neighbor count (self included) reaches min_samples. The
    // neighbor lists are kept for passes 2 and 3 while they fit max_kept_neighbors entries; beyond
    // that (and in 1-3 dimensions) passes 2 and 3 search again and pass 1 stops counting at
    // min_samples.
    const std::size_t chunks = chunk_count(n, grain);
    std::vector<std::vector<std::uint32_t>> lists(chunks);
    std::vector<std::vector<std::size_t>> starts(chunks);
    std::atomic<std::size_t> stored{0};
    // In 1-3 dimensions a tree search is cheaper than keeping its result.
    std::atomic<bool> keep{n < (std::size_t{1} << 32) && p_.max_kept_neighbors > 0 && !(nb.uses_tree() && x.cols() <= 3)};
    std::vector<char> core(n, 0);
    parallel_for(ex, n, grain, [&](std::size_t b, std::size_t e, std::size_t c) {
      std::vector<double> count(e - b, 0.0);
      const bool store = keep.load(std::memory_order_relaxed);
      std::vector<std::vector<std::uint32_t>> rows(store ? e - b : 0);  // the scan path interleaves rows
      nb.radius(b, e, p_.eps, [&](std::size_t i, std::size_t j, double) {
        count[i - b] += w[j];
        if (!store) return count[i - b] < need;
        rows[i - b].push_back(static_cast<std::uint32_t>(j));
        return true;
      });
      if (store) {
        auto& list = lists[c];
        auto& start = starts[c];
        start.push_back(0);
        for (const auto& r : rows) {
          list.insert(list.end(), r.begin(), r.end());
          start.push_back(list.size());
        }
        if (stored.fetch_add(list.size()) + list.size() > p_.max_kept_neighbors) keep.store(false);
      }
      for (std::size_t i = b; i < e; ++i) core[i] = count[i - b] >= need ? 1 : 0;
    });
    const bool kept = keep.load();
    if (!kept) {
      lists = {};
      starts = {};
    }
    // Calls f(i, j) for the neighbors j of rows [b, e) (chunk c); f returns false to skip the rest of row i.
    const auto neighbors = [&](std::size_t b, std::size_t e, std::size_t c, auto&& f) {
      if (!kept) {
        nb.radius(b, e, p_.eps, [&](std::size_t i, std::size_t j, double) { return f(i, j); });
        return;
      }
      for (std::size_t i = b; i < e; ++i) {
        for (std::size_t q = starts[c][i - b]; q < starts[c][i - b + 1]; ++q) {
          if (!f(i, static_cast<std::size_t>(lists[c][q]))) break;
        }
      }
    };

    // 2. Clusters: connected components of core points (the representative is the lowest row).
    graph::concurrent_union_find sets(n);
    parallel_for(ex, n, grain, [&](std::size_t b, std::size_t e, std::size_t c) {
      neighbors(b, e, c, [&](std::size_t i, std::size_t j) {
        if (core[i] && j < i && core[j]) sets.unite(i, j);
        return static_cast<bool>(core[i]);
      });
    });
    dbscan_result out = label_cores(core, sets);

    // 3. Border points: the lowest cluster among their core neighbors.
    parallel_for(ex, n, grain, [&](std::size_t b, std::size_t e, std::size_t c) {
      neighbors(b, e, c, [&](std::size_t i, std::size_t j) {
        if (core[i]) return false;
        if (core[j]) {
          const label_type l = out.labels(j);
          if (out.labels(i) < 0 || l < out.labels(i)) out.labels(i) = l;
        }
        return true;
      });
    });
    count_noise(out);
    return out;
  }

  // 2-D Euclidean data on a grid (detail::dbscan_grid): the same three passes, with whole cells
  // settled at once where they can be.
  dbscan_result fit_grid(const detail::dbscan_grid& grid, const std::vector<double>& w, double need, executor& ex) const {
    const std::vector<char> core = grid.core_points(w, need, ex);
    graph::concurrent_union_find sets(core.size());
    grid.unite_cores(core, sets, ex);
    dbscan_result out = label_cores(core, sets);
    grid.label_borders(core, out.labels.data(), ex);
    count_noise(out);
    return out;
  }

  // Labels of the core rows: their components numbered in the order of their lowest row; -1 elsewhere.
  static dbscan_result label_cores(const std::vector<char>& core, graph::concurrent_union_find& sets) {
    const std::size_t n = core.size();
    dbscan_result out;
    out.labels = xt::xtensor<label_type, 1>::from_shape({n});
    std::fill(out.labels.begin(), out.labels.end(), label_type{-1});
    std::vector<label_type> cluster_of_root(n, -1);
    for (std::size_t i = 0; i < n; ++i) {
      if (!core[i]) continue;
      out.core_sample_indices.push_back(i);
      const std::size_t r = sets.find(i);
      if (cluster_of_root[r] < 0) cluster_of_root[r] = static_cast<label_type>(out.n_clusters++);
      out.labels(i) = cluster_of_root[r];
    }
    return out;
  }

  static void count_noise(dbscan_result& out) {
    const std::size_t n = out.labels.size();
    std::size_t noise = 0;
    for (std::size_t i = 0; i < n; ++i) noise += out.labels(i) < 0 ? 1 : 0;
    out.noise_fraction = static_cast<double>(noise) / static_cast<double>(n);
  }

  dbscan_params p_;
};

static_assert(segkit::clusterer<dbscan<>>);

}  // namespace segkit::cluster
