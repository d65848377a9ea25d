#pragma once
/// @file
/// @brief Basic vocabulary types: record ids, labels, k-NN results, filters.

#include <cstddef>
#include <cstdint>
#include <limits>

#include <xtensor/xtensor.hpp>

namespace segkit {

/// Record identifier, chosen by the caller.
using id_type = std::uint64_t;
/// Segment label; noise or unassigned is -1.
using label_type = std::int32_t;

/// Id reported where fewer than k neighbors exist (k > size, or a filter excluded the rest).
inline constexpr id_type no_id = std::numeric_limits<id_type>::max();
/// Label of noise points and unassigned records.
inline constexpr label_type noise_label = -1;

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
