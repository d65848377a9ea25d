// Stable segment ids: the assignment solver against brute force, and matchers on labelings and
// centroids built with known continuations, splits, merges, births and deaths.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <vector>

#include <segkit/core/random.hpp>
#include <segkit/monitor/segment_ids.hpp>

namespace mon = segkit::monitor;
using segkit::label_type;

TEST_CASE("min_cost_assignment equals the brute-force optimum", "[monitor][ids]") {
  segkit::rng gen(7);
  for (int trial = 0; trial < 40; ++trial) {
    const std::size_t rows = 1 + gen.below(5), cols = rows + gen.below(3);
    std::vector<double> cost(rows * cols);
    for (auto& c : cost) c = gen.below(4) == 0 ? 5.0 : std::floor(gen.uniform() * 20.0) - 6.0;  // ties and negatives
    const auto a = mon::min_cost_assignment(cost, rows, cols);
    double got = 0.0;
    std::vector<char> used(cols, 0);
    for (std::size_t r = 0; r < rows; ++r) {
      REQUIRE(a[r] < cols);
      REQUIRE_FALSE(used[a[r]]);
      used[a[r]] = 1;
      got += cost[r * cols + a[r]];
    }
    // Brute force over every injection rows -> cols.
    std::vector<std::size_t> perm(cols);
    std::iota(perm.begin(), perm.end(), std::size_t{0});
    double best = 1e300;
    do {
      double s = 0.0;
      for (std::size_t r = 0; r < rows; ++r) s += cost[r * cols + perm[r]];
      best = std::min(best, s);
    } while (std::next_permutation(perm.begin(), perm.end()));
    CHECK(got == Approx(best));
  }
  CHECK_THROWS_AS(mon::min_cost_assignment(std::vector<double>(6, 1.0), 3, 2), segkit::invalid_argument);
}

TEST_CASE("match_segments keeps ids and names splits, merges, births and deaths", "[monitor][ids]") {
  std::vector<label_type> old_ids(1100), fresh(1100);
  for (std::size_t i = 0; i < 1100; ++i) {
    old_ids[i] = i < 300 ? 10 : i < 600 ? 11 : i < 780 ? 12 : i < 900 ? 13 : i < 1000 ? 14 : -1;
    fresh[i] = i < 300 ? 2 : i < 480 ? 0 : i < 600 ? 4 : i < 900 ? 1 : i < 1000 ? -1 : 3;
  }
  const auto m = mon::match_segments(old_ids, fresh);
  CHECK(m.new_labels == std::vector<label_type>{0, 1, 2, 3, 4});
  CHECK(m.stable_ids == std::vector<label_type>{11, 12, 10, 15, 16});
  CHECK(m.continued == std::vector<std::pair<label_type, label_type>>{{10, 2}, {11, 0}, {12, 1}});
  CHECK(m.deaths == std::vector<label_type>{13, 14});
  CHECK(m.births == std::vector<label_type>{15, 16});
  REQUIRE(m.splits.size() == 1);
  CHECK(m.splits[0].first == 11);
  CHECK(m.splits[0].second == std::vector<label_type>{0, 4});
  REQUIRE(m.merges.size() == 1);
  CHECK(m.merges[0].first == std::vector<label_type>{12, 13});
  CHECK(m.merges[0].second == 1);
  const auto stable = m.relabel(fresh);
  CHECK(stable[0] == 10);
  CHECK(stable[950] == -1);
  CHECK(stable[1050] == 15);
  CHECK_THROWS_AS(m.stable_id(7), segkit::invalid_argument);
  // The same refit under other names gets the same stable ids.
  std::vector<label_type> renamed(fresh.size());
  std::transform(fresh.begin(), fresh.end(), renamed.begin(), [](label_type l) { return l < 0 ? l : static_cast<label_type>(40 - l); });
  const auto r = mon::match_segments(old_ids, renamed, {.next_id = 100});
  CHECK(r.relabel(renamed)[0] == 10);
  CHECK(r.relabel(renamed)[400] == 11);
  CHECK(r.births == std::vector<label_type>{100, 101});
  // Below min_jaccard nothing continues.
  const auto strict = mon::match_segments(old_ids, fresh, {.min_jaccard = 0.99});
  CHECK(strict.continued == std::vector<std::pair<label_type, label_type>>{{10, 2}});
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(mon::match_segments(old_ids, std::vector<label_type>{1}), Contains("1100 and 1 labels"));
  CHECK_THROWS_WITH(mon::match_segments(old_ids, fresh, {.split_share = 0.7}), Contains("split_share"));
}

TEST_CASE("match_segments_by_centroids: nearest centers keep ids within max_distance", "[monitor][ids]") {
  const segkit::matrix<double> olds{{0, 0}, {10, 0}, {0, 10}};
  const std::vector<label_type> ids{5, 6, 7};
  const segkit::matrix<double> news{{0.2, 0}, {10, 0.3}, {10.5, 1}};
  const auto m = mon::match_segments_by_centroids(olds, ids, news, {.max_distance = 3.0});
  CHECK(m.stable_ids == std::vector<label_type>{5, 6, 8});
  CHECK(m.deaths == std::vector<label_type>{7});
  CHECK(m.births == std::vector<label_type>{8});
  REQUIRE(m.splits.size() == 1);
  CHECK(m.splits[0].first == 6);
  CHECK(m.splits[0].second == std::vector<label_type>{1, 2});
  REQUIRE(m.merges.size() == 1);
  CHECK(m.merges[0].first == std::vector<label_type>{5, 7});
  // Without a distance limit every old center finds a partner: the optimum, not the greedy choice.
  const auto all = mon::match_segments_by_centroids(olds, ids, news);
  CHECK(all.births.empty());
  CHECK(all.stable_ids == std::vector<label_type>{5, 6, 7});
  CHECK_THROWS_AS(mon::match_segments_by_centroids(olds, std::vector<label_type>{1}, news), segkit::invalid_argument);
}
