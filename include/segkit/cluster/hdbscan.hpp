#pragma once
/// @file
/// @brief HDBSCAN*: hierarchical density-based clustering with excess-of-mass or leaf selection,
/// membership probabilities and GLOSH outlier scores.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/detail/boruvka.hpp"
#include "segkit/neighbors/exact.hpp"
#include "segkit/cluster/hierarchy.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distance/metrics.hpp"

namespace segkit::cluster {

/// How HDBSCAN picks flat clusters from the condensed tree.
enum class cluster_selection {
  eom,  ///< excess of mass: the set of non-nested clusters of greatest total stability
  leaf  ///< the leaves of the condensed tree: many small, homogeneous clusters
};

/// How HDBSCAN builds the minimum spanning tree of mutual reachability.
enum class mst_algorithm {
  automatic,  ///< Borůvka where it applies (l2 or sqeuclidean, at most 16 dimensions, from 4,096 rows), else Prim
  prim,       ///< Prim's algorithm over all pairs: O(n^2) distances, any metric and dimension
  boruvka     ///< Borůvka's algorithm on a k-d tree: l2 or sqeuclidean, at most 16 dimensions
};

/// Parses "auto", "prim" or "boruvka". @throws segkit::invalid_argument otherwise.
inline mst_algorithm parse_mst_algorithm(std::string_view s) {
  if (s == "auto") return mst_algorithm::automatic;
  if (s == "prim") return mst_algorithm::prim;
  if (s == "boruvka") return mst_algorithm::boruvka;
  segkit::detail::throw_invalid("segkit::cluster::hdbscan", fmt::format("unknown spanning-tree algorithm '{}' (choose auto, prim or boruvka)", s));
}

/**
 * @brief What becomes of the points on a side of a split that weighs less than min_cluster_size.
 *
 * The two published HDBSCAN implementations read the single-linkage tree differently here; the
 * choice changes outlier scores and stabilities, and so sometimes which clusters are selected.
 */
enum class fragment_rule {
  drop,  ///< the side leaves the cluster whole, at the split's density (Campello et al. 2013; the hdbscan library)
  shed   ///< its points stay in the cluster and leave one by one, each at the density of the last merge that
         ///< joined it to the tree (its leaf merge), at the latest when the cluster itself splits (R dbscan::hdbscan)
};

/// Parses "drop" or "shed". @throws segkit::invalid_argument otherwise.
inline fragment_rule parse_fragment_rule(std::string_view s) {
  if (s == "drop") return fragment_rule::drop;
  if (s == "shed") return fragment_rule::shed;
  segkit::detail::throw_invalid("segkit::cluster::hdbscan", fmt::format("unknown fragment rule '{}' (choose drop or shed)", s));
}

/// Parses "eom" or "leaf". @throws segkit::invalid_argument otherwise.
inline cluster_selection parse_cluster_selection(std::string_view s) {
  if (s == "eom") return cluster_selection::eom;
  if (s == "leaf") return cluster_selection::leaf;
  segkit::detail::throw_invalid("segkit::cluster::hdbscan", fmt::format("unknown cluster selection '{}' (choose eom or leaf)", s));
}

/// Parameters of segkit::cluster::hdbscan. Every field has a default.
struct hdbscan_params {
  std::size_t min_cluster_size = 5;        ///< smallest (weighted) size of a cluster (>= 2)
  std::size_t min_samples = 0;             ///< neighbors (self included) defining the core distance; 0 = min_cluster_size
  double cluster_selection_epsilon = 0.0;  ///< clusters split below this distance are merged back (0 = off)
  std::size_t max_cluster_size = 0;        ///< eom: clusters larger than this are not selected (0 = no limit)
  cluster_selection selection = cluster_selection::eom;  ///< eom (default) or leaf
  bool allow_single_cluster = false;       ///< allow the root, i.e. one cluster of everything, to be selected
  std::size_t threads = 0;                 ///< 0 = all hardware threads; results do not depend on it
  /// How the spanning tree is built. Both give the same minimum weight; Borůvka's tree is ordered as
  /// Prim adds edges, which gave identical results on every test and benchmark set (with many
  /// equal-weight edges, a different spanning tree could in principle still differ in the condensed tree).
  mst_algorithm mst = mst_algorithm::automatic;
  /// How points of a side too small to be a cluster leave it: drop (default, the hdbscan library's
  /// rule) or shed (R dbscan::hdbscan's rule, for results equal to R's).
  fragment_rule fragments = fragment_rule::drop;
};

/**
 * @brief The condensed cluster tree (Campello, Moulavi & Sander 2013), in the row format of the
 * hdbscan Python library: each row says that `child` (a point 0..n-1, or a cluster n, n+1, ...;
 * the root is n) leaves `parent` at density `lambda` = 1 / distance, carrying `child_size`
 * (weighted) points. Clusters are numbered in breadth-first order from the root.
 */
struct condensed_tree {
  std::vector<std::size_t> parent;
  std::vector<std::size_t> child;
  std::vector<double> lambda;
  std::vector<double> child_size;
  std::size_t n_points = 0;
  std::size_t n_clusters = 0;  ///< clusters in the tree, the root included

  [[nodiscard]] std::size_t size() const noexcept { return parent.size(); }
};

namespace detail {

// The clusters of a condensed tree, indexed 0 (the root) .. n_clusters - 1 (condensed id - n).
struct cluster_table {
  std::vector<double> birth, death, size, stability;  // death: highest lambda among the cluster's own rows
  std::vector<std::size_t> parent;                     // the root is its own parent
  std::vector<std::vector<std::size_t>> children;

  explicit cluster_table(const condensed_tree& ct)
      : birth(ct.n_clusters, 0.0), death(ct.n_clusters, 0.0), size(ct.n_clusters, 0.0), stability(ct.n_clusters, 0.0),
        parent(ct.n_clusters, 0), children(ct.n_clusters) {
    const std::size_t n = ct.n_points;
    for (std::size_t r = 0; r < ct.size(); ++r) {
      const std::size_t p = ct.parent[r] - n;
      if (ct.child[r] >= n) {
        const std::size_t c = ct.child[r] - n;
        birth[c] = ct.lambda[r];
        size[c] = ct.child_size[r];
        parent[c] = p;
        children[p].push_back(c);
      }
      if (p == 0) size[0] += ct.child_size[r];
      death[p] = std::max(death[p], ct.lambda[r]);
    }
    for (std::size_t r = 0; r < ct.size(); ++r) {
      const std::size_t p = ct.parent[r] - n;
      if (std::isfinite(birth[p])) stability[p] += (ct.lambda[r] - birth[p]) * ct.child_size[r];
    }
  }

  // Calls f(c) for every cluster strictly below c.
  template <class F>
  void for_each_below(std::size_t c, F&& f) const {
    std::vector<std::size_t> stack(children[c]);
    while (!stack.empty()) {
      const std::size_t v = stack.back();
      stack.pop_back();
      f(v);
      stack.insert(stack.end(), children[v].begin(), children[v].end());
    }
  }
};

// GLOSH, 1 - lambda / lambda_max: 0 when lambda_max is 0 or both are infinite (duplicate rows),
// 1 for a finite lambda under an infinite lambda_max.
inline double glosh(double lambda_max, double lambda) noexcept {
  if (lambda_max == 0.0 || std::isinf(lambda)) return 0.0;
  if (std::isinf(lambda_max)) return 1.0;
  return (lambda_max - lambda) / lambda_max;
}

}  // namespace detail

/// What hdbscan::fit returns.
struct hdbscan_result {
  xt::xtensor<label_type, 1> labels;        ///< cluster of each row, 0..n_clusters-1, or -1 for noise
  std::size_t n_clusters = 0;               ///< selected clusters
  double noise_fraction = 0.0;              ///< share of rows labeled -1
  std::vector<double> probabilities;        ///< strength of each row's membership in its cluster, in [0, 1]; 0 for noise
  std::vector<double> outlier_scores;       ///< GLOSH score of each row, in [0, 1]: 1 - lambda(row) / lambda_max(its cluster)
  std::vector<double> core_distances;       ///< distance to the min_samples-th nearest row (self included)
  std::vector<double> cluster_persistence;  ///< per selected cluster: stability / (size x max lambda), as the hdbscan library reports
  std::vector<std::size_t> selected;        ///< condensed-tree id of each selected cluster, by label
  condensed_tree tree;                      ///< the condensed tree (for reports)
  dendrogram single_linkage_tree;           ///< single linkage of mutual reachability, scipy format
};

/**
 * @brief HDBSCAN* (Campello, Moulavi & Sander 2013; Campello et al., TKDD 2015) as in the hdbscan
 * library (McInnes, Healy & Astels 2017).
 *
 * Core distances are the min_samples-th nearest-neighbor distances (self included; with weights,
 * the distance at which the cumulative weight of the nearest rows reaches min_samples). The
 * minimum spanning tree of the mutual reachability distance max(core(a), core(b), d(a, b)) is
 * built without a distance matrix, by Borůvka's algorithm on a k-d tree for Euclidean data up to
 * 16 dimensions (from 4,096 rows; O(log n) rounds of pruned nearest-neighbor searches, the
 * tree then ordered as Prim's algorithm adds its edges, since the order of equal-weight merges
 * shapes the condensed tree) and by
 * Prim's algorithm otherwise (O(n^2) distance evaluations, skipped when the core distances
 * already rule an edge out; O(n) memory); see hdbscan_params::mst. The tree is then turned into the
 * single-linkage tree and condensed: a split is a true split when both sides weigh at least
 * min_cluster_size; otherwise the smaller side's points fall out of the cluster at that density
 * (or one by one, as R's dbscan::hdbscan lets them: hdbscan_params::fragments = fragment_rule::shed).
 * Clusters are chosen by excess of mass or as leaves, optionally merged below
 * cluster_selection_epsilon. Labels, probabilities and GLOSH scores follow the hdbscan library's
 * definitions (R's labels and GLOSH scores with fragment_rule::shed); clusters are numbered in the
 * order of their condensed-tree ids.
 *
 * @tparam Metric  a distance (l2 default, sqeuclidean, cosine, manhattan); inner product is refused.
 * @par Complexity  Borůvka: about O(n log^2 n) for the tree on well-spread low-dimensional data;
 * Prim: O(n^2 d); O(n log n) or O(n^2 d / threads) for core distances.
 * @par Thread safety  fit() is const.
 */
template <class Metric = distance::l2_metric, class T = float>
class hdbscan {
 public:
  using value_type = T;
  using metric_type = Metric;

  /// @throws segkit::invalid_argument for min_cluster_size < 2 or a negative/NaN epsilon.
  explicit hdbscan(hdbscan_params params = {}) : p_(params) {
    using segkit::detail::throw_invalid;
    if (p_.min_cluster_size < 2) throw_invalid(component, fmt::format("min_cluster_size must be at least 2, got {}", p_.min_cluster_size));
    if (!(p_.cluster_selection_epsilon >= 0.0) || !std::isfinite(p_.cluster_selection_epsilon)) {
      throw_invalid(component, fmt::format("cluster_selection_epsilon must be finite and >= 0, got {}", p_.cluster_selection_epsilon));
    }
    if (p_.min_samples == 0) p_.min_samples = p_.min_cluster_size;
    distance::require_distance<Metric>(component);
    if (p_.mst == mst_algorithm::boruvka && !euclidean) {
      throw_invalid(component, fmt::format("mst = boruvka needs the l2 or sqeuclidean metric, got '{}' (use prim)", Metric::name));
    }
  }

  [[nodiscard]] const hdbscan_params& params() const noexcept { return p_; }

  /**
   * @brief Clusters the rows of x (n x d), optionally weighted.
   * @throws segkit::invalid_argument if x is empty, has no columns or holds NaN/Inf, if
   * min_samples exceeds the rows (unweighted), or the weights are of the wrong length, negative,
   * not finite or all zero.
   */
  template <class E>
  [[nodiscard]] hdbscan_result fit(const E& x, std::span<const double> weights = {}) const {
    const auto rows = as_rows<T>(x);
    return fit_view(rows.view(), weights);
  }

 private:
  static constexpr const char* component = "segkit::cluster::hdbscan";
  static constexpr std::size_t grain = 256;
  static constexpr double inf = std::numeric_limits<double>::infinity();

  hdbscan_result fit_view(const matrix_view<T>& x, std::span<const double> weights_in) const {
    using segkit::detail::throw_invalid;
    const std::size_t n = x.rows();
    check_samples(component, x);
    const std::vector<double> w = sample_weights(component, weights_in, n, true);
    if (weights_in.empty() && p_.min_samples > n) {
      throw_invalid(component, fmt::format("min_samples ({}) exceeds the number of samples ({})", p_.min_samples, n));
    }
    executor ex(p_.threads);
    hdbscan_result out;
    out.core_distances = core_distances(x, w, weights_in.empty(), ex);
    out.single_linkage_tree = single_linkage(mutual_reachability_mst(x, out.core_distances, ex), n);
    out.tree = condense(out.single_linkage_tree, w);
    select_and_label(out);
    return out;
  }

  // Distance at which the nearest rows (self first) reach a weight of min_samples.
  std::vector<double> core_distances(const matrix_view<T>& x, const std::vector<double>& w, bool unweighted, executor& ex) const {
    const std::size_t n = x.rows();
    const neighbors::exact_neighbors<Metric, T> nb(x);
    std::vector<double> core(n, 0.0);
    const double need = static_cast<double>(p_.min_samples);
    if (unweighted) {
      parallel_for(ex, n, grain, [&](std::size_t b, std::size_t e, std::size_t) { nb.kth_distance(b, e, p_.min_samples, core.data() + b); });
      return core;
    }
    // The distance at which the cumulative weight of a row's nearest rows reaches min_samples;
    // false if its k nearest do not reach it (core = the k-th distance then).
    const auto reach = [&](std::size_t i, const std::vector<std::pair<double, std::size_t>>& list) {
      double acc = 0.0;
      for (const auto& [d, j] : list) {
        acc += w[j];
        if (acc >= need) {
          core[i] = d;
          return true;
        }
      }
      core[i] = list.back().first;
      return false;
    };
    parallel_for(ex, n, grain, [&](std::size_t b, std::size_t e, std::size_t) {
      std::vector<std::size_t> short_rows;  // rows whose first k neighbors weigh too little
      const std::size_t k0 = std::min(n, p_.min_samples);
      nb.nearest(b, e, k0, [&](std::size_t i, const auto& list) {
        if (!reach(i, list) && k0 < n) short_rows.push_back(i);
      });
      for (const std::size_t i : short_rows) {
        for (std::size_t k = std::min(n, 2 * k0);; k = std::min(n, 2 * k)) {
          bool found = false;
          nb.nearest(i, i + 1, k, [&](std::size_t, const auto& list) { found = reach(i, list); });
          if (found || k == n) break;
        }
      }
    });
    return core;
  }

  static constexpr bool euclidean = distance::gemm_form_of<Metric>() == distance::gemm_form::squared_l2;
  static constexpr std::size_t boruvka_min_rows = 4096;

  std::vector<mst_edge> mutual_reachability_mst(const matrix_view<T>& x, const std::vector<double>& core, executor& ex) const {
    const bool low = x.cols() <= neighbors::kd_tree_max_dim;
    if (p_.mst == mst_algorithm::boruvka && !low) {
      segkit::detail::throw_invalid(component, fmt::format("mst = boruvka needs at most {} dimensions, got {} (use prim)", neighbors::kd_tree_max_dim, x.cols()));
    }
    if (p_.mst == mst_algorithm::boruvka || (p_.mst == mst_algorithm::automatic && euclidean && low && x.rows() >= boruvka_min_rows)) {
      return detail::boruvka_mutual_reachability(x, core, Metric::squared, ex);
    }
    const neighbors::pair_distances<Metric, T> dist(x);
    return prim_mst(
        x.rows(), [&](std::size_t a, std::size_t b) { return std::max({core[a], core[b], dist(a, b)}); },
        [&](std::size_t a, std::size_t b, double best) { return std::max(core[a], core[b]) >= best; }, ex);
  }

  // The condensed tree of a single-linkage dendrogram (weighted sizes).
  condensed_tree condense(const dendrogram& sl, const std::vector<double>& w) const {
    const std::size_t n = sl.n_leaves;
    const double mcs = static_cast<double>(p_.min_cluster_size);
    condensed_tree ct;
    ct.n_points = n;
    ct.n_clusters = 1;
    if (n == 1) return ct;
    const std::size_t nodes = 2 * n - 1;
    std::vector<double> size(nodes, 0.0);
    for (std::size_t i = 0; i < n; ++i) size[i] = w[i];
    const auto left = [&](std::size_t node) { return static_cast<std::size_t>(sl.linkage(node - n, 0)); };
    const auto right = [&](std::size_t node) { return static_cast<std::size_t>(sl.linkage(node - n, 1)); };
    for (std::size_t i = n; i < nodes; ++i) size[i] = size[left(i)] + size[right(i)];
    std::vector<std::size_t> relabel(nodes, 0);
    const std::size_t root = nodes - 1;
    relabel[root] = n;
    std::size_t next = n + 1;
    std::vector<std::size_t> queue{root}, sub;
    const auto emit = [&](std::size_t parent, std::size_t child, double lambda, double csize) {
      ct.parent.push_back(parent);
      ct.child.push_back(child);
      ct.lambda.push_back(lambda);
      ct.child_size.push_back(csize);
    };
    const auto to_lambda = [](double dist) { return dist > 0.0 ? 1.0 / dist : inf; };
    // shed: a point leaves at the density of its leaf merge (the lowest merge holding it).
    std::vector<double> leaf_lambda;
    if (p_.fragments == fragment_rule::shed) {
      leaf_lambda.resize(n);
      for (std::size_t i = n; i < nodes; ++i) {
        for (const std::size_t c : {left(i), right(i)}) {
          if (c < n) leaf_lambda[c] = to_lambda(sl.linkage(i - n, 2));
        }
      }
    }
    // The points under `node` fall out of `parent`: at `lambda` (drop) or at their leaf merges (shed).
    const auto small_side = [&](std::size_t node, std::size_t parent, double lambda) {
      sub.assign(1, node);
      for (std::size_t q = 0; q < sub.size(); ++q) {
        const std::size_t v = sub[q];
        if (v < n) {
          emit(parent, v, leaf_lambda.empty() ? lambda : leaf_lambda[v], w[v]);
        } else {
          sub.push_back(left(v));
          sub.push_back(right(v));
        }
      }
    };
    std::vector<double> split_lambda(nodes, inf);  // by condensed id - n (heavy rows can be clusters): where it splits
    for (std::size_t q = 0; q < queue.size(); ++q) {      // breadth-first from the root
      const std::size_t node = queue[q];
      if (node < n) continue;
      const std::size_t l = left(node), r = right(node), parent = relabel[node];
      const double lambda = to_lambda(sl.linkage(node - n, 2));
      const bool big_l = size[l] >= mcs, big_r = size[r] >= mcs;
      if (big_l && big_r) {
        relabel[l] = next++;
        relabel[r] = next++;
        emit(parent, relabel[l], lambda, size[l]);
        emit(parent, relabel[r], lambda, size[r]);
        split_lambda[parent - n] = lambda;
        queue.push_back(l);
        queue.push_back(r);
      } else if (!big_l && !big_r) {
        small_side(l, parent, lambda);
        small_side(r, parent, lambda);
      } else {
        const std::size_t big = big_l ? l : r, small = big_l ? r : l;
        small_side(small, parent, lambda);
        relabel[big] = parent;
        queue.push_back(big);
      }
    }
    ct.n_clusters = next - n;
    if (!leaf_lambda.empty()) {  // shed: no point outlasts the split of its cluster
      for (std::size_t r = 0; r < ct.size(); ++r) {
        if (ct.child[r] < n) ct.lambda[r] = std::min(ct.lambda[r], split_lambda[ct.parent[r] - n]);
      }
    }
    return ct;
  }

  // Which clusters are selected (cluster indices; the root only with allow_single_cluster).
  std::vector<char> select(const detail::cluster_table& t) const {
    const std::size_t nc = t.birth.size();
    std::vector<char> selected(nc, 0);
    std::vector<std::size_t> leaves;
    for (std::size_t c = 1; c < nc; ++c) {
      if (t.children[c].empty()) leaves.push_back(c);
    }
    if (p_.selection == cluster_selection::leaf) {
      if (leaves.empty()) {
        selected[0] = p_.allow_single_cluster ? 1 : 0;
      } else if (p_.cluster_selection_epsilon > 0.0) {
        selected = epsilon_merge(t, leaves);
      } else {
        for (const std::size_t c : leaves) selected[c] = 1;
      }
      return selected;
    }
    // Excess of mass: children follow their parents in the numbering, so go backwards.
    const double max_size = p_.max_cluster_size == 0 ? inf : static_cast<double>(p_.max_cluster_size);
    std::vector<double> score = t.stability;
    if (p_.fragments == fragment_rule::shed) {
      // R's rule: a leaf of infinite density (rows with at least min_samples exact duplicates) has
      // an undefined stability there (0 x inf), so it never wins against its parent.
      for (const std::size_t c : leaves) {
        if (std::isinf(t.death[c])) score[c] = std::numeric_limits<double>::quiet_NaN();
      }
    }
    for (std::size_t c = nc; c-- > (p_.allow_single_cluster ? 0 : 1);) {
      double sub = 0.0;
      for (const std::size_t ch : t.children[c]) sub += score[ch];
      if (sub > score[c] || t.size[c] > max_size) {
        score[c] = sub;
      } else {
        selected[c] = 1;
        t.for_each_below(c, [&](std::size_t v) { selected[v] = 0; });
      }
    }
    if (p_.cluster_selection_epsilon > 0.0 && nc > 1 && !selected[0]) {
      std::vector<std::size_t> chosen;
      for (std::size_t c = 1; c < nc; ++c) {
        if (selected[c]) chosen.push_back(c);
      }
      selected = epsilon_merge(t, chosen);
    }
    return selected;
  }

  // cluster_selection_epsilon: a chosen cluster born below epsilon (lambda above 1 / epsilon) is
  // replaced by its nearest ancestor born at or above epsilon (not the root unless allowed).
  std::vector<char> epsilon_merge(const detail::cluster_table& t, const std::vector<std::size_t>& chosen) const {
    const double eps = p_.cluster_selection_epsilon;
    const auto born_eps = [&](std::size_t c) { return t.birth[c] > 0.0 ? 1.0 / t.birth[c] : inf; };
    std::vector<char> result(t.birth.size(), 0), processed(t.birth.size(), 0);
    for (const std::size_t c : chosen) {
      if (born_eps(c) >= eps) {
        result[c] = 1;
        continue;
      }
      if (processed[c]) continue;
      std::size_t v = c;  // walk up while the parent was born below epsilon
      for (;;) {
        const std::size_t parent = t.parent[v];
        if (parent == 0) {
          if (p_.allow_single_cluster) v = 0;
          break;
        }
        v = parent;
        if (born_eps(parent) > eps) break;
      }
      result[v] = 1;
      processed[v] = 1;
      t.for_each_below(v, [&](std::size_t u) { processed[u] = 1; });
    }
    return result;
  }

  void select_and_label(hdbscan_result& out) const {
    const condensed_tree& ct = out.tree;
    const std::size_t n = ct.n_points, nc = ct.n_clusters;
    const detail::cluster_table t(ct);
    const std::vector<char> selected = select(t);

    // Labels: the nearest selected ancestor of the cluster each point falls out of.
    std::vector<label_type> owner(nc, -1);  // label of the nearest selected ancestor-or-self
    for (std::size_t c = 0; c < nc; ++c) {
      if (selected[c]) {
        owner[c] = static_cast<label_type>(out.selected.size());
        out.selected.push_back(n + c);
      } else if (c > 0) {
        owner[c] = owner[t.parent[c]];
      }
    }
    out.n_clusters = out.selected.size();
    out.labels = xt::xtensor<label_type, 1>::from_shape({n});
    std::fill(out.labels.begin(), out.labels.end(), label_type{-1});
    out.probabilities.assign(n, 0.0);
    out.outlier_scores.assign(n, 0.0);
    // The root as the single cluster keeps only its densest points (hdbscan library's rule).
    const double root_keep = p_.cluster_selection_epsilon > 0.0 ? 1.0 / p_.cluster_selection_epsilon : t.death[0];
    std::vector<double> subtree_death = t.death;  // highest lambda anywhere below a cluster
    for (std::size_t c = nc; c-- > 1;) subtree_death[t.parent[c]] = std::max(subtree_death[t.parent[c]], subtree_death[c]);
    for (std::size_t r = 0; r < ct.size(); ++r) {
      const std::size_t p = ct.child[r];
      if (p >= n) continue;
      const std::size_t c = ct.parent[r] - n;
      const double lambda = ct.lambda[r];
      const label_type l = (c == 0 && selected[0] && lambda < root_keep) ? -1 : owner[c];
      out.labels(p) = l;
      const double dmax = subtree_death[c];
      out.outlier_scores[p] = detail::glosh(dmax, lambda);
      if (l >= 0) {
        const double m = t.death[out.selected[static_cast<std::size_t>(l)] - n];
        out.probabilities[p] = (m == 0.0 || !std::isfinite(lambda)) ? 1.0 : std::min(lambda, m) / m;
      }
    }
    std::size_t noise = 0;
    std::vector<double> members(out.n_clusters, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      if (out.labels(i) < 0) {
        ++noise;
      } else {
        members[static_cast<std::size_t>(out.labels(i))] += 1.0;
      }
    }
    out.noise_fraction = static_cast<double>(noise) / static_cast<double>(n);
    double max_lambda = 0.0;
    for (const double l : ct.lambda) max_lambda = std::max(max_lambda, l);
    for (std::size_t k = 0; k < out.n_clusters; ++k) {
      const double s = t.stability[out.selected[k] - n];
      out.cluster_persistence.push_back((!std::isfinite(max_lambda) || max_lambda == 0.0 || members[k] == 0.0) ? 1.0
                                                                                                     : s / (members[k] * max_lambda));
    }
  }

  hdbscan_params p_;
};

static_assert(segkit::clusterer<hdbscan<>>);

}  // namespace segkit::cluster
