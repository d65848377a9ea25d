#include <catch2/catch.hpp>

#include <limits>
#include <vector>

#include "support/data.hpp"

#include <segkit/cluster/minibatch_kmeans.hpp>

using segkit::cluster::minibatch_kmeans;

TEST_CASE("minibatch kmeans reaches full k-means quality on blobs", "[cluster][minibatch]") {
  const auto x = segkit::test::blobs(20000, 8, 10, 41);
  const auto full = segkit::cluster::kmeans<float>({.k = 10, .n_init = 3, .seed = 1}).fit(x);
  const auto mb = minibatch_kmeans<float>({.k = 10, .batch_size = 512, .seed = 1}).fit(x);
  CHECK(mb.inertia <= full.inertia * 1.02);  // within 2 % of Lloyd's optimum here
  CHECK(mb.n_clusters() == 10);
  CHECK(mb.labels().size() == 20000);
  CHECK((mb.predict(x) == mb.labels()));  // labels are the final full assignment
  CHECK(mb.converged);                  // early stopping ended it, not max_iter
  CHECK(mb.n_iter < 100 * 20000 / 512);
}

TEST_CASE("minibatch kmeans: the seed alone decides the result", "[cluster][minibatch]") {
  const auto x = segkit::test::blobs(5000, 6, 5, 3);
  const auto a = minibatch_kmeans<float>({.k = 5, .seed = 9, .threads = 1}).fit(x);
  const auto b = minibatch_kmeans<float>({.k = 5, .seed = 9, .threads = 2}).fit(x);
  CHECK((a.centers == b.centers));
  CHECK((a.labels() == b.labels()));
  CHECK(a.n_iter == b.n_iter);
  const auto c = minibatch_kmeans<float>({.k = 5, .seed = 10}).fit(x);
  CHECK_FALSE((c.centers == a.centers));
}

TEST_CASE("minibatch kmeans: weights, tol, reassignment and a single pass", "[cluster][minibatch]") {
  const auto x = segkit::test::blobs(3000, 4, 3, 5);
  // Rows of blob 0 weigh nothing: no center needs to sit there, and they do not pull any center.
  std::vector<double> w(3000, 1.0);
  for (std::size_t i = 0; i < 3000; i += 3) w[i] = 0.0;
  const auto weighted = minibatch_kmeans<float>({.k = 2, .seed = 2}).fit(x, w);
  CHECK(weighted.inertia >= 0.0);
  const auto one_pass = minibatch_kmeans<float>({.k = 3, .batch_size = 100, .max_iter = 1, .max_no_improvement = 0, .seed = 2}).fit(x);
  CHECK(one_pass.n_iter == 30);  // 1 pass x 3000 rows / 100 per batch
  CHECK_FALSE(one_pass.converged);
  const auto by_tol = minibatch_kmeans<float>({.k = 3, .max_no_improvement = 0, .tol = 1e-2, .seed = 2}).fit(x);
  CHECK(by_tol.converged);
  const auto no_reassign = minibatch_kmeans<float>({.k = 3, .reassignment_ratio = 0.0, .seed = 2}).fit(x);
  CHECK(no_reassign.inertia > 0.0);
}

TEST_CASE("minibatch kmeans refuses bad input", "[cluster][minibatch]") {
  const auto x = segkit::test::normal_matrix(50, 3, 1);
  CHECK_THROWS_WITH(minibatch_kmeans<float>({.k = 0}), Catch::Contains("k must be >= 1 (got 0)"));
  CHECK_THROWS_WITH(minibatch_kmeans<float>({.k = 2, .batch_size = 0}), Catch::Contains("batch_size must be >= 1 (got 0)"));
  CHECK_THROWS_WITH(minibatch_kmeans<float>({.k = 2, .reassignment_ratio = -1}), Catch::Contains("reassignment_ratio must be >= 0"));
  CHECK_THROWS_WITH(minibatch_kmeans<float>({.k = 60}).fit(x), Catch::Contains("segkit::cluster::minibatch_kmeans: k (60) exceeds the number of samples (50)"));
  auto bad = x;
  bad(7, 0) = std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH(minibatch_kmeans<float>({.k = 2}).fit(bad), Catch::Contains("non-finite value (inf) at row 7, column 0"));
  const std::vector<double> neg(50, -1.0);
  CHECK_THROWS_WITH(minibatch_kmeans<float>({.k = 2}).fit(x, neg), Catch::Contains("weight 0 is -1"));
  const std::vector<double> zero(50, 0.0);
  CHECK_THROWS_WITH(minibatch_kmeans<float>({.k = 2}).fit(x, zero), Catch::Contains("all sample weights are zero"));
}
