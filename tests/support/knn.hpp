#pragma once
// Helpers of the index tests: consecutive ids, and recall of an answer against the exact one.

#include <cstddef>
#include <set>
#include <vector>

#include <segkit/core/types.hpp>

namespace segkit::test {

// n ids first, first + 1, ...
inline std::vector<id_type> iota_ids(std::size_t n, id_type first = 0) {
  std::vector<id_type> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = first + i;
  return ids;
}

// Fraction of the true neighbors (segkit::no_id entries of the truth ignored) found in `got`.
template <class T>
double recall(const knn_result<T>& got, const knn_result<T>& truth) {
  std::size_t hits = 0, total = 0;
  for (std::size_t i = 0; i < truth.ids.shape(0); ++i) {
    std::set<id_type> want;
    for (std::size_t j = 0; j < truth.ids.shape(1); ++j) {
      if (truth.ids(i, j) != no_id) want.insert(truth.ids(i, j));
    }
    total += want.size();
    for (std::size_t j = 0; j < got.ids.shape(1); ++j) hits += want.count(got.ids(i, j));
  }
  return total == 0 ? 1.0 : static_cast<double>(hits) / static_cast<double>(total);
}

}  // namespace segkit::test
