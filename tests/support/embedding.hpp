#pragma once
// Checks shared by the embedding tests (UMAP, t-SNE).

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include <segkit/core/matrix_view.hpp>

namespace segkit::test {

// Share of rows whose 10 nearest embedded neighbors are mostly (8 of 10) of the row's own blob,
// where row i belongs to blob i % centers (the layout of segkit::test::blobs).
inline double neighbor_purity(const matrix<float>& y, std::size_t centers) {
  const std::size_t n = y.shape(0);
  std::size_t good = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::pair<float, std::size_t>> d;
    for (std::size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      float s = 0.0f;
      for (std::size_t q = 0; q < y.shape(1); ++q) s += (y(i, q) - y(j, q)) * (y(i, q) - y(j, q));
      d.emplace_back(s, j);
    }
    std::partial_sort(d.begin(), d.begin() + 10, d.end());
    std::size_t same = 0;
    for (std::size_t t = 0; t < 10; ++t) same += d[t].second % centers == i % centers ? 1 : 0;
    good += same >= 8 ? 1 : 0;
  }
  return static_cast<double>(good) / static_cast<double>(n);
}

// Share of `fresh` rows (blob (first + i) % centers) whose nearest point of `reference` (blob j %
// centers) is of their own blob.
inline double placed_in_own_blob(const matrix<float>& fresh, const matrix<float>& reference, std::size_t first, std::size_t centers) {
  std::size_t right = 0;
  for (std::size_t i = 0; i < fresh.shape(0); ++i) {
    float best = 1e30f;
    std::size_t at = 0;
    for (std::size_t j = 0; j < reference.shape(0); ++j) {
      float s = 0.0f;
      for (std::size_t q = 0; q < fresh.shape(1); ++q) s += (fresh(i, q) - reference(j, q)) * (fresh(i, q) - reference(j, q));
      if (s < best) best = s, at = j;
    }
    right += at % centers == (first + i) % centers ? 1 : 0;
  }
  return static_cast<double>(right) / static_cast<double>(fresh.shape(0));
}

}  // namespace segkit::test
