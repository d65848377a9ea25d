// UMAP: its pieces against umap-learn 0.5.3 (tests/data/make_umap_fixture.py), the whole against
// what an embedding must do (keep neighborhoods and clusters), determinism and batch invariance.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/data.hpp"
#include "support/embedding.hpp"

#include <segkit/core/npy.hpp>
#include <segkit/quality/trustworthiness.hpp>
#include <segkit/reduce/umap.hpp>

namespace fs = std::filesystem;
namespace rd = segkit::reduce;
using segkit::matrix;

namespace {
fs::path fixture(const std::string& name) { return fs::path(SEGKIT_TEST_DATA) / "umap" / name; }

}  // namespace

TEST_CASE("umap pieces equal umap-learn's: curve, smooth k-NN distances, fuzzy union", "[reduce][umap]") {
  const auto ab = segkit::load_npy_matrix<double>(fixture("ab.npy"));
  for (std::size_t i = 0; i < ab.shape(0); ++i) {
    INFO("spread " << ab(i, 0) << " min_dist " << ab(i, 1));
    const auto c = rd::detail::fit_curve(ab(i, 0), ab(i, 1));
    CHECK(c.a == Approx(ab(i, 2)).epsilon(1e-5));
    CHECK(c.b == Approx(ab(i, 3)).epsilon(1e-5));
  }
  const auto knn = segkit::load_npy_matrix<std::int64_t>(fixture("graph_knn.npy"));
  const auto dist = segkit::load_npy_matrix<double>(fixture("graph_dist.npy"));
  const std::size_t n = 200, k = 10;
  std::vector<std::uint32_t> ids(n * k);
  std::vector<float> d(n * k);
  for (std::size_t i = 0; i < n * k; ++i) {
    ids[i] = static_cast<std::uint32_t>(knn.data()[i]);
    d[i] = static_cast<float>(dist.data()[i]);
  }
  std::vector<double> sigma, rho;
  rd::detail::smooth_knn(d, n, k, 1.0, true, sigma, rho);
  const auto want_sigma = segkit::load_npy_vector<double>(fixture("graph_sigma.npy"));
  const auto want_rho = segkit::load_npy_vector<double>(fixture("graph_rho.npy"));
  for (std::size_t i = 0; i < n; ++i) {
    REQUIRE(rho[i] == Approx(want_rho(i)).epsilon(1e-6));
    REQUIRE(sigma[i] == Approx(want_sigma(i)).epsilon(1e-4));
  }
  const auto g = rd::detail::fuzzy_simplicial_set(ids, d, n, k, sigma, rho, 1.0);
  const auto coo = segkit::load_npy_matrix<double>(fixture("graph_coo.npy"));
  std::map<std::pair<std::size_t, std::size_t>, double> want;
  for (std::size_t r = 0; r < coo.shape(0); ++r) want[{static_cast<std::size_t>(coo(r, 0)), static_cast<std::size_t>(coo(r, 1))}] = coo(r, 2);
  REQUIRE(g.weight.size() == want.size());
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t e = g.start[i]; e < g.start[i + 1]; ++e) {
      const auto it = want.find({i, g.column[e]});
      REQUIRE(it != want.end());
      REQUIRE(g.weight[e] == Approx(it->second).epsilon(1e-4));
    }
  }
}

TEST_CASE("umap keeps clusters apart and neighborhoods trustworthy; same bits for any thread count", "[reduce][umap]") {
  const auto x = segkit::test::blobs(1200, 10, 4, 3);
  const auto m = rd::umap<>({.n_epochs = 200, .seed = 5, .threads = 2}).fit(x);
  REQUIRE(m.embedding.shape(0) == 1200);
  REQUIRE(m.embedding.shape(1) == 2);
  CHECK_FALSE(m.spectral_fallback);
  CHECK(segkit::test::neighbor_purity(m.embedding, 4) > 0.97);
  CHECK(segkit::quality::trustworthiness(x, m.embedding, {.neighbors = 10}) > 0.9);
  const auto one = rd::umap<>({.n_epochs = 200, .seed = 5, .threads = 1}).fit(x);
  CHECK((one.embedding == m.embedding));
  const auto other = rd::umap<>({.n_epochs = 200, .seed = 6, .threads = 2}).fit(x);
  CHECK_FALSE((other.embedding == m.embedding));
}

TEST_CASE("k-NN through HNSW: the row first, close to the exact lists; umap on it as trustworthy, any thread count", "[reduce][umap]") {
  const auto x = segkit::test::blobs(3000, 16, 6, 4);
  const segkit::matrix_view<float> v(x.data(), 3000, 16, 16);
  segkit::executor ex(2);
  std::vector<std::uint32_t> exact_ids, hnsw_ids;
  std::vector<float> exact_d, hnsw_d;
  CHECK(rd::detail::self_knn(segkit::distance::l2_metric{}, v, 15, rd::knn_method::automatic, 1, ex, exact_ids, exact_d) == rd::knn_method::exact);
  CHECK(rd::detail::self_knn(segkit::distance::l2_metric{}, v, 15, rd::knn_method::hnsw, 1, ex, hnsw_ids, hnsw_d) == rd::knn_method::hnsw);
  std::size_t hits = 0;
  for (std::size_t i = 0; i < 3000; ++i) {
    REQUIRE(hnsw_ids[i * 15] == i);
    REQUIRE(hnsw_d[i * 15] == 0.0f);
    for (std::size_t j = 1; j < 15; ++j) {
      REQUIRE(hnsw_d[i * 15 + j] >= hnsw_d[i * 15 + j - 1]);
      hits += std::count(exact_ids.begin() + static_cast<std::ptrdiff_t>(i * 15), exact_ids.begin() + static_cast<std::ptrdiff_t>(i * 15 + 15), hnsw_ids[i * 15 + j]);
    }
  }
  CHECK(static_cast<double>(hits) / (3000.0 * 14.0) > 0.97);
  const auto exact = rd::umap<>({.n_epochs = 200, .knn = rd::knn_method::exact, .seed = 5, .threads = 2}).fit(x);
  const auto approx = rd::umap<>({.n_epochs = 200, .knn = rd::knn_method::hnsw, .seed = 5, .threads = 2}).fit(x);
  CHECK(approx.knn == rd::knn_method::hnsw);
  CHECK(exact.knn == rd::knn_method::exact);
  const double t_exact = segkit::quality::trustworthiness(x, exact.embedding, {.neighbors = 10});
  CHECK(segkit::quality::trustworthiness(x, approx.embedding, {.neighbors = 10}) > t_exact - 0.01);
  const auto one = rd::umap<>({.n_epochs = 200, .knn = rd::knn_method::hnsw, .seed = 5, .threads = 1}).fit(x);
  CHECK((one.embedding == approx.embedding));
}

TEST_CASE("umap transform: deterministic, batch-invariant, lands new rows in their cluster", "[reduce][umap]") {
  const auto all = segkit::test::blobs(1100, 8, 3, 9);
  matrix<float> train = matrix<float>::from_shape({1000, 8}), fresh = matrix<float>::from_shape({100, 8});
  std::copy_n(all.data(), 8000, train.data());
  std::copy_n(all.data() + 8000, 800, fresh.data());
  const auto m = rd::umap<>({.n_epochs = 150, .seed = 2}).fit(train);
  const auto y = m.transform(fresh);
  const auto again = m.transform(fresh, 1);
  CHECK((again == y));
  for (const std::size_t i : {0u, 37u, 99u}) {
    const auto alone = m.transform(segkit::matrix_view<float>(fresh.data() + i * 8, 1, 8, 8));
    CHECK(alone(0, 0) == y(i, 0));
    CHECK(alone(0, 1) == y(i, 1));
  }
  // Each new row (blob (1000 + i) % 3) lands nearest to training rows of its own blob.
  CHECK(segkit::test::placed_in_own_blob(y, m.embedding, 1000, 3) >= 0.97);
}

TEST_CASE("umap: other metrics, inits and bad input", "[reduce][umap]") {
  const auto x = segkit::test::blobs(400, 6, 3, 4);
  const auto c = rd::umap<segkit::distance::cosine_metric>({.n_components = 3, .n_epochs = 100, .init = rd::umap_init::pca}).fit(x);
  CHECK(c.embedding.shape(1) == 3);
  const auto r = rd::umap<>({.n_epochs = 100, .init = rd::umap_init::random}).fit(x);
  CHECK(segkit::test::neighbor_purity(r.embedding, 3) > 0.9);
  // Two far-apart groups: a disconnected graph, each part laid out on its own and kept apart.
  matrix<float> split = segkit::test::normal_matrix(60, 3, 1);
  for (std::size_t i = 30; i < 60; ++i) split(i, 0) += 1000.0f;
  const auto f = rd::umap<>({.n_neighbors = 5, .n_epochs = 50}).fit(split);
  CHECK_FALSE(f.spectral_fallback);
  float gap = 1e30f;
  for (std::size_t i = 0; i < 30; ++i) {
    for (std::size_t j = 30; j < 60; ++j) {
      const float dx = f.embedding(i, 0) - f.embedding(j, 0), dy = f.embedding(i, 1) - f.embedding(j, 1);
      gap = std::min(gap, dx * dx + dy * dy);
    }
  }
  CHECK(gap > 1.0f);
  CHECK(rd::umap<>({.n_components = 3, .n_neighbors = 2}).fit(segkit::test::normal_matrix(4, 3, 1)).spectral_fallback);
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(rd::umap<>({.n_neighbors = 400}).fit(x), Contains("n_neighbors (400)"));
  CHECK_THROWS_WITH(rd::umap<>({.min_dist = 2.0}).fit(x), Contains("min_dist (2)"));
  CHECK_THROWS_WITH(rd::umap<>().fit(segkit::test::normal_matrix(2, 3, 1)), Contains("at least 3 rows"));
  matrix<float> bad = x;
  bad(0, 0) = std::nanf("");
  CHECK_THROWS_WITH(rd::umap<>().fit(bad), Contains("non-finite"));
  CHECK_THROWS_WITH(c.transform(segkit::test::normal_matrix(2, 5, 1)), Contains("5 columns, the model 6"));
}


TEST_CASE("umap: a fitted model saves and loads; transform() of new rows is unchanged", "[reduce][umap][persist]") {
  const auto train = segkit::test::blobs(350, 8, 4, 3), fresh = segkit::test::blobs(40, 8, 4, 4);
  const auto m = rd::umap<>({.n_neighbors = 10, .n_epochs = 80, .seed = 2}).fit(train);
  const auto p = fs::temp_directory_path() / "segkit_umap_model.seg";
  m.save(p);
  const auto back = rd::umap_model<>::load(p);
  CHECK((back.embedding == m.embedding));
  CHECK((back.transform(fresh) == m.transform(fresh)));
  CHECK(back.params.n_neighbors == 10);
  CHECK(back.curve.a == m.curve.a);
  // A model fitted under one metric does not load as another's.
  CHECK_THROWS_WITH((rd::umap_model<segkit::distance::cosine_metric>::load(p)), Catch::Contains("fitted with metric 'l2', not 'cosine'"));
  fs::remove(p);
}
