// External quality scores against scikit-learn 1.2.1 fixtures (tests/data/make_quality_fixture.py)
// and against their defining properties.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include <segkit/core/npy.hpp>
#include <segkit/core/random.hpp>
#include <segkit/quality/external.hpp>

namespace fs = std::filesystem;
namespace q = segkit::quality;
using segkit::label_type;

namespace {
std::vector<label_type> load(const std::string& name) {
  const auto l = segkit::load_npy_vector<std::int32_t>(fs::path(SEGKIT_TEST_DATA) / "quality" / name);
  return {l.begin(), l.end()};
}
}  // namespace

TEST_CASE("external scores equal scikit-learn's", "[quality][external]") {
  for (const std::string name : {"random", "close", "many", "noise", "single"}) {
    INFO("case " << name);
    const auto a = load("ext_" + name + "_true.npy");
    const auto b = load("ext_" + name + "_pred.npy");
    const auto want = segkit::load_npy_vector<double>(fs::path(SEGKIT_TEST_DATA) / "quality" / ("ext_" + name + "_scores.npy"));
    const auto t = q::contingency(a, b);
    CHECK(q::adjusted_rand_index(t) == Approx(want(0)).margin(1e-12));
    const q::average_method methods[] = {q::average_method::arithmetic, q::average_method::geometric, q::average_method::min,
                                         q::average_method::max};
    for (std::size_t m = 0; m < 4; ++m) {
      INFO("average method " << m);
      CHECK(q::normalized_mutual_information(t, methods[m]) == Approx(want(1 + m)).margin(1e-12));
      CHECK(q::adjusted_mutual_information(t, methods[m]) == Approx(want(5 + m)).margin(1e-10));
    }
    const auto hcv = q::homogeneity_completeness_v_measure(t);
    CHECK(hcv.homogeneity == Approx(want(9)).margin(1e-12));
    CHECK(hcv.completeness == Approx(want(10)).margin(1e-12));
    CHECK(hcv.v_measure == Approx(want(11)).margin(1e-12));
    CHECK(q::fowlkes_mallows(t) == Approx(want(12)).margin(1e-12));
    CHECK(q::mutual_information(t) == Approx(want(13)).margin(1e-12));
    CHECK(q::purity(t) == Approx(want(14)).margin(1e-12));
    // The label-vector forms compute the same.
    CHECK(q::adjusted_rand_index(a, b) == q::adjusted_rand_index(t));
    CHECK(q::adjusted_mutual_information(a, b) == q::adjusted_mutual_information(t));
  }
}

TEST_CASE("contingency table: sparse cells, margins and the dense form agree", "[quality][external]") {
  const std::vector<label_type> a{3, 3, -1, 7, 7, 7};
  const std::vector<label_type> b{0, 1, 1, 1, 1, 0};
  const auto t = q::contingency(a, b);
  CHECK(t.truth_labels == std::vector<label_type>{-1, 3, 7});
  CHECK(t.predicted_labels == std::vector<label_type>{0, 1});
  CHECK(t.truth_counts == std::vector<std::int64_t>{1, 2, 3});
  CHECK(t.predicted_counts == std::vector<std::int64_t>{2, 4});
  const auto d = t.dense();
  const xt::xtensor<std::int64_t, 2> want{{0, 1}, {1, 1}, {1, 2}};
  CHECK((d == want));
  CHECK(t.cells.size() == 5);
  CHECK(q::purity(t) == Approx(3.0 / 6.0));  // clusters 0 and 1: best classes hold 1 and 2 rows
  CHECK(q::purity(b, a) == Approx(4.0 / 6.0));  // purity is not symmetric
}

TEST_CASE("external scores: identity, symmetry, renaming and hand-computed pairs", "[quality][external]") {
  segkit::rng gen(4);
  std::vector<label_type> a(900), b(900), renamed(900);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<label_type>(gen.below(6));
    b[i] = gen.uniform() < 0.7 ? a[i] : static_cast<label_type>(gen.below(6));
    renamed[i] = static_cast<label_type>(50 - 3 * b[i]);
  }
  CHECK(q::adjusted_rand_index(a, a) == 1.0);
  CHECK(q::normalized_mutual_information(a, a) == Approx(1.0));
  CHECK(q::adjusted_mutual_information(a, a) == Approx(1.0));
  CHECK(q::fowlkes_mallows(a, a) == Approx(1.0));
  CHECK(q::rand_index(a, a) == 1.0);
  CHECK(q::adjusted_rand_index(a, b) == Approx(q::adjusted_rand_index(b, a)).margin(1e-15));
  CHECK(q::adjusted_mutual_information(a, b) == Approx(q::adjusted_mutual_information(b, a)).margin(1e-12));
  CHECK(q::adjusted_rand_index(a, b) == q::adjusted_rand_index(a, renamed));
  CHECK(q::normalized_mutual_information(a, b) == Approx(q::normalized_mutual_information(a, renamed)).margin(1e-15));
  const double ari = q::adjusted_rand_index(a, b);
  CHECK(ari > 0.3);
  CHECK(ari < 0.9);
  // Four rows {0,0,1,1} vs {0,1,1,1}: of 6 unordered pairs, 1 same/same, 0 diff/same... counted
  // by hand: tp = 1, fn = 1, fp = 2, tn = 2 (unordered) -> Rand index 3/6.
  const std::vector<label_type> x{0, 0, 1, 1}, y{0, 1, 1, 1};
  CHECK(q::rand_index(x, y) == Approx(0.5));
  // ARI = 2 (tp tn - fn fp) / ((tp + fn)(fn + tn) + (tp + fp)(fp + tn)) = 2 (2 - 2) / ... = 0.
  CHECK(q::adjusted_rand_index(x, y) == Approx(0.0).margin(1e-15));
  CHECK(q::fowlkes_mallows(x, y) == Approx(1.0 / std::sqrt(2.0 * 3.0)));
}

TEST_CASE("adjusted Rand index stays exact for large n (128-bit pair counts)", "[quality][external][slow]") {
  // 3,000,000 rows: pair counts near 9e12, products near 8e25, beyond 64 bits.
  const std::size_t n = 3'000'000;
  std::vector<label_type> a(n), b(n);
  for (std::size_t i = 0; i < n; ++i) {
    a[i] = static_cast<label_type>(i % 2);
    b[i] = static_cast<label_type>(i < n / 2 ? 0 : 1);
  }
  CHECK(q::adjusted_rand_index(a, a) == 1.0);
  // Halves against parities are independent: the expected index is ~0 (slightly negative).
  const double ari = q::adjusted_rand_index(a, b);
  CHECK(std::abs(ari) < 1e-6);
  CHECK(q::adjusted_mutual_information(a, b) == Approx(0.0).margin(1e-6));
}

TEST_CASE("external scores reject mismatched or empty labelings", "[quality][errors]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(q::adjusted_rand_index(std::vector<label_type>{0, 1}, std::vector<label_type>{0}),
                    Contains("2 reference labels but 1 predicted labels"));
  CHECK_THROWS_WITH(q::normalized_mutual_information(std::vector<label_type>{}, std::vector<label_type>{}), Contains("empty"));
  CHECK_THROWS_WITH(q::homogeneity_completeness_v_measure(std::vector<label_type>{0, 1}, std::vector<label_type>{0, 1}, 0.0),
                    Contains("beta"));
  // One label on both sides: the data are not split, every agreement score is 1.
  const std::vector<label_type> one(10, 4);
  CHECK(q::adjusted_rand_index(one, one) == 1.0);
  CHECK(q::normalized_mutual_information(one, one) == 1.0);
  CHECK(q::adjusted_mutual_information(one, one) == 1.0);
}
