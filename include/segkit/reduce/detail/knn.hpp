#pragma once
// Exact k nearest neighbours by blocked scans (BLAS products for the metrics with a matrix-product
// form), shared by the neighbour-graph reducers (UMAP, t-SNE).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/distance/pairwise.hpp"

namespace segkit::reduce::detail {

/// Exact k nearest rows of each query (self included when the query is a row of `base`; it is
/// put first), by blocked scans: ids and distances, n x k, ascending.
template <class M, class T>
void exact_knn(const M& metric, const matrix_view<T>& queries, const matrix_view<T>& base, std::size_t k, bool self, executor& ex,
               std::vector<std::uint32_t>& ids, std::vector<float>& dists) {
  const std::size_t nq = queries.rows(), nb = base.rows();
  ids.assign(nq * k, 0);
  dists.assign(nq * k, 0.0f);
  const auto qterms = distance::row_norm_terms<M>(queries);
  const auto bterms = distance::row_norm_terms<M>(base);
  constexpr std::size_t qblock = 64, bblock = 2048;
  parallel_for(ex, nq, qblock, [&](std::size_t b, std::size_t e, std::size_t) {
    const std::size_t rows = e - b;
    std::vector<T> tile(rows * bblock);
    // Per query: a max-heap of (distance, id) of the k best so far.
    std::vector<std::vector<std::pair<T, std::uint32_t>>> best(rows);
    for (auto& h : best) h.reserve(k + 1);
    for (std::size_t jb = 0; jb < nb; jb += bblock) {
      const std::size_t je = std::min(nb, jb + bblock), w = je - jb;
      distance::distance_block(metric, queries.slice(b, e), base.slice(jb, je), qterms.empty() ? nullptr : qterms.data() + b,
                               bterms.empty() ? nullptr : bterms.data() + jb, tile.data(), w);
      for (std::size_t r = 0; r < rows; ++r) {
        auto& h = best[r];
        T* t = tile.data() + r * w;
        if (self && b + r >= jb && b + r < je) t[b + r - jb] = -std::numeric_limits<T>::infinity();  // the row itself comes first
        // Most candidates lose to the current k-th best: test the value alone before any heap work.
        T bound = h.size() < k ? std::numeric_limits<T>::infinity() : h.front().first;
        for (std::size_t j = 0; j < w; ++j) {
          const T v = t[j];
          if (v > bound) continue;
          const std::pair<T, std::uint32_t> c{v, static_cast<std::uint32_t>(jb + j)};
          if (h.size() < k) {
            h.push_back(c);
            std::push_heap(h.begin(), h.end());
            if (h.size() == k) bound = h.front().first;
          } else if (c < h.front()) {
            std::pop_heap(h.begin(), h.end());
            h.back() = c;
            std::push_heap(h.begin(), h.end());
            bound = h.front().first;
          }
        }
      }
    }
    for (std::size_t r = 0; r < rows; ++r) {
      auto& h = best[r];
      std::sort_heap(h.begin(), h.end());
      for (std::size_t j = 0; j < k; ++j) {
        ids[(b + r) * k + j] = h[j].second;
        const T v = h[j].first;
        dists[(b + r) * k + j] = v == -std::numeric_limits<T>::infinity() ? 0.0f : std::max(0.0f, static_cast<float>(v));
      }
    }
  });
}

}  // namespace segkit::reduce::detail
