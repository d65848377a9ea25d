#pragma once
/// @file
/// @brief The exact k nearest neighbors of every row of a matrix as plain lists (the input of
/// segkit/graph/knn_graph.hpp's Boost graphs, and of connectivity-constrained agglomerative
/// clustering), without Boost.Graph: including that costs a translation unit about 2 s.

#include <cstddef>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/neighbors/exact.hpp"

namespace segkit::graph {

/// The k nearest rows of every row (itself excluded): row i's neighbors are ids[i*k .. i*k+k),
/// ascending by distance, ties by row number.
struct knn_lists {
  std::size_t n = 0, k = 0;
  std::vector<std::size_t> ids;
  std::vector<double> distances;
};

/**
 * @brief Exact k nearest neighbors of every row among the rows, itself excluded, in double
 * precision: a k-d tree up to 16 dimensions for l2, sqeuclidean and cosine, blocked scans
 * otherwise (the searches DBSCAN and HDBSCAN use).
 * @throws segkit::invalid_argument for an empty x, NaN/Inf, k = 0 or k >= rows, or a similarity metric.
 */
template <class Metric = distance::l2_metric, class T = float, class E>
[[nodiscard]] knn_lists nearest_neighbors(const E& x_in, std::size_t k, std::size_t threads = 0) {
  constexpr const char* component = "segkit::graph::nearest_neighbors";
  const auto rows = as_rows<T>(x_in);
  const matrix_view<T> x = rows.view();
  check_samples(component, x);
  distance::require_distance<Metric>(component);
  const std::size_t n = x.rows();
  if (k == 0 || k >= n) {
    segkit::detail::throw_invalid(component, fmt::format("k must be between 1 and rows - 1 ({}), got {}", n - 1, k));
  }
  knn_lists out{n, k, std::vector<std::size_t>(n * k), std::vector<double>(n * k)};
  const neighbors::exact_neighbors<Metric, T> nb(x);
  executor ex(threads);
  parallel_for(ex, n, 256, [&](std::size_t b, std::size_t e, std::size_t) {
    nb.nearest(b, e, k + 1, [&](std::size_t i, const std::vector<std::pair<double, std::size_t>>& list) {
      std::size_t kept = 0;
      for (const auto& [d, j] : list) {  // drop the row itself (duplicates of it may come first)
        if (j == i || kept == k) continue;
        out.ids[i * k + kept] = j;
        out.distances[i * k + kept] = d;
        ++kept;
      }
    });
  });
  return out;
}

}  // namespace segkit::graph
