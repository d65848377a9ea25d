#pragma once
/// @file
/// @brief k-nearest-neighbor and mutual k-nearest-neighbor graphs over the rows of a matrix as
/// Boost.Graph adjacency lists, their connected components and minimum spanning forests.

#include <algorithm>
#include <array>
#include <cstddef>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/connected_components.hpp>
#include <boost/graph/kruskal_min_spanning_tree.hpp>
#include <fmt/format.h>

#include "segkit/graph/knn_lists.hpp"
#include "segkit/graph/mst.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/types.hpp"
#include "segkit/core/params.hpp"
#include "segkit/distance/metrics.hpp"

namespace segkit::graph {

/// An undirected graph over rows 0..n-1 whose edges carry the distance between their rows.
using weighted_graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, boost::no_property,
                                             boost::property<boost::edge_weight_t, double>>;

/// Which k-nearest-neighbor relations become edges.
enum class knn_symmetry {
  either,  ///< i - j when j is among i's k nearest or i among j's (the usual symmetric k-NN graph)
  mutual   ///< i - j only when each is among the other's k nearest (sparser; splits at density gaps)
};
/// Names of knn_symmetry in files and on the command line.
constexpr auto enum_names(knn_symmetry) {
  using params::name_value;
  return std::array{name_value{"either", knn_symmetry::either}, name_value{"mutual", knn_symmetry::mutual}};
}

/// Parameters of knn_graph().
struct knn_graph_params {
  std::size_t k = 10;                            ///< neighbors per row, the row itself excluded (1 <= k < rows)
  knn_symmetry symmetry = knn_symmetry::either;  ///< either (default) or mutual
  std::size_t threads = 0;                       ///< 0 = all hardware threads; the graph does not depend on it

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = knn_graph_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("k", &p::k, "neighbors per row, the row itself excluded (below the number of rows)", sp::at_least(1)),
                      sp::field("symmetry", &p::symmetry, "either (i - j when either lists the other) or mutual (both do)"),
                      sp::field("threads", &p::threads, "worker threads, 0 = all cores; the graph does not depend on it")};
  }
};

/// The graph of k-nearest-neighbor lists (see knn_graph).
[[nodiscard]] inline weighted_graph knn_graph(const knn_lists& lists, knn_symmetry symmetry = knn_symmetry::either) {
  const std::size_t n = lists.n, k = lists.k;
  const auto listed = [&](std::size_t i, std::size_t j) {  // j among i's neighbors
    const auto* b = lists.ids.data() + i * k;
    return std::find(b, b + k, j) != b + k;
  };
  weighted_graph g(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t r = 0; r < k; ++r) {
      const std::size_t j = lists.ids[i * k + r];
      const bool back = listed(j, i);
      // Each edge once: from the lower row when both list each other, else from the row listing it.
      const bool add = symmetry == knn_symmetry::mutual ? (back && i < j) : (!back || i < j);
      if (add) boost::add_edge(i, j, lists.distances[i * k + r], g);
    }
  }
  return g;
}

/**
 * @brief The k-nearest-neighbor graph of the rows of x: vertex i is row i; an edge joins i and
 * j when j is among i's k nearest rows or i among j's (symmetry = either), or when both hold
 * (mutual), with the distance as its `boost::edge_weight`. Edges are added in row order, so the graph is the
 * same for any thread count.
 * @throws segkit::invalid_argument as nearest_neighbors.
 */
template <class Metric = distance::l2_metric, class T = float, class E>
[[nodiscard]] weighted_graph knn_graph(const E& x, knn_graph_params p = {}) {
  return knn_graph(nearest_neighbors<Metric, T>(x, p.k, p.threads), p.symmetry);
}

/// The mutual k-nearest-neighbor graph (knn_graph with knn_symmetry::mutual).
template <class Metric = distance::l2_metric, class T = float, class E>
[[nodiscard]] weighted_graph mutual_knn_graph(const E& x, std::size_t k, std::size_t threads = 0) {
  return knn_graph<Metric, T>(x, {.k = k, .symmetry = knn_symmetry::mutual, .threads = threads});
}

/// Connected components: a label per vertex, numbered in the order of each component's lowest vertex.
struct components {
  std::vector<label_type> labels;
  std::size_t count = 0;
};

/// The connected components of any undirected Boost graph with vertex indices (boost::connected_components).
template <class Graph>
[[nodiscard]] components connected_components(const Graph& g) {
  components out;
  std::vector<int> c(boost::num_vertices(g));
  out.count = c.empty() ? 0 : static_cast<std::size_t>(boost::connected_components(g, c.data()));
  out.labels.assign(c.begin(), c.end());
  return out;
}

/**
 * @brief A minimum spanning forest of a weighted graph (Kruskal's algorithm through Boost.Graph):
 * one tree per connected component, n - components edges, ascending by weight; each edge as
 * (lower vertex, higher vertex, weight) like segkit::graph::mst_edge, ready for
 * segkit::cluster::single_linkage (segkit/cluster/hierarchy.hpp) when the graph is connected.
 */
[[nodiscard]] inline std::vector<mst_edge> minimum_spanning_forest(const weighted_graph& g) {
  std::vector<boost::graph_traits<weighted_graph>::edge_descriptor> tree;
  boost::kruskal_minimum_spanning_tree(g, std::back_inserter(tree));
  const auto weight = boost::get(boost::edge_weight, g);
  std::vector<mst_edge> out;
  out.reserve(tree.size());
  for (const auto& e : tree) {
    const std::size_t a = boost::source(e, g), b = boost::target(e, g);
    out.push_back({std::min(a, b), std::max(a, b), boost::get(weight, e)});
  }
  std::stable_sort(out.begin(), out.end(), [](const mst_edge& u, const mst_edge& v) { return u.weight < v.weight; });
  return out;
}

}  // namespace segkit::graph
