#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>
#include <vector>

#include "support/data.hpp"

#include <segkit/neighbors/kdtree.hpp>

using segkit::neighbors::kd_tree;

namespace {
double dist2(const segkit::matrix<float>& x, std::size_t i, const std::vector<double>& q) {
  double s = 0.0;
  for (std::size_t j = 0; j < q.size(); ++j) s += (static_cast<double>(x(i, j)) - q[j]) * (static_cast<double>(x(i, j)) - q[j]);
  return s;
}
}  // namespace

TEST_CASE("kd_tree radius and k-nearest queries equal brute force", "[index][kdtree]") {
  for (const std::size_t d : {1, 2, 5, 12}) {
    INFO("d = " << d);
    auto x = segkit::test::blobs(2000, d, 5, d);
    for (std::size_t i = 0; i < 50; ++i) {
      for (std::size_t j = 0; j < d; ++j) x(1000 + i, j) = x(7, j);  // duplicates
    }
    const kd_tree tree(segkit::matrix_view<float>(x.data(), x.shape(0), d), {.leaf_size = 8});
    REQUIRE(tree.size() == 2000);
    const auto queries = segkit::test::blobs(40, d, 5, 99 + d);
    for (std::size_t qi = 0; qi < 40; ++qi) {
      std::vector<double> q(d);
      for (std::size_t j = 0; j < d; ++j) q[j] = queries(qi, j);
      if (qi == 0) {
        for (std::size_t j = 0; j < d; ++j) q[j] = x(7, j);  // a query on the duplicates
      }
      std::vector<std::pair<double, std::size_t>> all;
      for (std::size_t i = 0; i < 2000; ++i) all.emplace_back(dist2(x, i, q), i);
      std::sort(all.begin(), all.end());
      const double r2 = 0.5 * (all[60].first + all[61].first);
      std::vector<std::size_t> got;
      tree.radius_search(q.data(), r2, [&](std::size_t i, double d2) {
        CHECK(d2 == Approx(dist2(x, i, q)).epsilon(1e-12));
        got.push_back(i);
        return true;
      });
      std::sort(got.begin(), got.end());
      std::vector<std::size_t> want;
      for (const auto& [dd, i] : all) {
        if (dd <= r2) want.push_back(i);
      }
      std::sort(want.begin(), want.end());
      CHECK(got == want);
      std::vector<std::size_t> ids(25);
      std::vector<double> d2(25);
      tree.knn_search(q.data(), 25, ids.data(), d2.data());
      for (std::size_t k = 0; k < 25; ++k) {
        CHECK(ids[k] == all[k].second);
        CHECK(d2[k] == Approx(all[k].first).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("kd_tree stops a radius query when asked, and rejects bad input", "[index][kdtree]") {
  const auto x = segkit::test::normal_matrix(500, 3, 2);
  const kd_tree tree(segkit::matrix_view<float>(x.data(), 500, 3));
  const std::vector<double> q{0.0, 0.0, 0.0};
  std::size_t seen = 0;
  tree.radius_search(q.data(), 100.0, [&](std::size_t, double) { return ++seen < 10; });
  CHECK(seen == 10);
  std::vector<std::size_t> ids(501);
  std::vector<double> d2(501);
  CHECK_THROWS_WITH(tree.knn_search(q.data(), 501, ids.data(), d2.data()), Catch::Matchers::Contains("exceeds"));
  segkit::matrix<float> bad = x;
  bad(4, 2) = INFINITY;
  CHECK_THROWS_WITH(kd_tree(segkit::matrix_view<float>(bad.data(), 500, 3)), Catch::Matchers::Contains("non-finite"));
  const kd_tree empty(segkit::matrix_view<float>(x.data(), 0, 3));
  empty.radius_search(q.data(), 1.0, [](std::size_t, double) {
    FAIL("an empty tree has no points");
    return true;
  });
}
