#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "support/data.hpp"

#include <segkit/cluster/choose_k.hpp>

TEST_CASE("kneedle finds the knee of textbook curves and none where there is none", "[cluster][choose_k]") {
  // Piecewise linear: steep to x = 4, flat after: the knee is the corner.
  const std::vector<double> x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const std::vector<double> corner = {100, 70, 40, 10, 9, 8, 7, 6, 5, 4};
  CHECK(segkit::cluster::kneedle(x, corner) == std::optional<std::size_t>(3));
  // y = 1/x on 1..10: (1 - x') - y' peaks at x = 3 (0.519, against 0.500 at x = 4 and 0.444 at x = 2).
  std::vector<double> inv;
  for (double v : x) inv.push_back(1.0 / v);
  CHECK(segkit::cluster::kneedle(x, inv) == std::optional<std::size_t>(2));
  // A straight line and a concave curve have no knee; too few points neither.
  const std::vector<double> line = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  CHECK_FALSE(segkit::cluster::kneedle(x, line).has_value());
  std::vector<double> concave;
  for (double v : x) concave.push_back(100 - v * v);
  CHECK_FALSE(segkit::cluster::kneedle(x, concave).has_value());
  const std::vector<double> two = {1, 2};
  CHECK_FALSE(segkit::cluster::kneedle(two, two).has_value());
  const std::vector<double> flat(10, 3.0);
  CHECK_FALSE(segkit::cluster::kneedle(x, flat).has_value());
}

TEST_CASE("kneedle rejects bad input", "[cluster][choose_k]") {
  const std::vector<double> x = {1, 2, 2}, y = {3, 2, 1};
  CHECK_THROWS_WITH(segkit::cluster::kneedle(x, y), Catch::Contains("x must increase strictly"));
  const std::vector<double> short_y = {1, 2};
  CHECK_THROWS_WITH(segkit::cluster::kneedle(x, short_y), Catch::Contains("3 x values for 2 y values"));
  const std::vector<double> nan_y = {1, std::numeric_limits<double>::quiet_NaN(), 0};
  const std::vector<double> good_x = {1, 2, 3};
  CHECK_THROWS_WITH(segkit::cluster::kneedle(good_x, nan_y), Catch::Contains("point 1 is not finite"));
}

TEST_CASE("kmeans_sweep recovers the number of well-separated blobs", "[cluster][choose_k]") {
  // Six blobs whose centers lie on the axes at distance 10: all equally far apart.
  auto x = segkit::test::normal_matrix(3000, 6, 13);
  for (std::size_t i = 0; i < 3000; ++i) x(i, i % 6) += 10.0f;
  const auto sweep = segkit::cluster::kmeans_sweep(x, 1, 12, {.n_init = 3, .seed = 2});
  REQUIRE(sweep.points.size() == 12);
  for (std::size_t i = 1; i < sweep.points.size(); ++i) {
    CHECK(sweep.points[i].k == i + 1);
    CHECK(sweep.points[i].inertia <= sweep.points[i - 1].inertia * 1.001);  // more clusters, less inertia
  }
  REQUIRE(sweep.chosen_k.has_value());
  CHECK(*sweep.chosen_k == 6);
  CHECK_THROWS_WITH(segkit::cluster::kmeans_sweep(x, 0, 3), Catch::Contains("k_min must be at least 1"));
  CHECK_THROWS_WITH(segkit::cluster::kmeans_sweep(x, 4, 3), Catch::Contains("k_min (4) exceeds k_max (3)"));
  CHECK_THROWS_WITH(segkit::cluster::kmeans_sweep(x, 1, 5000), Catch::Contains("k_max (5000) exceeds the number of samples (3000)"));
}
