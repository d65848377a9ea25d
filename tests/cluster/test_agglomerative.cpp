#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "support/data.hpp"
#include "support/partition.hpp"

#include <segkit/cluster/agglomerative.hpp>
#include <segkit/core/npy.hpp>
#include <segkit/graph/knn_graph.hpp>

namespace fs = std::filesystem;
using segkit::label_type;
using segkit::test::same_partition;
using segkit::cluster::agglomerative;
using segkit::cluster::agglomerative_params;
using segkit::cluster::linkage_method;
namespace dist = segkit::distance;

namespace {
fs::path fixture(const std::string& name) { return fs::path(SEGKIT_TEST_DATA) / "agglomerative" / name; }


// scipy's linkage matrix z against segkit's: every merge's children and size equal, heights to 1e-9.
void check_linkage(const segkit::cluster::dendrogram& tree, const segkit::matrix<double>& z) {
  REQUIRE(tree.linkage.shape(0) == z.shape(0));
  std::size_t ids_off = 0, height_off = 0;
  for (std::size_t i = 0; i < z.shape(0); ++i) {
    ids_off += (tree.linkage(i, 0) != z(i, 0) || tree.linkage(i, 1) != z(i, 1) || tree.linkage(i, 3) != z(i, 3)) ? 1 : 0;
    height_off += std::abs(tree.linkage(i, 2) - z(i, 2)) > 1e-9 * std::max(1.0, z(i, 2)) ? 1 : 0;
  }
  CHECK(ids_off == 0);
  CHECK(height_off == 0);
}

template <class M>
void check_method(const std::string& name, linkage_method method) {
  INFO("case " << name);
  const auto x = segkit::load_npy_matrix<double>(fixture("X.npy"));
  const auto r = agglomerative<M, double>({.k = 4, .linkage = method, .threads = 2}).fit(x);
  check_linkage(r.tree, segkit::load_npy_matrix<double>(fixture(name + "_Z.npy")));
  CHECK(r.n_clusters() == 4);
  CHECK(same_partition(r.labels(), segkit::load_npy_vector<std::int32_t>(fixture(name + "_labels.npy"))));
}
}  // namespace

TEST_CASE("agglomerative linkage matrices equal scipy's, partitions equal scikit-learn's", "[cluster][agglomerative]") {
  // Fixtures: tests/data/make_agglomerative_fixture.py (scipy 1.10 linkage, scikit-learn 1.2.1).
  check_method<dist::l2_metric>("ward", linkage_method::ward);
  check_method<dist::l2_metric>("complete", linkage_method::complete);
  check_method<dist::l2_metric>("average", linkage_method::average);
  check_method<dist::l2_metric>("single", linkage_method::single);
  check_method<dist::cosine_metric>("cosine", linkage_method::average);
  check_method<dist::manhattan_metric>("manhattan", linkage_method::complete);
  const auto x = segkit::load_npy_matrix<double>(fixture("X.npy"));
  const auto t = agglomerative<dist::l2_metric, double>({.distance_threshold = 25.0}).fit(x);
  const auto want = segkit::load_npy_vector<std::int32_t>(fixture("threshold_labels.npy"));
  CHECK(t.n_clusters() == static_cast<std::size_t>(*std::max_element(want.begin(), want.end()) + 1));
  CHECK(same_partition(t.labels(), want));
}

namespace {
// Compares a tree under connectivity constraints with scikit-learn's children_ / distances_ /
// labels_ / n_connected_components_ (tests/data/make_agglomerative_connectivity_fixture.py).
template <class Model>
void check_constrained(const std::string& name, const Model& r) {
  INFO("case " << name);
  const auto children = segkit::load_npy_matrix<std::int64_t>(fixture("conn_" + name + "_children.npy"));
  const auto heights = segkit::load_npy_vector<double>(fixture("conn_" + name + "_distances.npy"));
  const auto pieces = segkit::load_npy_vector<std::int64_t>(fixture("conn_" + name + "_components.npy"));
  REQUIRE(r.tree.linkage.shape(0) == children.shape(0));
  std::size_t ids_off = 0, height_off = 0;
  for (std::size_t i = 0; i < children.shape(0); ++i) {
    // scikit-learn lists single linkage's children in either order; segkit lower id first.
    const auto lo = static_cast<double>(std::min(children(i, 0), children(i, 1)));
    const auto hi = static_cast<double>(std::max(children(i, 0), children(i, 1)));
    ids_off += (r.tree.linkage(i, 0) != lo || r.tree.linkage(i, 1) != hi) ? 1 : 0;
    height_off += std::abs(r.tree.linkage(i, 2) - heights(i)) > 1e-9 * std::max(1.0, heights(i)) ? 1 : 0;
  }
  CHECK(ids_off == 0);
  CHECK(height_off == 0);
  CHECK(r.connected_components == static_cast<std::size_t>(pieces(0)));
  CHECK(same_partition(r.labels(), segkit::load_npy_vector<std::int32_t>(fixture("conn_" + name + "_labels.npy"))));
  // Sizes: each merge's count is the sum of its children's.
  const std::size_t n = r.tree.n_leaves;
  std::vector<double> size(2 * n - 1, 1.0);
  std::size_t size_off = 0;
  for (std::size_t i = 0; i + 1 < n; ++i) {
    size[n + i] = size[static_cast<std::size_t>(r.tree.linkage(i, 0))] + size[static_cast<std::size_t>(r.tree.linkage(i, 1))];
    size_off += r.tree.linkage(i, 3) != size[n + i] ? 1 : 0;
  }
  CHECK(size_off == 0);
}
}  // namespace

TEST_CASE("agglomerative under a k-NN connectivity graph equals scikit-learn's", "[cluster][agglomerative]") {
  const auto x = segkit::load_npy_matrix<double>(fixture("X.npy"));
  const auto pieces = segkit::load_npy_matrix<double>(fixture("X_pieces.npy"));
  using l2 = agglomerative<dist::l2_metric, double>;
  for (const std::size_t threads : {1, 2}) {
    INFO("threads " << threads);
    check_constrained("ward10", l2({.k = 4, .threads = threads, .connectivity_neighbors = 10}).fit(x));
    check_constrained("ward4", l2({.k = 4, .threads = threads, .connectivity_neighbors = 4}).fit(x));
    check_constrained("complete10", l2({.k = 4, .linkage = linkage_method::complete, .threads = threads, .connectivity_neighbors = 10}).fit(x));
    check_constrained("average10", l2({.k = 4, .linkage = linkage_method::average, .threads = threads, .connectivity_neighbors = 10}).fit(x));
    check_constrained("single10", l2({.k = 4, .linkage = linkage_method::single, .threads = threads, .connectivity_neighbors = 10}).fit(x));
    check_constrained("cosine10", agglomerative<dist::cosine_metric, double>({.k = 4, .linkage = linkage_method::average, .threads = threads,
                                                                                .connectivity_neighbors = 10})
                                      .fit(x));
    // A graph in three pieces: completed with the closest pair of every two pieces first.
    check_constrained("pieces_ward", l2({.k = 4, .threads = threads, .connectivity_neighbors = 4}).fit(pieces));
    check_constrained("pieces_average", l2({.k = 4, .linkage = linkage_method::average, .threads = threads, .connectivity_neighbors = 4}).fit(pieces));
    check_constrained("pieces_single", l2({.k = 4, .linkage = linkage_method::single, .threads = threads, .connectivity_neighbors = 4}).fit(pieces));
  }
  // scikit-learn's distance_threshold on a constrained tree: clusters = merges at or above it + 1.
  const auto t = l2({.distance_threshold = 6.0, .connectivity_neighbors = 4}).fit(x);
  const auto want = segkit::load_npy_vector<std::int32_t>(fixture("conn_threshold_labels.npy"));
  CHECK(t.n_clusters() == static_cast<std::size_t>(*std::max_element(want.begin(), want.end()) + 1));
  CHECK(same_partition(t.labels(), want));
  // Row order: a permuted input gives the same partition.
  std::vector<std::size_t> order(x.shape(0));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = (i * 7 + 3) % order.size();
  segkit::matrix<double> shuffled = segkit::matrix<double>::from_shape(x.shape());
  for (std::size_t i = 0; i < order.size(); ++i) {
    for (std::size_t j = 0; j < x.shape(1); ++j) shuffled(i, j) = x(order[i], j);
  }
  const auto base = l2({.k = 4, .connectivity_neighbors = 10}).fit(x);
  const auto moved = l2({.k = 4, .connectivity_neighbors = 10}).fit(shuffled);
  xt::xtensor<label_type, 1> back = xt::xtensor<label_type, 1>::from_shape({order.size()});
  for (std::size_t i = 0; i < order.size(); ++i) back(order[i]) = moved.labels()(i);
  CHECK(same_partition(base.labels(), back));
}

TEST_CASE("agglomerative under any Boost graph; constraint edge cases", "[cluster][agglomerative]") {
  using Catch::Matchers::Contains;
  const auto x = segkit::load_npy_matrix<double>(fixture("X.npy"));
  const auto edges = segkit::load_npy_matrix<std::int64_t>(fixture("conn_edges_graph.npy"));
  // A directed graph of scikit-learn's 3-NN lists: its edges are taken both ways.
  boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS> g(x.shape(0));
  for (std::size_t e = 0; e < edges.shape(0); ++e) boost::add_edge(static_cast<std::size_t>(edges(e, 0)), static_cast<std::size_t>(edges(e, 1)), g);
  using l2 = agglomerative<dist::l2_metric, double>;
  check_constrained("edges", l2({.k = 4, .linkage = linkage_method::average, .threads = 2}).fit(x, g));
  // segkit's own k-NN graph (undirected, weighted) gives the same tree as the parameter.
  const auto knn = segkit::graph::knn_graph<dist::l2_metric, double>(x, {.k = 3});
  CHECK((l2({.k = 4, .linkage = linkage_method::average}).fit(x, knn).tree.linkage ==
         l2({.k = 4, .linkage = linkage_method::average, .connectivity_neighbors = 3}).fit(x).tree.linkage));

  // The complete graph: ward and single equal the unconstrained trees.
  const std::size_t n = 60;
  segkit::matrix<double> small = segkit::matrix<double>::from_shape({n, x.shape(1)});
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < x.shape(1); ++j) small(i, j) = x(i, j);
  }
  segkit::graph::weighted_graph full(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) boost::add_edge(i, j, 0.0, full);
  }
  for (const linkage_method m : {linkage_method::ward, linkage_method::single}) {
    const auto free = l2({.k = 3, .linkage = m}).fit(small);
    const auto constrained = l2({.k = 3, .linkage = m}).fit(small, full);
    REQUIRE(constrained.tree.linkage.shape(0) == n - 1);
    for (std::size_t i = 0; i + 1 < n; ++i) {
      CHECK(constrained.tree.linkage(i, 2) == Approx(free.tree.linkage(i, 2)).epsilon(1e-12));
      CHECK(constrained.tree.linkage(i, 3) == free.tree.linkage(i, 3));
    }
    CHECK(same_partition(free.labels(), constrained.labels()));
  }
  // No edges at all: every pair of rows is a piece of its own, joined by its closest pair.
  boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS> empty(n);
  const auto lonely = l2({.k = 3, .linkage = linkage_method::single}).fit(small, empty);
  CHECK(lonely.connected_components == n);
  CHECK(same_partition(lonely.labels(), l2({.k = 3, .linkage = linkage_method::single}).fit(small).labels()));
  // Duplicate rows and one row.
  segkit::matrix<float> same = xt::ones<float>({std::size_t{10}, std::size_t{3}});
  const auto dup = agglomerative<>({.k = 3, .connectivity_neighbors = 2}).fit(same);
  CHECK(dup.n_clusters() == 3);
  CHECK(dup.tree.linkage(8, 2) == 0.0);
  segkit::matrix<float> one = {{1.0f, 2.0f}};
  boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS> single_vertex(1);
  const auto r1 = agglomerative<>({.k = 1}).fit(one, single_vertex);
  CHECK(r1.labels()(0) == 0);
  CHECK(r1.tree.linkage.shape(0) == 0);
  // Bad input.
  CHECK_THROWS_WITH(agglomerative<>({.connectivity_neighbors = 10}).fit(same), Contains("connectivity_neighbors (10) must be below the number of samples (10)"));
  CHECK_THROWS_WITH(l2({.k = 3}).fit(x, empty), Contains("the connectivity graph has 60 vertices for 300 rows"));
}

TEST_CASE("agglomerative: the chain's parallel scans and updates give scipy's linkage", "[cluster][agglomerative]") {
  // parallel_grain 8: the scans of the chain and the Lance-Williams updates run in parallel blocks
  // until fewer than 16 clusters are active (by default down to 1,024 clusters).
  const auto x = segkit::load_npy_matrix<double>(fixture("X.npy"));
  for (const auto& [name, method] : {std::pair<std::string, linkage_method>{"ward", linkage_method::ward}, {"complete", linkage_method::complete}, {"average", linkage_method::average}}) {
    INFO("case " << name);
    const auto z = segkit::load_npy_matrix<double>(fixture(name + "_Z.npy"));
    for (const std::size_t threads : {2, 3}) {
      const auto r = agglomerative<dist::l2_metric, double>({.k = 4, .linkage = method, .threads = threads, .parallel_grain = 8}).fit(x);
      check_linkage(r.tree, z);
      const auto serial = agglomerative<dist::l2_metric, double>({.k = 4, .linkage = method, .threads = 1}).fit(x);
      CHECK((r.tree.linkage == serial.tree.linkage));
    }
  }
  CHECK_THROWS_WITH(agglomerative<>({.parallel_grain = 0}), Catch::Matchers::Contains("parallel_grain"));
}

TEST_CASE("agglomerative: ward on stored centroids gives scipy's tree", "[cluster][agglomerative]") {
  // Up to 16 dimensions ward runs on centroids, not scipy's matrix; fixture ward12 (1,540 x 12 with
  // 40 exact duplicates; tests/data/make_agglomerative_fixture.py, scipy 1.10 linkage(X, 'ward')).
  const auto x = segkit::load_npy_matrix<double>(fixture("ward12_X.npy"));
  const auto z = segkit::load_npy_matrix<double>(fixture("ward12_Z.npy"));
  for (const std::size_t threads : {1, 2}) {
    check_linkage(agglomerative<dist::l2_metric, double>({.k = 6, .threads = threads, .parallel_grain = 16}).fit(x).tree, z);
  }
}

TEST_CASE("agglomerative: many dimensions (BLAS distances), threads, float rows", "[cluster][agglomerative]") {
  const auto x = segkit::test::blobs(600, 24, 5, 3);
  for (const linkage_method m : {linkage_method::ward, linkage_method::complete, linkage_method::average, linkage_method::single}) {
    const auto one = agglomerative<>({.k = 5, .linkage = m, .threads = 1}).fit(x);
    const auto two = agglomerative<>({.k = 5, .linkage = m, .threads = 2}).fit(x);
    CHECK((one.tree.linkage == two.tree.linkage));
    CHECK((one.labels() == two.labels()));

    // The same rows in double precision: same merges, heights to 1e-5.
    const segkit::matrix<double> xd = xt::cast<double>(x);
    const auto dbl = agglomerative<dist::l2_metric, double>({.k = 5, .linkage = m}).fit(xd);
    CHECK(same_partition(one.labels(), dbl.labels()));
    for (std::size_t i = 0; i < 599; ++i) CHECK(one.tree.linkage(i, 2) == Approx(dbl.tree.linkage(i, 2)).epsilon(1e-5));
  }
  // Well separated blobs: ward finds them (label i % 5).
  const auto w = agglomerative<>({.k = 5}).fit(x);
  xt::xtensor<label_type, 1> truth = xt::xtensor<label_type, 1>::from_shape({600});
  for (std::size_t i = 0; i < 600; ++i) truth(i) = static_cast<label_type>(i % 5);
  CHECK(same_partition(w.labels(), truth));
}

TEST_CASE("agglomerative edge cases and bad input", "[cluster][agglomerative]") {
  using Catch::Matchers::Contains;
  segkit::matrix<float> one = {{1.0f, 2.0f}};
  const auto r1 = agglomerative<>({.k = 1}).fit(one);
  CHECK(r1.labels()(0) == 0);
  CHECK(r1.tree.linkage.shape(0) == 0);
  segkit::matrix<float> same = xt::ones<float>({std::size_t{10}, std::size_t{3}});
  const auto dup = agglomerative<>({.k = 3, .linkage = linkage_method::average}).fit(same);
  CHECK(dup.n_clusters() == 3);  // all heights 0: the cut still gives 3 clusters
  CHECK(dup.tree.linkage(8, 2) == 0.0);
  const auto all = agglomerative<>({.k = 10}).fit(same);
  CHECK(all.n_clusters() == 10);
  CHECK_THROWS_WITH(agglomerative<>({.k = 0}), Contains("k must be >= 1 (got 0)"));
  CHECK_THROWS_WITH(agglomerative<>({.distance_threshold = -1.0}), Contains("distance_threshold"));
  CHECK_THROWS_WITH((agglomerative<dist::cosine_metric>({.linkage = linkage_method::ward})), Contains("ward linkage needs the l2 metric"));
  CHECK_THROWS_WITH(agglomerative<>({.k = 11}).fit(same), Contains("k (11) exceeds"));
  CHECK_THROWS_WITH(agglomerative<>(agglomerative_params{}).fit(segkit::matrix<float>::from_shape({0, 2})), Contains("no samples"));
  CHECK_THROWS_WITH(segkit::params::parse_enum<linkage_method>("centroid", "linkage"), Contains("linkage must be ward, complete, average or single (got 'centroid')"));
}

TEST_CASE("agglomerative model: new rows join the cluster of least linkage; saved and loaded whole", "[cluster][agglomerative]") {
  using Catch::Matchers::Contains;
  const auto x = segkit::test::blobs(300, 4, 3, 91);
  const auto q = segkit::test::normal_matrix(60, 4, 92);
  for (const auto method : {linkage_method::single, linkage_method::complete, linkage_method::average, linkage_method::ward}) {
    INFO("linkage " << segkit::params::name(method));
    const auto model = agglomerative<>({.k = 3, .linkage = method}).fit(x);
    REQUIRE(model.training_rows.shape(0) == 300);
    // The oracle: the linkage between {q} and each cluster, by brute force in double precision.
    const auto sizes = model.sizes();
    const auto got = model.predict(q);
    for (std::size_t i = 0; i < q.shape(0); ++i) {
      std::vector<double> lo(3, 1e300), hi(3, -1.0), sum(3, 0.0);
      std::vector<std::vector<double>> centroid(3, std::vector<double>(4, 0.0));
      for (std::size_t r = 0; r < 300; ++r) {
        const auto c = static_cast<std::size_t>(model.labels()(r));
        double d2 = 0.0;
        for (std::size_t j = 0; j < 4; ++j) {
          d2 += (static_cast<double>(q(i, j)) - x(r, j)) * (static_cast<double>(q(i, j)) - x(r, j));
          centroid[c][j] += x(r, j) / static_cast<double>(sizes[c]);
        }
        lo[c] = std::min(lo[c], std::sqrt(d2));
        hi[c] = std::max(hi[c], std::sqrt(d2));
        sum[c] += std::sqrt(d2);
      }
      std::vector<double> score(3);
      for (std::size_t c = 0; c < 3; ++c) {
        double w = 0.0;
        for (std::size_t j = 0; j < 4; ++j) w += (q(i, j) - centroid[c][j]) * (q(i, j) - centroid[c][j]);
        score[c] = method == linkage_method::single     ? lo[c]
                   : method == linkage_method::complete ? hi[c]
                   : method == linkage_method::average  ? sum[c] / static_cast<double>(sizes[c])
                                                        : static_cast<double>(sizes[c]) / static_cast<double>(sizes[c] + 1) * w;
      }
      CHECK(got(i) == static_cast<label_type>(std::min_element(score.begin(), score.end()) - score.begin()));
    }
    if (method == linkage_method::single) CHECK((model.predict(x) == model.labels()));  // each row's nearest member is itself
    CHECK((model.predict(q, 3) == got));
    const auto path = fs::temp_directory_path() / "segkit_agglomerative_model.seg";
    model.save(path);
    const auto back = agglomerative<>::model_type::load(path);
    CHECK((back.labels() == model.labels()));
    CHECK((back.tree.linkage == model.tree.linkage));
    CHECK(back.linkage == method);
    CHECK((back.predict(q) == got));
    CHECK_THROWS_WITH(agglomerative<dist::cosine_metric>::model_type::load(path), Contains("uses metric 'l2'"));
    fs::remove(path);
  }
  const auto model = agglomerative<>({.k = 3}).fit(x);
  CHECK_THROWS_WITH(model.predict(segkit::test::normal_matrix(2, 3, 1)), Contains("rows have 3 columns, the model has 4"));
}
