// Drift monitoring: PSI, kernel MMD, the drift_monitor's report and migration matrices.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "support/data.hpp"

#include <segkit/core/random.hpp>
#include <segkit/monitor/drift.hpp>

namespace mon = segkit::monitor;
using segkit::label_type;
using segkit::matrix;

namespace {
// Rows around 4 centers in 5-D (spread 1, centers 6 apart on the axes); label i % 4.
matrix<float> segments_data(std::size_t n, std::uint64_t seed, std::vector<label_type>& labels, std::size_t centers = 4) {
  matrix<float> x = segkit::test::normal_matrix(n, 5, seed);
  labels.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    labels[i] = static_cast<label_type>(i % centers);
    x(i, i % centers) += 6.0f;
  }
  return x;
}
}  // namespace

TEST_CASE("population stability index: quantile bins and the textbook sum", "[monitor][psi]") {
  std::vector<double> ref(100), cur(100);
  for (std::size_t i = 0; i < 100; ++i) {
    ref[i] = static_cast<double>(i);
    cur[i] = static_cast<double>(i + 50);
  }
  const auto r = mon::population_stability_index(ref, cur, {.bins = 4});
  CHECK(r.edges == std::vector<double>{24, 49, 74});
  CHECK(r.reference_share == std::vector<double>{0.25, 0.25, 0.25, 0.25});
  CHECK(r.current_share == std::vector<double>{0.0, 0.0, 0.25, 0.75});
  const double floor_term = (1e-4 - 0.25) * std::log(1e-4 / 0.25);
  CHECK(r.value == Approx(2.0 * floor_term + 0.5 * std::log(3.0)).epsilon(1e-12));
  CHECK(mon::population_stability_index(ref, ref).value == 0.0);
  const std::vector<std::int64_t> a{50, 30, 20}, b{40, 40, 20};
  CHECK(mon::population_stability_index_counts(a, b) == Approx((0.4 - 0.5) * std::log(0.8) + (0.4 - 0.3) * std::log(4.0 / 3.0)).epsilon(1e-12));
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(mon::population_stability_index(ref, std::vector<double>{}), Contains("sizes 100 and 0"));
  CHECK_THROWS_WITH(mon::population_stability_index(ref, cur, {.bins = 1}), Contains("bins (1)"));
  CHECK_THROWS_WITH(mon::population_stability_index(ref, std::vector<double>{1.0, NAN}), Contains("current holds a non-finite"));
  CHECK_THROWS_WITH(mon::population_stability_index_counts(a, std::vector<std::int64_t>{1, 2}), Contains("3 reference categories but 2"));
}

TEST_CASE("kernel MMD: the unbiased statistic by brute force, power against a shift, thread invariance", "[monitor][mmd]") {
  const auto a = segkit::test::normal_matrix(120, 3, 1);
  const auto b = segkit::test::normal_matrix(100, 3, 2);
  const auto r = mon::mmd_test(a, b, {.max_samples = 500, .permutations = 200, .bandwidth = 1.5, .seed = 3});
  // Oracle: the unbiased MMD^2 with every pair, straight from the definition.
  const auto k = [](const float* x, const float* y) {
    double s = 0.0;
    for (int j = 0; j < 3; ++j) s += (static_cast<double>(x[j]) - y[j]) * (static_cast<double>(x[j]) - y[j]);
    return std::exp(-s / (2.0 * 1.5 * 1.5));
  };
  double xx = 0, yy = 0, xy = 0;
  for (std::size_t i = 0; i < 120; ++i) {
    for (std::size_t j = 0; j < 120; ++j) xx += i == j ? 0.0 : k(&a(i, 0), &a(j, 0));
    for (std::size_t j = 0; j < 100; ++j) xy += k(&a(i, 0), &b(j, 0));
  }
  for (std::size_t i = 0; i < 100; ++i) {
    for (std::size_t j = 0; j < 100; ++j) yy += i == j ? 0.0 : k(&b(i, 0), &b(j, 0));
  }
  CHECK(r.mmd2 == Approx(xx / (120.0 * 119.0) + yy / (100.0 * 99.0) - 2.0 * xy / (120.0 * 100.0)).margin(1e-12));
  CHECK(r.p_value > 0.05);  // same distribution
  CHECK(r.reference_rows == 120);
  matrix<float> shifted = b;
  for (std::size_t i = 0; i < 100; ++i) shifted(i, 1) += 0.8f;
  const auto s = mon::mmd_test(a, shifted, {.permutations = 200, .seed = 3, .threads = 1});
  CHECK(s.p_value == Approx(1.0 / 201.0));
  CHECK(s.bandwidth > 0.0);
  const auto s2 = mon::mmd_test(a, shifted, {.permutations = 200, .seed = 3, .threads = 2});
  CHECK(s2.mmd2 == s.mmd2);
  CHECK(s2.p_value == s.p_value);
  // Sampling: at most max_samples rows per period, deterministic given the seed.
  const auto big = segkit::test::normal_matrix(3000, 3, 4);
  const auto m1 = mon::mmd_test(big, b, {.max_samples = 300, .permutations = 20, .seed = 9});
  CHECK(m1.reference_rows == 300);
  CHECK(mon::mmd_test(big, b, {.max_samples = 300, .permutations = 20, .seed = 9}).mmd2 == m1.mmd2);
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(mon::mmd_test(a, segkit::test::normal_matrix(5, 4, 1)), Contains("3 columns but current has 4"));
  CHECK_THROWS_WITH(mon::mmd_test(a, b, {.permutations = 0}), Contains("permutations"));
}

TEST_CASE("drift_monitor: quiet on a fresh sample, loud on each kind of drift", "[monitor][drift]") {
  std::vector<label_type> ref_labels, labels;
  const auto ref = segments_data(4000, 1, ref_labels);
  const mon::drift_monitor<float> monitor(ref, ref_labels, matrix<float>{}, {.mmd = {.max_samples = 600, .permutations = 100, .seed = 2}});
  CHECK(monitor.size() == 4000);

  const auto same = segments_data(3000, 2, labels);
  const auto quiet = monitor.check(same, labels);
  INFO((quiet.alerts.empty() ? std::string("no alerts") : quiet.alerts.front().message));
  CHECK_FALSE(quiet.drifted());
  REQUIRE(quiet.features.size() == 5);
  CHECK(quiet.segments.total_variation < 0.01);
  CHECK(quiet.embedding.spread_ratio == Approx(1.0).epsilon(0.1));
  CHECK(quiet.segments.far_fraction < 0.03);

  // One feature moves: that feature alerts (KS and PSI), the embedding's mean moves with it.
  matrix<float> moved = same;
  for (std::size_t i = 0; i < moved.shape(0); ++i) moved(i, 4) += 1.5f;
  const auto f = monitor.check(moved, labels);
  CHECK(f.features[4].alert);
  CHECK(f.features[4].ks.p_value < 1e-10);
  CHECK(f.features[4].current_mean - f.features[4].reference_mean == Approx(1.5).margin(0.1));
  for (std::size_t j = 0; j < 4; ++j) CHECK_FALSE(f.features[j].alert);
  CHECK(f.embedding.mmd.p_value < 0.01);
  CHECK(f.drifted());

  // Shares change: segment 0 loses most of its rows.
  std::vector<std::size_t> keep;
  for (std::size_t i = 0; i < 3000; ++i) {
    if (labels[i] != 0 || i % 5 == 0) keep.push_back(i);
  }
  matrix<float> fewer = matrix<float>::from_shape({keep.size(), 5});
  std::vector<label_type> fewer_labels;
  for (std::size_t r = 0; r < keep.size(); ++r) {
    for (std::size_t j = 0; j < 5; ++j) fewer(r, j) = same(keep[r], j);
    fewer_labels.push_back(labels[keep[r]]);
  }
  const auto sh = monitor.check(fewer, fewer_labels);
  CHECK(sh.segments.alert);
  CHECK(sh.segments.total_variation == Approx(0.25 - 0.05 / 0.8).margin(0.02));
  CHECK(sh.segments.share_test.p_value < 1e-10);
  CHECK(sh.segments.centroid_shift[0] < 0.5);  // the rows left are the same kind of rows

  // A new group of rows far from every segment.
  matrix<float> grown = same;
  for (std::size_t i = 0; i < 300; ++i) {
    for (std::size_t j = 0; j < 5; ++j) grown(i, j) = static_cast<float>(j == 4 ? -12.0 : 0.0) + same(i, j) * 0.2f;
  }
  const auto nw = monitor.check(grown, labels);
  CHECK(nw.segments.new_segment_candidate);
  CHECK(nw.segments.far_fraction == Approx(0.1).margin(0.02));
  bool named = false;
  for (const auto& a : nw.alerts) named |= a.message.find("candidate new segment") != std::string::npos;
  CHECK(named);

  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(monitor.check(segkit::test::normal_matrix(10, 4, 1)), Contains("4 columns, the reference 5"));
  CHECK_THROWS_WITH(monitor.check(same, std::vector<label_type>{1, 2}), Contains("2 labels for 3000 current rows"));
  CHECK_THROWS_WITH(mon::drift_monitor<float>(segkit::test::normal_matrix(1, 3, 1)), Contains("at least 2 rows"));
}

TEST_CASE("migration matrix and retention", "[monitor][drift]") {
  const std::vector<label_type> before{0, 0, 0, 1, 1, 2, -1};
  const std::vector<label_type> after{0, 0, 1, 1, 3, 3, 0};
  const auto m = mon::migration(before, after);
  CHECK(m.from_labels == std::vector<label_type>{-1, 0, 1, 2});
  CHECK(m.to_labels == std::vector<label_type>{0, 1, 3});
  const xt::xtensor<std::int64_t, 2> want{{1, 0, 0}, {2, 1, 0}, {0, 1, 1}, {0, 0, 1}};
  CHECK((m.counts == want));
  CHECK(m.retention(1) == Approx(2.0 / 3.0));
  CHECK(m.retention(3) == 0.0);  // segment 2 is gone
  CHECK_THROWS_AS(mon::migration(before, std::vector<label_type>{0}), segkit::invalid_argument);
}

TEST_CASE("categorical_drift: chi-square and PSI over the categories of two periods", "[monitor][drift]") {
  std::vector<std::string> ref, same, moved;
  for (int i = 0; i < 600; ++i) {
    ref.push_back(i % 3 == 0 ? "EU" : (i % 3 == 1 ? "US" : "APAC"));
    same.push_back(i % 3 == 1 ? "EU" : (i % 3 == 2 ? "US" : "APAC"));  // same shares, other rows
    moved.push_back(i % 6 == 0 ? "APAC" : (i % 6 < 4 ? "EU" : (i % 6 == 4 ? "US" : "LATAM")));
  }
  const auto q = mon::categorical_drift(ref, same);
  CHECK(q.categories == std::vector<std::string>{"APAC", "EU", "US"});
  CHECK(q.test.statistic == 0.0);
  CHECK_FALSE(q.alert);
  const auto m = mon::categorical_drift(ref, moved);
  CHECK(m.categories.size() == 4);  // LATAM is new
  const xt::xtensor<std::int64_t, 2> table{{200, 200, 0, 200}, {100, 300, 100, 100}};
  const auto want = mon::chi_square_test(table);
  CHECK(m.test.statistic == Approx(want.statistic));
  CHECK(m.test.dof == 3);
  CHECK(m.alert);
  CHECK(m.psi > 0.25);  // a category out of nowhere weighs heavily
  CHECK_THROWS_AS(mon::categorical_drift(ref, std::vector<std::string>{}), segkit::invalid_argument);
}
