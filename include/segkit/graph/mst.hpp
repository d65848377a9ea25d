#pragma once
/// @file
/// @brief Minimum spanning trees by Prim's algorithm on implicit complete graphs (weights given by
/// a function of two vertices, never stored): the first step of single linkage, HDBSCAN and
/// constrained agglomerative clustering.

#include <algorithm>
#include <cstddef>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "segkit/core/cpu.hpp"
#include "segkit/core/parallel.hpp"

namespace segkit::graph {

/// One edge of a spanning tree: vertices a, b and the weight joining them.
struct mst_edge {
  std::size_t a = 0;
  std::size_t b = 0;
  double weight = 0.0;
};

/**
 * @brief Minimum spanning tree of the complete graph on n vertices whose edge weights are
 * `weight(i, j)` (symmetric, finite), by Prim's algorithm with a dense fringe: O(n^2) weight
 * calls, O(n) memory. Starts at vertex 0; among equally light fringe edges the lowest vertex is
 * taken next, so the tree and the order of its edges (the order vertices join) depend only on the
 * weights. `skip(i, j, best)` may return true when weight(i, j) cannot be below `best` (a cheap
 * lower bound), saving the call. Large fringes are scanned in parallel, each scan in the AVX2
 * copy where the CPU has it (segkit/core/cpu.hpp), the weight function inlined into it.
 */
template <class W, class Skip>
std::vector<mst_edge> prim_mst(std::size_t n, W&& weight, Skip&& skip, executor& ex) {
  std::vector<mst_edge> edges;
  if (n <= 1) return edges;
  edges.reserve(n - 1);
  std::vector<std::size_t> rest(n - 1);  // vertices outside the tree
  std::iota(rest.begin(), rest.end(), std::size_t{1});
  std::vector<double> best(n, std::numeric_limits<double>::infinity());
  std::vector<std::size_t> from(n, 0);
  constexpr std::size_t grain = 4096;
  std::size_t current = 0;
  struct pick {
    double w;
    std::size_t pos;
    std::size_t v;
  };
  const auto better = [](const pick& a, const pick& b) { return a.w < b.w || (a.w == b.w && a.v < b.v); };
  const auto scan = [&](std::size_t b, std::size_t e) {
    pick p{std::numeric_limits<double>::infinity(), e, n};
    for (std::size_t k = b; k < e; ++k) {
      const std::size_t v = rest[k];
      if (!skip(current, v, best[v])) {
        const double w = weight(current, v);
        if (w < best[v]) {
          best[v] = w;
          from[v] = current;
        }
      }
      const pick c{best[v], k, v};
      if (p.pos == e || better(c, p)) p = c;
    }
    return p;
  };
  std::vector<pick> partial;
  while (!rest.empty()) {
    pick p{};
    if (rest.size() < 2 * grain || ex.threads() == 1) {
      cpu::dispatch_avx2([&] { p = scan(0, rest.size()); });
    } else {
      partial.assign(chunk_count(rest.size(), grain), pick{});
      parallel_for(ex, rest.size(), grain, [&](std::size_t b, std::size_t e, std::size_t c) {
        cpu::dispatch_avx2([&] { partial[c] = scan(b, e); });
      });
      p = partial[0];
      for (const pick& c : partial) {
        if (better(c, p)) p = c;
      }
    }
    edges.push_back({from[p.v], p.v, p.w});
    current = p.v;
    rest[p.pos] = rest.back();
    rest.pop_back();
  }
  return edges;
}

/// prim_mst without a lower bound.
template <class W>
std::vector<mst_edge> prim_mst(std::size_t n, W&& weight, executor& ex) {
  return prim_mst(n, std::forward<W>(weight), [](std::size_t, std::size_t, double) { return false; }, ex);
}

}  // namespace segkit::graph
