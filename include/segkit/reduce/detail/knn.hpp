#pragma once
// k nearest neighbors for the neighbor-graph reducers (UMAP, t-SNE): exact by blocked scans
// (BLAS products for the metrics with a matrix-product form), or through an HNSW graph for large
// inputs (segkit::reduce::knn_method).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <tuple>
#include <vector>

#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/params.hpp"
#include "segkit/distance/pairwise.hpp"
#include "segkit/index/hnsw.hpp"

namespace segkit::reduce {

/// How the neighbor-graph reducers (UMAP, t-SNE) find each row's nearest neighbors.
enum class knn_method {
  automatic,  ///< exact up to knn_exact_up_to rows, hnsw above
  exact,      ///< every pair, O(n^2 d): the reference
  hnsw,       ///< an HNSW graph (m 16, ef_construction 200, ef max(2 k, 64)): about 99 % recall, O(n log n d)
};
/// Names of knn_method in files and on the command line.
constexpr auto enum_names(knn_method) {
  using params::name_value;
  return std::array{name_value{"auto", knn_method::automatic}, name_value{"exact", knn_method::exact}, name_value{"hnsw", knn_method::hnsw}};
}

/// Rows up to which knn_method::automatic scans exactly (there both cost about the same here).
inline constexpr std::size_t knn_exact_up_to = 20000;

}  // namespace segkit::reduce

namespace segkit::reduce::detail {

/// Exact k nearest rows of each query (self included when the query is a row of `base`; it is
/// put first), by blocked scans: ids and distances, n x k, ascending.
template <class M, class T>
void exact_knn(const M& metric, const matrix_view<T>& queries, const matrix_view<T>& base, std::size_t k, bool self, executor& ex,
               std::vector<std::uint32_t>& ids, std::vector<float>& dists, bool batch_invariant = false) {
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
      if (batch_invariant) {
        // One metric call per pair: BLAS may sum a product in another order depending on the
        // batch's shape (a lone query goes through gemv), which would make a row's neighbors
        // depend on the rows transformed with it.
        for (std::size_t r = 0; r < rows; ++r) {
          for (std::size_t j = 0; j < w; ++j) tile[r * w + j] = static_cast<T>(metric(queries.row(b + r), base.row(jb + j), queries.cols()));
        }
      } else {
        distance::distance_block(metric, queries.slice(b, e), base.slice(jb, je), qterms.empty() ? nullptr : qterms.data() + b,
                                 bterms.empty() ? nullptr : bterms.data() + jb, tile.data(), w);
      }
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

/**
 * The k nearest rows of `x` among its own rows, the row itself first (distance 0), by `method`.
 * HNSW: a graph over all rows built with `seed` (the same graph for any thread count), then one
 * search per row; the row itself is put first whether or not the search returned it (and exact
 * scans if some walk reaches fewer than k rows). Returns the method used.
 */
template <class M, class T>
knn_method self_knn(const M& metric, const matrix_view<T>& x, std::size_t k, knn_method method, std::uint64_t seed, executor& ex,
                    std::vector<std::uint32_t>& ids, std::vector<float>& dists) {
  const std::size_t n = x.rows();
  if (method == knn_method::automatic) method = n <= knn_exact_up_to ? knn_method::exact : knn_method::hnsw;
  if (method == knn_method::exact || k >= n) {
    exact_knn(metric, x, x, k, true, ex, ids, dists);
    return knn_method::exact;
  }
  index::hnsw<M, T> graph(x.cols(), {.m = 16, .ef_construction = 200, .seed = seed, .threads = ex.threads()}, metric);
  std::vector<id_type> all(n);
  for (std::size_t i = 0; i < n; ++i) all[i] = i;
  graph.add(all, x);
  const std::size_t want = std::min(n, k + 1);
  const auto found = graph.search(x, want, {.ef = std::max<std::size_t>(2 * want, 64), .threads = ex.threads()});
  ids.assign(n * k, 0);
  dists.assign(n * k, 0.0f);
  for (std::size_t i = 0; i < n; ++i) {
    ids[i * k] = static_cast<std::uint32_t>(i);
    std::size_t at = 1;
    for (std::size_t j = 0; j < want && at < k; ++j) {
      const auto id = static_cast<std::uint32_t>(found.ids(i, j));
      if (id == i || found.ids(i, j) == no_id) continue;
      ids[i * k + at] = id;
      dists[i * k + at] = std::max(0.0f, static_cast<float>(found.distances(i, j)));
      ++at;
    }
    if (at < k) {  // the walk reached fewer than k rows (tiny or disconnected graphs): scan instead
      exact_knn(metric, x, x, k, true, ex, ids, dists);
      return knn_method::exact;
    }
  }
  return knn_method::hnsw;
}

}  // namespace segkit::reduce::detail
