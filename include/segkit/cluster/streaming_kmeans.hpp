#pragma once
/// @file
/// @brief Online (streaming) k-means: segments that follow a stream of batches, with a forgetting
/// factor, new centers spawned where a batch lands far from every center, and idle centers retired.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <numeric>
#include <span>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/kmeans.hpp"
#include "segkit/core/binary_format.hpp"

namespace segkit::cluster {

/// Parameters of segkit::cluster::streaming_kmeans: defaults here, meaning and valid values in table().
struct streaming_kmeans_params {
  std::size_t k = 8;             ///< centers made from the first batch
  double decay = 1.0;            ///< forgetting factor per batch
  double spawn_factor = 3.0;     ///< "far" threshold, in running RMS distances (0 = never spawn)
  double spawn_fraction = 0.05;  ///< batch share a far group needs to spawn a center
  std::size_t max_clusters = 0;  ///< spawning limit (0 = 4 k)
  std::size_t retire_after = 0;  ///< idle batches before a center retires (0 = never)
  std::size_t min_clusters = 1;  ///< retiring floor
  std::uint64_t seed = 0;        ///< randomness of the first batch's k-means++
  std::size_t threads = 0;       ///< worker threads (0 = all)

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = streaming_kmeans_params;
    namespace sp = segkit::params;
    return std::tuple{
        sp::field("k", &p::k, "centers made from the first batch (k-means++ and Lloyd on it); the first batch needs >= k rows", sp::at_least(1)),
        sp::field("decay", &p::decay, "forgetting factor: before each batch, past masses are multiplied by it (1 = running means)", sp::above_up_to(0, 1)),
        sp::field("spawn_factor", &p::spawn_factor, "a row is far when its distance to every center exceeds spawn_factor x the running RMS distance; 0 = never spawn",
                  sp::at_least_finite(0)),
        sp::field("spawn_fraction", &p::spawn_fraction, "far rows spawn a center when a tight group of them carries at least this share of the batch weight",
                  sp::above_up_to(0, 1)),
        sp::field("max_clusters", &p::max_clusters, "no spawning beyond this many centers; 0 = 4 k (else at least k)"),
        sp::field("retire_after", &p::retire_after, "retire a center after this many consecutive batches without rows; 0 = never"),
        sp::field("min_clusters", &p::min_clusters, "retiring never goes below this many centers", sp::at_least(1)),
        sp::field("seed", &p::seed, "randomness of the first batch's k-means++"),
        sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it")};
  }
};

/// What one partial_fit did.
struct streaming_batch_report {
  std::size_t rows = 0;                 ///< rows in the batch
  double inertia = 0.0;                 ///< weighted sum of squared distances of the batch rows to their centers (after spawning, before the update)
  std::vector<label_type> spawned;      ///< ids of the centers this batch created
  std::vector<label_type> retired;      ///< ids of the centers retired after this batch
};

/**
 * @brief Online k-means over a stream of batches (mini-batch updates with a forgetting factor,
 * as in Spark's streaming k-means), with centers that appear and disappear as the stream does.
 *
 * Each center has a stable id (0, 1, 2, ... in order of creation, never reused), a mass and a
 * mean. For each batch: every row goes to its closest center; rows farther than spawn_factor x
 * the running RMS distance from every center are "far", and a tight group of far rows (within
 * that radius of the far row with the most far neighbors) whose weight reaches spawn_fraction of
 * the batch becomes a new center (repeated while groups qualify and max_clusters allows); then
 * every mass is multiplied by `decay` and each center moves to the weighted mean of its old
 * (decayed) mass and its batch rows: mu <- (decay m mu + s) / (decay m + w). A center that gets no
 * rows for retire_after consecutive batches is retired. With decay = 1 and no spawning the centers
 * are the running means of the rows assigned to them.
 *
 * @par Determinism  The result depends on the batches and the seed only, not on threads.
 * @par Complexity  O(b k d) per batch of b rows, plus O(f^2 d) for f far rows when spawning.
 * @par Thread safety  partial_fit mutates; const calls (predict, save) may run concurrently with each other.
 */
template <class T = float>
class streaming_kmeans {
 public:
  using value_type = T;

  /// @throws segkit::invalid_argument naming the first parameter outside its table's range, or
  /// max_clusters below k.
  explicit streaming_kmeans(streaming_kmeans_params params = {}) : p_(params) {
    segkit::params::validate(p_, comp);
    if (p_.max_clusters == 0) p_.max_clusters = 4 * p_.k;
    if (p_.max_clusters < p_.k) segkit::detail::throw_invalid(comp, fmt::format("max_clusters ({}) is below k ({})", p_.max_clusters, p_.k));
  }

  /// The parameters (max_clusters resolved).
  [[nodiscard]] const streaming_kmeans_params& params() const noexcept { return p_; }

  /**
   * @brief Learns from one batch (n x d rows, optionally weighted).
   * @throws segkit::invalid_argument if the batch is empty, has the wrong width, holds NaN/Inf, has
   * bad weights, or (first batch) has fewer than k rows. A failed call changes nothing.
   */
  template <class E>
  streaming_batch_report partial_fit(const E& batch, std::span<const double> weights = {}) {
    const auto rows = as_rows<T>(batch);
    return fit_batch(rows.view(), weights);
  }

  /// Id of the closest center for each row. @throws segkit::invalid_argument before the first batch or for a wrong width / NaN.
  template <class E>
  [[nodiscard]] xt::xtensor<label_type, 1> predict(const E& x, std::size_t threads = 0) const {
    if (ids_.empty()) segkit::detail::throw_invalid(comp, "predict before the first partial_fit");
    const auto rows = as_rows<T>(x);
    auto labels = snapshot().predict(rows.view(), threads);
    for (auto& l : labels) l = ids_[static_cast<std::size_t>(l)];
    return labels;
  }

  /// The current centers as a k-means model (row i has id ids()[i]; labels empty).
  [[nodiscard]] kmeans_model<T> snapshot() const {
    kmeans_model<T> m;
    m.centers = centers_;
    m.set_labels(label_vector::from_shape({0}), ids_.size());
    return m;
  }

  [[nodiscard]] const matrix<T>& centers() const noexcept { return centers_; }           ///< current centers, one row per id
  [[nodiscard]] const std::vector<label_type>& ids() const noexcept { return ids_; }      ///< id of each center row
  [[nodiscard]] const std::vector<double>& masses() const noexcept { return mass_; }      ///< decayed weight behind each center
  [[nodiscard]] std::size_t n_batches() const noexcept { return batches_; }               ///< batches seen
  [[nodiscard]] double rms_distance() const noexcept { return std::sqrt(mean_sq_); }      ///< running RMS distance of rows to their centers

  /// Writes the whole state atomically (kind "segkit.model.streaming_kmeans"); parameters are not stored.
  void save(const std::filesystem::path& path) const {
    byte_writer meta;
    meta.put(std::uint32_t{1}).put(static_cast<std::uint64_t>(ids_.size())).put(static_cast<std::uint64_t>(centers_.size() == 0 ? 0 : centers_.shape(1)));
    meta.put(static_cast<std::uint64_t>(batches_)).put(static_cast<std::int64_t>(next_id_)).put(mean_sq_).put(seen_);
    container_writer w("segkit.model.streaming_kmeans");
    w.add("meta", meta.bytes());
    w.add_array<T>("centres", std::span<const T>(centers_.data(), centers_.size()));
    w.add_array<label_type>("ids", ids_);
    w.add_array<double>("mass", mass_);
    w.add_array<std::uint64_t>("idle", idle_);
    w.commit(path);
  }

  /// Restores a state written by save() into a model with these parameters.
  /// @throws segkit::format_error if the file is damaged, of another kind or inconsistent.
  void load(const std::filesystem::path& path) {
    const container_reader file(path, "segkit.model.streaming_kmeans");
    byte_reader meta(file.section("meta"), file);
    if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("streaming k-means format version {} is not supported", v));
    const auto k = meta.get<std::uint64_t>(), d = meta.get<std::uint64_t>();
    if (k > (std::uint64_t{1} << 24) || d > (std::uint64_t{1} << 24) || (k == 0) != (d == 0)) file.fail("implausible model shape");
    const auto batches = meta.get<std::uint64_t>();
    const auto next_id = meta.get<std::int64_t>();
    const double mean_sq = meta.get<double>(), seen = meta.get<double>();
    if (!(mean_sq >= 0.0) || !(seen >= 0.0) || next_id < 0) file.fail("invalid running statistics");
    const auto c = file.array<T>("centres", k * d);
    const auto ids = file.array<label_type>("ids", k);
    const auto mass = file.array<double>("mass", k);
    const auto idle = file.array<std::uint64_t>("idle", k);
    for (std::size_t i = 0; i < k; ++i) {
      if (ids[i] < 0 || ids[i] >= next_id || (i > 0 && ids[i] <= ids[i - 1])) file.fail("center ids must increase and lie below the next id");
      if (!(mass[i] >= 0.0) || !std::isfinite(mass[i])) file.fail(fmt::format("mass {} of center {} is invalid", mass[i], i));
    }
    for (const T v : c) {
      if (!std::isfinite(static_cast<double>(v))) file.fail("a center is not finite");
    }
    centers_ = matrix<T>::from_shape({k, d});
    std::copy(c.begin(), c.end(), centers_.begin());
    ids_.assign(ids.begin(), ids.end());
    mass_.assign(mass.begin(), mass.end());
    idle_.assign(idle.begin(), idle.end());
    batches_ = batches;
    next_id_ = static_cast<label_type>(next_id);
    mean_sq_ = mean_sq;
    seen_ = seen;
  }

 private:
  static constexpr const char* comp = "segkit::cluster::streaming_kmeans";

  streaming_batch_report fit_batch(const matrix_view<T>& x, std::span<const double> weights) {
    using segkit::detail::throw_invalid;
    const std::size_t n = x.rows(), d = x.cols();
    if (n == 0) throw_invalid(comp, "empty batch");
    if (!ids_.empty() && d != centers_.shape(1)) throw_invalid(comp, fmt::format("batch rows have {} columns, the model has {}", d, centers_.shape(1)));
    const std::vector<double> w = detail::checked_weights(x, ids_.empty() ? p_.k : 1, weights, comp);
    const double batch_weight = std::accumulate(w.begin(), w.end(), 0.0);
    executor ex(p_.threads);
    streaming_batch_report report;
    report.rows = n;
    if (ids_.empty()) return first_batch(x, w, report);

    // Assign, then spawn centers for tight groups of far rows.
    detail::lloyd_state<T> s{x, w, distance::row_norm_terms<distance::squared_l2_metric>(x), &ex};
    std::vector<label_type> labels(n);
    std::vector<T> dist(n);
    (void)detail::e_step(s, centers_, labels.data(), dist.data(), true);
    if (p_.spawn_factor > 0.0 && mean_sq_ > 0.0) spawn(x, w, batch_weight, labels, dist, report);

    // Decayed update of every center with its batch rows.
    const std::size_t k = ids_.size();
    detail::lloyd_partial part(k, d);
    for (std::size_t i = 0; i < n; ++i) {
      part.add(static_cast<std::size_t>(labels[i]), w[i], x.row(i));
      part.inertia += w[i] * static_cast<double>(dist[i]);
    }
    for (std::size_t c = 0; c < k; ++c) {
      const double old = p_.decay * mass_[c];
      mass_[c] = old + part.weights[c];
      if (part.weights[c] > 0.0) {
        for (std::size_t j = 0; j < d; ++j) {
          centers_(c, j) = static_cast<T>((old * static_cast<double>(centers_(c, j)) + part.sums[c * d + j]) / mass_[c]);
        }
        idle_[c] = 0;
      } else {
        ++idle_[c];
      }
    }
    report.inertia = part.inertia;
    const double past = p_.decay * seen_;
    mean_sq_ = (past * mean_sq_ + part.inertia) / (past + batch_weight);
    seen_ = past + batch_weight;
    retire(report);
    ++batches_;
    return report;
  }

  streaming_batch_report first_batch(const matrix_view<T>& x, const std::vector<double>& w, streaming_batch_report& report) {
    kmeans_params kp;
    kp.k = p_.k;
    kp.seed = p_.seed;
    kp.threads = p_.threads;
    auto m = kmeans<T>(kp).fit(x, w);
    const std::size_t k = p_.k;
    centers_ = std::move(m.centers);
    mass_.assign(k, 0.0);
    for (std::size_t i = 0; i < x.rows(); ++i) mass_[static_cast<std::size_t>(m.labels()(i))] += w[i];
    ids_.resize(k);
    for (std::size_t c = 0; c < k; ++c) ids_[c] = static_cast<label_type>(c);
    next_id_ = static_cast<label_type>(k);
    idle_.assign(k, 0);
    seen_ = std::accumulate(w.begin(), w.end(), 0.0);
    mean_sq_ = m.inertia / seen_;
    report.inertia = m.inertia;
    batches_ = 1;
    return report;
  }

  // Far rows: farther than spawn_factor x RMS from their (closest) center. While a group of them
  // (the far rows within that radius of the far row with the most such neighbors, ties to the
  // lower row; at most 256 evenly spaced far rows are tried as that seed) weighs at least spawn_fraction of the batch, it becomes a new center at its
  // weighted mean and its rows are relabeled to it.
  void spawn(const matrix_view<T>& x, const std::vector<double>& w, double batch_weight, std::vector<label_type>& labels, std::vector<T>& dist,
             streaming_batch_report& report) {
    const std::size_t d = x.cols();
    const double radius = p_.spawn_factor * std::sqrt(mean_sq_), radius_sq = radius * radius;
    std::vector<std::size_t> far;
    for (std::size_t i = 0; i < x.rows(); ++i) {
      if (static_cast<double>(dist[i]) > radius_sq && w[i] > 0.0) far.push_back(i);
    }
    while (!far.empty() && ids_.size() < p_.max_clusters) {
      double far_weight = 0.0;
      for (const auto i : far) far_weight += w[i];
      if (far_weight < p_.spawn_fraction * batch_weight) return;
      // Seeds: every far row, or 256 evenly spaced ones when there are more (bounds the cost).
      const std::size_t step = std::max<std::size_t>(1, far.size() / 256);
      std::size_t best = 0;
      double best_weight = -1.0;
      for (std::size_t a = 0; a < far.size(); a += step) {
        double around = 0.0;
        for (const auto b : far) {
          if (distance::squared_l2(x.row(far[a]), x.row(b), d) <= radius_sq) around += w[b];
        }
        if (around > best_weight) {
          best_weight = around;
          best = a;
        }
      }
      if (best_weight < p_.spawn_fraction * batch_weight) return;
      const std::size_t seed_row = far[best];
      std::vector<std::size_t> group, rest;
      std::vector<double> mean(d, 0.0);
      for (const auto b : far) {
        if (distance::squared_l2(x.row(seed_row), x.row(b), d) <= radius_sq) {
          group.push_back(b);
          for (std::size_t j = 0; j < d; ++j) mean[j] += w[b] * static_cast<double>(x(b, j));
        } else {
          rest.push_back(b);
        }
      }
      const std::size_t c = ids_.size();
      matrix<T> grown = matrix<T>::from_shape({c + 1, d});
      std::copy(centers_.begin(), centers_.end(), grown.begin());
      for (std::size_t j = 0; j < d; ++j) grown(c, j) = static_cast<T>(mean[j] / best_weight);
      centers_ = std::move(grown);
      ids_.push_back(next_id_++);
      mass_.push_back(0.0);
      idle_.push_back(0);
      report.spawned.push_back(ids_.back());
      for (const auto b : group) {
        labels[b] = static_cast<label_type>(c);
        dist[b] = distance::squared_l2(x.row(b), &centers_(c, 0), d);
      }
      far = std::move(rest);
    }
  }

  // Removes centers idle for retire_after batches (most idle first, ties to the older id) while
  // more than min_clusters remain.
  void retire(streaming_batch_report& report) {
    if (p_.retire_after == 0) return;
    std::vector<std::size_t> order(ids_.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return idle_[a] > idle_[b]; });
    std::vector<bool> drop(ids_.size(), false);
    std::size_t left = ids_.size();
    for (const auto c : order) {
      if (idle_[c] < p_.retire_after || left <= p_.min_clusters) break;
      drop[c] = true;
      --left;
    }
    if (left == ids_.size()) return;
    const std::size_t d = centers_.shape(1);
    matrix<T> kept = matrix<T>::from_shape({left, d});
    std::vector<label_type> ids;
    std::vector<double> mass;
    std::vector<std::uint64_t> idle;
    for (std::size_t c = 0; c < ids_.size(); ++c) {
      if (drop[c]) {
        report.retired.push_back(ids_[c]);
        continue;
      }
      std::copy_n(&centers_(c, 0), d, &kept(ids.size(), 0));
      ids.push_back(ids_[c]);
      mass.push_back(mass_[c]);
      idle.push_back(idle_[c]);
    }
    centers_ = std::move(kept);
    ids_ = std::move(ids);
    mass_ = std::move(mass);
    idle_ = std::move(idle);
  }

  streaming_kmeans_params p_;
  matrix<T> centers_;
  std::vector<label_type> ids_;
  std::vector<double> mass_;
  std::vector<std::uint64_t> idle_;
  label_type next_id_ = 0;
  std::size_t batches_ = 0;
  double mean_sq_ = 0.0;  // running (decayed) mean squared distance of rows to their centers
  double seen_ = 0.0;     // decayed weight behind mean_sq_
};

}  // namespace segkit::cluster
