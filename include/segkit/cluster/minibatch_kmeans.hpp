#pragma once
/// @file
/// @brief Mini-batch k-means (Sculley, "Web-scale k-means clustering", WWW 2010) with per-center
/// learning rates, early stopping on a smoothed batch inertia, and reassignment of starved centers.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/kmeans.hpp"

namespace segkit::cluster {

/// Parameters of segkit::cluster::minibatch_kmeans: defaults here, meaning and valid values in table().
struct minibatch_kmeans_params {
  std::size_t k = 8;                    ///< number of clusters
  std::size_t batch_size = 1024;        ///< rows per step
  std::size_t max_iter = 100;           ///< passes over the data at most
  std::size_t max_no_improvement = 10;  ///< early stop after this many steps without improvement
  double tol = 0.0;                     ///< center-shift early stop (0 = off)
  std::size_t n_init = 3;               ///< k-means++ runs on the initial subsample
  std::size_t init_size = 0;            ///< rows of the initial subsample (0 = 3 x batch_size)
  double reassignment_ratio = 0.01;     ///< starved-center reassignment (0 = off)
  std::uint64_t seed = 0;               ///< the only source of randomness
  std::size_t threads = 0;              ///< worker threads (0 = all)

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = minibatch_kmeans_params;
    namespace sp = segkit::params;
    return std::tuple{
        sp::field("k", &p::k, "number of clusters, at most the number of rows", sp::at_least(1), "n_clusters"),
        sp::field("batch_size", &p::batch_size, "rows per step, drawn with replacement", sp::at_least(1)),
        sp::field("max_iter", &p::max_iter, "passes over the data: at most max_iter x n / batch_size steps", sp::at_least(1)),
        sp::field("max_no_improvement", &p::max_no_improvement, "stop after this many steps without a new low of the smoothed batch inertia (0 = never)"),
        sp::field("tol", &p::tol, "stop when a step moves the centers by <= tol x mean feature variance (squared, summed); 0 = off", sp::at_least(0)),
        sp::field("n_init", &p::n_init, "k-means++ runs on the initial subsample; the lowest inertia there wins", sp::at_least(1)),
        sp::field("init_size", &p::init_size, "rows of the initial subsample; 0 = 3 x batch_size (at least k, at most n)"),
        sp::field("reassignment_ratio", &p::reassignment_ratio,
                  "centers whose count falls below this share of the largest move to random batch rows; 0 = off", sp::at_least(0)),
        sp::field("seed", &p::seed, "the only source of randomness"),
        sp::field("threads", &p::threads, "threads for initialization and the final assignment, 0 = all cores; results do not depend on it")};
  }
};

/**
 * @brief Mini-batch k-means: each step assigns a random batch to the nearest centers and moves
 * every center towards its batch rows with step 1 / (rows it has seen so far).
 *
 * Initial centers come from the best of n_init k-means++ runs on a random subsample. The run
 * stops after max_iter passes, when the exponentially smoothed batch inertia has not reached a new
 * low for max_no_improvement steps, or when a step moves the centers less than tol. Finally every
 * row is assigned to its nearest center (exact inertia). Results depend on the seed only.
 * @par Complexity  O(steps x batch_size x k x d) plus one pass O(n k d); memory O(k d + batch_size d).
 * @par Thread safety  fit() is const; concurrent fits are safe.
 */
template <class T = float>
class minibatch_kmeans {
 public:
  using value_type = T;

  /// @throws segkit::invalid_argument naming the first parameter outside its table's range.
  explicit minibatch_kmeans(minibatch_kmeans_params params = {}) : p_(params) { segkit::params::validate(p_, "segkit::cluster::minibatch_kmeans"); }

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
    return run(x, detail::checked_weights(x, p_.k, weights, "segkit::cluster::minibatch_kmeans"), row_group::here());
  }

  /// @cond INTERNAL
  /// For segkit::distributed: fits rows spread over the processes of `group` (see kmeans::fit_group).
  [[nodiscard]] kmeans_model<T> fit_group(matrix_view<T> x, std::vector<double> w, const row_group& group) const {
    return run(x, w, group);
  }
  /// @endcond

 private:
  kmeans_model<T> run(matrix_view<T> x, std::span<const double> w, const row_group& group) const {
    const std::size_t n = x.rows(), d = x.cols(), k = p_.k, n_all = group.total(n), off = group.offset();
    executor ex(p_.threads);
    detail::lloyd_state<T> s{x, w, distance::row_norm_terms<distance::squared_l2_metric>(x), &ex, &group};
    // Initial centers: the best of n_init k-means++ runs on a random subsample (drawn by a partial
    // Fisher-Yates shuffle of the global row numbers, kept sparse: only moved entries are stored).
    rng r(p_.seed, 0);
    const std::size_t init_size = std::clamp<std::size_t>(p_.init_size != 0 ? p_.init_size : 3 * p_.batch_size, k, n_all);
    std::vector<std::size_t> pool(init_size);
    {
      std::unordered_map<std::size_t, std::size_t> moved;
      const auto at = [&](std::size_t i) {
        const auto it = moved.find(i);
        return it == moved.end() ? i : it->second;
      };
      for (std::size_t i = 0; i < init_size; ++i) {
        const std::size_t j = i + r.below(n_all - i), vi = at(i);
        pool[i] = at(j);
        moved[j] = vi;
      }
    }
    matrix<T> sub = detail::fetch_rows(s, pool);
    std::vector<double> sub_w = group.fetch(pool, 1, [&](std::size_t row, double* o) { o[0] = w[row - off]; });
    if (std::accumulate(sub_w.begin(), sub_w.end(), 0.0) <= 0.0) std::fill(sub_w.begin(), sub_w.end(), 1.0);
    const matrix_view<T> sv(sub.data(), init_size, d);
    detail::lloyd_state<T> ss{sv, sub_w, distance::row_norm_terms<distance::squared_l2_metric>(sv), &ex};
    matrix<T> centers;
    double best_inertia = std::numeric_limits<double>::infinity();
    std::vector<label_type> sub_labels(init_size);
    std::vector<T> sub_dist(init_size);
    for (std::size_t run = 0; run < p_.n_init; ++run) {
      rng ri(p_.seed, run + 1);
      auto c = detail::kmeans_plus_plus(ss, k, ri);
      const double inertia = detail::e_step(ss, c, sub_labels.data(), sub_dist.data(), true).inertia;
      if (inertia < best_inertia) {
        best_inertia = inertia;
        centers = std::move(c);
      }
    }

    // Steps.
    const double tol = p_.tol > 0.0 ? p_.tol * detail::mean_variance(x, ex, group) : -1.0;
    const std::size_t bs = std::min(p_.batch_size, n_all);
    const std::size_t steps = std::max<std::size_t>(1, p_.max_iter * n_all / bs);
    const double alpha = std::min(1.0, 2.0 * static_cast<double>(bs) / static_cast<double>(n_all + 1));
    std::vector<double> counts(k, 0.0);
    matrix<T> batch = matrix<T>::from_shape({bs, d});
    std::vector<std::size_t> picked(bs), best(bs), mine;  // mine: batch positions whose row is here
    std::vector<T> scores(bs), terms(bs);
    double ewa = std::numeric_limits<double>::infinity(), ewa_min = ewa;
    std::size_t since_min = 0, step = 0, since_reassign = 0;
    bool converged = false;
    for (; step < steps; ++step) {
      mine.clear();
      for (std::size_t i = 0; i < bs; ++i) {
        picked[i] = r.below(n_all);
        if (picked[i] < off || picked[i] - off >= n) continue;
        const T* row = x.row(picked[i] - off);
        std::copy_n(row, d, &batch(mine.size(), 0));
        terms[mine.size()] = distance::dot(row, row, d);
        mine.push_back(i);
      }
      const distance::center_panel<T> panel(matrix_view<T>(centers.data(), k, d));
      panel.assign(matrix_view<T>(batch.data(), bs, d), 0, mine.size(), best.data(), scores.data());
      detail::lloyd_partial part(k, d);
      double batch_weight = 0.0;
      for (std::size_t j = 0; j < mine.size(); ++j) {
        const double wi = w[picked[mine[j]] - off];
        part.add(best[j], wi, &batch(j, 0));
        part.inertia += wi * std::max(0.0, static_cast<double>(scores[j]) + static_cast<double>(terms[j]));
        batch_weight += wi;
      }
      part.reduce(group, std::span<double>(&batch_weight, 1));
      double shift = 0.0;
      for (std::size_t c = 0; c < k; ++c) {
        if (part.weights[c] <= 0.0) continue;
        const double total = counts[c] + part.weights[c];
        for (std::size_t j = 0; j < d; ++j) {
          const double old = centers(c, j);
          const T v = static_cast<T>((old * counts[c] + part.sums[c * d + j]) / total);
          shift += (v - old) * (v - old);
          centers(c, j) = v;
        }
        counts[c] = total;
      }
      // Reassign starved centers to distinct random rows of this batch once 10 k rows have been
      // seen since the last check, or whenever a center has seen nothing (scikit-learn's schedule).
      since_reassign += bs;
      const bool unseen = std::any_of(counts.begin(), counts.end(), [](double c) { return c <= 0.0; });
      if (p_.reassignment_ratio > 0.0 && (unseen || since_reassign >= 10 * k)) {
        since_reassign = 0;
        reassign_starved(s, centers, counts, picked, r);
      }
      // Early stopping on the smoothed batch inertia (from the second step: the first measures
      // the initial centers), and on the center shift.
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

    // Every row to its nearest center, exact inertia.
    kmeans_model<T> m;
    label_vector labels = label_vector::from_shape({n});
    std::vector<T> dist(n);
    auto final_part = detail::e_step(s, centers, labels.data(), dist.data(), true);
    final_part.reduce(group);
    m.inertia = final_part.inertia;
    m.centers = std::move(centers);
    m.set_labels(std::move(labels), k);
    m.n_iter = step;
    m.converged = converged;
    return m;
  }

  // Centers whose count is below reassignment_ratio x the largest move to distinct random rows of
  // the batch (at most half the batch, the least-fed centers first); their count becomes the
  // smallest count among the others, so they are not reassigned again at once.
  void reassign_starved(const detail::lloyd_state<T>& s, matrix<T>& centers, std::vector<double>& counts,
                        const std::vector<std::size_t>& batch, rng& r) const {
    const std::size_t k = counts.size(), d = centers.shape(1), bs = batch.size();
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
    std::vector<std::size_t> ids(starved.size());
    for (std::size_t i = 0; i < starved.size(); ++i) {
      std::swap(rows[i], rows[i + r.below(bs - i)]);  // without replacement
      ids[i] = batch[rows[i]];
    }
    const matrix<T> chosen = detail::fetch_rows(s, ids);
    for (std::size_t i = 0; i < starved.size(); ++i) {
      std::copy_n(&chosen(i, 0), d, &centers(starved[i], 0));
      counts[starved[i]] = std::isfinite(floor_count) ? floor_count : 0.0;
    }
  }

  minibatch_kmeans_params p_;
};

static_assert(segkit::inductive_clusterer<minibatch_kmeans<>>);

}  // namespace segkit::cluster
