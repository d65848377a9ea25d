#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <utility>
#include <vector>

#include "support/data.hpp"

#include <segkit/neighbors/exact.hpp>
#include <segkit/graph/knn_graph.hpp>
#include <segkit/graph/union_find.hpp>

namespace graph = segkit::graph;
namespace dist = segkit::distance;

namespace {
using edge_set = std::set<std::pair<std::size_t, std::size_t>>;

// Brute force: every pair's distance, each row's k nearest others (ties by row number).
template <class M>
std::vector<std::vector<std::size_t>> brute_knn(const segkit::matrix<float>& x, std::size_t k, std::vector<double>& d) {
  const std::size_t n = x.shape(0), dim = x.shape(1);
  d.assign(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) d[i * n + j] = segkit::neighbors::exact_distance<M>(&x(i, 0), &x(j, 0), dim);
  }
  std::vector<std::vector<std::size_t>> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::size_t> order;
    for (std::size_t j = 0; j < n; ++j) {
      if (j != i) order.push_back(j);
    }
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return d[i * n + a] < d[i * n + b]; });
    out[i].assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k));
  }
  return out;
}

edge_set edges_of(const graph::weighted_graph& g) {
  edge_set s;
  for (const auto& e : boost::make_iterator_range(boost::edges(g))) {
    const std::size_t a = boost::source(e, g), b = boost::target(e, g);
    CHECK(s.emplace(std::min(a, b), std::max(a, b)).second);  // no edge twice
  }
  return s;
}

template <class M>
void check_against_brute_force(const segkit::matrix<float>& x, std::size_t k) {
  const std::size_t n = x.shape(0);
  std::vector<double> d;
  const auto want = brute_knn<M>(x, k, d);
  const auto lists = graph::nearest_neighbors<M>(x, k, 2);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t r = 0; r < k; ++r) {
      CHECK(lists.ids[i * k + r] == want[i][r]);
      CHECK(lists.distances[i * k + r] == Approx(d[i * n + want[i][r]]).epsilon(1e-12).margin(1e-14));
    }
  }
  edge_set either, mutual;
  for (std::size_t i = 0; i < n; ++i) {
    for (const std::size_t j : want[i]) {
      either.emplace(std::min(i, j), std::max(i, j));
      if (std::find(want[j].begin(), want[j].end(), i) != want[j].end()) mutual.emplace(std::min(i, j), std::max(i, j));
    }
  }
  const auto g = graph::knn_graph<M>(x, {.k = k, .threads = 2});
  CHECK(edges_of(g) == either);
  const auto gm = graph::mutual_knn_graph<M>(x, k, 2);
  CHECK(edges_of(gm) == mutual);
  CHECK(mutual.size() < either.size());
  const auto w = boost::get(boost::edge_weight, g);
  for (const auto& e : boost::make_iterator_range(boost::edges(g))) {
    CHECK(boost::get(w, e) == Approx(d[boost::source(e, g) * n + boost::target(e, g)]).epsilon(1e-12).margin(1e-14));
  }
}
}  // namespace

TEST_CASE("knn graphs equal brute force for tree and scan searches", "[graph]") {
  SECTION("l2, 3-D (k-d tree)") { check_against_brute_force<dist::l2_metric>(segkit::test::blobs(400, 3, 4, 1), 6); }
  SECTION("cosine, 3-D (k-d tree on unit rows)") { check_against_brute_force<dist::cosine_metric>(segkit::test::blobs(400, 3, 4, 2), 5); }
  SECTION("l2, 24-D (blocked scans)") { check_against_brute_force<dist::l2_metric>(segkit::test::blobs(300, 24, 3, 3), 8); }
  SECTION("manhattan, 5-D (scans)") { check_against_brute_force<dist::manhattan_metric>(segkit::test::blobs(300, 5, 3, 4), 4); }
}

TEST_CASE("knn graph: duplicates, thread count, components and spanning forests", "[graph]") {
  // Duplicate rows: a row's own copy counts as a neighbor, the row itself never does.
  segkit::matrix<float> dup = segkit::test::normal_matrix(50, 2, 5);
  for (std::size_t i = 10; i < 20; ++i) {
    dup(i, 0) = dup(5, 0);
    dup(i, 1) = dup(5, 1);
  }
  const auto lists = graph::nearest_neighbors(dup, 4);
  for (std::size_t i = 0; i < 50; ++i) {
    for (std::size_t r = 0; r < 4; ++r) CHECK(lists.ids[i * 4 + r] != i);
  }
  CHECK(lists.distances[15 * 4] == 0.0);

  // Two blobs far apart: the mutual graph never joins them; components agree with union-find.
  segkit::matrix<float> x = segkit::test::normal_matrix(600, 4, 6);
  for (std::size_t i = 300; i < 600; ++i) x(i, 0) += 100.0f;
  const auto g1 = graph::mutual_knn_graph(x, 5, 1);
  const auto g3 = graph::mutual_knn_graph(x, 5, 3);
  CHECK(edges_of(g1) == edges_of(g3));
  const auto cc = graph::connected_components(g1);
  REQUIRE(cc.labels.size() == 600);
  CHECK(cc.count >= 2);
  CHECK(cc.labels[0] == 0);
  segkit::graph::union_find sets(600);
  for (const auto& e : boost::make_iterator_range(boost::edges(g1))) sets.unite(boost::source(e, g1), boost::target(e, g1));
  for (std::size_t i = 0; i < 600; ++i) {
    for (std::size_t j = i + 1; j < 600; j += 7) CHECK((cc.labels[i] == cc.labels[j]) == (sets.find(i) == sets.find(j)));
  }
  for (std::size_t i = 0; i < 300; ++i) CHECK(cc.labels[i] != cc.labels[300 + i]);  // never across the gap

  // Minimum spanning forest: n - components edges, total weight equal to Prim's on the same graph.
  const auto g = graph::knn_graph(x, {.k = 8});
  const auto forest = graph::minimum_spanning_forest(g);
  const auto parts = graph::connected_components(g);
  CHECK(forest.size() == 600 - parts.count);
  for (std::size_t i = 1; i < forest.size(); ++i) CHECK(forest[i - 1].weight <= forest[i].weight);
  const std::size_t n = 600;
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> adj(n * n, inf);
  const auto w = boost::get(boost::edge_weight, g);
  for (const auto& e : boost::make_iterator_range(boost::edges(g))) {
    adj[boost::source(e, g) * n + boost::target(e, g)] = adj[boost::target(e, g) * n + boost::source(e, g)] = boost::get(w, e);
  }
  double prim_total = 0.0;
  std::vector<char> done(n, 0);
  std::vector<double> best(n, inf);
  for (std::size_t start = 0; start < n; ++start) {  // Prim from every unvisited vertex: a forest
    if (done[start]) continue;
    best[start] = 0.0;
    for (;;) {
      std::size_t v = n;
      for (std::size_t u = 0; u < n; ++u) {
        if (!done[u] && best[u] < inf && (v == n || best[u] < best[v])) v = u;
      }
      if (v == n) break;
      done[v] = 1;
      prim_total += best[v];
      for (std::size_t u = 0; u < n; ++u) {
        if (!done[u]) best[u] = std::min(best[u], adj[v * n + u]);
      }
    }
  }
  double total = 0.0;
  for (const auto& e : forest) total += e.weight;
  CHECK(total == Approx(prim_total).epsilon(1e-12));
}

TEST_CASE("knn graph: bad input", "[graph]") {
  using Catch::Matchers::Contains;
  const auto x = segkit::test::normal_matrix(10, 2, 1);
  CHECK_THROWS_WITH(graph::nearest_neighbors(x, 0), Contains("k must be between 1 and rows - 1 (9), got 0"));
  CHECK_THROWS_WITH(graph::knn_graph(x, {.k = 10}), Contains("got 10"));
  auto bad = x;
  bad(3, 1) = std::nanf("");
  CHECK_THROWS_WITH(graph::knn_graph(bad, {.k = 3}), Contains("non-finite"));
  CHECK_THROWS_WITH(graph::knn_graph(segkit::matrix<float>::from_shape({0, 2}), {.k = 3}), Contains("no samples"));
  CHECK_THROWS_WITH(graph::knn_graph<dist::inner_product_metric>(x, {.k = 3}), Contains("similarity"));
  CHECK(graph::connected_components(graph::weighted_graph(0)).count == 0);
}
