#pragma once
// Agglomeration restricted to the edges of a connectivity graph, as scikit-learn's ward_tree and
// linkage_tree compute it when given `connectivity`: the cheapest edge merges first (each
// cluster keeps its cheapest edge in a priority queue), the merged cluster inheriting both
// neighbor sets.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <queue>
#include <utility>
#include <vector>

#include "segkit/neighbors/exact.hpp"
#include "segkit/cluster/hierarchy.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"

namespace segkit::cluster::detail {

/// Neighbor lists of vertices 0..n-1: symmetric, ascending, no repeats, no self loops.
using adjacency = std::vector<std::vector<std::size_t>>;

/// Sorts, de-duplicates and symmetrizes raw neighbor lists and drops self loops.
inline adjacency symmetric_adjacency(adjacency raw) {
  const std::size_t n = raw.size();
  adjacency out(n);
  for (std::size_t v = 0; v < n; ++v) {
    for (const std::size_t u : raw[v]) {
      if (u == v) continue;
      out[v].push_back(u);
      out[u].push_back(v);
    }
  }
  for (auto& list : out) {
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }
  return out;
}

/**
 * Joins the connected components of `adj` the way scikit-learn completes a disconnected
 * connectivity matrix (sklearn.utils.graph._fix_connected_components): for every pair of
 * components, an edge between their two closest rows (ties: the lowest row of the
 * higher-numbered component, then of the other; components numbered by their lowest row).
 * The closest pair comes from nearest-neighbor searches of the smaller component's rows among
 * the larger's (k-d tree or blocked scan), the winner's distance recomputed exactly. Returns how
 * many components there were before.
 */
template <class M, class T>
std::size_t connect_components(adjacency& adj, const matrix_view<T>& x, executor& ex) {
  const std::size_t n = adj.size(), d = x.cols();
  std::vector<std::size_t> comp(n, n);
  std::vector<std::vector<std::size_t>> members;
  std::vector<std::size_t> stack;
  for (std::size_t s = 0; s < n; ++s) {
    if (comp[s] != n) continue;
    const std::size_t c = members.size();
    members.emplace_back();
    comp[s] = c;
    stack.assign(1, s);
    while (!stack.empty()) {
      const std::size_t v = stack.back();
      stack.pop_back();
      members[c].push_back(v);
      for (const std::size_t u : adj[v]) {
        if (comp[u] == n) {
          comp[u] = c;
          stack.push_back(u);
        }
      }
    }
    std::sort(members[c].begin(), members[c].end());
  }
  const std::size_t count = members.size();
  if (count < 2) return count;
  // Each component's rows, contiguous, and a neighbor search over them.
  std::vector<std::vector<T>> rows(count);
  std::vector<std::unique_ptr<neighbors::exact_neighbors<M, T>>> search(count);
  parallel_for(ex, count, 1, [&](std::size_t b, std::size_t e, std::size_t) {
    for (std::size_t c = b; c < e; ++c) {
      rows[c].resize(members[c].size() * d);
      for (std::size_t r = 0; r < members[c].size(); ++r) std::copy_n(x.row(members[c][r]), d, rows[c].data() + r * d);
      search[c] = std::make_unique<neighbors::exact_neighbors<M, T>>(matrix_view<T>{rows[c].data(), members[c].size(), d});
    }
  });
  struct pick {
    double d;
    std::size_t a, b;  // a in the higher-numbered component
    [[nodiscard]] bool before(const pick& o) const noexcept { return d != o.d ? d < o.d : (a != o.a ? a < o.a : b < o.b); }
  };
  constexpr double inf = std::numeric_limits<double>::infinity();
  for (std::size_t i = 1; i < count; ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const bool i_asks = members[i].size() <= members[j].size();
      const std::size_t q = i_asks ? i : j, t = i_asks ? j : i;
      const matrix_view<T> queries{rows[q].data(), members[q].size(), d};
      std::vector<pick> partial(chunk_count(members[q].size(), 256), pick{inf, n, n});
      parallel_for(ex, members[q].size(), 256, [&](std::size_t b, std::size_t e, std::size_t chunk) {
        search[t]->nearest_to(queries, b, e, 1, [&](std::size_t r, const std::vector<std::pair<double, std::size_t>>& list) {
          const std::size_t u = members[q][r], v = members[t][list[0].second];
          const pick p{neighbors::exact_distance<M>(x.row(u), x.row(v), d), i_asks ? u : v, i_asks ? v : u};
          if (p.before(partial[chunk])) partial[chunk] = p;
        });
      });
      pick best{inf, n, n};
      for (const pick& p : partial) {
        if (p.before(best)) best = p;
      }
      adj[best.a].insert(std::lower_bound(adj[best.a].begin(), adj[best.a].end(), best.b), best.b);
      adj[best.b].insert(std::lower_bound(adj[best.b].begin(), adj[best.b].end(), best.a), best.a);
    }
  }
  return count;
}

/// A candidate merge: linkage value, then the higher node id, then the lower (the order of
/// scikit-learn's (inertia, i, j) tuples).
struct graph_candidate {
  double key;
  std::size_t hi, lo;
  [[nodiscard]] bool before(const graph_candidate& o) const noexcept {
    if (key != o.key) return key < o.key;
    return hi != o.hi ? hi < o.hi : lo < o.lo;
  }
};

/// A neighbor node and the linkage value of the edge to it; lists are kept ascending by node.
using graph_entry = std::pair<std::size_t, double>;

/**
 * The greedy agglomeration both constrained linkages share: repeatedly merge the cheapest edge
 * (graph_candidate order) of the graph `nbr` (leaves 0..n-1, symmetric, ascending lists);
 * the merged node k = n + step gets, for every live neighbor u of either child,
 * `join(k, u, in_hi, w_hi, in_lo, w_lo)` (which child lists u and with what value; `hi` is the
 * higher-id child). `merged(k, hi, lo)` runs first, for per-cluster state. Each node keeps its
 * cheapest edge; a heap holds one entry per node and version, so the queue stays O(edges).
 * Returns the merges as (lo, hi, key) in order.
 */
template <class Merged, class Join>
std::vector<graph_candidate> merge_on_graph(std::size_t n, std::vector<std::vector<graph_entry>> nbr, Merged&& merged, Join&& join) {
  const std::size_t nodes = 2 * n - 1;
  constexpr double inf = std::numeric_limits<double>::infinity();
  nbr.resize(nodes);
  std::vector<char> alive(nodes, 0);
  std::fill_n(alive.begin(), n, char{1});
  std::vector<graph_candidate> best(nodes, graph_candidate{inf, nodes, nodes});
  std::vector<std::uint32_t> version(nodes, 0);
  struct item {
    graph_candidate c;
    std::size_t owner;
    std::uint32_t version;
  };
  const auto later = [](const item& a, const item& b) { return b.c.before(a.c); };
  std::priority_queue<item, std::vector<item>, decltype(later)> queue(later);
  const auto edge = [](std::size_t u, std::size_t v, double w) { return graph_candidate{w, std::max(u, v), std::min(u, v)}; };
  const auto rescan = [&](std::size_t u) {
    graph_candidate b{inf, nodes, nodes};
    for (const auto& [v, w] : nbr[u]) {
      if (const graph_candidate c = edge(u, v, w); c.before(b)) b = c;
    }
    best[u] = b;
  };
  for (std::size_t v = 0; v < n; ++v) {
    rescan(v);
    if (best[v].hi != nodes) queue.push({best[v], v, 0});
  }
  std::vector<graph_candidate> merges;
  merges.reserve(n - 1);
  std::vector<graph_entry> joined;
  for (std::size_t step = 0; step + 1 < n; ++step) {
    const std::size_t k = n + step;
    while (!queue.empty() && (!alive[queue.top().owner] || queue.top().version != version[queue.top().owner])) queue.pop();
    if (queue.empty()) throw segkit::error("segkit::cluster::agglomerative: the connectivity graph ran out of edges before the tree was complete");
    const graph_candidate m = queue.top().c;
    merges.push_back(m);
    alive[m.lo] = alive[m.hi] = 0;
    alive[k] = 1;
    merged(k, m.hi, m.lo);
    const auto& la = nbr[m.hi];
    const auto& lb = nbr[m.lo];
    joined.clear();
    std::size_t p = 0, q = 0;
    while (p < la.size() || q < lb.size()) {
      const bool take_a = q == lb.size() || (p < la.size() && la[p].first <= lb[q].first);
      const bool take_b = p == la.size() || (q < lb.size() && lb[q].first <= la[p].first);
      const std::size_t u = take_a ? la[p].first : lb[q].first;
      if (alive[u]) joined.emplace_back(u, join(k, u, take_a, take_a ? la[p].second : 0.0, take_b, take_b ? lb[q].second : 0.0));
      p += take_a ? 1 : 0;
      q += take_b ? 1 : 0;
    }
    std::vector<graph_entry>().swap(nbr[m.hi]);
    std::vector<graph_entry>().swap(nbr[m.lo]);
    graph_candidate own{inf, nodes, nodes};
    for (const auto& [u, w] : joined) {
      auto& list = nbr[u];
      std::erase_if(list, [&](const graph_entry& v) { return v.first == m.lo || v.first == m.hi; });
      list.emplace_back(k, w);
      const graph_candidate c = edge(k, u, w);
      if (c.before(own)) own = c;
      const graph_candidate old = best[u];
      if (old.hi == m.hi || old.hi == m.lo || old.lo == m.hi || old.lo == m.lo) {
        rescan(u);
      } else if (c.before(old)) {
        best[u] = c;
      }
      if (best[u].hi != old.hi || best[u].lo != old.lo || best[u].key != old.key) queue.push({best[u], u, ++version[u]});
    }
    nbr[k] = joined;
    best[k] = own;
    if (own.hi != nodes) queue.push({own, k, 0});
  }
  return merges;
}

/// The dendrogram of merge_on_graph's merges (node k = n + step), heights through `height`.
template <class Height>
dendrogram graph_dendrogram(std::size_t n, const std::vector<graph_candidate>& merges, Height&& height) {
  dendrogram tree;
  tree.n_leaves = n;
  tree.linkage = matrix<double>::from_shape({n - 1, std::size_t{4}});
  std::vector<double> size(2 * n - 1, 1.0);
  for (std::size_t step = 0; step < merges.size(); ++step) {
    const graph_candidate& m = merges[step];
    size[n + step] = size[m.lo] + size[m.hi];
    tree.linkage(step, 0) = static_cast<double>(m.lo);
    tree.linkage(step, 1) = static_cast<double>(m.hi);
    tree.linkage(step, 2) = height(m.key);
    tree.linkage(step, 3) = size[n + step];
  }
  return tree;
}

/**
 * Ward's method on a connected graph (scikit-learn's ward_tree with connectivity): each cluster
 * keeps its size and the sum of its rows; the cost of joining a and b is
 * |a| |b| / (|a| + |b|) * |mean_a - mean_b|^2, and the dendrogram height sqrt(2 cost), the
 * unconstrained Ward distance. Ties go to the lower (higher id, lower id) pair, as in
 * scikit-learn's heap of tuples, so even tied trees match.
 */
template <class T>
dendrogram ward_on_graph(const matrix_view<T>& x, const adjacency& graph, executor& ex) {
  const std::size_t n = x.rows(), d = x.cols(), nodes = 2 * n - 1;
  std::vector<double> sums(n * d);  // per slot; a merged node takes its higher child's slot
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < d; ++f) sums[i * d + f] = static_cast<double>(x.row(i)[f]);
  }
  std::vector<std::size_t> slot(nodes);
  std::vector<double> size(nodes, 1.0);
  for (std::size_t i = 0; i < n; ++i) slot[i] = i;
  // Symmetric in a and b bit for bit (scikit-learn computes it with the newer node first).
  const auto cost = [&](std::size_t a, std::size_t b) {
    const double ma = size[a], mb = size[b];
    const double* sa = sums.data() + slot[a] * d;
    const double* sb = sums.data() + slot[b] * d;
    double pa = 0.0;
    for (std::size_t f = 0; f < d; ++f) {
      const double t = sa[f] / ma - sb[f] / mb;
      pa += t * t;
    }
    return pa * (ma * mb / (ma + mb));
  };
  std::vector<std::vector<graph_entry>> nbr(n);
  parallel_for(ex, n, 256, [&](std::size_t b, std::size_t e, std::size_t) {
    for (std::size_t v = b; v < e; ++v) {
      nbr[v].reserve(graph[v].size());
      for (const std::size_t u : graph[v]) nbr[v].emplace_back(u, cost(std::max(u, v), std::min(u, v)));
    }
  });
  const auto merges = merge_on_graph(
      n, std::move(nbr),
      [&](std::size_t k, std::size_t hi, std::size_t lo) {
        size[k] = size[hi] + size[lo];
        slot[k] = slot[hi];
        double* sk = sums.data() + slot[k] * d;
        const double* sl = sums.data() + slot[lo] * d;
        for (std::size_t f = 0; f < d; ++f) sk[f] += sl[f];
      },
      [&](std::size_t k, std::size_t u, bool, double, bool, double) { return cost(k, u); });
  return graph_dendrogram(n, merges, [](double key) { return std::sqrt(2.0 * key); });
}

/**
 * Complete or average linkage on a connected graph (scikit-learn's linkage_tree with
 * connectivity): the distance of an edge is the metric between its rows; when a and b merge, a
 * neighbor of both gets max(d_a, d_b) (complete) or (|a| d_a + |b| d_b) / (|a| + |b|) (average),
 * a neighbor of one keeps that distance. Ties between equal distances go to the lower (higher
 * id, lower id) pair; scikit-learn leaves them to its heap's layout.
 */
template <class Dist>
dendrogram linkage_on_graph(std::size_t n, const adjacency& graph, const Dist& dist, bool average, executor& ex) {
  std::vector<std::vector<graph_entry>> nbr(n);
  parallel_for(ex, n, 256, [&](std::size_t b, std::size_t e, std::size_t) {
    for (std::size_t v = b; v < e; ++v) {
      nbr[v].reserve(graph[v].size());
      for (const std::size_t u : graph[v]) nbr[v].emplace_back(u, dist(v, u));
    }
  });
  std::vector<double> size(2 * n - 1, 1.0);
  double na = 1.0, nb = 1.0;  // sizes of the higher- and lower-id child of the current merge
  const auto merges = merge_on_graph(
      n, std::move(nbr),
      [&](std::size_t k, std::size_t hi, std::size_t lo) {
        na = size[hi];
        nb = size[lo];
        size[k] = na + nb;
      },
      [&](std::size_t, std::size_t, bool in_a, double da, bool in_b, double db) {
        if (!(in_a && in_b)) return in_a ? da : db;
        return average ? (na * da + nb * db) / (na + nb) : std::max(da, db);
      });
  return graph_dendrogram(n, merges, [](double key) { return key; });
}

}  // namespace segkit::cluster::detail
