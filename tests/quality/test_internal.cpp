// Internal quality scores against scikit-learn 1.2.1 fixtures (tests/data/make_quality_fixture.py)
// and against invariants: label renaming, row order, thread count, tile size, noise exclusion.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "support/data.hpp"

#include <segkit/core/npy.hpp>
#include <segkit/core/random.hpp>
#include <segkit/quality/internal.hpp>

namespace fs = std::filesystem;
namespace q = segkit::quality;
namespace dist = segkit::distance;
using segkit::label_type;
using segkit::matrix;

namespace {
fs::path fixture(const std::string& name) { return fs::path(SEGKIT_TEST_DATA) / "quality" / name; }

std::vector<label_type> load_labels(const std::string& name) {
  const auto l = segkit::load_npy_vector<std::int32_t>(fixture(name + "_labels.npy"));
  return {l.begin(), l.end()};
}

template <class M>
void check_fixture(const std::string& name) {
  INFO("case " << name);
  const auto x = segkit::load_npy_matrix<double>(fixture(name + "_X.npy"));
  const auto labels = load_labels(name);
  const auto want = segkit::load_npy_vector<double>(fixture(name + "_silhouette.npy"));
  const auto scores = segkit::load_npy_vector<double>(fixture(name + "_scores.npy"));
  const auto s = q::silhouette_samples<M>(x, labels, {.threads = 2});
  REQUIRE(s.size() == want.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    INFO("row " << i);
    CHECK(s(i) == Approx(want(i)).margin(1e-9));
  }
  CHECK(q::silhouette_score<M>(x, labels, {.threads = 2}) == Approx(scores(0)).margin(1e-10));
  // scikit-learn measures distances to centroids through the |x|^2 + |c|^2 - 2 x.c expansion,
  // which puts ~3e-8 where a distance is 0 (the cluster of one); segkit subtracts exactly.
  CHECK(q::davies_bouldin(x, labels) == Approx(scores(1)).epsilon(1e-7));
  CHECK(q::calinski_harabasz(x, labels) == Approx(scores(2)).epsilon(1e-10));
}

// Labels of n rows in k groups, with a few -1 when noise is true.
std::vector<label_type> random_labels(std::size_t n, int k, std::uint64_t seed, bool noise = false) {
  segkit::rng gen(seed);
  std::vector<label_type> l(n);
  for (auto& v : l) v = static_cast<label_type>(gen.below(static_cast<std::uint64_t>(k)));
  if (noise) {
    for (std::size_t i = 0; i < n; i += 7) l[i] = -1;
  }
  return l;
}

template <class T>
matrix<T> rows_of(const matrix<T>& x, const std::vector<std::size_t>& keep) {
  matrix<T> out = matrix<T>::from_shape({keep.size(), x.shape(1)});
  for (std::size_t r = 0; r < keep.size(); ++r) std::copy_n(x.data() + keep[r] * x.shape(1), x.shape(1), out.data() + r * x.shape(1));
  return out;
}
}  // namespace

TEST_CASE("silhouette, Davies-Bouldin and Calinski-Harabasz equal scikit-learn's", "[quality][silhouette]") {
  check_fixture<dist::l2_metric>("blobs3d");
  check_fixture<dist::l2_metric>("noisy20d");   // -1 is an ordinary label, as in scikit-learn
  check_fixture<dist::l2_metric>("singleton");  // a cluster of one (value 0) and exact duplicates
  check_fixture<dist::cosine_metric>("cosine8d");
  check_fixture<dist::manhattan_metric>("manhattan");
}

TEST_CASE("silhouette: the symmetric scan, the row scan and every tile size and thread count agree", "[quality][silhouette]") {
  const auto x = segkit::test::blobs(1500, 12, 6, 3);
  const auto labels = random_labels(1500, 6, 4);
  const auto base = q::silhouette_samples(x, labels, {.threads = 1});
  // Same bits for any thread count.
  CHECK((q::silhouette_samples(x, labels, {.threads = 2}) == base));
  CHECK((q::silhouette_samples(x, labels, {.threads = 3}) == base));
  // Row scan (no memory for bands) and other tile sizes: the same values up to float summation order.
  for (const auto& p : {q::silhouette_params{.threads = 2, .memory_budget = 0}, q::silhouette_params{.threads = 2, .block_rows = 8},
                        q::silhouette_params{.threads = 2, .block_rows = 1000}}) {
    const auto s = q::silhouette_samples(x, labels, p);
    for (std::size_t i = 0; i < s.size(); ++i) REQUIRE(s(i) == Approx(base(i)).margin(1e-5));
  }
  // Float input against double input: centring keeps the float expansion close.
  const matrix<double> xd = xt::cast<double>(x);
  const auto sd = q::silhouette_samples(xd, labels);
  double worst = 0.0;
  for (std::size_t i = 0; i < sd.size(); ++i) worst = std::max(worst, std::abs(sd(i) - base(i)));
  CHECK(worst < 1e-4);
}

TEST_CASE("silhouette is invariant to label names, row order and translation", "[quality][silhouette]") {
  const matrix<double> x = xt::cast<double>(segkit::test::blobs(700, 5, 4, 8));
  const auto labels = random_labels(700, 4, 9);
  const auto base = q::silhouette_samples(x, labels);
  std::vector<label_type> renamed(labels.size());
  std::transform(labels.begin(), labels.end(), renamed.begin(), [](label_type l) { return static_cast<label_type>(100 - 13 * l); });
  const auto r = q::silhouette_samples(x, renamed);
  for (std::size_t i = 0; i < r.size(); ++i) REQUIRE(r(i) == Approx(base(i)).margin(1e-12));

  std::vector<std::size_t> perm(700);
  std::iota(perm.begin(), perm.end(), std::size_t{0});
  std::reverse(perm.begin(), perm.end());
  std::rotate(perm.begin(), perm.begin() + 123, perm.end());
  std::vector<label_type> pl(700);
  for (std::size_t i = 0; i < 700; ++i) pl[i] = labels[perm[i]];
  const auto p = q::silhouette_samples(rows_of(x, perm), pl);
  for (std::size_t i = 0; i < 700; ++i) REQUIRE(p(i) == Approx(base(perm[i])).margin(1e-12));

  const matrix<double> shifted = x + 1000.0;
  const auto t = q::silhouette_samples(shifted, labels);
  for (std::size_t i = 0; i < 700; ++i) REQUIRE(t(i) == Approx(base(i)).margin(1e-8));
  CHECK(q::davies_bouldin(shifted, labels) == Approx(q::davies_bouldin(x, labels)).epsilon(1e-8));
  CHECK(q::calinski_harabasz(shifted, labels) == Approx(q::calinski_harabasz(x, labels)).epsilon(1e-8));
}

TEST_CASE("noise_handling::exclude scores the labeled rows as if the noise were not there", "[quality][silhouette]") {
  const matrix<double> x = xt::cast<double>(segkit::test::blobs(600, 4, 3, 12));
  const auto labels = random_labels(600, 3, 13, true);
  std::vector<std::size_t> keep;
  std::vector<label_type> kept_labels;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] != -1) {
      keep.push_back(i);
      kept_labels.push_back(labels[i]);
    }
  }
  const auto sub = rows_of(x, keep);
  const auto s = q::silhouette_samples(x, labels, {.noise = q::noise_handling::exclude});
  const auto want = q::silhouette_samples(sub, kept_labels);
  std::size_t w = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] == -1) {
      CHECK(std::isnan(s(i)));
    } else {
      REQUIRE(s(i) == Approx(want(w++)).margin(1e-12));
    }
  }
  CHECK(q::silhouette_score(x, labels, {.noise = q::noise_handling::exclude}) == Approx(q::silhouette_score(sub, kept_labels)).margin(1e-12));
  CHECK(q::davies_bouldin(x, labels, q::noise_handling::exclude) == Approx(q::davies_bouldin(sub, kept_labels)).epsilon(1e-12));
  CHECK(q::calinski_harabasz(x, labels, q::noise_handling::exclude) == Approx(q::calinski_harabasz(sub, kept_labels)).epsilon(1e-12));
  CHECK(q::inertia(x, labels, q::noise_handling::exclude) == Approx(q::inertia(sub, kept_labels)).epsilon(1e-12));
  // As a label, the noise changes the score.
  CHECK(q::silhouette_score(x, labels) != Approx(q::silhouette_score(sub, kept_labels)).margin(1e-6));
}

TEST_CASE("inertia is the within-cluster sum of squares", "[quality]") {
  const matrix<double> x{{0, 0}, {2, 0}, {10, 10}, {10, 12}, {10, 14}};
  const std::vector<label_type> labels{5, 5, 1, 1, 1};
  CHECK(q::inertia(x, labels) == Approx(2.0 + 8.0));
  CHECK(q::inertia(x, std::vector<label_type>(5, 0)) > 100.0);
}

TEST_CASE("silhouette_estimate: an interval around the exact score; exact when the sample is everything", "[quality][silhouette]") {
  const auto x = segkit::test::blobs(4000, 8, 5, 21);
  auto labels = random_labels(4000, 5, 22);
  // Nine rows in ten keep their blob (row i is in blob i % 5), the rest a random label.
  for (std::size_t i = 0; i < 4000; ++i) labels[i] = i % 10 == 0 ? labels[i] : static_cast<label_type>(i % 5);
  const double exact = q::silhouette_score(x, labels);
  const auto all = q::silhouette_estimate(x, labels, {.sample_size = 5000});
  CHECK(all.sample_size == 4000);
  CHECK(all.value == Approx(exact).margin(1e-12));
  CHECK(all.standard_error == 0.0);
  std::size_t covered = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const auto e = q::silhouette_estimate(x, labels, {.sample_size = 400, .seed = seed});
    CHECK(e.sample_size == 400);
    CHECK(e.standard_error > 0.0);
    CHECK(e.low < e.value);
    CHECK(e.high > e.value);
    covered += (e.low <= exact && exact <= e.high) ? 1 : 0;
  }
  CHECK(covered >= 16);  // a 95 % interval: 19 of 20 expected
  const auto a = q::silhouette_estimate(x, labels, {.sample_size = 300, .seed = 5, .silhouette = {.threads = 1}});
  const auto b = q::silhouette_estimate(x, labels, {.sample_size = 300, .seed = 5, .silhouette = {.threads = 2}});
  CHECK(a.value == b.value);
  const auto wide = q::silhouette_estimate(x, labels, {.sample_size = 300, .confidence = 0.99, .seed = 5});
  CHECK(wide.high - wide.low == Approx((a.high - a.low) * 2.5758293035489 / 1.9599639845401).epsilon(1e-9));
}

TEST_CASE("internal scores reject bad input with a message naming it", "[quality][errors]") {
  const matrix<double> x{{0, 0}, {1, 0}, {5, 5}, {6, 5}};
  const std::vector<label_type> ok{0, 0, 1, 1};
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(q::silhouette_score(x, std::vector<label_type>{0, 0, 0, 0}), Contains("1 distinct label(s)"));
  CHECK_THROWS_WITH(q::silhouette_score(x, std::vector<label_type>{0, 1, 2, 3}), Contains("4 distinct label(s)"));
  CHECK_THROWS_WITH(q::davies_bouldin(x, std::vector<label_type>{0, 1, 0}), Contains("3 labels for 4 rows"));
  CHECK_THROWS_WITH(q::calinski_harabasz(matrix<double>::from_shape({0, 2}), std::vector<label_type>{}), Contains("no samples"));
  matrix<double> bad = x;
  bad(2, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(q::silhouette_samples(bad, ok), Contains("non-finite"));
  CHECK_THROWS_WITH(q::silhouette_samples(x, ok, {.block_rows = 2}), Contains("block_rows"));
  CHECK_THROWS_WITH(q::silhouette_samples(x, std::vector<label_type>{-1, -1, 0, 0}, {.noise = q::noise_handling::exclude}),
                    Contains("1 distinct label(s) among 2 scored rows"));
  CHECK_THROWS_WITH(q::inertia(x, std::vector<label_type>{-1, -1, -1, -1}, q::noise_handling::exclude), Contains("every row is noise"));
  CHECK_THROWS_WITH(q::silhouette_estimate(x, ok, {.sample_size = 0}), Contains("sample_size"));
  CHECK_THROWS_WITH(q::silhouette_estimate(x, ok, {.confidence = 1.0}), Contains("confidence"));
  CHECK_THROWS_AS(q::silhouette_score(x, std::vector<label_type>{0}), segkit::invalid_argument);
  // The smallest valid input: two clusters of one and two rows.
  CHECK(q::silhouette_score(matrix<double>{{0.0}, {1.0}, {9.0}}, std::vector<label_type>{0, 0, 1}) ==
        Approx((8.0 / 9.0 + 7.0 / 8.0 + 0.0) / 3.0));  // a = 1, b = 9 and 8; a cluster of one scores 0
}
