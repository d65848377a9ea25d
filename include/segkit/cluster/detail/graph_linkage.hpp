#pragma once
// Agglomeration restricted to the edges of a connectivity graph, as scikit-learn's ward_tree and
// linkage_tree compute it when given `connectivity`: a priority queue of the pairs joined by an
// edge, merged greedily by increasing linkage, the merged cluster inheriting both neighbour sets.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <queue>
#include <utility>
#include <vector>

#include "segkit/cluster/detail/neighborhoods.hpp"
#include "segkit/cluster/hierarchy.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/graph/union_find.hpp"

namespace segkit::cluster::detail {

/// Neighbour lists of vertices 0..n-1: symmetric, ascending, no repeats, no self loops.
using adjacency = std::vector<std::vector<std::size_t>>;

/// Sorts, de-duplicates and symmetrises raw neighbour lists and drops self loops.
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
 * The closest pair comes from nearest-neighbour searches of the smaller component's rows among
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
  // Each component's rows, contiguous, and a neighbour search over them.
  std::vector<std::vector<T>> rows(count);
  std::vector<std::unique_ptr<neighborhoods<M, T>>> search(count);
  parallel_for(ex, count, 1, [&](std::size_t b, std::size_t e, std::size_t) {
    for (std::size_t c = b; c < e; ++c) {
      rows[c].resize(members[c].size() * d);
      for (std::size_t r = 0; r < members[c].size(); ++r) std::copy_n(x.row(members[c][r]), d, rows[c].data() + r * d);
      search[c] = std::make_unique<neighborhoods<M, T>>(matrix_view<T>{rows[c].data(), members[c].size(), d});
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
          const pick p{exact_distance<M>(x.row(u), x.row(v), d), i_asks ? u : v, i_asks ? v : u};
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

/// A candidate merge in the queue: linkage value, then the higher node id, then the lower (the
/// order of scikit-learn's (inertia, i, j) tuples).
struct graph_candidate {
  double key;
  std::size_t hi, lo;
  friend bool operator>(const graph_candidate& x, const graph_candidate& y) noexcept {
    if (x.key != y.key) return x.key > y.key;
    if (x.hi != y.hi) return x.hi > y.hi;
    return x.lo > y.lo;
  }
};

using candidate_queue = std::priority_queue<graph_candidate, std::vector<graph_candidate>, std::greater<>>;

/// Records merge `step` of nodes a and b (ids as in the dendrogram) at height h.
inline void record_merge(dendrogram& tree, std::size_t step, std::size_t a, std::size_t b, double h, double size) {
  tree.linkage(step, 0) = static_cast<double>(std::min(a, b));
  tree.linkage(step, 1) = static_cast<double>(std::max(a, b));
  tree.linkage(step, 2) = h;
  tree.linkage(step, 3) = size;
}

/// Pops the cheapest candidate whose two nodes are both still clusters.
inline graph_candidate next_merge(candidate_queue& queue, const std::vector<char>& alive) {
  while (!queue.empty()) {
    const graph_candidate c = queue.top();
    queue.pop();
    if (alive[c.hi] && alive[c.lo]) return c;
  }
  throw segkit::error("segkit::cluster::agglomerative: the connectivity graph ran out of edges before the tree was complete");
}

/**
 * Ward's method on a connected graph (scikit-learn's ward_tree with connectivity): each cluster
 * keeps its size and the sum of its rows; the cost of joining a and b is
 * |a| |b| / (|a| + |b|) * |mean_a - mean_b|^2, and the dendrogram height sqrt(2 cost), the
 * unconstrained Ward distance. Ties go to the lower (higher id, lower id) pair, as in
 * scikit-learn's heap of tuples, so even tied trees match.
 */
template <class T>
dendrogram ward_on_graph(const matrix_view<T>& x, adjacency nbr, executor& ex) {
  const std::size_t n = x.rows(), d = x.cols(), nodes = 2 * n - 1;
  dendrogram tree;
  tree.n_leaves = n;
  tree.linkage = matrix<double>::from_shape({n - 1, std::size_t{4}});
  std::vector<double> sums(n * d);  // per slot; a merged node takes its higher child's slot
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < d; ++f) sums[i * d + f] = static_cast<double>(x.row(i)[f]);
  }
  std::vector<std::size_t> slot(nodes);
  std::vector<double> size(nodes, 1.0);
  for (std::size_t i = 0; i < n; ++i) slot[i] = i;
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
  std::vector<graph_candidate> start;
  for (std::size_t v = 0; v < n; ++v) {
    for (const std::size_t u : nbr[v]) {
      if (u < v) start.push_back({0.0, v, u});
    }
  }
  parallel_for(ex, start.size(), 4096, [&](std::size_t b, std::size_t e, std::size_t) {
    for (std::size_t i = b; i < e; ++i) start[i].key = cost(start[i].hi, start[i].lo);
  });
  candidate_queue queue(std::greater<>{}, std::move(start));
  nbr.resize(nodes);
  std::vector<char> alive(nodes, 0);
  std::fill_n(alive.begin(), n, char{1});
  std::vector<std::size_t> seen(nodes, nodes);  // stamp: seen[u] == k when u is already a neighbour of k
  for (std::size_t step = 0; step + 1 < n; ++step) {
    const std::size_t k = n + step;
    const graph_candidate m = next_merge(queue, alive);
    record_merge(tree, step, m.lo, m.hi, std::sqrt(2.0 * m.key), size[m.lo] + size[m.hi]);
    alive[m.lo] = alive[m.hi] = 0;
    alive[k] = 1;
    size[k] = size[m.lo] + size[m.hi];
    slot[k] = slot[m.hi];
    double* sk = sums.data() + slot[k] * d;
    const double* sl = sums.data() + slot[m.lo] * d;
    for (std::size_t f = 0; f < d; ++f) sk[f] += sl[f];
    std::vector<std::size_t> joined;
    for (const std::size_t child : {m.hi, m.lo}) {
      for (const std::size_t u : nbr[child]) {
        if (!alive[u] || seen[u] == k) continue;
        seen[u] = k;
        joined.push_back(u);
      }
      std::vector<std::size_t>().swap(nbr[child]);
    }
    for (const std::size_t u : joined) {
      auto& list = nbr[u];
      std::erase_if(list, [&](std::size_t v) { return v == m.lo || v == m.hi; });
      list.push_back(k);
      queue.push({cost(k, u), k, u});
    }
    nbr[k] = std::move(joined);
  }
  return tree;
}

/**
 * Complete or average linkage on a connected graph (scikit-learn's linkage_tree with
 * connectivity): the distance of an edge is the metric between its rows; when a and b merge, a
 * neighbour of both gets max(d_a, d_b) (complete) or (|a| d_a + |b| d_b) / (|a| + |b|) (average),
 * a neighbour of one keeps that distance. Ties between equal distances go to the lower (higher
 * id, lower id) pair; scikit-learn leaves them to its heap's layout.
 */
template <class Dist>
dendrogram linkage_on_graph(std::size_t n, const adjacency& graph, const Dist& dist, bool average, executor& ex) {
  using entry = std::pair<std::size_t, double>;  // neighbour node, distance; lists ascending by node
  const std::size_t nodes = 2 * n - 1;
  dendrogram tree;
  tree.n_leaves = n;
  tree.linkage = matrix<double>::from_shape({n - 1, std::size_t{4}});
  std::vector<std::vector<entry>> nbr(nodes);
  parallel_for(ex, n, 256, [&](std::size_t b, std::size_t e, std::size_t) {
    for (std::size_t v = b; v < e; ++v) {
      nbr[v].reserve(graph[v].size());
      for (const std::size_t u : graph[v]) nbr[v].emplace_back(u, dist(v, u));
    }
  });
  std::vector<graph_candidate> start;
  for (std::size_t v = 0; v < n; ++v) {
    for (const auto& [u, w] : nbr[v]) {
      if (u < v) start.push_back({w, v, u});
    }
  }
  candidate_queue queue(std::greater<>{}, std::move(start));
  std::vector<char> alive(nodes, 0);
  std::fill_n(alive.begin(), n, char{1});
  std::vector<double> size(nodes, 1.0);
  for (std::size_t step = 0; step + 1 < n; ++step) {
    const std::size_t k = n + step;
    const graph_candidate m = next_merge(queue, alive);
    const double na = size[m.hi], nb = size[m.lo];
    record_merge(tree, step, m.lo, m.hi, m.key, na + nb);
    alive[m.lo] = alive[m.hi] = 0;
    alive[k] = 1;
    size[k] = na + nb;
    // Merge the two ascending lists; the higher-id child plays scikit-learn's first argument.
    const auto& la = nbr[m.hi];
    const auto& lb = nbr[m.lo];
    std::vector<entry> joined;
    joined.reserve(la.size() + lb.size());
    std::size_t p = 0, q = 0;
    while (p < la.size() || q < lb.size()) {
      if (q == lb.size() || (p < la.size() && la[p].first < lb[q].first)) {
        if (alive[la[p].first]) joined.push_back(la[p]);
        ++p;
      } else if (p == la.size() || lb[q].first < la[p].first) {
        if (alive[lb[q].first]) joined.push_back(lb[q]);
        ++q;
      } else {
        if (alive[la[p].first]) {
          const double da = la[p].second, db = lb[q].second;
          joined.emplace_back(la[p].first, average ? (na * da + nb * db) / (na + nb) : std::max(da, db));
        }
        ++p;
        ++q;
      }
    }
    std::vector<entry>().swap(nbr[m.hi]);
    std::vector<entry>().swap(nbr[m.lo]);
    for (const auto& [u, w] : joined) {
      auto& list = nbr[u];
      std::erase_if(list, [&](const entry& v) { return v.first == m.lo || v.first == m.hi; });
      list.emplace_back(k, w);
      queue.push({w, k, u});
    }
    nbr[k] = std::move(joined);
  }
  return tree;
}

}  // namespace segkit::cluster::detail
