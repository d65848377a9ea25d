// Trustworthiness against scikit-learn 1.2.1 fixtures (tests/data/make_quality_fixture.py) and
// against its defining properties.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "support/data.hpp"

#include <segkit/core/npy.hpp>
#include <segkit/quality/trustworthiness.hpp>

namespace fs = std::filesystem;
namespace q = segkit::quality;
namespace dist = segkit::distance;
using segkit::matrix;

TEST_CASE("trustworthiness equals scikit-learn's", "[quality][trustworthiness]") {
  for (const std::string name : {"pca", "noisy"}) {
    INFO("case " << name);
    const auto dir = fs::path(SEGKIT_TEST_DATA) / "quality";
    const auto x = segkit::load_npy_matrix<double>(dir / ("tw_" + name + "_X.npy"));
    const auto y = segkit::load_npy_matrix<double>(dir / ("tw_" + name + "_Y.npy"));
    const auto want = segkit::load_npy_vector<double>(dir / ("tw_" + name + "_scores.npy"));
    CHECK(q::trustworthiness(x, y, {.neighbors = 5, .threads = 2}) == Approx(want(0)).margin(1e-12));
    CHECK(q::trustworthiness(x, y, {.neighbors = 10, .threads = 2}) == Approx(want(1)).margin(1e-12));
    CHECK(q::trustworthiness<dist::cosine_metric>(x, y, {.neighbors = 10}) == Approx(want(2)).margin(1e-12));
    // The embedding's neighbors by the blocked scan (above 16 dimensions) give the same value:
    // pad the 2-D embedding with zero columns.
    matrix<double> padded = xt::zeros<double>({y.shape(0), std::size_t{18}});
    for (std::size_t i = 0; i < y.shape(0); ++i) {
      padded(i, 0) = y(i, 0);
      padded(i, 1) = y(i, 1);
    }
    CHECK(q::trustworthiness(x, padded, {.neighbors = 10}) == Approx(want(1)).margin(1e-12));
  }
}

TEST_CASE("trustworthiness: 1 for an isometry, lower for a scrambled embedding, same for any thread count", "[quality][trustworthiness]") {
  const auto x = segkit::test::blobs(500, 6, 4, 2);
  matrix<float> moved = x * 3.0f + 7.0f;  // similarity: neighbor ranks unchanged
  CHECK(q::trustworthiness(x, moved, {.neighbors = 7}) == Approx(1.0).margin(1e-12));
  const auto noise = segkit::test::normal_matrix(500, 2, 3);
  const double t_noise = q::trustworthiness(x, noise, {.neighbors = 7, .threads = 1});
  CHECK(t_noise < 0.7);
  CHECK(q::trustworthiness(x, noise, {.neighbors = 7, .threads = 2, .block_rows = 5}) == t_noise);
}

TEST_CASE("trustworthiness rejects bad input", "[quality][errors]") {
  using Catch::Matchers::Contains;
  const auto x = segkit::test::normal_matrix(20, 3, 1);
  const auto y = segkit::test::normal_matrix(19, 2, 1);
  CHECK_THROWS_WITH(q::trustworthiness(x, y), Contains("20 rows but the embedding has 19"));
  CHECK_THROWS_WITH(q::trustworthiness(x, x, {.neighbors = 10}), Contains("less than n / 2"));
  CHECK_THROWS_WITH(q::trustworthiness(x, x, {.neighbors = 0}), Contains("at least 1"));
  matrix<float> bad = x;
  bad(3, 1) = std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH(q::trustworthiness(x, bad), Contains("embedding holds a non-finite"));
}
