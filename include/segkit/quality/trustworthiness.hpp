#pragma once
/// @file
/// @brief Trustworthiness of an embedding (Venna & Kaski 2001), as scikit-learn defines it: how
/// far the embedding's nearest neighbors are from being nearest neighbors in the input space.
/// Every reducer (PCA, UMAP, t-SNE) is judged with it.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/params.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/distance/pairwise.hpp"
#include "segkit/neighbors/kdtree.hpp"

namespace segkit::quality {

/// Parameters of trustworthiness().
struct trustworthiness_params {
  std::size_t neighbors = 5;   ///< k, 1 <= k < n / 2
  std::size_t threads = 0;     ///< 0 = all hardware threads; results do not depend on it
  std::size_t block_rows = 64; ///< input rows whose distance rows are held at once (>= 1)

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = trustworthiness_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("neighbors", &p::neighbors, "k, below n / 2", sp::at_least(1), "n_neighbors"),
                      sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it"),
                      sp::internal_field("block_rows", &p::block_rows, "input rows whose distance rows are held at once", sp::at_least(1))};
  }
};

namespace detail {

/// The k nearest rows of each embedded row (itself left out), Euclidean, n x k row numbers.
template <class T>
std::vector<std::size_t> embedded_neighbors(const matrix_view<T>& y, std::size_t k, executor& ex) {
  const std::size_t n = y.rows(), d = y.cols();
  std::vector<std::size_t> out(n * k);
  // Drops row i from its own k + 1 nearest (or the farthest when duplicates hide it).
  const auto keep = [&](std::size_t i, const std::size_t* cand) {
    std::size_t w = 0;
    for (std::size_t j = 0; j <= k && w < k; ++j) {
      if (cand[j] != i) out[i * k + w++] = cand[j];
    }
  };
  if (d <= 16) {
    const neighbors::kd_tree tree(y);
    parallel_for(ex, n, 256, [&](std::size_t b, std::size_t e, std::size_t) {
      std::vector<std::size_t> ids(k + 1);
      std::vector<double> d2(k + 1), q(d);
      for (std::size_t i = b; i < e; ++i) {
        for (std::size_t j = 0; j < d; ++j) q[j] = static_cast<double>(y.row(i)[j]);
        tree.knn_search(q.data(), k + 1, ids.data(), d2.data());
        keep(i, ids.data());
      }
    });
    return out;
  }
  const std::size_t block = 64;
  const auto terms = distance::row_norm_terms<distance::squared_l2_metric>(y);
  parallel_for(ex, n, block, [&](std::size_t b, std::size_t e, std::size_t) {
    std::vector<T> tile((e - b) * n);
    distance::distance_block(distance::squared_l2_metric{}, y.slice(b, e), y, terms.data() + b, terms.data(), tile.data(), n);
    std::vector<std::pair<T, std::size_t>> row(n);
    std::vector<std::size_t> ids(k + 1);
    for (std::size_t i = b; i < e; ++i) {
      for (std::size_t j = 0; j < n; ++j) row[j] = {j == i ? T{0} : tile[(i - b) * n + j], j};
      std::partial_sort(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(k + 1), row.end());
      for (std::size_t j = 0; j <= k; ++j) ids[j] = row[j].second;
      keep(i, ids.data());
    }
  });
  return out;
}

}  // namespace detail

/**
 * @brief Trustworthiness T(k) in [0, 1] of the embedding `y` of the rows of `x`:
 * 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in N_k^y(i)} max(0, r(i, j) - k), where r(i, j) is
 * the rank of j among i's neighbors in the input space under `metric` (ties by row number) and
 * N_k^y(i) the k nearest neighbors of i in the embedding (Euclidean).
 *
 * Exact, in double precision, with O(block_rows n) memory instead of scikit-learn's n x n ranks.
 * @throws segkit::invalid_argument if the row counts differ, n is 0, k is 0 or k >= n / 2, or
 *         either matrix holds NaN/Inf.
 * @par Complexity  O(n^2 (d + log k)) for the input-space ranks; the embedding's neighbors
 *      through a k-d tree (up to 16 dimensions) or a blocked scan.
 */
template <class M = distance::l2_metric, class EX, class EY, class T = typename std::decay_t<EX>::value_type,
          class U = typename std::decay_t<EY>::value_type>
  requires segkit::metric<M, double>
double trustworthiness(const EX& x_in, const EY& y_in, const trustworthiness_params& params = {}, const M& metric = {}) {
  constexpr const char* comp = "segkit::quality::trustworthiness";
  const auto x = as_rows<T>(x_in);
  const auto y = as_rows<U>(y_in);
  const std::size_t n = x->rows(), k = params.neighbors;
  if (n == 0) segkit::detail::throw_invalid(comp, "no samples (x has 0 rows)");
  if (y->rows() != n) segkit::detail::throw_invalid(comp, fmt::format("x has {} rows but the embedding has {}", n, y->rows()));
  if (k == 0 || 2 * k >= n) {
    segkit::detail::throw_invalid(comp, fmt::format("neighbors ({}) must be at least 1 and less than n / 2 (n = {})", k, n));
  }
  if (params.block_rows == 0) segkit::detail::throw_invalid(comp, "block_rows must be at least 1");
  require_finite<T>(comp, "x", x.view());
  require_finite<U>(comp, "embedding", y.view());
  executor ex(params.threads);
  const auto nbrs = detail::embedded_neighbors(y.view(), k, ex);

  // The input rows in double, so ranks come from double-precision distances as in scikit-learn.
  matrix<double> xd = matrix<double>::from_shape({n, x->cols()});
  for (std::size_t i = 0; i < n; ++i) std::copy_n(x->row(i), x->cols(), xd.data() + i * x->cols());
  const matrix_view<double> xv(xd.data(), n, x->cols(), x->cols());
  const auto terms = distance::row_norm_terms<M>(xv);
  const std::int64_t penalty = parallel_reduce(
      ex, n, params.block_rows, std::int64_t{0},
      [&](std::size_t b, std::size_t e, std::size_t) {
        std::vector<double> dist((e - b) * n);
        distance::distance_block(metric, xv.slice(b, e), xv, terms.empty() ? nullptr : terms.data() + b,
                                 terms.empty() ? nullptr : terms.data(), dist.data(), n);
        std::vector<std::pair<double, std::size_t>> thr(k);
        std::vector<std::int64_t> less(k + 1), ties(k);
        std::int64_t sum = 0;
        for (std::size_t i = b; i < e; ++i) {
          const double* di = dist.data() + (i - b) * n;
          for (std::size_t q = 0; q < k; ++q) thr[q] = {di[nbrs[i * k + q]], nbrs[i * k + q]};
          std::sort(thr.begin(), thr.end());
          std::fill(less.begin(), less.end(), 0);
          std::fill(ties.begin(), ties.end(), 0);
          for (std::size_t l = 0; l < n; ++l) {
            if (l == i) continue;
            const double v = di[l];
            // Thresholds [lo, hi) equal v (a tie: l counts when its row number is lower); v is
            // strictly below the thresholds hi..k-1.
            const auto lo = static_cast<std::size_t>(
                std::lower_bound(thr.begin(), thr.end(), v, [](const auto& a, double s) { return a.first < s; }) - thr.begin());
            std::size_t hi = lo;
            for (; hi < k && thr[hi].first == v; ++hi) ties[hi] += l < thr[hi].second ? 1 : 0;
            ++less[hi];
          }
          std::int64_t below = 0;
          for (std::size_t q = 0; q < k; ++q) {
            below += less[q];
            const std::int64_t rank = 1 + below + ties[q];  // 1-based rank among the other rows
            sum += std::max<std::int64_t>(0, rank - static_cast<std::int64_t>(k));
          }
        }
        return sum;
      },
      [](std::int64_t a, std::int64_t b) { return a + b; });
  const double dn = static_cast<double>(n), dk = static_cast<double>(k);
  return 1.0 - static_cast<double>(penalty) * 2.0 / (dn * dk * (2.0 * dn - 3.0 * dk - 1.0));
}

}  // namespace segkit::quality
