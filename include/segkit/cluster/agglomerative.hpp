#pragma once
/// @file
/// @brief Agglomerative (hierarchical) clustering: Ward, complete, average and single linkage,
/// cut by cluster count or distance threshold, with the full dendrogram in scipy's format.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <new>
#include <numeric>
#include <span>
#include <string_view>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/detail/graph_linkage.hpp"
#include "segkit/neighbors/exact.hpp"
#include "segkit/cluster/hierarchy.hpp"
#include "segkit/core/binary_format.hpp"
#include "segkit/core/compiled.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/npy.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/params.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/distance/pairwise.hpp"
#include "segkit/graph/knn_lists.hpp"
#include "segkit/graph/union_find.hpp"
#include "segkit/cluster/agglomerative_model.hpp"

namespace segkit::cluster {

/// Parameters of segkit::cluster::agglomerative: defaults here, meaning and valid values in table().
struct agglomerative_params {
  std::size_t k = 2;                                 ///< clusters to cut into
  double distance_threshold = 0.0;                   ///< > 0: cut at this height instead
  linkage_method linkage = linkage_method::ward;     ///< cluster distance
  std::size_t threads = 0;                           ///< worker threads (0 = all)
  std::size_t parallel_grain = 512;                  ///< tuning of the parallel chain
  std::size_t connectivity_neighbors = 0;            ///< > 0: merge only along the k-NN graph

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = agglomerative_params;
    namespace sp = segkit::params;
    return std::tuple{
        sp::field("k", &p::k, "clusters to cut into (used when distance_threshold is 0), at most the number of rows", sp::at_least(1), "n_clusters"),
        sp::field("distance_threshold", &p::distance_threshold, "> 0: cut instead where merges reach this height (clusters at or above stay apart)",
                  sp::at_least_finite(0)),
        sp::field("linkage", &p::linkage, "ward (l2 only), complete, average or single", {}, "method"),
        sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it"),
        sp::internal_field("parallel_grain", &p::parallel_grain,
                           "tuning: the chain's scans and updates split across threads once at least twice this many clusters are active "
                           "(8 times as many for ward on centroids); results never depend on it",
                           sp::at_least(1)),
        sp::field("connectivity_neighbors", &p::connectivity_neighbors,
                  "> 0: merge only clusters joined by an edge of the symmetric k-nearest-neighbor graph with this many neighbors "
                  "(scikit-learn's connectivity=kneighbors_graph(X, k)); 0 = no constraint",
                  {}, "connectivity")};
  }
};


/**
 * @brief Agglomerative clustering as scipy's `linkage` and scikit-learn's
 * AgglomerativeClustering compute it.
 *
 * Ward, complete and average linkage run the nearest-neighbor chain algorithm (Murtagh 1983;
 * Müllner 2011) with scipy's tie-breaking, merges sorted stably by height and relabeled, so the
 * linkage matrix equals scipy's. Complete and average (and ward above 16 dimensions) run on a
 * distance matrix with Lance-Williams updates, exactly scipy's procedure and update formulas in
 * double precision; memory: the condensed n (n - 1) / 2 triangle of doubles (1.6 GB for 20,000
 * rows, half scikit-learn's peak). Ward up to 16 dimensions runs on stored centroids (Ward's
 * criterion 2 n_a n_b / (n_a + n_b) |c_a - c_b|^2, the square of the distance scipy's recursion
 * carries; heights agree to rounding), O(n d) memory. Single linkage needs no matrix: it is the
 * minimum spanning tree by Prim's algorithm, O(n) memory.
 *
 * With a connectivity graph (agglomerative_params::connectivity_neighbors, or fit(x, graph))
 * only clusters joined by an edge may merge, as in scikit-learn's AgglomerativeClustering with
 * `connectivity`: a graph in several pieces is first completed with an edge between the closest
 * rows of every pair of pieces (scikit-learn's rule; the count is reported), then the cheapest
 * edge merges first (a priority queue of each cluster's cheapest edge); the merged cluster
 * inherits both neighbor sets. Ward keeps
 * each cluster's sum of rows (the tree equals scikit-learn's, ties included); complete and
 * average update only the edges present, scikit-learn's rule, so they are not the unconstrained
 * linkages restricted to the graph; single linkage is the graph's minimum spanning tree. Memory
 * and time follow the edges, not n^2. Heights then need not increase along the merges; the cuts
 * count merges as scikit-learn does.
 *
 * @tparam Metric  l2 (default, required for ward), sqeuclidean, cosine, manhattan.
 * @par Complexity  O(n^2 d) for the distances, O(n^2) for the chain; the scans of the chain and
 * the matrix are spread over the threads.
 */
template <class Metric = distance::l2_metric, class T = float>
class agglomerative {
 public:
  using value_type = T;

  /// The model fit() returns.
  using model_type = agglomerative_model<Metric, T>;

  /// @throws segkit::invalid_argument naming the first parameter outside its table's range, ward with a non-Euclidean metric, or a similarity metric.
  explicit agglomerative(agglomerative_params params = {}) : p_(params) {
    using segkit::detail::throw_invalid;
    segkit::params::validate(p_, component);
    if (p_.linkage == linkage_method::ward && !std::is_same_v<Metric, distance::l2_metric>) {
      throw_invalid(component, fmt::format("ward linkage needs the l2 metric, got '{}'", Metric::name));
    }
    distance::require_distance<Metric>(component);
  }

  [[nodiscard]] const agglomerative_params& params() const noexcept { return p_; }

  /**
   * @brief Clusters the rows of x.
   * @throws segkit::invalid_argument if x is empty, has no columns or holds NaN/Inf, or
   * k exceeds the rows; segkit::error if the distance matrix cannot be allocated.
   */
  template <class E>
  [[nodiscard]] model_type fit(const E& x) const {
    const auto rows = as_rows<T>(x);
    return fit_view(rows.view(), nullptr);
  }

  /**
   * @brief Clusters the rows of x, merging only clusters joined by an edge of `connectivity`:
   * any Boost graph (directed or not, edges taken both ways; weights ignored, the metric is
   * recomputed) whose vertex i is row i. Overrides params().connectivity_neighbors.
   * @throws segkit::invalid_argument as fit(x), and if the graph's vertex count is not the row count.
   */
  template <class E, class Graph>
  [[nodiscard]] model_type fit(const E& x, const Graph& connectivity) const {
    const auto rows = as_rows<T>(x);
    const std::size_t vertices = num_vertices(connectivity);  // Boost.Graph's functions, found through the graph's type
    if (vertices != rows.view().rows()) {
      segkit::detail::throw_invalid(component, fmt::format("the connectivity graph has {} vertices for {} rows", vertices, rows.view().rows()));
    }
    detail::adjacency raw(vertices);
    for (auto [e, end] = edges(connectivity); e != end; ++e) {
      raw[static_cast<std::size_t>(source(*e, connectivity))].push_back(static_cast<std::size_t>(target(*e, connectivity)));
    }
    const detail::adjacency adj = detail::symmetric_adjacency(std::move(raw));
    return fit_view(rows.view(), &adj);
  }

 private:
  static constexpr const char* component = "segkit::cluster::agglomerative";
  // Ward on stored centroids up to this many dimensions (d flops per pair beat one cache-missing
  // matrix read there); above, the distance matrix.
  static constexpr std::size_t ward_stored_max_dim = 16;

  // `adj`: the connectivity graph's symmetric adjacency, or null for none (or the k-NN graph of params).
  model_type fit_view(const matrix_view<T>& x, const detail::adjacency* adj) const;

  dendrogram unconstrained_tree(const matrix_view<T>& x, const neighbors::pair_distances<Metric, T>& dist, executor& ex) const {
    const std::size_t n = x.rows();
    if (p_.linkage == linkage_method::single) return single_linkage(prim_mst(n, dist, ex), n);
    if (p_.linkage == linkage_method::ward && x.cols() <= ward_stored_max_dim) {
      centroid_ops ops(x);
      return nn_chain(ops, n, ex);
    }
    matrix_ops ops{this, distance_matrix(x, dist, ex), &ex};
    return nn_chain(ops, n, ex);
  }

  // The tree under a connectivity graph (completed first when in pieces; `pieces` gets the count).
  dendrogram constrained_tree(const matrix_view<T>& x, detail::adjacency adj, const neighbors::pair_distances<Metric, T>& dist, executor& ex,
                              std::size_t& pieces) const {
    const std::size_t n = x.rows();
    pieces = detail::connect_components<Metric>(adj, x, ex);
    if (n == 1) return single_linkage({}, 1);
    switch (p_.linkage) {
      case linkage_method::ward:
        return detail::ward_on_graph(x, adj, ex);
      case linkage_method::complete:
      case linkage_method::average:
        return detail::linkage_on_graph(n, adj, dist, p_.linkage == linkage_method::average, ex);
      case linkage_method::single:
        break;
    }
    // Single linkage: the graph's minimum spanning tree (Kruskal: edges by weight, then rows).
    std::vector<std::size_t> offset(n + 1, 0);
    for (std::size_t v = 0; v < n; ++v) offset[v + 1] = offset[v] + static_cast<std::size_t>(std::lower_bound(adj[v].begin(), adj[v].end(), v) - adj[v].begin());
    std::vector<mst_edge> edges(offset[n]);
    parallel_for(ex, n, 1024, [&](std::size_t b, std::size_t e, std::size_t) {
      for (std::size_t v = b; v < e; ++v) {
        for (std::size_t k = offset[v]; k < offset[v + 1]; ++k) edges[k] = {adj[v][k - offset[v]], v, dist(v, adj[v][k - offset[v]])};
      }
    });
    std::sort(edges.begin(), edges.end(), [](const mst_edge& a, const mst_edge& b) {
      return a.weight != b.weight ? a.weight < b.weight : (a.a != b.a ? a.a < b.a : a.b < b.b);
    });
    graph::union_find sets(n);
    std::vector<mst_edge> tree;
    tree.reserve(n - 1);
    for (const mst_edge& e : edges) {
      const std::size_t ra = sets.find(e.a), rb = sets.find(e.b);
      if (ra == rb) continue;
      sets.unite(ra, rb);
      tree.push_back(e);
    }
    return single_linkage(std::move(tree), n);
  }

  // The condensed distance matrix in scipy's order: pair (i, j), i < j, at n i - i (i + 1) / 2 + j - i - 1.
  struct condensed_matrix {
    std::size_t n;
    std::vector<double> v;
    // Pair (a, b), a < b, sits at row_base(a) + b; wraps modulo 2^64 for a = 0, harmlessly.
    [[nodiscard]] std::size_t row_base(std::size_t a) const noexcept { return n * a - a * (a + 1) / 2 - a - 1; }
    [[nodiscard]] std::size_t at(std::size_t i, std::size_t j) const noexcept {
      if (i > j) std::swap(i, j);
      return row_base(i) + j;
    }
    [[nodiscard]] double get(std::size_t i, std::size_t j) const noexcept { return v[at(i, j)]; }
    void set(std::size_t i, std::size_t j, double x) noexcept { v[at(i, j)] = x; }
  };

  condensed_matrix distance_matrix(const matrix_view<T>& x, const neighbors::pair_distances<Metric, T>& dist, executor& ex) const {
    const std::size_t n = x.rows();
    condensed_matrix dm{n, {}};
    try {
      dm.v.resize(n * (n - 1) / 2);
    } catch (const std::bad_alloc&) {
      segkit::detail::throw_io(component, fmt::format("the distance matrix of {} rows needs {:.1f} GB", n, 4e-9 * static_cast<double>(n) * static_cast<double>(n - 1)));
    }
    constexpr auto form = distance::gemm_form_of<Metric>();
    const matrix_view<double> xd = dist.doubles();
    if (xd.rows() != 0 && (form == distance::gemm_form::squared_l2 || form == distance::gemm_form::cosine)) {
      // Many dimensions: double-precision BLAS products, blocks of rows against the rows after them.
      const auto terms = distance::row_norm_terms<Metric>(xd);
      parallel_for(ex, n, 64, [&](std::size_t b, std::size_t e, std::size_t) {
        std::vector<double> block((e - b) * (n - b));
        distance::distance_block(Metric{}, xd.slice(b, e), xd.slice(b, n), terms.data() + b, terms.data() + b, block.data(), n - b);
        for (std::size_t i = b; i < e; ++i) {
          const double* src = block.data() + (i - b) * (n - b);
          for (std::size_t j = i + 1; j < n; ++j) dm.set(i, j, src[j - b]);
        }
      });
      return dm;
    }
    parallel_for(ex, n, 64, [&](std::size_t b, std::size_t e, std::size_t) {
      for (std::size_t i = b; i < e; ++i) {
        for (std::size_t j = i + 1; j < n; ++j) dm.set(i, j, dist(i, j));
      }
    });
    return dm;
  }

  // Lance-Williams update of D(i, x u y) from D(i, x), D(i, y), D(x, y): scipy's formulas.
  double updated(double d_xi, double d_yi, double d_xy, double nx, double ny, double ni) const noexcept {
    switch (p_.linkage) {
      case linkage_method::ward: {
        const double t = 1.0 / (nx + ny + ni);
        return std::sqrt((ni + nx) * t * d_xi * d_xi + (ni + ny) * t * d_yi * d_yi - ni * t * d_xy * d_xy);
      }
      case linkage_method::complete:
        return std::max(d_xi, d_yi);
      case linkage_method::average:
        return (nx * d_xi + ny * d_yi) / (nx + ny);
      case linkage_method::single:
        break;
    }
    return std::min(d_xi, d_yi);
  }

  struct chain_best {
    double d;
    std::size_t i;
  };

  // The nearest-neighbor chain with scipy's conventions: the chain starts at the lowest active
  // slot; the previous chain element is preferred on ties, otherwise the first strictly smaller
  // distance in slot order wins; the merged cluster takes the higher slot. `ops` supplies
  // pair(a, b) (the dissimilarity the chain compares), extent(active) (the positions a scan
  // covers, in slot order), scan(cx, active, lo, hi, start) (the first strict minimum over
  // positions [lo, hi) other than cx, from `start`), merge(cx, cy, d, nx, ny, size, active)
  // (cx < cy; cx already left `active`), height(d) (the merge height reported) and grain_factor
  // (scales parallel_grain to the cost of a scan position).
  template <class Ops>
  dendrogram nn_chain(Ops& ops, std::size_t n, executor& ex) const {
    if (n == 1) return finish_chain({}, 1);
    std::vector<double> size(n, 1.0);
    std::vector<std::size_t> active(n);  // ascending slot order
    std::iota(active.begin(), active.end(), std::size_t{0});
    std::vector<std::size_t> chain;
    chain.reserve(n);
    std::vector<chain_merge> merges;
    merges.reserve(n - 1);
    const std::size_t grain = p_.parallel_grain * Ops::grain_factor;
    const chain_best none{std::numeric_limits<double>::infinity(), n};
    std::vector<chain_best> partial;
    for (std::size_t k = 0; k + 1 < n; ++k) {
      if (chain.empty()) chain.push_back(active.front());
      std::size_t cx = 0, cy = 0;
      double current = 0.0;
      for (;;) {
        cx = chain.back();
        chain_best b = none;
        if (chain.size() > 1) b = {ops.pair(cx, chain[chain.size() - 2]), chain[chain.size() - 2]};
        const std::size_t m = ops.extent(active);
        if (m < 2 * grain || ex.threads() == 1) {
          b = ops.scan(cx, active, 0, m, b);
        } else {
          partial.assign(chunk_count(m, grain), none);
          parallel_for(ex, m, grain, [&](std::size_t lo, std::size_t hi, std::size_t c) { partial[c] = ops.scan(cx, active, lo, hi, none); });
          for (const chain_best& c : partial) {  // chunks in slot order: the same first minimum as one scan
            if (c.d < b.d) b = c;
          }
        }
        current = b.d;
        cy = b.i;
        if (chain.size() > 1 && cy == chain[chain.size() - 2]) break;
        chain.push_back(cy);
      }
      chain.pop_back();
      chain.pop_back();
      if (cx > cy) std::swap(cx, cy);
      const double nx = size[cx], ny = size[cy];
      merges.push_back({cx, cy, ops.height(current), nx + ny});
      size[cx] = 0.0;
      size[cy] = nx + ny;
      active.erase(std::lower_bound(active.begin(), active.end(), cx));
      ops.merge(cx, cy, current, nx, ny, size, active);
    }
    return finish_chain(std::move(merges), n);
  }

  struct chain_merge {
    std::size_t x, y;
    double h, size;
  };

  // The chain's merges sorted stably by height, slot ids relabeled to dendrogram nodes (scipy's `label`).
  static dendrogram finish_chain(std::vector<chain_merge> merges, std::size_t n) {
    dendrogram out;
    out.n_leaves = n;
    out.linkage = matrix<double>::from_shape({n - 1, std::size_t{4}});
    std::stable_sort(merges.begin(), merges.end(), [](const chain_merge& a, const chain_merge& b) { return a.h < b.h; });
    graph::union_find sets(n);
    std::vector<std::size_t> node_of(n);
    std::iota(node_of.begin(), node_of.end(), std::size_t{0});
    for (std::size_t i = 0; i + 1 < n; ++i) {
      const std::size_t ra = sets.find(merges[i].x), rb = sets.find(merges[i].y);
      const std::size_t a = node_of[ra], b = node_of[rb];
      out.linkage(i, 0) = static_cast<double>(std::min(a, b));
      out.linkage(i, 1) = static_cast<double>(std::max(a, b));
      out.linkage(i, 2) = merges[i].h;
      out.linkage(i, 3) = merges[i].size;
      node_of[sets.unite(ra, rb)] = n + i;
    }
    return out;
  }

  // The chain on the condensed matrix with Lance-Williams updates (scipy's procedure).
  struct matrix_ops {
    const agglomerative* self;
    condensed_matrix dm;
    executor* ex;

    static constexpr std::size_t grain_factor = 1;
    [[nodiscard]] static std::size_t extent(const std::vector<std::size_t>& active) noexcept { return active.size(); }
    [[nodiscard]] double pair(std::size_t a, std::size_t b) const noexcept { return dm.get(a, b); }
    [[nodiscard]] static double height(double d) noexcept { return d; }

    // Active slots below cx are read down column cx, those above along row cx (contiguous).
    [[nodiscard]] chain_best scan(std::size_t cx, const std::vector<std::size_t>& active, std::size_t lo, std::size_t hi, chain_best start) const noexcept {
      const double* v = dm.v.data();
      const auto* a = active.data();
      const std::size_t mid = static_cast<std::size_t>(std::lower_bound(a + lo, a + hi, cx) - a);
      // Down the column every read is a cache miss at an irregular stride: ask for the line
      // `ahead` reads early, so the misses overlap instead of queueing.
      constexpr std::size_t ahead = 16;
      for (std::size_t q = lo; q < mid; ++q) {
        if (q + ahead < mid) __builtin_prefetch(v + dm.row_base(a[q + ahead]) + cx);
        const std::size_t i = a[q];
        const double dd = v[dm.row_base(i) + cx];
        if (dd < start.d) start = {dd, i};
      }
      const std::size_t row = dm.row_base(cx);  // + i: pair (cx, i), i > cx
      for (std::size_t q = mid < hi && a[mid] == cx ? mid + 1 : mid; q < hi; ++q) {
        const std::size_t i = a[q];
        const double dd = v[row + i];
        if (dd < start.d) start = {dd, i};
      }
      return start;
    }

    void merge(std::size_t cx, std::size_t cy, double current, double nx, double ny, const std::vector<double>& size,
               const std::vector<std::size_t>& active) noexcept {
      const auto update = [&](std::size_t lo, std::size_t hi) {
        double* v = dm.v.data();
        const auto base = [this](std::size_t a) { return dm.row_base(a); };
        const std::size_t row_x = base(cx), row_y = base(cy);
        constexpr std::size_t ahead = 16;  // as in the scan: overlap the column misses
        for (std::size_t q = lo; q < hi; ++q) {
          if (q + ahead < hi) {
            const std::size_t f = active[q + ahead];
            if (f < cx) __builtin_prefetch(v + base(f) + cx);
            if (f < cy) __builtin_prefetch(v + base(f) + cy, 1);
          }
          const std::size_t i = active[q];
          if (i == cy) continue;
          const std::size_t bi = base(i);
          const std::size_t at_x = i < cx ? bi + cx : row_x + i, at_y = i < cy ? bi + cy : row_y + i;
          v[at_y] = self->updated(v[at_x], v[at_y], current, nx, ny, size[i]);
        }
      };
      const std::size_t m = active.size(), grain = self->p_.parallel_grain;
      if (m < 2 * grain || ex->threads() == 1) {
        update(0, m);
      } else {
        parallel_for(*ex, m, grain, [&](std::size_t lo, std::size_t hi, std::size_t) { update(lo, hi); });
      }
    }
  };

  // Ward's chain on stored data (Müllner 2011, "stored data approach"): clusters as centroids in
  // double precision, the chain compares Ward's criterion 2 n_a n_b / (n_a + n_b) |c_a - c_b|^2,
  // whose square root is the Lance-Williams distance scipy's matrix carries. O(n d) memory. The
  // live clusters are packed in slot order, one array per dimension, so a scan streams through
  // memory; merged-away clusters weigh NaN (never a minimum) until a stable compaction drops them.
  struct centroid_ops {
    static constexpr std::size_t grain_factor = 8;  // a scan costs ~1 ns per cluster: wake threads later
    static constexpr std::size_t block = 256;

    std::size_t d = 0, m = 0, dead = 0;
    std::vector<double> coord;          // d x n, dimension-major: coordinate k of packed entry j at k * n + j
    std::vector<double> weight;         // packed sizes; NaN: merged away
    std::vector<std::size_t> slot_of;   // packed entry -> slot
    std::vector<std::size_t> position;  // slot -> packed entry

    explicit centroid_ops(const matrix_view<T>& x) : d(x.cols()), m(x.rows()), coord(x.cols() * x.rows()), weight(x.rows(), 1.0), slot_of(x.rows()), position(x.rows()) {
      for (std::size_t i = 0; i < m; ++i) {
        const T* row = x.row(i);
        for (std::size_t k = 0; k < d; ++k) coord[k * m + i] = static_cast<double>(row[k]);
        slot_of[i] = position[i] = i;
      }
    }

    [[nodiscard]] std::size_t extent(const std::vector<std::size_t>&) const noexcept { return m; }
    [[nodiscard]] static double height(double w) noexcept { return std::sqrt(w); }
    [[nodiscard]] static double criterion(double na, double nb, double s) noexcept { return 2.0 * na * nb / (na + nb) * s; }

    // The same arithmetic as scan, so ties compare equal.
    [[nodiscard]] double pair(std::size_t a, std::size_t b) const noexcept {
      const std::size_t pa = position[a], pb = position[b], stride = weight.size();
      double s = 0.0;
      for (std::size_t k = 0; k < d; ++k) {
        const double t = coord[k * stride + pb] - coord[k * stride + pa];
        s += t * t;
      }
      return criterion(weight[pa], weight[pb], s);
    }

    [[nodiscard]] chain_best scan(std::size_t cx, const std::vector<std::size_t>&, std::size_t lo, std::size_t hi, chain_best start) const noexcept {
      const std::size_t px = position[cx], stride = weight.size();
      const double na = weight[px];
      std::array<double, block> w{};
      for (std::size_t b0 = lo; b0 < hi; b0 += block) {
        const std::size_t len = std::min(block, hi - b0);
        std::fill_n(w.begin(), len, 0.0);
        for (std::size_t k = 0; k < d; ++k) {
          const double* ck = coord.data() + k * stride + b0;
          const double xk = coord[k * stride + px];
          for (std::size_t j = 0; j < len; ++j) {
            const double t = ck[j] - xk;
            w[j] += t * t;
          }
        }
        const double* nb = weight.data() + b0;
        for (std::size_t j = 0; j < len; ++j) w[j] = criterion(na, nb[j], w[j]);
        for (std::size_t j = 0; j < len; ++j) {
          if (w[j] < start.d && b0 + j != px) start = {w[j], slot_of[b0 + j]};
        }
      }
      return start;
    }

    void merge(std::size_t cx, std::size_t cy, double, double nx, double ny, const std::vector<double>&, const std::vector<std::size_t>&) noexcept {
      const std::size_t px = position[cx], py = position[cy], stride = weight.size();
      for (std::size_t k = 0; k < d; ++k) {
        double* ck = coord.data() + k * stride;
        ck[py] = (nx * ck[px] + ny * ck[py]) / (nx + ny);
      }
      weight[py] = nx + ny;
      weight[px] = std::numeric_limits<double>::quiet_NaN();
      if (++dead * 2 > m && m > block) compact();
    }

    void compact() noexcept {
      const std::size_t stride = weight.size();
      std::size_t to = 0;
      for (std::size_t j = 0; j < m; ++j) {
        if (std::isnan(weight[j])) continue;
        for (std::size_t k = 0; k < d; ++k) coord[k * stride + to] = coord[k * stride + j];
        weight[to] = weight[j];
        slot_of[to] = slot_of[j];
        position[slot_of[to]] = to;
        ++to;
      }
      m = to;
      dead = 0;
    }
  };

  agglomerative_params p_;
};

template <class Metric, class T>
auto agglomerative<Metric, T>::fit_view(const matrix_view<T>& x, const detail::adjacency* adj) const -> model_type {
  using segkit::detail::throw_invalid;
  const std::size_t n = x.rows();
  check_samples(component, x);
  if (p_.distance_threshold == 0.0 && p_.k > n) {
    throw_invalid(component, fmt::format("k ({}) exceeds the number of samples ({})", p_.k, n));
  }
  if (adj == nullptr && p_.connectivity_neighbors > 0) {
    if (p_.connectivity_neighbors >= n) {
      throw_invalid(component, fmt::format("connectivity_neighbors ({}) must be below the number of samples ({})", p_.connectivity_neighbors, n));
    }
    const auto lists = graph::nearest_neighbors<Metric, T>(x, p_.connectivity_neighbors, p_.threads);
    detail::adjacency raw(n);
    for (std::size_t i = 0; i < n; ++i) raw[i].assign(lists.ids.begin() + static_cast<std::ptrdiff_t>(i * lists.k), lists.ids.begin() + static_cast<std::ptrdiff_t>((i + 1) * lists.k));
    const detail::adjacency knn = detail::symmetric_adjacency(std::move(raw));
    return fit_view(x, &knn);
  }
  executor ex(p_.threads);
  model_type out;
  const neighbors::pair_distances<Metric, T> dist(x);
  if (adj != nullptr) {
    out.tree = constrained_tree(x, *adj, dist, ex, out.connected_components);
  } else {
    out.tree = unconstrained_tree(x, dist, ex);
  }
  label_vector labels = p_.distance_threshold > 0.0 ? cut_at_height(out.tree, p_.distance_threshold) : cut_to_clusters(out.tree, p_.k);
  const auto k = static_cast<std::size_t>(*std::max_element(labels.begin(), labels.end()) + 1);
  out.set_labels(std::move(labels), k);
  out.linkage = p_.linkage;
  out.training_rows = matrix<T>::from_shape({n, x.cols()});
  for (std::size_t i = 0; i < n; ++i) std::copy_n(x.row(i), x.cols(), &out.training_rows(i, 0));
  return out;
}

static_assert(segkit::inductive_clusterer<agglomerative<>>);

}  // namespace segkit::cluster

/// The instantiations compiled once into segkit::segkit_compiled (segkit/core/compiled.hpp).
#define SEGKIT_INSTANCES_CLUSTER_AGGLOMERATIVE(X) SEGKIT_METRIC_INSTANCES(X, class segkit::cluster::agglomerative)
SEGKIT_INSTANCES_CLUSTER_AGGLOMERATIVE(SEGKIT_EXTERN_TEMPLATE)
