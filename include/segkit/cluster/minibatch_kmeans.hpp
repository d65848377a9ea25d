#pragma once
/// @file
/// @brief Mini-batch k-means (Sculley, "Web-scale k-means clustering", WWW 2010) with per-centre
/// learning rates, early stopping on a smoothed batch inertia, and reassignment of starved centres.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/kmeans.hpp"

namespace segkit::cluster {

/// Parameters of segkit::cluster::minibatch_kmeans. Every field has a default.
struct minibatch_kmeans_params {
  std::size_t k = 8;                      ///< number of clusters, 1 <= k <= number of samples
  std::size_t batch_size = 1024;          ///< rows per step, drawn with replacement (>= 1)
  std::size_t max_iter = 100;             ///< passes over the data: at most max_iter x n / batch_size steps (>= 1)
  std::size_t max_no_improvement = 10;    ///< stop after this many steps without a new low of the smoothed batch inertia (0 = never)
  double tol = 0.0;                       ///< stop when a step moves the centres by <= tol x mean feature variance (squared, summed); 0 = off
  std::size_t n_init = 3;                 ///< k-means++ runs on the initial subsample; the lowest inertia there wins (>= 1)
  std::size_t init_size = 0;              ///< rows of the initial subsample; 0 = 3 x batch_size (at least k, at most n)
  double reassignment_ratio = 0.01;       ///< centres whose count falls below this share of the largest are moved to random batch rows; 0 = off
  std::uint64_t seed = 0;                 ///< the only source of randomness
  std::size_t threads = 0;                ///< threads for initialisation and the final assignment; results do not depend on it
};

/**
 * @brief Mini-batch k-means: each step assigns a random batch to the nearest centres and moves
 * every centre towards its batch rows with step 1 / (rows it has seen so far).
 *
 * Initial centres come from the best of n_init k-means++ runs on a random subsample. The run
 * stops after max_iter passes, when the exponentially smoothed batch inertia has not reached a new
 * low for max_no_improvement steps, or when a step moves the centres less than tol. Finally every
 * row is assigned to its nearest centre (exact inertia). Results depend on the seed only.
 * @par Complexity  O(steps x batch_size x k x d) plus one pass O(n k d); memory O(k d + batch_size d).
 * @par Thread safety  fit() is const; concurrent fits are safe.
 */
template <class T = float>
class minibatch_kmeans {
 public:
  using value_type = T;

  /// @throws segkit::invalid_argument for k, batch_size, max_iter or n_init of 0, or negative tol / ratio.
  explicit minibatch_kmeans(minibatch_kmeans_params params = {}) : p_(params) {
    const char* comp = "segkit::cluster::minibatch_kmeans";
    if (p_.k == 0) segkit::detail::throw_invalid(comp, "k must be at least 1");
    if (p_.batch_size == 0) segkit::detail::throw_invalid(comp, "batch_size must be at least 1");
    if (p_.max_iter == 0) segkit::detail::throw_invalid(comp, "max_iter must be at least 1");
    if (p_.n_init == 0) segkit::detail::throw_invalid(comp, "n_init must be at least 1");
    if (!(p_.tol >= 0.0)) segkit::detail::throw_invalid(comp, fmt::format("tol must be >= 0, got {}", p_.tol));
    if (!(p_.reassignment_ratio >= 0.0)) segkit::detail::throw_invalid(comp, fmt::format("reassignment_ratio must be >= 0, got {}", p_.reassignment_ratio));
  }

  /// The parameters.
  [[nodiscard]] const minibatch_kmeans_params& params() const noexcept { return p_; }

  /**
   * @brief Clusters the rows of `x`, optionally weighted; the model's n_iter counts steps.
   * @throws segkit::invalid_argument as kmeans::fit does.
   */
  template <class E>
  [[nodiscard]] kmeans_model<T> fit(const E& x_in, std::span<const double> weights = {}) const {
    const auto rows = as_rows<T>(x_in);
    const matrix_view<T> x = rows.view();
    const std::size_t n = x.rows(), d = x.cols(), k = p_.k;
    const std::vector<double> w = detail::checked_weights(x, k, weights, "segkit::cluster::minibatch_kmeans");
    // Initial centres: the best of n_init k-means++ runs on a random subsample.
    rng r(p_.seed, 0);
    const std::size_t init_size = std::clamp<std::size_t>(p_.init_size != 0 ? p_.init_size : 3 * p_.batch_size, k, n);
    std::vector<std::size_t> pool(n);
    std::iota(pool.begin(), pool.end(), std::size_t{0});
    for (std::size_t i = 0; i < init_size; ++i) std::swap(pool[i], pool[i + r.below(n - i)]);  // partial Fisher-Yates
    matrix<T> sub = matrix<T>::from_shape({init_size, d});
    std::vector<double> sub_w(init_size);
    for (std::size_t i = 0; i < init_size; ++i) {
      std::copy_n(x.row(pool[i]), d, &sub(i, 0));
      sub_w[i] = w[pool[i]];
    }
    if (std::accumulate(sub_w.begin(), sub_w.end(), 0.0) <= 0.0) std::fill(sub_w.begin(), sub_w.end(), 1.0);
    executor ex(p_.threads);
    const matrix_view<T> sv(sub.data(), init_size, d);
    detail::lloyd_state<T> ss{sv, sub_w, distance::row_norm_terms<distance::squared_l2_metric>(sv), &ex};
    matrix<T> centres;
    double best_inertia = std::numeric_limits<double>::infinity();
    std::vector<label_type> sub_labels(init_size);
    std::vector<T> sub_dist(init_size);
    for (std::size_t run = 0; run < p_.n_init; ++run) {
      rng ri(p_.seed, run + 1);
      auto c = detail::kmeans_plus_plus(ss, k, ri);
      const double inertia = detail::e_step(ss, c, sub_labels.data(), sub_dist.data(), true).inertia;
      if (inertia < best_inertia) {
        best_inertia = inertia;
        centres = std::move(c);
      }
    }

    // Steps.
    const double tol = p_.tol > 0.0 ? p_.tol * detail::mean_variance(x, ex) : -1.0;
    const std::size_t bs = std::min(p_.batch_size, n);
    const std::size_t steps = std::max<std::size_t>(1, p_.max_iter * n / bs);
    const double alpha = std::min(1.0, 2.0 * static_cast<double>(bs) / static_cast<double>(n + 1));
    std::vector<double> counts(k, 0.0);
    matrix<T> batch = matrix<T>::from_shape({bs, d});
    std::vector<std::size_t> picked(bs), best(bs);
    std::vector<T> scores(bs), terms(bs);
    double ewa = std::numeric_limits<double>::infinity(), ewa_min = ewa;
    std::size_t since_min = 0, step = 0, since_reassign = 0;
    bool converged = false;
    for (; step < steps; ++step) {
      for (std::size_t i = 0; i < bs; ++i) {
        picked[i] = r.below(n);
        std::copy_n(x.row(picked[i]), d, &batch(i, 0));
        terms[i] = distance::dot(x.row(picked[i]), x.row(picked[i]), d);
      }
      const distance::centre_panel<T> panel(matrix_view<T>(centres.data(), k, d));
      panel.assign(matrix_view<T>(batch.data(), bs, d), 0, bs, best.data(), scores.data());
      detail::lloyd_partial part(k, d);
      double batch_weight = 0.0;
      for (std::size_t i = 0; i < bs; ++i) {
        const double wi = w[picked[i]];
        part.add(best[i], wi, &batch(i, 0));
        part.inertia += wi * std::max(0.0, static_cast<double>(scores[i]) + static_cast<double>(terms[i]));
        batch_weight += wi;
      }
      double shift = 0.0;
      for (std::size_t c = 0; c < k; ++c) {
        if (part.weights[c] <= 0.0) continue;
        const double total = counts[c] + part.weights[c];
        for (std::size_t j = 0; j < d; ++j) {
          const double old = centres(c, j);
          const T v = static_cast<T>((old * counts[c] + part.sums[c * d + j]) / total);
          shift += (v - old) * (v - old);
          centres(c, j) = v;
        }
        counts[c] = total;
      }
      // Reassign starved centres to distinct random rows of this batch once 10 k rows have been
      // seen since the last check, or whenever a centre has seen nothing (scikit-learn's schedule).
      since_reassign += bs;
      const bool unseen = std::any_of(counts.begin(), counts.end(), [](double c) { return c <= 0.0; });
      if (p_.reassignment_ratio > 0.0 && (unseen || since_reassign >= 10 * k)) {
        since_reassign = 0;
        reassign_starved(centres, counts, batch, r);
      }
      // Early stopping on the smoothed batch inertia (from the second step: the first measures
      // the initial centres), and on the centre shift.
      if (step == 0) continue;
      const double bi = batch_weight > 0.0 ? part.inertia / batch_weight : 0.0;
      ewa = std::isinf(ewa) ? bi : ewa * (1.0 - alpha) + bi * alpha;
      if (ewa < ewa_min) {
        ewa_min = ewa;
        since_min = 0;
      } else if (p_.max_no_improvement != 0 && ++since_min >= p_.max_no_improvement) {
        converged = true;
        ++step;
        break;
      }
      if (shift <= tol) {
        converged = true;
        ++step;
        break;
      }
    }

    // Every row to its nearest centre, exact inertia.
    kmeans_model<T> m;
    detail::lloyd_state<T> s{x, w, distance::row_norm_terms<distance::squared_l2_metric>(x), &ex};
    m.labels = xt::xtensor<label_type, 1>::from_shape({n});
    std::vector<T> dist(n);
    m.inertia = detail::e_step(s, centres, m.labels.data(), dist.data(), true).inertia;
    m.centres = std::move(centres);
    m.n_clusters = k;
    m.n_iter = step;
    m.converged = converged;
    return m;
  }

 private:
  // Centres whose count is below reassignment_ratio x the largest move to distinct random rows of
  // the batch (at most half the batch, the least-fed centres first); their count becomes the
  // smallest count among the others, so they are not reassigned again at once.
  void reassign_starved(matrix<T>& centres, std::vector<double>& counts, const matrix<T>& batch, rng& r) const {
    const std::size_t k = counts.size(), d = centres.shape(1), bs = batch.shape(0);
    const double top = *std::max_element(counts.begin(), counts.end());
    std::vector<std::size_t> starved;
    double floor_count = std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < k; ++c) {
      if (counts[c] < p_.reassignment_ratio * top) starved.push_back(c);
      else floor_count = std::min(floor_count, counts[c]);
    }
    if (starved.empty()) return;
    std::stable_sort(starved.begin(), starved.end(), [&](std::size_t a, std::size_t b) { return counts[a] < counts[b]; });
    starved.resize(std::min(starved.size(), std::max<std::size_t>(1, bs / 2)));
    std::vector<std::size_t> rows(bs);
    std::iota(rows.begin(), rows.end(), std::size_t{0});
    for (std::size_t i = 0; i < starved.size(); ++i) {
      std::swap(rows[i], rows[i + r.below(bs - i)]);  // without replacement
      std::copy_n(&batch(rows[i], 0), d, &centres(starved[i], 0));
      counts[starved[i]] = std::isfinite(floor_count) ? floor_count : 0.0;
    }
  }

  minibatch_kmeans_params p_;
};

static_assert(segkit::inductive_clusterer<minibatch_kmeans<>>);

}  // namespace segkit::cluster
