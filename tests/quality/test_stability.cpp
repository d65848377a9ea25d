// Resampling stability and the k sweep, with real clusterers (k-means, GMM, DBSCAN) and with
// fits whose answer is known.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "support/data.hpp"

#include <segkit/cluster/dbscan.hpp>
#include <segkit/cluster/gmm.hpp>
#include <segkit/cluster/kmeans.hpp>
#include <segkit/quality/stability.hpp>
#include <segkit/quality/sweep.hpp>

namespace q = segkit::quality;
using segkit::label_type;
using segkit::matrix;
using segkit::matrix_view;

namespace {
// 4 blobs, spread 1, centers 10 apart on the first four axes of 6-D.
matrix<float> four_blobs(std::size_t n, std::uint64_t seed) {
  matrix<float> x = segkit::test::normal_matrix(n, 6, seed);
  for (std::size_t i = 0; i < n; ++i) x(i, i % 4) += 10.0f;
  return x;
}
auto kmeans_fit(std::size_t k) {
  return [k](const matrix_view<float>& rows, std::uint64_t seed) {
    return segkit::cluster::kmeans<>({.k = k, .n_init = 2, .seed = seed, .threads = 1}).fit(rows);
  };
}
}  // namespace

TEST_CASE("cluster_stability: separated blobs are stable, an over-split is not", "[quality][stability]") {
  const auto x = four_blobs(800, 1);
  const auto good = q::cluster_stability(x, kmeans_fit(4), {.runs = 12, .seed = 3});
  REQUIRE(good.clusters.size() == 4);
  for (std::size_t c = 0; c < 4; ++c) {
    CHECK(good.jaccard[c] > 0.97);
    CHECK(good.recovered[c] == 1.0);
    CHECK(good.dissolved[c] == 0.0);
  }
  CHECK(good.mean_pairwise_ari > 0.97);
  CHECK(good.ari_to_reference.size() == 12);
  const auto split = q::cluster_stability(x, kmeans_fit(9), {.runs = 12, .seed = 3});
  CHECK(split.mean_jaccard < good.mean_jaccard - 0.1);
  CHECK(*std::min_element(split.jaccard.begin(), split.jaccard.end()) < 0.75);
  CHECK(split.mean_pairwise_ari < 0.9);
  // Same result with runs fitted concurrently; bootstrap resampling works too.
  const auto par = q::cluster_stability(x, kmeans_fit(9), {.runs = 12, .seed = 3, .threads = 2});
  CHECK(par.jaccard == split.jaccard);
  CHECK(par.mean_pairwise_ari == split.mean_pairwise_ari);
  const auto boot = q::cluster_stability(x, kmeans_fit(4), {.runs = 8, .scheme = q::resampling::bootstrap, .seed = 4});
  CHECK(boot.mean_jaccard > 0.95);
}

TEST_CASE("cluster_stability: exact values for fits with a known answer; consensus; noise", "[quality][stability]") {
  const auto x = four_blobs(200, 2);
  // A fit that labels by the blob (the largest coordinate): every run recovers every cluster.
  const auto by_blob = [](const matrix_view<float>& rows, std::uint64_t) {
    std::vector<label_type> l(rows.rows());
    for (std::size_t i = 0; i < rows.rows(); ++i) {
      const float* r = rows.row(i);
      l[i] = static_cast<label_type>(std::max_element(r, r + 4) - r);
    }
    return l;
  };
  const auto s = q::cluster_stability(x, by_blob, {.runs = 5, .fraction = 0.5, .seed = 1, .consensus = true});
  for (const double j : s.jaccard) CHECK(j == 1.0);
  CHECK(s.mean_pairwise_ari == 1.0);
  REQUIRE(s.consensus.shape(0) == 200);
  for (std::size_t i = 0; i < 200; i += 7) {
    for (std::size_t j = 0; j < 200; j += 5) {
      const double want = (i % 4 == j % 4) ? 1.0 : 0.0;  // blob i % 4; pairs never drawn together stay 0
      CHECK((s.consensus(i, j) == want || s.consensus(i, j) == 0.0));
      CHECK(s.consensus(i, j) == s.consensus(j, i));
    }
  }
  // A fit that splits each run's rows in half by position: reference halves are recovered only partly.
  const auto by_position = [](const matrix_view<float>& rows, std::uint64_t) {
    std::vector<label_type> l(rows.rows());
    for (std::size_t i = 0; i < rows.rows(); ++i) l[i] = i < rows.rows() / 2 ? 0 : 1;
    return l;
  };
  const auto p = q::cluster_stability(x, by_position, {.runs = 6, .fraction = 0.5, .seed = 1});
  CHECK(p.jaccard[0] > 0.6);  // the first run-half is mostly the first reference half
  CHECK(p.jaccard[0] < 1.0);
  // DBSCAN: noise is never a cluster.
  const auto db = q::cluster_stability(
      x, [](const matrix_view<float>& rows, std::uint64_t) { return segkit::cluster::dbscan<>({.eps = 2.5, .min_samples = 5}).fit(rows); },
      {.runs = 4, .seed = 2});
  CHECK(std::find(db.clusters.begin(), db.clusters.end(), -1) == db.clusters.end());
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(q::cluster_stability(x, by_blob, {.runs = 1}), Contains("runs (1)"));
  CHECK_THROWS_WITH(q::cluster_stability(x, by_blob, {.fraction = 0.0}), Contains("fraction (0)"));
  CHECK_THROWS_WITH(q::cluster_stability(x, [](const matrix_view<float>&, std::uint64_t) { return std::vector<label_type>{0, 1}; }),
                    Contains("returned 2 labels for 200 rows"));
  CHECK_THROWS_WITH(q::cluster_stability(x, by_blob, {.consensus = true, .max_consensus_rows = 100}), Contains("max_consensus_rows"));
}

TEST_CASE("sweep_k finds the number of blobs and says why", "[quality][sweep]") {
  const auto x = four_blobs(600, 5);
  const auto fit = [](const matrix_view<float>& rows, std::size_t k, std::uint64_t seed) {
    return segkit::cluster::kmeans<>({.k = k, .n_init = 2, .seed = seed, .threads = 1}).fit(rows);
  };
  const auto r = q::sweep_k(x, fit, {.k_min = 2, .k_max = 7, .gap_references = 5, .stability_runs = 5, .seed = 1});
  REQUIRE(r.rows.size() == 6);
  CHECK(r.chosen_k == 4);
  CHECK(r.silhouette_k == 4);
  CHECK(r.gap_k == 4);
  CHECK(r.calinski_harabasz_k == 4);
  CHECK(r.bic_k == 0);  // k-means has no BIC
  CHECK(r.reason.find("k = 4: chosen by silhouette") != std::string::npos);
  const auto& row4 = r.rows[2];
  CHECK(row4.k == 4);
  CHECK(row4.n_clusters == 4);
  const auto labels = fit(matrix_view<float>(x.data(), 600, 6, 6), 4, 1).labels();
  CHECK(row4.silhouette == Approx(q::silhouette_score(x, labels)).epsilon(1e-12));
  CHECK(row4.inertia == Approx(q::inertia(x, labels)).epsilon(1e-12));
  CHECK(row4.stability > 0.95);
  // Inertia falls with k; the gap statistic peaks near the truth.
  for (std::size_t i = 1; i < r.rows.size(); ++i) CHECK(r.rows[i].inertia < r.rows[i - 1].inertia);

  // A Gaussian mixture brings its BIC.
  const auto g = q::sweep_k(
      x,
      [](const matrix_view<float>& rows, std::size_t k, std::uint64_t seed) {
        return segkit::cluster::gaussian_mixture<float>({.k = k, .covariance = segkit::cluster::covariance_type::diag, .seed = seed, .threads = 1}).fit(rows);
      },
      {.k_min = 2, .k_max = 6, .gap_references = 0, .stability_runs = 0, .seed = 2});
  CHECK(g.bic_k == 4);
  CHECK(g.chosen_k == 4);
  CHECK(std::isnan(g.rows[0].gap));
  CHECK(std::isnan(g.rows[0].stability));
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(q::sweep_k(x, fit, {.k_min = 5, .k_max = 3}), Contains("1 <= k_min <= k_max"));
  CHECK_THROWS_WITH(q::sweep_k(x, fit, {.k_max = 600}), Contains("k_max (600)"));
}
