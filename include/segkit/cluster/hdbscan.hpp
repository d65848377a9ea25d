#pragma once
/// @file
/// @brief HDBSCAN*: hierarchical density-based clustering with excess-of-mass or leaf selection,
/// membership probabilities and GLOSH outlier scores; the fitted model (segkit/cluster/hdbscan_model.hpp)
/// predicts new points (segkit/cluster/hdbscan_predict.hpp).

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
#include "segkit/cluster/hdbscan_model.hpp"
#include "segkit/cluster/hdbscan_predict.hpp"
#include "segkit/cluster/hierarchy.hpp"
#include "segkit/core/compiled.hpp"
#include "segkit/core/cpu.hpp"
#include "segkit/core/params.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distance/metrics.hpp"

namespace segkit::cluster {

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

  /// The model fit() returns.
  using model_type = hdbscan_model<Metric, T>;

  /// @throws segkit::invalid_argument naming the first parameter outside its table's range, for a
  /// similarity metric, or mst = boruvka with a metric it cannot serve.
  explicit hdbscan(hdbscan_params params = {}) : p_(params) {
    using segkit::detail::throw_invalid;
    segkit::params::validate(p_, component);
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
  [[nodiscard]] model_type fit(const E& x, std::span<const double> weights = {}) const {
    const auto rows = as_rows<T>(x);
    model_type m = fit_view(rows.view(), weights);
    m.min_samples = p_.min_samples;
    if (p_.prediction_data) {
      const matrix_view<T> v = rows.view();
      m.training_rows = matrix<T>::from_shape({v.rows(), v.cols()});
      for (std::size_t i = 0; i < v.rows(); ++i) std::copy_n(v.row(i), v.cols(), &m.training_rows(i, 0));
      m.weights.assign(weights.begin(), weights.end());
    }
    return m;
  }

 private:
  static constexpr const char* component = "segkit::cluster::hdbscan";
  static constexpr std::size_t grain = 256;
  static constexpr double inf = std::numeric_limits<double>::infinity();

  model_type fit_view(const matrix_view<T>& x, std::span<const double> weights_in) const;

  // Distance at which the nearest rows (self first) reach a weight of min_samples.
  std::vector<double> core_distances(const matrix_view<T>& x, const std::vector<double>& w, bool unweighted, executor& ex) const {
    const std::size_t n = x.rows();
    const neighbors::exact_neighbors<Metric, T> nb(x);
    std::vector<double> core(n, 0.0);
    const double need = static_cast<double>(p_.min_samples);
    if (unweighted) {
      // An AVX2 copy of the searches when the CPU has it (core/cpu.hpp).
      parallel_for(ex, n, grain, [&](std::size_t b, std::size_t e, std::size_t) {
        cpu::dispatch_avx2([&] { nb.kth_distance(b, e, p_.min_samples, core.data() + b); });
      });
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

  void select_and_label(model_type& out) const {
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
    const std::size_t k = out.selected.size();
    label_vector labels = label_vector::from_shape({n});
    std::fill(labels.begin(), labels.end(), noise_label);
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
      labels(p) = l;
      const double dmax = subtree_death[c];
      out.outlier_scores[p] = detail::glosh(dmax, lambda);
      if (l >= 0) {
        const double m = t.death[out.selected[static_cast<std::size_t>(l)] - n];
        out.probabilities[p] = (m == 0.0 || !std::isfinite(lambda)) ? 1.0 : std::min(lambda, m) / m;
      }
    }
    std::vector<double> members(k, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      if (labels(i) >= 0) members[static_cast<std::size_t>(labels(i))] += 1.0;
    }
    out.set_labels(std::move(labels), k);
    double max_lambda = 0.0;
    for (const double l : ct.lambda) max_lambda = std::max(max_lambda, l);
    for (std::size_t c = 0; c < k; ++c) {
      const double s = t.stability[out.selected[c] - n];
      out.cluster_persistence.push_back((!std::isfinite(max_lambda) || max_lambda == 0.0 || members[c] == 0.0) ? 1.0
                                                                                                     : s / (members[c] * max_lambda));
    }
  }

  hdbscan_params p_;
};

template <class Metric, class T>
auto hdbscan<Metric, T>::fit_view(const matrix_view<T>& x, std::span<const double> weights_in) const -> model_type {
  using segkit::detail::throw_invalid;
  const std::size_t n = x.rows();
  check_samples(component, x);
  const std::vector<double> w = sample_weights(component, weights_in, n, true);
  if (weights_in.empty() && p_.min_samples > n) {
    throw_invalid(component, fmt::format("min_samples ({}) exceeds the number of samples ({})", p_.min_samples, n));
  }
  executor ex(p_.threads);
  model_type out;
  out.core_distances = core_distances(x, w, weights_in.empty(), ex);
  out.single_linkage_tree = single_linkage(mutual_reachability_mst(x, out.core_distances, ex), n);
  out.tree = condense(out.single_linkage_tree, w);
  select_and_label(out);
  return out;
}

static_assert(segkit::inductive_clusterer<hdbscan<>>);

}  // namespace segkit::cluster

/// The instantiations compiled once into segkit::segkit_compiled (segkit/core/compiled.hpp).
#define SEGKIT_INSTANCES_CLUSTER_HDBSCAN(X) SEGKIT_METRIC_INSTANCES(X, class segkit::cluster::hdbscan)
SEGKIT_INSTANCES_CLUSTER_HDBSCAN(SEGKIT_EXTERN_TEMPLATE)
