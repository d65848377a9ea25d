#pragma once
/// @file
/// @brief Merging the top-k lists of several indexes (shards) over disjoint ids into one top-k.

#include <algorithm>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distance/metrics.hpp"

namespace segkit::index {

/// Whether larger values are closer for an index's metric (inner product): from its metric type,
/// or, for a run-time index (any_index), from its metric's name.
template <class Index>
[[nodiscard]] bool higher_is_closer(const Index& index) {
  if constexpr (requires { Index::metric_type::higher_is_closer; }) {
    return Index::metric_type::higher_is_closer;
  } else if constexpr (requires { std::string(index.metric()); }) {
    const std::string name(index.metric());
    for (auto known : distance::metric_names) {
      if (known == name) return distance::visit_metric(name, [](auto m) { return decltype(m)::higher_is_closer; });
    }
    return false;
  } else {
    return false;
  }
}

/**
 * @brief The k best of the shards' answers to the same queries, per query: closest first
 * (largest first when `higher_is_closer`), ties to the lower id; missing entries (segkit::no_id)
 * are skipped and the row is padded with no_id and an infinite distance (negative infinity for
 * similarities), as a single index answers. The parts may have fewer than k columns (an index
 * answers at most as many neighbors as it stores); the result has k columns, or all the parts'
 * columns together when those are fewer.
 *
 * With exact shards over disjoint ids this is exactly one exact index's answer.
 * @throws segkit::invalid_argument if the parts differ in their number of queries.
 */
template <class T>
[[nodiscard]] knn_result<T> merge_results(std::span<const knn_result<T>> parts, std::size_t k, bool higher_is_closer) {
  const std::size_t nq = parts.empty() ? 0 : parts[0].ids.shape(0);
  std::size_t columns = 0;
  for (const auto& p : parts) {
    if (p.ids.shape(0) != nq || p.distances.shape(0) != nq || p.distances.shape(1) != p.ids.shape(1)) {
      segkit::detail::throw_invalid("segkit::index::merge_results",
                                    fmt::format("a part answers {} queries with {} ids and {} x {} distances; expected {} queries", p.ids.shape(0),
                                                p.ids.shape(1), p.distances.shape(0), p.distances.shape(1), nq));
    }
    columns += p.ids.shape(1);
  }
  k = std::min(k, std::max<std::size_t>(columns, 1));  // an index answers at most as many as it stores
  knn_result<T> out{xt::xtensor<id_type, 2>::from_shape({nq, k}), xt::xtensor<T, 2>::from_shape({nq, k})};
  const T none = higher_is_closer ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
  struct hit {
    T distance;
    id_type id;
  };
  std::vector<hit> cand;
  for (std::size_t i = 0; i < nq; ++i) {
    cand.clear();
    for (const auto& p : parts) {
      for (std::size_t j = 0; j < p.ids.shape(1); ++j) {
        if (p.ids(i, j) != no_id) cand.push_back({p.distances(i, j), p.ids(i, j)});
      }
    }
    const std::size_t take = std::min(k, cand.size());
    std::partial_sort(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(take), cand.end(), [&](const hit& a, const hit& b) {
      if (a.distance != b.distance) return higher_is_closer ? a.distance > b.distance : a.distance < b.distance;
      return a.id < b.id;
    });
    for (std::size_t j = 0; j < k; ++j) {
      out.ids(i, j) = j < take ? cand[j].id : no_id;
      out.distances(i, j) = j < take ? cand[j].distance : none;
    }
  }
  return out;
}

}  // namespace segkit::index
