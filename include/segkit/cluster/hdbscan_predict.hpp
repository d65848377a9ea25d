#pragma once
/// @file
/// @brief Assigning new points to a fitted HDBSCAN clustering (approximate_predict) and soft
/// clustering: membership vectors of new and of the training points.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/neighbors/exact.hpp"
#include "segkit/cluster/hdbscan_model.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/types.hpp"

namespace segkit::cluster {

/**
 * @brief Places new points in a fitted HDBSCAN clustering without refitting, and computes soft
 * cluster memberships: the prediction and soft-clustering methods of the hdbscan library
 * (McInnes, Healy & Astels; "Predicting clusters for new points" and "Soft clustering" in its
 * documentation).
 *
 * A new point q gets a core distance from its nearest training rows (the distance at which their
 * weight reaches min_samples), is linked to the training row r among its 2 x min_samples nearest
 * that minimizes the mutual reachability max(core(q), core(r), d(q, r)), and joins the condensed
 * tree where r sits, at density lambda = 1 / that distance (higher up the tree when r's cluster
 * was born at a higher density than lambda). Its label is the selected cluster above that node,
 * its probability min(lambda, lambda_max) / lambda_max with lambda_max the densest exit from the
 * selected cluster, its outlier score GLOSH's 1 - lambda / (densest exit below r's node), kept in
 * [0, 1].
 *
 * Membership vectors (one column per selected cluster, rows summing to the probability of being
 * in any cluster) combine two views, as the library's all_points_membership_vectors does:
 * distance, 1 / (distance to the nearest exemplar of the cluster) normalized, exemplars being the
 * points that stay longest in the cluster's leaves; and the tree, softmax over clusters of
 * exp(-lambda_max(node) / lambda_merge), lambda_merge being the density at which the point's node
 * and the cluster join (the point's own lambda when one contains the other). Their normalized
 * product is scaled by max(lambda_merge) / max(lambda_max(nearest cluster), lambda). segkit uses
 * this one definition for new points as well (the library's membership_vector uses another
 * weighting), so a copy of a training row gets exactly its all-points vector.
 *
 * Searches go through a k-d tree up to 16 dimensions (l2, sqeuclidean, cosine), blocked exact
 * scans otherwise; new points are processed in parallel and the results do not depend on the
 * thread count. The predictor keeps a copy of the model's training rows; copies of it share that
 * state. hdbscan_model::predict() and its soft-clustering members build one per call.
 *
 * @tparam Metric  the metric the clustering was fitted with.
 * @par Thread safety  all members are const and may run concurrently.
 */
template <class Metric = distance::l2_metric, class T = float>
class hdbscan_predictor {
 public:
  using value_type = T;

  /**
   * @brief The prediction structures of a fitted model (its training rows, weights and trees).
   * @throws segkit::invalid_argument if the model has no prediction data (fitted without
   * hdbscan_params::prediction_data) or its parts do not belong together.
   */
  explicit hdbscan_predictor(const hdbscan_model<Metric, T>& model) : s_(std::make_shared<state>(model)) {}

  [[nodiscard]] std::size_t n_clusters() const noexcept { return s_->selected.size(); }
  [[nodiscard]] std::size_t dim() const noexcept { return s_->x.shape(1); }

  /// Training rows that serve as exemplars of each cluster (by label): the points that leave the
  /// cluster's leaves at their highest density.
  [[nodiscard]] const std::vector<std::vector<std::size_t>>& exemplars() const noexcept { return s_->exemplars; }

  /**
   * @brief Labels, probabilities and outlier scores of new points (rows of q).
   * @throws segkit::invalid_argument if q's width differs from the training rows' or q holds NaN/Inf.
   */
  template <class E>
  [[nodiscard]] hdbscan_prediction approximate_predict(const E& q, std::size_t threads = 0) const {
    const auto rows = as_rows<T>(q);
    const matrix_view<T> v = rows.view();
    check_queries(v);
    const std::size_t m = v.rows();
    hdbscan_prediction out;
    out.labels = xt::xtensor<label_type, 1>::from_shape({m});
    out.probabilities.assign(m, 0.0);
    out.outlier_scores.assign(m, 0.0);
    for_each_placement(v, threads, [&](std::size_t i, const placement& pl) {
      const state& s = *s_;
      std::size_t node = pl.node;
      if (pl.node_lambda > pl.lambda) {  // born denser than q joins: move up to where q fits
        while (node != 0 && s.t.birth[node] >= pl.lambda) node = s.t.parent[node];
      }
      const label_type l = s.owner[node];
      out.labels(i) = l;
      if (l >= 0) {
        const double top = s.t.death[s.selected[static_cast<std::size_t>(l)]];
        out.probabilities[i] = top > 0.0 ? std::min(top, pl.lambda) / top : 1.0;
      }
      const double lambda = pl.distance == 0.0 ? pl.node_lambda : pl.lambda;  // a training row: its own lambda
      out.outlier_scores[i] = std::max(0.0, detail::glosh(s.subtree_death[pl.node], lambda));
    });
    return out;
  }

  /// Labels of new points (approximate_predict's labels).
  template <class E>
  [[nodiscard]] label_vector predict(const E& q, std::size_t threads = 0) const {
    return approximate_predict(q, threads).labels;
  }

  /**
   * @brief Soft cluster memberships of new points: m x n_clusters, each row summing to the point's
   * probability of belonging to some cluster (all zero when nothing was clustered).
   * @throws segkit::invalid_argument as approximate_predict.
   */
  template <class E>
  [[nodiscard]] matrix<double> membership_vectors(const E& q, std::size_t threads = 0) const {
    const auto rows = as_rows<T>(q);
    const matrix_view<T> v = rows.view();
    check_queries(v);
    matrix<double> out = xt::zeros<double>({v.rows(), n_clusters()});
    if (n_clusters() == 0) return out;
    for_each_placement(v, threads, [&](std::size_t i, const placement& pl) {
      membership(v.row(i), pl.node, std::min(pl.lambda, pl.node_lambda), &out(i, 0));
    });
    return out;
  }

  /// Soft cluster memberships of the training rows (n x n_clusters), as membership_vectors.
  [[nodiscard]] matrix<double> all_points_membership_vectors(std::size_t threads = 0) const {
    const state& s = *s_;
    const std::size_t n = s.x.shape(0);
    matrix<double> out = xt::zeros<double>({n, n_clusters()});
    if (n_clusters() == 0) return out;
    executor ex(threads);
    parallel_for(ex, n, grain, [&](std::size_t b, std::size_t e, std::size_t) {
      for (std::size_t i = b; i < e; ++i) membership(&s.x(i, 0), s.point_node[i], s.point_lambda[i], &out(i, 0));
    });
    return out;
  }

 private:
  static constexpr const char* component = "segkit::cluster::hdbscan_predictor";
  static constexpr std::size_t grain = 128;
  static constexpr double densest = std::numeric_limits<double>::max();  // lambda at distance 0, as the library

  struct state {
    matrix<T> x;
    std::vector<double> core, w;
    std::size_t min_samples = 0;
    bool weighted = false;
    detail::cluster_table t;
    std::vector<std::size_t> point_node;     // cluster index (condensed id - n) each row leaves
    std::vector<double> point_lambda;        // and the lambda it leaves at
    std::vector<std::size_t> selected;       // cluster index of each label
    std::vector<label_type> owner;           // label of each cluster's nearest selected ancestor-or-self
    std::vector<double> subtree_death;       // densest exit anywhere below a cluster
    std::vector<std::vector<std::size_t>> exemplars;
    neighbors::exact_neighbors<Metric, T> nb;

    explicit state(const hdbscan_model<Metric, T>& fit)
        : x(as_matrix(fit)), t(fit.tree), nb(matrix_view<T>(x.data(), x.shape(0), x.shape(1))) {
      using segkit::detail::throw_invalid;
      const std::size_t n = x.shape(0);
      if (fit.tree.n_points != n || fit.core_distances.size() != n || fit.labels().size() != n) {
        throw_invalid(component, fmt::format("the model was fitted on {} rows, its prediction data has {}", fit.tree.n_points, n));
      }
      w = sample_weights(component, fit.weights, n, true);
      weighted = !fit.weights.empty();
      core = fit.core_distances;
      min_samples = fit.min_samples;
      const condensed_tree& tree = fit.tree;
      point_node.assign(n, 0);
      point_lambda.assign(n, 0.0);
      for (std::size_t r = 0; r < tree.size(); ++r) {
        if (tree.child[r] < n) {
          point_node[tree.child[r]] = tree.parent[r] - n;
          point_lambda[tree.child[r]] = tree.lambda[r];
        }
      }
      const std::size_t nc = tree.n_clusters;
      owner.assign(nc, -1);
      for (const std::size_t id : fit.selected) {
        if (id < n || id - n >= nc) throw_invalid(component, fmt::format("selected cluster {} is not in the condensed tree", id));
        owner[id - n] = static_cast<label_type>(selected.size());
        selected.push_back(id - n);
      }
      for (std::size_t c = 1; c < nc; ++c) {  // parents come before their children
        if (owner[c] < 0) owner[c] = owner[t.parent[c]];
      }
      subtree_death = t.death;
      for (std::size_t c = nc; c-- > 1;) subtree_death[t.parent[c]] = std::max(subtree_death[t.parent[c]], subtree_death[c]);
      find_exemplars();
    }

    // A validated copy of the model's training rows.
    static matrix<T> as_matrix(const hdbscan_model<Metric, T>& fit) {
      if (!fit.has_prediction_data()) {
        segkit::detail::throw_invalid(component, "the model has no prediction data (fit with hdbscan_params::prediction_data = true)");
      }
      check_samples(component, matrix_view<T>(fit.training_rows.data(), fit.training_rows.shape(0), fit.training_rows.shape(1)));
      return fit.training_rows;
    }

    // The rows leaving each leaf below (or at) a selected cluster at the leaf's highest lambda.
    void find_exemplars() {
      const std::size_t n = x.shape(0);
      std::vector<label_type> leaf_label(t.birth.size(), -1);
      for (std::size_t l = 0; l < selected.size(); ++l) {
        const auto mark = [&](std::size_t c) {
          if (t.children[c].empty()) leaf_label[c] = static_cast<label_type>(l);
        };
        mark(selected[l]);
        t.for_each_below(selected[l], mark);
      }
      exemplars.assign(selected.size(), {});
      for (std::size_t i = 0; i < n; ++i) {
        const label_type l = leaf_label[point_node[i]];
        if (l >= 0 && point_lambda[i] == t.death[point_node[i]]) exemplars[static_cast<std::size_t>(l)].push_back(i);
      }
    }
  };

  // Where a new point joins the tree: the node of its mutual-reachability neighbor, that
  // neighbor's own lambda there, the point's lambda, and its raw distance to the nearest row.
  struct placement {
    std::size_t node = 0;
    double node_lambda = 0.0;
    double lambda = 0.0;
    double distance = 0.0;
  };

  void check_queries(const matrix_view<T>& q) const {
    if (q.rows() != 0 && q.cols() != dim()) {
      segkit::detail::throw_invalid(component, fmt::format("points have {} columns, the clustering was fitted on {}", q.cols(), dim()));
    }
    require_finite<T>(component, "points", q);
  }

  // Calls f(i, placement) for every row of q, in parallel blocks.
  template <class F>
  void for_each_placement(const matrix_view<T>& q, std::size_t threads, F&& f) const {
    const state& s = *s_;
    const std::size_t n = s.x.shape(0);
    const std::size_t k = std::min(n, 2 * s.min_samples);
    executor ex(threads);
    parallel_for(ex, q.rows(), grain, [&](std::size_t b, std::size_t e, std::size_t) {
      s.nb.nearest_to(q, b, e, k, [&](std::size_t i, const std::vector<std::pair<double, std::size_t>>& list) {
        const double cq = core_of(q, i, list);
        placement pl;
        double best = std::numeric_limits<double>::infinity();
        std::size_t nn = list.front().second;
        for (const auto& [d, j] : list) {  // the first minimum, in distance order
          const double mr = std::max({s.core[j], cq, d});
          if (mr < best) {
            best = mr;
            nn = j;
          }
        }
        pl.node = s.point_node[nn];
        pl.node_lambda = s.point_lambda[nn];
        pl.lambda = best > 0.0 ? 1.0 / best : densest;
        pl.distance = list.front().first;
        f(i, pl);
      });
    });
  }

  // The distance at which the nearest training rows of q weigh min_samples (the min_samples-th
  // distance without weights); the farthest row's distance if all of them weigh less.
  double core_of(const matrix_view<T>& q, std::size_t i, const std::vector<std::pair<double, std::size_t>>& list) const {
    const state& s = *s_;
    if (!s.weighted) return list[std::min(list.size(), s.min_samples) - 1].first;
    const auto reach = [&](const std::vector<std::pair<double, std::size_t>>& l, double& out) {
      double acc = 0.0;
      for (const auto& [d, j] : l) {
        acc += s.w[j];
        out = d;
        if (acc >= static_cast<double>(s.min_samples)) return true;
      }
      return false;
    };
    double c = 0.0;
    if (reach(list, c)) return c;
    const std::size_t n = s.x.shape(0);
    for (std::size_t k = std::min(n, 2 * list.size()); list.size() < n; k = std::min(n, 2 * k)) {
      bool found = false;
      s.nb.nearest_to(q, i, i + 1, k, [&](std::size_t, const auto& longer) { found = reach(longer, c); });
      if (found || k == n) break;
    }
    return c;
  }

  // The membership vector of a point with features `row` sitting in cluster `node` at `lambda`.
  void membership(const T* row, std::size_t node, double lambda, double* out) const {
    const state& s = *s_;
    const std::size_t nc = s.selected.size(), d = dim();
    // Distance view: 1 / distance to the nearest exemplar, normalized (a zero distance dominates).
    thread_local std::vector<double> scratch;  // reused across points: no allocation per point
    scratch.resize(3 * nc);
    const std::span<double> by_distance(scratch.data(), nc), by_tree(scratch.data() + nc, nc), height(scratch.data() + 2 * nc, nc);
    for (std::size_t c = 0; c < nc; ++c) {
      double best = std::numeric_limits<double>::max();
      for (const std::size_t e : s.exemplars[c]) best = std::min(best, neighbors::exact_distance<Metric>(row, &s.x(e, 0), d));
      by_distance[c] = best != 0.0 ? 1.0 / best : std::numeric_limits<double>::max() / static_cast<double>(nc);
      height[c] = merge_height(node, lambda, s.selected[c]);
    }
    normalize(by_distance);
    // Tree view: softmax of exp(-lambda_max / merge height).
    const double top = s.t.death[node] + 1e-8;  // the library's guard against a zero lambda
    double peak = -std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < nc; ++c) {
      by_tree[c] = std::exp(-ratio(top, height[c]));
      peak = std::max(peak, by_tree[c]);
    }
    for (double& v : by_tree) v = std::exp(v - peak);
    normalize(by_tree);
    std::size_t nearest = 0;
    for (std::size_t c = 1; c < nc; ++c) {
      if (height[c] > height[nearest]) nearest = c;
    }
    const double in_any = ratio(height[nearest], std::max(s.t.death[s.selected[nearest]], lambda));
    for (std::size_t c = 0; c < nc; ++c) out[c] = by_distance[c] * by_tree[c];
    const std::span<double> o(out, nc);
    normalize(o);
    for (double& v : o) v *= in_any;
  }

  // The density at which a point in `node` at `lambda` and cluster c meet in the condensed tree:
  // its own lambda if one contains the other, else the birth of the clusters their common
  // ancestor splits into. Cluster indices grow with depth (breadth-first numbering).
  double merge_height(std::size_t node, double lambda, std::size_t c) const {
    const state& s = *s_;
    std::size_t a = node, b = c, last = node;
    bool moved_a = false, moved_b = false;
    while (a != b) {
      if (a > b) {
        last = a;
        a = s.t.parent[a];
        moved_a = true;
      } else {
        last = b;
        b = s.t.parent[b];
        moved_b = true;
      }
    }
    return moved_a && moved_b ? s.t.birth[last] : lambda;
  }

  // a / b with 0 / 0 = 0 and inf / inf = 1 (lambdas are infinite only for duplicate rows).
  static double ratio(double a, double b) noexcept {
    if (std::isinf(a) && std::isinf(b)) return 1.0;
    if (b == 0.0) return a == 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
    return a / b;
  }

  static void normalize(std::span<double> v) noexcept {
    double sum = 0.0;
    for (const double e : v) sum += e;
    if (!(sum > 0.0) || !std::isfinite(sum)) return;
    for (double& e : v) e /= sum;
  }

  std::shared_ptr<const state> s_;
};

template <class Metric, class T>
template <class E>
label_vector hdbscan_model<Metric, T>::predict(const E& x, std::size_t threads) const {
  return hdbscan_predictor<Metric, T>(*this).approximate_predict(x, threads).labels;
}

template <class Metric, class T>
template <class E>
hdbscan_prediction hdbscan_model<Metric, T>::approximate_predict(const E& x, std::size_t threads) const {
  return hdbscan_predictor<Metric, T>(*this).approximate_predict(x, threads);
}

template <class Metric, class T>
template <class E>
matrix<double> hdbscan_model<Metric, T>::membership_vectors(const E& x, std::size_t threads) const {
  return hdbscan_predictor<Metric, T>(*this).membership_vectors(x, threads);
}

template <class Metric, class T>
matrix<double> hdbscan_model<Metric, T>::all_points_membership_vectors(std::size_t threads) const {
  return hdbscan_predictor<Metric, T>(*this).all_points_membership_vectors(threads);
}

}  // namespace segkit::cluster
