#pragma once
/// @file
/// @brief Basic vocabulary types: record ids, labels, the common part of every fitted clustering,
/// k-NN results, filters.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"

namespace segkit {

/// Record identifier, chosen by the caller.
using id_type = std::uint64_t;
/// Segment label; noise or unassigned is -1.
using label_type = std::int32_t;

/// Id reported where fewer than k neighbors exist (k > size, or a filter excluded the rest).
inline constexpr id_type no_id = std::numeric_limits<id_type>::max();
/// Label of noise points and unassigned records.
inline constexpr label_type noise_label = -1;
/// One label per row.
using label_vector = xt::xtensor<label_type, 1>;

/**
 * @brief What every fitted clustering model has (segkit::clusterer asks for it): the label of each
 * row it was fitted on, 0..n_clusters()-1 or -1 (noise), and the number of clusters.
 *
 * Models derive from it and add their method's facts (centers, trees, scores):
 * @code
 * auto model = segkit::cluster::kmeans({.k = 5}).fit(x);
 * model.labels();      // one label per row of x
 * model.n_clusters();  // 5
 * model.predict(y);    // labels of new rows, where the method defines them
 * @endcode
 */
class clustering {
 public:
  clustering() = default;
  /// @throws segkit::invalid_argument unless every label is -1 or below n_clusters.
  clustering(label_vector labels, std::size_t n_clusters) { set_labels(std::move(labels), n_clusters); }

  /// The label of each training row: 0..n_clusters()-1, or -1 for noise.
  [[nodiscard]] const label_vector& labels() const noexcept { return labels_; }
  /// The number of clusters the labels name.
  [[nodiscard]] std::size_t n_clusters() const noexcept { return n_clusters_; }
  /// The share of training rows labeled -1 (0 without rows).
  [[nodiscard]] double noise_fraction() const noexcept {
    if (labels_.size() == 0) return 0.0;
    std::size_t noise = 0;
    for (const label_type l : labels_) noise += l < 0 ? 1 : 0;
    return static_cast<double>(noise) / static_cast<double>(labels_.size());
  }
  /// Training rows per cluster, by label.
  [[nodiscard]] std::vector<std::size_t> sizes() const {
    std::vector<std::size_t> out(n_clusters_, 0);
    for (const label_type l : labels_) {
      if (l >= 0) ++out[static_cast<std::size_t>(l)];
    }
    return out;
  }

  /// Replaces the labels (what fit() and loading do).
  /// @throws segkit::invalid_argument unless every label is -1 or below n_clusters.
  void set_labels(label_vector labels, std::size_t n_clusters) {
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (labels(i) < noise_label || (labels(i) >= 0 && static_cast<std::size_t>(labels(i)) >= n_clusters)) {
        detail::throw_invalid("segkit::clustering", "label " + std::to_string(labels(i)) + " of row " + std::to_string(i) + " is outside -1.." +
                                                        std::to_string(static_cast<long long>(n_clusters) - 1));
      }
    }
    labels_ = std::move(labels);
    n_clusters_ = n_clusters;
  }

 private:
  label_vector labels_;
  std::size_t n_clusters_ = 0;
};

/**
 * @brief Result of a k-nearest-neighbor search of `nq` queries.
 *
 * Row i holds the neighbors of query i, closest first; ties are broken by smaller id.
 * Missing neighbors are `no_id`, with distance +infinity (or -infinity for similarity metrics
 * such as inner product, where larger is closer).
 */
template <class T = float>
struct knn_result {
  xt::xtensor<id_type, 2> ids;   ///< nq x k neighbor ids
  xt::xtensor<T, 2> distances;   ///< nq x k distances (the metric's values; see its traits)
};

/// Filter that accepts every id: the default of every search, compiled away.
struct accept_all {
  constexpr bool operator()(id_type) const noexcept { return true; }
};

}  // namespace segkit
