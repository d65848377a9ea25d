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

#include "segkit/cluster/detail/input.hpp"
#include "segkit/cluster/detail/neighborhoods.hpp"
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

/// Parses "eom" or "leaf". @throws segkit::invalid_argument otherwise.
inline cluster_selection parse_cluster_selection(std::string_view s) {
  if (s == "eom") return cluster_selection::eom;
  if (s == "leaf") return cluster_selection::leaf;
  segkit::detail::throw_invalid("segkit::cluster::hdbscan", fmt::format("unknown cluster selection '{}' (choose eom or leaf)", s));
}

/// Parameters of segkit::cluster::hdbscan. Every field has a default.
struct hdbscan_params {
  std::size_t min_cluster_size = 5;        ///< smallest (weighted) size of a cluster (>= 2)
  std::size_t min_samples = 0;             ///< neighbours (self included) defining the core distance; 0 = min_cluster_size
  double cluster_selection_epsilon = 0.0;  ///< clusters split below this distance are merged back (0 = off)
  std::size_t max_cluster_size = 0;        ///< eom: clusters larger than this are not selected (0 = no limit)
  cluster_selection selection = cluster_selection::eom;  ///< eom (default) or leaf
  bool allow_single_cluster = false;       ///< allow the root, i.e. one cluster of everything, to be selected
  std::size_t threads = 0;                 ///< 0 = all hardware threads; results do not depend on it
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

/// What hdbscan::fit returns.
struct hdbscan_result {
  xt::xtensor<label_type, 1> labels;        ///< cluster of each row, 0..n_clusters-1, or -1 for noise
  std::size_t n_clusters = 0;               ///< selected clusters
  double noise_fraction = 0.0;              ///< share of rows labelled -1
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
 * Core distances are the min_samples-th nearest-neighbour distances (self included; with weights,
 * the distance at which the cumulative weight of the nearest rows reaches min_samples). The
 * minimum spanning tree of the mutual reachability distance max(core(a), core(b), d(a, b)) is
 * built by Prim's algorithm without a distance matrix (O(n^2) distance evaluations, skipped
 * when the core distances already rule an edge out; O(n) memory), then turned into the
 * single-linkage tree and condensed: a split is a true split when both sides weigh at least
 * min_cluster_size; otherwise the smaller side's points fall out of the cluster at that density.
 * Clusters are chosen by excess of mass or as leaves, optionally merged below
 * cluster_selection_epsilon. Labels, probabilities and GLOSH scores follow the hdbscan library's
 * definitions; clusters are numbered in the order of their condensed-tree ids.
 *
 * @tparam Metric  a distance (l2 default, sqeuclidean, cosine, manhattan); inner product is refused.
 * @par Complexity  O(n^2 d) time for the tree, O(n log n) or O(n^2 d / threads) for core distances.
 * @par Thread safety  fit() is const.
 */
template <class Metric = distance::l2_metric, class T = float>
class hdbscan {
 public:
  using value_type = T;

  /// @throws segkit::invalid_argument for min_cluster_size < 2 or a negative/NaN epsilon.
  explicit hdbscan(hdbscan_params params = {}) : p_(params) {
    using segkit::detail::throw_invalid;
    if (p_.min_cluster_size < 2) throw_invalid(component, fmt::format("min_cluster_size must be at least 2, got {}", p_.min_cluster_size));
    if (!(p_.cluster_selection_epsilon >= 0.0) || !std::isfinite(p_.cluster_selection_epsilon)) {
      throw_invalid(component, fmt::format("cluster_selection_epsilon must be finite and >= 0, got {}", p_.cluster_selection_epsilon));
    }
    if (p_.min_samples == 0) p_.min_samples = p_.min_cluster_size;
    detail::require_distance_metric<Metric>(component);
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
    detail::check_samples(component, x);
    const std::vector<double> w = detail::sample_weights(component, weights_in, n, true);
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
    const detail::neighborhoods<Metric, T> nb(x);
    std::vector<double> core(n, 0.0);
    const double need = static_cast<double>(p_.min_samples);
    if (unweighted) {
      parallel_for(ex, n, grain, [&](std::size_t b, std::size_t e, std::size_t) { nb.kth_distance(b, e, p_.min_samples, core.data() + b); });
      return core;
    }
    parallel_for(ex, n, grain, [&](std::size_t b, std::size_t e, std::size_t) {
      for (std::size_t i = b; i < e; ++i) {
        for (std::size_t k = std::min(n, p_.min_samples);; k = std::min(n, 2 * k)) {
          bool found = false;
          nb.nearest(i, i + 1, k, [&](std::size_t, const std::vector<std::pair<double, std::size_t>>& list) {
            double acc = 0.0;
            for (const auto& [d, j] : list) {
              acc += w[j];
              if (acc >= need) {
                core[i] = d;
                found = true;
                return;
              }
            }
            core[i] = list.back().first;
          });
          if (found || k == n) break;
        }
      }
    });
    return core;
  }

  std::vector<mst_edge> mutual_reachability_mst(const matrix_view<T>& x, const std::vector<double>& core, executor& ex) const {
    const std::size_t n = x.rows(), d = x.cols();
    const auto skip = [&](std::size_t a, std::size_t b, double best) { return std::max(core[a], core[b]) >= best; };
    if (d <= detail::kd_tree_max_dim) {  // low dimensions: exact double arithmetic
      return prim_mst(
          n, [&](std::size_t a, std::size_t b) { return std::max({core[a], core[b], detail::exact_distance<Metric>(x.row(a), x.row(b), d)}); },
          skip, ex);
    }
    // Many dimensions: the metric's SIMD kernel on a double-precision copy (exact enough that
    // ties and near-ties resolve as they do in double-precision references).
    matrix<double> xd = matrix<double>::from_shape({n, d});
    for (std::size_t i = 0; i < n; ++i) std::copy_n(x.row(i), d, &xd(i, 0));
    const Metric m{};
    return prim_mst(
        n, [&](std::size_t a, std::size_t b) { return std::max({core[a], core[b], m(&xd(a, 0), &xd(b, 0), d)}); }, skip, ex);
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
    // All points under `node` fall out of `parent` at `lambda`.
    const auto fall_out = [&](std::size_t node, std::size_t parent, double lambda) {
      sub.assign(1, node);
      for (std::size_t q = 0; q < sub.size(); ++q) {
        const std::size_t v = sub[q];
        if (v < n) {
          emit(parent, v, lambda, w[v]);
        } else {
          sub.push_back(left(v));
          sub.push_back(right(v));
        }
      }
    };
    for (std::size_t q = 0; q < queue.size(); ++q) {  // breadth-first from the root
      const std::size_t node = queue[q];
      if (node < n) continue;
      const std::size_t l = left(node), r = right(node), parent = relabel[node];
      const double dist = sl.linkage(node - n, 2);
      const double lambda = dist > 0.0 ? 1.0 / dist : inf;
      const bool big_l = size[l] >= mcs, big_r = size[r] >= mcs;
      if (big_l && big_r) {
        relabel[l] = next++;
        relabel[r] = next++;
        emit(parent, relabel[l], lambda, size[l]);
        emit(parent, relabel[r], lambda, size[r]);
        queue.push_back(l);
        queue.push_back(r);
      } else if (!big_l && !big_r) {
        fall_out(l, parent, lambda);
        fall_out(r, parent, lambda);
      } else {
        const std::size_t big = big_l ? l : r, small = big_l ? r : l;
        fall_out(small, parent, lambda);
        relabel[big] = parent;
        queue.push_back(big);
      }
    }
    ct.n_clusters = next - n;
    return ct;
  }

  void select_and_label(hdbscan_result& out) const {
    const condensed_tree& ct = out.tree;
    const std::size_t n = ct.n_points, nc = ct.n_clusters, root = n;
    const auto cid = [&](std::size_t c) { return c - n; };
    // Births, parents, sizes and stabilities of the clusters.
    std::vector<double> birth(nc, 0.0), stability(nc, 0.0), csize(nc, 0.0), death(nc, 0.0);
    std::vector<std::size_t> cparent(nc, root);
    std::vector<std::vector<std::size_t>> children(nc);
    for (std::size_t r = 0; r < ct.size(); ++r) {
      if (ct.child[r] >= n) {
        birth[cid(ct.child[r])] = ct.lambda[r];
        csize[cid(ct.child[r])] = ct.child_size[r];
        cparent[cid(ct.child[r])] = ct.parent[r];
        children[cid(ct.parent[r])].push_back(ct.child[r]);
      }
      death[cid(ct.parent[r])] = std::max(death[cid(ct.parent[r])], ct.lambda[r]);
    }
    for (std::size_t r = 0; r < ct.size(); ++r) {
      const double b = birth[cid(ct.parent[r])];
      if (std::isfinite(b)) stability[cid(ct.parent[r])] += (ct.lambda[r] - b) * ct.child_size[r];
    }
    csize[0] = 0.0;
    for (std::size_t r = 0; r < ct.size(); ++r) {
      if (ct.parent[r] == root) csize[0] += ct.child_size[r];
    }

    // Selection (clusters are numbered so that children follow parents: process backwards).
    std::vector<char> selected(nc, 0);
    const auto deselect_below = [&](std::size_t c) {
      std::vector<std::size_t> stack(children[c].begin(), children[c].end());
      while (!stack.empty()) {
        const std::size_t v = cid(stack.back());
        stack.pop_back();
        selected[v] = 0;
        stack.insert(stack.end(), children[v].begin(), children[v].end());
      }
    };
    const double max_size = p_.max_cluster_size == 0 ? inf : static_cast<double>(p_.max_cluster_size);
    std::vector<std::size_t> leaves;
    for (std::size_t c = 1; c < nc; ++c) {
      if (children[c].empty()) leaves.push_back(c);
    }
    if (p_.selection == cluster_selection::eom) {
      std::vector<double> score = stability;
      const std::size_t last = p_.allow_single_cluster ? 0 : 1;
      for (std::size_t c = nc; c-- > last;) {
        double sub = 0.0;
        for (const std::size_t ch : children[c]) sub += score[cid(ch)];
        if (sub > score[c] || csize[c] > max_size) {
          score[c] = sub;
        } else {
          selected[c] = 1;
          deselect_below(c);
        }
      }
      if (p_.cluster_selection_epsilon > 0.0 && nc > 1) {
        std::vector<std::size_t> chosen;
        for (std::size_t c = 0; c < nc; ++c) {
          if (selected[c]) chosen.push_back(c);
        }
        if (chosen.size() == 1 && chosen[0] == 0) {
          if (!p_.allow_single_cluster) selected[0] = 0;
        } else {
          epsilon_merge(n, chosen, selected, birth, cparent, children);
        }
      }
    } else {
      if (leaves.empty()) {
        selected[0] = 1;
      } else if (p_.cluster_selection_epsilon > 0.0) {
        epsilon_merge(n, leaves, selected, birth, cparent, children);
      } else {
        for (const std::size_t c : leaves) selected[c] = 1;
      }
    }

    // Labels: the nearest selected ancestor of the cluster each point falls out of.
    std::vector<label_type> label_of(nc, -1);
    for (std::size_t c = 0; c < nc; ++c) {
      if (selected[c]) {
        label_of[c] = static_cast<label_type>(out.selected.size());
        out.selected.push_back(n + c);
      }
    }
    std::vector<label_type> owner(nc, -1);  // label of the nearest selected ancestor-or-self
    for (std::size_t c = 0; c < nc; ++c) {
      owner[c] = selected[c] ? label_of[c] : (c == 0 ? -1 : owner[cid(cparent[c])]);
    }
    out.n_clusters = out.selected.size();
    out.labels = xt::xtensor<label_type, 1>::from_shape({n});
    std::fill(out.labels.begin(), out.labels.end(), label_type{-1});
    out.probabilities.assign(n, 0.0);
    out.outlier_scores.assign(n, 0.0);
    double root_max = 0.0;
    for (std::size_t r = 0; r < ct.size(); ++r) {
      if (ct.parent[r] == root) root_max = std::max(root_max, ct.lambda[r]);
    }
    const double eps = p_.cluster_selection_epsilon;
    std::vector<double> subtree_death = death;  // max lambda anywhere below a cluster
    for (std::size_t c = nc; c-- > 1;) subtree_death[cid(cparent[c])] = std::max(subtree_death[cid(cparent[c])], subtree_death[c]);
    for (std::size_t r = 0; r < ct.size(); ++r) {
      const std::size_t p = ct.child[r];
      if (p >= n) continue;
      const std::size_t c = cid(ct.parent[r]);
      const double lambda = ct.lambda[r];
      label_type l = owner[c];
      if (c == 0 && selected[0]) {  // the root as the single cluster keeps only its densest points
        const bool keep = eps > 0.0 ? lambda >= 1.0 / eps : lambda >= root_max;
        l = keep && p_.allow_single_cluster ? label_of[0] : -1;
        if (!p_.allow_single_cluster) l = -1;
      }
      out.labels(p) = l;
      const double dmax = subtree_death[c];
      out.outlier_scores[p] = (dmax == 0.0 || !std::isfinite(lambda)) ? 0.0 : (dmax - lambda) / dmax;
      if (l >= 0) {
        const double m = death[cid(out.selected[static_cast<std::size_t>(l)])];
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
      const double s = stability[cid(out.selected[k])];
      out.cluster_persistence.push_back((!std::isfinite(max_lambda) || max_lambda == 0.0 || members[k] == 0.0) ? 1.0
                                                                                                     : s / (members[k] * max_lambda));
    }
  }

  // cluster_selection_epsilon: a chosen cluster born below epsilon (lambda above 1 / epsilon) is
  // replaced by its nearest ancestor born at or above epsilon (not the root unless allowed).
  // Cluster indices here are condensed ids minus n_points (the root is 0).
  void epsilon_merge(std::size_t n_points, const std::vector<std::size_t>& chosen, std::vector<char>& selected,
                     const std::vector<double>& birth, const std::vector<std::size_t>& cparent,
                     const std::vector<std::vector<std::size_t>>& children) const {
    const double eps = p_.cluster_selection_epsilon;
    constexpr std::size_t root_id = 0;
    std::vector<char> result(selected.size(), 0), processed(selected.size(), 0);
    const auto cid = [&](std::size_t c) { return c - n_points; };
    for (const std::size_t c : chosen) {
      const double born_eps = birth[c] > 0.0 ? 1.0 / birth[c] : inf;
      if (born_eps >= eps) {
        result[c] = 1;
        continue;
      }
      if (processed[c]) continue;
      // Walk up while the parent was born below epsilon.
      std::size_t v = c;
      for (;;) {
        const std::size_t parent = cid(cparent[v]);
        if (parent == root_id) {
          if (p_.allow_single_cluster) v = parent;
          break;
        }
        const double parent_eps = birth[parent] > 0.0 ? 1.0 / birth[parent] : inf;
        v = parent;
        if (parent_eps > eps) break;
      }
      result[v] = 1;
      std::vector<std::size_t> stack{v};
      while (!stack.empty()) {
        const std::size_t u = stack.back();
        stack.pop_back();
        processed[u] = 1;
        for (const std::size_t ch : children[u]) stack.push_back(cid(ch));
      }
    }
    selected = result;
  }

  hdbscan_params p_;
};

static_assert(segkit::clusterer<hdbscan<>>);

}  // namespace segkit::cluster
