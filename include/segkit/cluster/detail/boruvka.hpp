#pragma once
// Borůvka's minimum spanning tree of HDBSCAN*'s mutual-reachability graph over a k-d tree.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <limits>
#include <memory>
#include <queue>
#include <utility>
#include <vector>

#include "segkit/cluster/hierarchy.hpp"
#include "segkit/core/cpu.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/graph/union_find.hpp"
#include "segkit/neighbors/kdtree.hpp"

namespace segkit::cluster::detail {

/**
 * The edges of a spanning tree in the order Prim's algorithm (prim_mst: from vertex 0, the
 * lightest fringe edge next, ties to the lowest vertex) adds them when run on the tree's edges.
 */
inline std::vector<mst_edge> prim_order(const std::vector<mst_edge>& edges, std::size_t n) {
  std::vector<std::vector<std::pair<std::size_t, double>>> adj(n);
  for (const mst_edge& e : edges) {
    adj[e.a].emplace_back(e.b, e.weight);
    adj[e.b].emplace_back(e.a, e.weight);
  }
  struct fringe {
    double w;
    std::size_t v, from;
    bool operator>(const fringe& o) const noexcept { return w != o.w ? w > o.w : v > o.v; }
  };
  std::priority_queue<fringe, std::vector<fringe>, std::greater<>> queue;
  std::vector<char> in(n, 0);
  std::vector<mst_edge> out;
  out.reserve(edges.size());
  const auto join = [&](std::size_t v) {
    in[v] = 1;
    for (const auto& [u, w] : adj[v]) {
      if (!in[u]) queue.push({w, u, v});
    }
  };
  join(0);
  while (!queue.empty()) {
    const fringe f = queue.top();
    queue.pop();
    if (in[f.v]) continue;
    out.push_back({f.from, f.v, f.w});
    join(f.v);
  }
  return out;
}

/**
 * Minimum spanning tree of the complete graph whose edge between rows a and b weighs
 * max(core[a], core[b], dist(a, b)), dist Euclidean (or its square with `squared`): HDBSCAN*'s
 * mutual reachability. Borůvka's algorithm (Borůvka 1926): each round every component takes its
 * lightest edge to another component, found by one k-d tree search per row that skips subtrees
 * inside the row's own component and subtrees whose lower bound max(core of the row, least core
 * in the subtree, distance to the box) exceeds the lightest edge known for the component (the
 * pruning of McInnes & Healy 2017, "Accelerated hierarchical density based clustering", in a
 * single-tree form). Edges are compared by (weight, lower row, higher row), a total order, so the
 * tree is the one Kruskal's algorithm picks under that order, for any thread count; it is
 * returned in that order. O(log n) rounds of n searches.
 */
template <class T>
std::vector<mst_edge> boruvka_mutual_reachability(const matrix_view<T>& x, const std::vector<double>& core, bool squared, executor& ex) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  const std::size_t n = x.rows();
  std::vector<mst_edge> edges;
  if (n <= 1) return edges;
  edges.reserve(n - 1);
  const neighbors::kd_tree tree(x, {.leaf_size = 16});
  const std::size_t nodes = tree.node_count();
  const auto from2 = [squared](double d2) { return squared ? d2 : std::sqrt(d2); };
  std::vector<double> core_at(n);  // by tree position
  for (std::size_t p = 0; p < n; ++p) core_at[p] = core[tree.row_at(p)];
  std::vector<double> min_core(nodes, inf);
  std::vector<std::size_t> node_comp(nodes);
  constexpr std::size_t mixed = static_cast<std::size_t>(-1);
  for (std::size_t v = nodes; v-- > 0;) {  // children come after their parent
    if (tree.is_leaf(v)) {
      const auto [b, e] = tree.node_points(v);
      for (std::size_t p = b; p < e; ++p) min_core[v] = std::min(min_core[v], core_at[p]);
    } else {
      const auto [l, r] = tree.children(v);
      min_core[v] = std::min(min_core[l], min_core[r]);
    }
  }
  struct candidate {
    double w;
    std::size_t lo, hi;
    [[nodiscard]] bool before(const candidate& o) const noexcept { return w != o.w ? w < o.w : (lo != o.lo ? lo < o.lo : hi < o.hi); }
  };
  graph::union_find sets(n);
  std::vector<std::size_t> comp_at(n);  // component (its root row) by tree position
  std::vector<candidate> found(n), best(n);
  const auto bound = std::make_unique<std::atomic<double>[]>(n);  // lightest edge found per component
  std::size_t components = n;
  while (components > 1) {
    for (std::size_t p = 0; p < n; ++p) comp_at[p] = sets.find(tree.row_at(p));
    for (std::size_t v = nodes; v-- > 0;) {
      if (tree.is_leaf(v)) {
        const auto [b, e] = tree.node_points(v);
        node_comp[v] = comp_at[b];
        for (std::size_t p = b + 1; p < e && node_comp[v] != mixed; ++p) node_comp[v] = comp_at[p] == comp_at[b] ? comp_at[b] : mixed;
      } else {
        const auto [l, r] = tree.children(v);
        node_comp[v] = node_comp[l] == node_comp[r] ? node_comp[l] : mixed;
      }
    }
    for (std::size_t r = 0; r < n; ++r) bound[r].store(inf, std::memory_order_relaxed);
    parallel_for(ex, n, 256, [&](std::size_t b, std::size_t e, std::size_t) {
      // An AVX2 copy when the CPU has it: the tree searches and their kernels inlined (core/cpu.hpp).
      cpu::dispatch_avx2([&] {
        std::vector<std::size_t> stack;
        for (std::size_t q = b; q < e; ++q) {
          const std::size_t cq = comp_at[q], rq = tree.row_at(q);
          const double cc = core_at[q];
          const double* pq = tree.point_at(q);
          std::atomic<double>& shared = bound[cq];
          candidate mine{inf, n, n};
          stack.assign(1, 0);
          while (!stack.empty()) {
            const std::size_t v = stack.back();
            stack.pop_back();
            if (node_comp[v] == cq) continue;
            // Strictly heavier only: equal weights may still win on the rows.
            const double limit = std::min(mine.w, shared.load(std::memory_order_relaxed));
            if (std::max({cc, min_core[v], from2(tree.box_distance2(v, pq))}) > limit) continue;
            if (tree.is_leaf(v)) {
              const auto [pb, pe] = tree.node_points(v);
              for (std::size_t p = pb; p < pe; ++p) {
                if (comp_at[p] == cq) continue;
                const std::size_t rp = tree.row_at(p);
                const candidate c{std::max({cc, core_at[p], from2(tree.distance2_at(p, pq))}), std::min(rq, rp), std::max(rq, rp)};
                if (c.before(mine)) mine = c;
              }
              continue;
            }
            const auto [l, r] = tree.children(v);
            const bool left_first = tree.box_distance2(l, pq) <= tree.box_distance2(r, pq);
            stack.push_back(left_first ? r : l);  // the nearer child is searched first
            stack.push_back(left_first ? l : r);
          }
          found[q] = mine;
          double cur = shared.load(std::memory_order_relaxed);
          while (mine.w < cur && !shared.compare_exchange_weak(cur, mine.w, std::memory_order_relaxed)) {
          }
        }
      });
    });
    // Each component's lightest edge (pruning only drops edges heavier than it), joined in row order.
    std::fill(best.begin(), best.end(), candidate{inf, n, n});
    for (std::size_t p = 0; p < n; ++p) {
      if (found[p].before(best[comp_at[p]])) best[comp_at[p]] = found[p];
    }
    for (std::size_t r = 0; r < n; ++r) {
      const candidate& c = best[r];
      if (c.lo == n) continue;
      const std::size_t a = sets.find(c.lo), z = sets.find(c.hi);
      if (a == z) continue;  // the same edge chosen by both of its components
      sets.unite(a, z);
      edges.push_back({c.lo, c.hi, c.w});
      --components;
    }
  }
  return prim_order(edges, n);
}

}  // namespace segkit::cluster::detail
