#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "support/data.hpp"
#include "support/oracle.hpp"

#include <segkit/distance/pairwise.hpp>

TEST_CASE("pairwise_distances matches the oracle for every metric", "[distance][pairwise]") {
  const auto x = segkit::test::normal_matrix(130, 33, 1);
  const auto y = segkit::test::normal_matrix(77, 33, 2);
  for (const auto name : segkit::distance::metric_names) {
    const auto d = segkit::distance::visit_metric(name, [&](auto m) { return segkit::distance::pairwise_distances(m, x, y); });
    REQUIRE(d.shape(0) == 130);
    REQUIRE(d.shape(1) == 77);
    double worst = 0;
    for (std::size_t i = 0; i < 130; ++i) {
      for (std::size_t j = 0; j < 77; ++j) {
        const double ref = segkit::test::oracle_distance(name, &x(i, 0), &y(j, 0), 33);
        worst = std::max(worst, std::abs(d(i, j) - ref) / (1.0 + std::abs(ref)));
      }
    }
    INFO("metric " << name);
    CHECK(worst < 2e-5);
  }
}

TEST_CASE("pairwise_distances: same bits for any thread count; distance to self is zero", "[distance][pairwise]") {
  const auto x = segkit::test::normal_matrix(600, 40, 3);
  const auto d1 = segkit::distance::pairwise_distances(segkit::distance::l2_metric{}, x, x, {.threads = 1});
  const auto d2 = segkit::distance::pairwise_distances(segkit::distance::l2_metric{}, x, x, {.threads = 2});
  const auto d3 = segkit::distance::pairwise_distances(segkit::distance::l2_metric{}, x, x, {.threads = 3});
  CHECK((d1 == d2));
  CHECK((d1 == d3));
  for (std::size_t i = 0; i < 600; ++i) CHECK(d1(i, i) <= 1e-2f);  // expansion rounding only
}

TEST_CASE("pairwise_distances rejects bad input", "[distance][pairwise]") {
  const auto x = segkit::test::normal_matrix(5, 4, 1);
  const auto y = segkit::test::normal_matrix(5, 3, 1);
  CHECK_THROWS_WITH(segkit::distance::pairwise_distances(segkit::distance::l2_metric{}, x, y),
                    Catch::Contains("x has 4 columns but y has 3"));
  auto bad = x;
  bad(2, 1) = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH(segkit::distance::pairwise_distances(segkit::distance::cosine_metric{}, bad, x),
                    Catch::Contains("x holds a non-finite value (nan) at row 2, column 1"));
  const segkit::matrix<float> empty = segkit::matrix<float>::from_shape({0, 4});
  CHECK(segkit::distance::pairwise_distances(segkit::distance::l2_metric{}, empty, x).shape(0) == 0);
}
