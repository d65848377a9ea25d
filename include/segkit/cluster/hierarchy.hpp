#pragma once
/// @file
/// @brief Cluster hierarchies: single-linkage dendrograms in scipy's linkage-matrix format (from a
/// spanning tree, segkit/graph/mst.hpp), and flat cuts of a dendrogram by cluster count or distance.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/types.hpp"
#include "segkit/graph/mst.hpp"
#include "segkit/graph/union_find.hpp"

namespace segkit::cluster {

using graph::mst_edge;
using graph::prim_mst;

/**
 * @brief A dendrogram over n leaves as scipy's linkage matrix: row i merges clusters Z(i,0) and
 * Z(i,1) (ids < n are leaves, id n + j is the cluster made by row j) at height Z(i,2) into a
 * cluster of Z(i,3) leaves. Rows are in merge order, heights non-decreasing for the monotone
 * linkages. With n = 1 the matrix has 0 rows.
 */
struct dendrogram {
  matrix<double> linkage;  ///< (n - 1) x 4: left, right, height, size
  std::size_t n_leaves = 0;
};

/**
 * @brief The single-linkage dendrogram of a spanning tree: edges merged by increasing weight
 * (equal weights in the order given, as a stable sort leaves them).
 * @throws segkit::invalid_argument if the edges do not form a spanning tree of n vertices.
 */
inline dendrogram single_linkage(std::vector<mst_edge> edges, std::size_t n) {
  const char* comp = "segkit::cluster::single_linkage";
  if (n == 0) segkit::detail::throw_invalid(comp, "no vertices");
  if (edges.size() != n - 1) segkit::detail::throw_invalid(comp, fmt::format("{} edges for {} vertices (a spanning tree has n - 1)", edges.size(), n));
  std::stable_sort(edges.begin(), edges.end(), [](const mst_edge& x, const mst_edge& y) { return x.weight < y.weight; });
  dendrogram out;
  out.n_leaves = n;
  out.linkage = matrix<double>::from_shape({n - 1, std::size_t{4}});
  graph::union_find sets(n);
  std::vector<std::size_t> node_of(n);  // set representative -> dendrogram node id
  std::iota(node_of.begin(), node_of.end(), std::size_t{0});
  for (std::size_t i = 0; i + 1 < n; ++i) {
    const mst_edge& e = edges[i];
    if (e.a >= n || e.b >= n) segkit::detail::throw_invalid(comp, fmt::format("edge {} joins vertex {} of {}", i, std::max(e.a, e.b), n));
    const std::size_t ra = sets.find(e.a), rb = sets.find(e.b);
    if (ra == rb) segkit::detail::throw_invalid(comp, fmt::format("edge {} closes a cycle (not a spanning tree)", i));
    const std::size_t na = node_of[ra], nb = node_of[rb];
    out.linkage(i, 0) = static_cast<double>(std::min(na, nb));
    out.linkage(i, 1) = static_cast<double>(std::max(na, nb));
    out.linkage(i, 2) = e.weight;
    out.linkage(i, 3) = static_cast<double>(sets.set_size(ra) + sets.set_size(rb));
    node_of[sets.unite(ra, rb)] = n + i;
  }
  return out;
}

/**
 * @brief Flat labels after applying the first `merges` rows of a linkage matrix: n - merges
 * clusters, numbered 0.. in the order of their lowest leaf.
 */
inline xt::xtensor<label_type, 1> labels_after_merges(const dendrogram& tree, std::size_t merges) {
  const std::size_t n = tree.n_leaves;
  graph::union_find sets(2 * n);
  for (std::size_t i = 0; i < merges && i + 1 < n; ++i) {
    sets.unite(n + i, static_cast<std::size_t>(tree.linkage(i, 0)));
    sets.unite(n + i, static_cast<std::size_t>(tree.linkage(i, 1)));
  }
  xt::xtensor<label_type, 1> labels = xt::xtensor<label_type, 1>::from_shape({n});
  std::vector<label_type> label_of(2 * n, -1);
  label_type next = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t r = sets.find(i);
    if (label_of[r] < 0) label_of[r] = next++;
    labels(i) = label_of[r];
  }
  return labels;
}

/**
 * @brief Cut into k clusters (1 <= k <= n leaves): the first n - k merges.
 * @throws segkit::invalid_argument if k is 0 or exceeds the leaves.
 */
inline xt::xtensor<label_type, 1> cut_to_clusters(const dendrogram& tree, std::size_t k) {
  if (k == 0 || k > tree.n_leaves) {
    segkit::detail::throw_invalid("segkit::cluster::cut_to_clusters", fmt::format("k = {} must be in [1, {}] (the leaves)", k, tree.n_leaves));
  }
  return labels_after_merges(tree, tree.n_leaves - k);
}

/**
 * @brief Cut at a height: every merge below `threshold` is applied (scikit-learn's
 * distance_threshold: clusters at or above it stay apart). When heights do not increase along
 * the merges (trees under connectivity constraints), scikit-learn's rule: one cluster more than
 * the merges at or above the threshold, cut as cut_to_clusters.
 */
inline xt::xtensor<label_type, 1> cut_at_height(const dendrogram& tree, double threshold) {
  std::size_t high = 0;
  for (std::size_t i = 0; i + 1 < tree.n_leaves; ++i) high += tree.linkage(i, 2) >= threshold ? 1 : 0;
  return labels_after_merges(tree, tree.n_leaves - 1 - high);
}

}  // namespace segkit::cluster
