// t-SNE: affinities against scikit-learn 1.2.1 (tests/data/make_tsne_fixture.py), Barnes-Hut
// against exact forces, and what an embedding must do; determinism and batch-invariant transform.
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
#include <segkit/reduce/tsne.hpp>

namespace fs = std::filesystem;
namespace rd = segkit::reduce;
using segkit::matrix;

namespace {
fs::path fixture(const std::string& name) { return fs::path(SEGKIT_TEST_DATA) / "tsne" / name; }

}  // namespace

TEST_CASE("t-SNE affinities equal scikit-learn's (perplexity bisection and joint P)", "[reduce][tsne]") {
  const auto knn = segkit::load_npy_matrix<std::int64_t>(fixture("knn.npy"));
  const auto d2 = segkit::load_npy_matrix<double>(fixture("d2.npy"));
  const auto want = segkit::load_npy_matrix<double>(fixture("cond.npy"));
  const std::size_t n = 200, k = 31;
  std::vector<double> dd(n * k);
  std::vector<std::uint32_t> ids(n * k);
  for (std::size_t i = 0; i < n * k; ++i) {
    dd[i] = static_cast<double>(static_cast<float>(d2.data()[i]));  // scikit-learn searches in float32
    ids[i] = static_cast<std::uint32_t>(knn.data()[i]);
  }
  segkit::executor ex(2);
  const auto cond = rd::detail::conditional_affinities(dd, n, k, 10.0, ex);
  for (std::size_t i = 0; i < n * k; ++i) REQUIRE(cond[i] == Approx(want.data()[i]).epsilon(1e-4).margin(1e-7));
  const auto p = rd::detail::joint_affinities(ids, cond, n, k);
  const auto pw = segkit::load_npy_matrix<double>(fixture("P.npy"));
  std::map<std::pair<std::size_t, std::size_t>, double> ref;
  for (std::size_t r = 0; r < pw.shape(0); ++r) ref[{static_cast<std::size_t>(pw(r, 0)), static_cast<std::size_t>(pw(r, 1))}] = pw(r, 2);
  REQUIRE(p.value.size() == ref.size());
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t e = p.start[i]; e < p.start[i + 1]; ++e) {
      REQUIRE(p.value[e] == Approx(ref.at({i, p.column[e]})).epsilon(1e-4).margin(1e-9));
      total += p.value[e];
    }
  }
  CHECK(total == Approx(1.0));
}

TEST_CASE("t-SNE: Barnes-Hut with theta 0 follows the exact forces; same bits for any thread count", "[reduce][tsne]") {
  const auto x = segkit::test::blobs(300, 8, 3, 5);
  const rd::tsne_params base{.perplexity = 15, .exaggeration_iter = 40, .n_iter = 60, .theta = 0.0, .seed = 2, .threads = 2};
  const auto bh = rd::tsne<>(base).fit(x);
  auto ep = base;
  ep.method = rd::tsne_method::exact;
  const auto exact = rd::tsne<>(ep).fit(x);
  for (std::size_t i = 0; i < 300; ++i) {
    REQUIRE(bh.embedding(i, 0) == Approx(exact.embedding(i, 0)).margin(1e-3));  // summation order only
    REQUIRE(bh.embedding(i, 1) == Approx(exact.embedding(i, 1)).margin(1e-3));
  }
  auto one = base;
  one.threads = 1;
  one.theta = 0.5;
  auto two = one;
  two.threads = 2;
  CHECK((rd::tsne<>(one).fit(x).embedding == rd::tsne<>(two).fit(x).embedding));
}

TEST_CASE("t-SNE separates clusters, keeps neighbourhoods, lowers KL as it runs", "[reduce][tsne]") {
  const auto x = segkit::test::blobs(900, 10, 4, 8);
  const auto m = rd::tsne<>({.perplexity = 30, .n_iter = 500, .seed = 3}).fit(x);
  CHECK(segkit::test::neighbour_purity(m.embedding, 4) > 0.97);
  CHECK(segkit::quality::trustworthiness(x, m.embedding, {.neighbors = 10}) > 0.9);
  const auto early = rd::tsne<>({.perplexity = 30, .n_iter = 260, .seed = 3}).fit(x);
  CHECK(m.kl_divergence < early.kl_divergence);
  CHECK(m.kl_divergence > 0.0);
  CHECK(m.learning_rate == Approx(std::max(900.0 / 12.0 / 4.0, 50.0)));
  const auto r = rd::tsne<>({.perplexity = 30, .n_iter = 400, .init = rd::tsne_init::random, .seed = 3}).fit(x);
  CHECK(segkit::test::neighbour_purity(r.embedding, 4) > 0.95);
}

TEST_CASE("t-SNE transform: batch-invariant, new rows land in their cluster", "[reduce][tsne]") {
  const auto all = segkit::test::blobs(700, 6, 3, 11);
  matrix<float> train = matrix<float>::from_shape({600, 6}), fresh = matrix<float>::from_shape({100, 6});
  std::copy_n(all.data(), 3600, train.data());
  std::copy_n(all.data() + 3600, 600, fresh.data());
  const auto m = rd::tsne<>({.perplexity = 20, .n_iter = 400, .seed = 1}).fit(train);
  const auto y = m.transform(fresh);
  for (const std::size_t i : {0u, 50u, 99u}) {
    const auto alone = m.transform(segkit::matrix_view<float>(fresh.data() + i * 6, 1, 6, 6), 1);
    CHECK(alone(0, 0) == y(i, 0));
    CHECK(alone(0, 1) == y(i, 1));
  }
  CHECK(segkit::test::placed_in_own_blob(y, m.embedding, 600, 3) >= 0.97);
}

TEST_CASE("t-SNE rejects bad input", "[reduce][tsne]") {
  using Catch::Matchers::Contains;
  const auto x = segkit::test::normal_matrix(40, 3, 1);
  CHECK_THROWS_WITH(rd::tsne<>({.perplexity = 30}).fit(x), Contains("perplexity (30)"));
  CHECK_THROWS_WITH(rd::tsne<>({.n_components = 4, .perplexity = 5}).fit(x), Contains("Barnes-Hut needs n_components <= 3"));
  CHECK_THROWS_WITH(rd::tsne<>({.perplexity = 5, .exaggeration_iter = 300, .n_iter = 200}).fit(x), Contains("n_iter (200)"));
  CHECK_THROWS_WITH(rd::tsne<>().fit(segkit::test::normal_matrix(3, 3, 1)), Contains("at least 4 rows"));
  matrix<float> bad = x;
  bad(1, 1) = std::nanf("");
  CHECK_THROWS_WITH(rd::tsne<>({.perplexity = 5}).fit(bad), Contains("non-finite"));
  CHECK(rd::tsne<>({.n_components = 4, .perplexity = 5, .n_iter = 300, .method = rd::tsne_method::exact}).fit(x).embedding.shape(1) == 4);
}
