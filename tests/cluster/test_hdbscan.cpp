#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "support/data.hpp"
#include "support/partition.hpp"

#include <segkit/cluster/hdbscan.hpp>
#include <segkit/core/npy.hpp>

#include <xtensor/xview.hpp>

namespace fs = std::filesystem;
using segkit::label_type;
using segkit::test::same_partition;
using segkit::cluster::hdbscan;
using segkit::cluster::hdbscan_params;
using segkit::cluster::fragment_rule;
using segkit::cluster::mst_algorithm;
namespace dist = segkit::distance;

namespace {
fs::path fixture(const std::string& name) { return fs::path(SEGKIT_TEST_DATA) / "hdbscan" / name; }

// Excess of mass of one cluster of a condensed tree: sum over its rows of (lambda - birth) x size.
double stability_of(const segkit::cluster::condensed_tree& t, std::size_t cluster) {
  double birth = 0.0, sum = 0.0;
  for (std::size_t r = 0; r < t.size(); ++r) {
    if (t.child[r] == cluster) birth = t.lambda[r];
  }
  for (std::size_t r = 0; r < t.size(); ++r) {
    if (t.parent[r] == cluster) sum += (t.lambda[r] - birth) * t.child_size[r];
  }
  return sum;
}

// fragment_rule::shed is R's rule: the same labels, GLOSH scores and cluster stabilities as R.
void check_shed_equals_r(const segkit::matrix<double>& x, const std::string& name, mst_algorithm mst) {
  const auto min_pts = static_cast<std::size_t>(segkit::load_npy_vector<double>(fixture(name + "_params.npy"))(0));
  const auto want = segkit::load_npy_vector<std::int32_t>(fixture(name + "_labels.npy"));
  const auto glosh = segkit::load_npy_vector<double>(fixture(name + "_glosh.npy"));
  const auto shed = hdbscan<dist::l2_metric, double>({.min_cluster_size = min_pts, .threads = 2, .mst = mst, .fragments = fragment_rule::shed}).fit(x);
  CHECK(same_partition(shed.labels(), want));
  for (std::size_t i = 0; i < glosh.size(); ++i) CHECK(shed.outlier_scores[i] == Approx(glosh(i)).margin(1e-9));
  // The condensed tree: the distance at which each point leaves its cluster is R's.
  const auto leave = segkit::load_npy_vector<double>(fixture(name + "_leave.npy"));
  std::size_t points = 0;
  for (std::size_t r = 0; r < shed.tree.size(); ++r) {
    const std::size_t p = shed.tree.child[r];
    if (p >= shed.tree.n_points) continue;
    ++points;
    CHECK((std::isinf(shed.tree.lambda[r]) ? 0.0 : 1.0 / shed.tree.lambda[r]) == Approx(leave(p)).epsilon(1e-12).margin(1e-300));
  }
  CHECK(points == leave.size());
  const auto stability = segkit::load_npy_vector<double>(fixture(name + "_stability.npy"));  // R's cluster k + 1
  REQUIRE(shed.n_clusters() == stability.size());
  for (std::size_t k = 0; k < shed.n_clusters(); ++k) {
    const auto row = std::find(shed.labels().begin(), shed.labels().end(), static_cast<label_type>(k)) - shed.labels().begin();
    CHECK(stability_of(shed.tree, shed.selected[k]) == Approx(stability(static_cast<std::size_t>(want(static_cast<std::size_t>(row))))).epsilon(1e-9));
  }
}

}  // namespace

TEST_CASE("hdbscan matches R dbscan::hdbscan on fixtures", "[cluster][hdbscan]") {
  // Fixtures: tests/data/make_hdbscan_fixture.py (R dbscan 1.1-11, hdbscan(x, minPts)).
  // Both spanning-tree algorithms (these sets are small enough for Prim by default).
  for (const auto& [name, mst] : {std::pair<std::string, mst_algorithm>{"moons2d", mst_algorithm::automatic}, {"blobs5d", mst_algorithm::automatic},
                                  {"small", mst_algorithm::automatic}, {"moons2d", mst_algorithm::boruvka}, {"blobs5d", mst_algorithm::boruvka},
                                  {"small", mst_algorithm::boruvka}}) {
    INFO("case " << name << (mst == mst_algorithm::boruvka ? " (boruvka)" : ""));
    const auto x = segkit::load_npy_matrix<double>(fixture(name + "_X.npy"));
    const auto min_pts = static_cast<std::size_t>(segkit::load_npy_vector<double>(fixture(name + "_params.npy"))(0));
    const auto r = hdbscan<dist::l2_metric, double>({.min_cluster_size = min_pts, .threads = 2, .mst = mst}).fit(x);
    const auto core = segkit::load_npy_vector<double>(fixture(name + "_core.npy"));
    for (std::size_t i = 0; i < core.size(); ++i) CHECK(r.core_distances[i] == Approx(core(i)).epsilon(1e-12));
    const auto heights = segkit::load_npy_vector<double>(fixture(name + "_heights.npy"));
    REQUIRE(r.single_linkage_tree.linkage.shape(0) == heights.size());
    for (std::size_t i = 0; i < heights.size(); ++i) CHECK(r.single_linkage_tree.linkage(i, 2) == Approx(heights(i)).epsilon(1e-12));
    const auto want = segkit::load_npy_vector<std::int32_t>(fixture(name + "_labels.npy"));
    CHECK(same_partition(r.labels(), want));
    CHECK(r.n_clusters() == static_cast<std::size_t>(*std::max_element(want.begin(), want.end()) + 1));
    // GLOSH by default (fragment_rule::drop, the hdbscan library's rule) differs from R's in value
    // (R lets a fragment's points leave one by one); both rank the same point as the most outlying.
    const auto glosh = segkit::load_npy_vector<double>(fixture(name + "_glosh.npy"));
    const auto top_r = std::max_element(glosh.begin(), glosh.end()) - glosh.begin();
    const auto top_s = std::max_element(r.outlier_scores.begin(), r.outlier_scores.end()) - r.outlier_scores.begin();
    CHECK(top_r == top_s);
    double largest_gap = 0.0;
    for (std::size_t i = 0; i < glosh.size(); ++i) largest_gap = std::max(largest_gap, std::abs(r.outlier_scores[i] - glosh(i)));
    CHECK(largest_gap > 0.1);

    check_shed_equals_r(x, name, mst);
  }
}

TEST_CASE("hdbscan: with fragment_rule::shed a leaf of duplicate rows loses to its parent, as in R", "[cluster][hdbscan]") {
  // tests/data/make_hdbscan_fixture.py, case dups: 6 copies of a row inside one of two nearby blobs.
  const auto x = segkit::load_npy_matrix<double>(fixture("dups_X.npy"));
  const auto want = segkit::load_npy_vector<std::int32_t>(fixture("dups_labels.npy"));
  REQUIRE(*std::max_element(want.begin(), want.end()) == 1);  // R: the two near blobs as one cluster
  const auto drop = hdbscan<dist::l2_metric, double>({.min_cluster_size = 5}).fit(x);
  CHECK(drop.n_clusters() == 3);  // drop: the blob of duplicates has infinite stability and is chosen
  check_shed_equals_r(x, "dups", mst_algorithm::automatic);
}

TEST_CASE("hdbscan: results do not depend on threads; weights equal repeated rows", "[cluster][hdbscan]") {
  const auto x = segkit::test::blobs(3000, 3, 6, 8);
  const auto one = hdbscan<>({.min_cluster_size = 15, .threads = 1}).fit(x);
  REQUIRE(one.n_clusters() >= 2);
  for (const std::size_t t : {2, 3}) {
    const auto r = hdbscan<>({.min_cluster_size = 15, .threads = t}).fit(x);
    CHECK((r.labels() == one.labels()));
    CHECK(r.outlier_scores == one.outlier_scores);
    CHECK(r.probabilities == one.probabilities);
  }
  // Above 8,192 rows Prim's fringe is scanned in parallel: the same tree as one thread.
  const auto big = segkit::test::blobs(9000, 2, 5, 12);
  const auto big_one = hdbscan<>({.min_cluster_size = 30, .threads = 1, .mst = mst_algorithm::prim}).fit(big);
  const auto big_two = hdbscan<>({.min_cluster_size = 30, .threads = 2, .mst = mst_algorithm::prim}).fit(big);
  CHECK((big_two.single_linkage_tree.linkage == big_one.single_linkage_tree.linkage));
  CHECK((big_two.labels() == big_one.labels()));
  CHECK(big_one.n_clusters() >= 2);
  // Above 16 dimensions (blocked scans, float distances) the result is the same partition.
  segkit::matrix<float> wide = xt::zeros<float>({std::size_t{3000}, std::size_t{20}});
  for (std::size_t i = 0; i < 3000; ++i) {
    for (std::size_t j = 0; j < 3; ++j) wide(i, j) = x(i, j);
  }
  CHECK(same_partition(hdbscan<>({.min_cluster_size = 15}).fit(wide).labels(), one.labels()));

  // Weight 2 on a row = the row twice (core distances and sizes count weights).
  const auto small = segkit::test::blobs(300, 2, 3, 4);
  std::vector<double> w(300, 1.0);
  segkit::matrix<float> doubled = segkit::matrix<float>::from_shape({std::size_t{300} + 100, std::size_t{2}});
  for (std::size_t i = 0; i < 300; ++i) {
    doubled(i, 0) = small(i, 0);
    doubled(i, 1) = small(i, 1);
  }
  for (std::size_t i = 0; i < 100; ++i) {
    w[3 * i] = 2.0;
    doubled(300 + i, 0) = small(3 * i, 0);
    doubled(300 + i, 1) = small(3 * i, 1);
  }
  const auto rw = hdbscan<>({.min_cluster_size = 10, .min_samples = 5}).fit(small, w);
  const auto rd = hdbscan<>({.min_cluster_size = 10, .min_samples = 5}).fit(doubled);
  const auto head = xt::view(rd.labels(), xt::range(0, 300));
  CHECK(same_partition(rw.labels(), xt::xtensor<label_type, 1>(head)));
}

// [slow]: Prim on 6,000 rows, a dozen times; left out of the ThreadSanitizer stage, where the next
// test covers Borůvka's threads.
TEST_CASE("hdbscan: Boruvka's spanning tree equals Prim's", "[cluster][hdbscan][slow]") {
  // Varied densities, uniform noise and exact duplicates (ties of mutual reachability everywhere).
  auto x = segkit::test::blobs(6000, 2, 6, 21);
  for (std::size_t i = 0; i < 300; ++i) {
    for (std::size_t j = 0; j < 2; ++j) x(5000 + i, j) = x(i, j);                                           // duplicates
    for (std::size_t j = 0; j < 2; ++j) x(5300 + i, j) = static_cast<float>(-30.0 + 0.2 * static_cast<double>((i * 37 + j * 11) % 300));  // noise
  }
  const auto x5 = segkit::test::blobs(5000, 5, 4, 22);
  const auto check = [](const auto& prim, const auto& boruvka) {
    const auto& a = prim.single_linkage_tree.linkage;
    const auto& b = boruvka.single_linkage_tree.linkage;
    REQUIRE(a.shape(0) == b.shape(0));
    std::size_t off = 0;
    for (std::size_t i = 0; i < a.shape(0); ++i) off += a(i, 2) != b(i, 2) ? 1 : 0;  // same multiset of heights, ascending
    CHECK(off == 0);
    CHECK(same_partition(prim.labels(), boruvka.labels()));
    CHECK(prim.outlier_scores == boruvka.outlier_scores);
  };
  for (const std::size_t mcs : {5, 40}) {
    INFO("min_cluster_size " << mcs);
    check(hdbscan<>({.min_cluster_size = mcs, .mst = mst_algorithm::prim}).fit(x), hdbscan<>({.min_cluster_size = mcs, .mst = mst_algorithm::boruvka}).fit(x));
    check(hdbscan<>({.min_cluster_size = mcs, .mst = mst_algorithm::prim}).fit(x5), hdbscan<>({.min_cluster_size = mcs, .mst = mst_algorithm::boruvka}).fit(x5));
    check(hdbscan<dist::squared_l2_metric>({.min_cluster_size = mcs, .mst = mst_algorithm::prim}).fit(x),
          hdbscan<dist::squared_l2_metric>({.min_cluster_size = mcs, .mst = mst_algorithm::boruvka}).fit(x));
  }
  // automatic picks Boruvka here (l2, 2-D, 6,000 rows): the default result is Boruvka's.
  const auto automatic = hdbscan<>({.min_cluster_size = 5}).fit(x);
  CHECK((automatic.single_linkage_tree.linkage == hdbscan<>({.min_cluster_size = 5, .mst = mst_algorithm::boruvka}).fit(x).single_linkage_tree.linkage));
  // Where it does not apply.
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH((hdbscan<dist::cosine_metric>({.mst = mst_algorithm::boruvka})), Contains("mst = boruvka needs the l2 or sqeuclidean metric"));
  const segkit::matrix<float> wide = xt::zeros<float>({std::size_t{50}, std::size_t{17}});
  CHECK_THROWS_WITH(hdbscan<>({.mst = mst_algorithm::boruvka}).fit(wide), Contains("mst = boruvka needs at most 16 dimensions, got 17"));
}

TEST_CASE("hdbscan: Boruvka's tree does not depend on the threads", "[cluster][hdbscan]") {
  auto x = segkit::test::blobs(6000, 2, 6, 21);
  for (std::size_t i = 0; i < 300; ++i) {
    for (std::size_t j = 0; j < 2; ++j) x(5000 + i, j) = x(i, j);  // exact duplicates
  }
  const auto one = hdbscan<>({.min_cluster_size = 5, .threads = 1, .mst = mst_algorithm::boruvka}).fit(x);
  REQUIRE(one.n_clusters() >= 2);
  for (const std::size_t t : {2, 3}) {
    const auto r = hdbscan<>({.min_cluster_size = 5, .threads = t, .mst = mst_algorithm::boruvka}).fit(x);
    CHECK((r.single_linkage_tree.linkage == one.single_linkage_tree.linkage));
    CHECK((r.labels() == one.labels()));
  }
}

TEST_CASE("hdbscan: scores, probabilities and the trees are consistent", "[cluster][hdbscan]") {
  const auto x = segkit::load_npy_matrix<double>(fixture("moons2d_X.npy"));
  const auto r = hdbscan<dist::l2_metric, double>({.min_cluster_size = 8}).fit(x);
  const std::size_t n = x.shape(0);
  REQUIRE(r.single_linkage_tree.linkage.shape(0) == n - 1);
  CHECK(r.single_linkage_tree.linkage(n - 2, 3) == Approx(static_cast<double>(n)));
  for (std::size_t i = 1; i + 1 < n; ++i) CHECK(r.single_linkage_tree.linkage(i, 2) >= r.single_linkage_tree.linkage(i - 1, 2));
  std::vector<std::size_t> points_seen(n, 0);
  for (std::size_t k = 0; k < r.tree.size(); ++k) {
    if (r.tree.child[k] < n) ++points_seen[r.tree.child[k]];
    CHECK(r.tree.parent[k] >= n);
    CHECK(r.tree.parent[k] < r.tree.child[k] + (r.tree.child[k] < n ? n + r.tree.n_clusters : 0));
  }
  CHECK(std::all_of(points_seen.begin(), points_seen.end(), [](std::size_t c) { return c == 1; }));
  REQUIRE(r.n_clusters() == 5);
  std::vector<double> best(r.n_clusters(), 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    CHECK(r.outlier_scores[i] >= 0.0);
    CHECK(r.outlier_scores[i] <= 1.0);
    CHECK(r.probabilities[i] >= 0.0);
    CHECK(r.probabilities[i] <= 1.0);
    if (r.labels()(i) < 0) {
      CHECK(r.probabilities[i] == 0.0);
    } else {
      best[static_cast<std::size_t>(r.labels()(i))] = std::max(best[static_cast<std::size_t>(r.labels()(i))], r.probabilities[i]);
    }
  }
  for (const double b : best) CHECK(b == 1.0);  // the densest member of each cluster
  // Noise is more outlying than the median cluster member.
  double noise_mean = 0.0, member_mean = 0.0;
  std::size_t nn = 0, nm = 0;
  for (std::size_t i = 0; i < n; ++i) {
    (r.labels()(i) < 0 ? noise_mean : member_mean) += r.outlier_scores[i];
    ++(r.labels()(i) < 0 ? nn : nm);
  }
  CHECK(noise_mean / static_cast<double>(nn) > 2.0 * member_mean / static_cast<double>(nm));
  CHECK(r.cluster_persistence.size() == 5);
}

TEST_CASE("hdbscan selection options: leaf, epsilon, single cluster, max size", "[cluster][hdbscan]") {
  const auto x = segkit::load_npy_matrix<double>(fixture("moons2d_X.npy"));
  using H = hdbscan<dist::l2_metric, double>;
  const auto eom = H({.min_cluster_size = 8}).fit(x);
  const auto leaf = H({.min_cluster_size = 8, .selection = segkit::cluster::cluster_selection::leaf}).fit(x);
  CHECK(leaf.n_clusters() >= eom.n_clusters());
  // Every leaf cluster lies inside one eom cluster.
  std::map<label_type, label_type> parent;
  for (std::size_t i = 0; i < x.shape(0); ++i) {
    if (leaf.labels()(i) < 0 || eom.labels()(i) < 0) continue;
    CHECK(parent.emplace(leaf.labels()(i), eom.labels()(i)).first->second == eom.labels()(i));
  }
  // A large epsilon merges everything that splits below it: fewer clusters.
  const auto merged = H({.min_cluster_size = 8, .cluster_selection_epsilon = 1.0, .selection = segkit::cluster::cluster_selection::leaf}).fit(x);
  CHECK(merged.n_clusters() < leaf.n_clusters());
  CHECK(merged.n_clusters() >= 1);
  // max_cluster_size forbids the big clusters: they are replaced by their sub-clusters.
  std::vector<std::size_t> sizes(eom.n_clusters(), 0);
  for (std::size_t i = 0; i < x.shape(0); ++i) {
    if (eom.labels()(i) >= 0) ++sizes[static_cast<std::size_t>(eom.labels()(i))];
  }
  const std::size_t biggest = *std::max_element(sizes.begin(), sizes.end());
  const auto capped = H({.min_cluster_size = 8, .max_cluster_size = biggest - 1}).fit(x);
  for (std::size_t k = 0; k < capped.n_clusters(); ++k) {
    CHECK(static_cast<std::size_t>(std::count(capped.labels().begin(), capped.labels().end(), static_cast<label_type>(k))) < biggest + 1);
  }
  // One tight blob: nothing without allow_single_cluster, one cluster with it.
  const auto blob = segkit::test::normal_matrix(200, 2, 3);
  CHECK(hdbscan<>({.min_cluster_size = 150}).fit(blob).n_clusters() == 0);
  const auto single = hdbscan<>({.min_cluster_size = 150, .allow_single_cluster = true}).fit(blob);
  CHECK(single.n_clusters() == 1);
  CHECK(single.noise_fraction() < 0.5);
  // Leaf selection with no split at all: the root only when allowed, else nothing.
  const auto no_leaf = hdbscan<>({.min_cluster_size = 150, .selection = segkit::cluster::cluster_selection::leaf}).fit(blob);
  CHECK(no_leaf.n_clusters() == 0);
  CHECK(no_leaf.noise_fraction() == 1.0);
  const auto root_leaf =
      hdbscan<>({.min_cluster_size = 150, .selection = segkit::cluster::cluster_selection::leaf, .allow_single_cluster = true}).fit(blob);
  CHECK(root_leaf.n_clusters() == 1);
  CHECK((root_leaf.labels() == single.labels()));
}

TEST_CASE("hdbscan edge cases and bad input", "[cluster][hdbscan]") {
  using Catch::Matchers::Contains;
  segkit::matrix<float> same = xt::ones<float>({std::size_t{30}, std::size_t{2}});
  const auto dup = hdbscan<>({.min_cluster_size = 5, .allow_single_cluster = true}).fit(same);
  CHECK(dup.n_clusters() == 1);
  CHECK(std::all_of(dup.outlier_scores.begin(), dup.outlier_scores.end(), [](double s) { return s == 0.0; }));
  segkit::matrix<float> one = {{1.0f, 2.0f}};
  const auto r1 = hdbscan<>({.min_cluster_size = 2, .min_samples = 1}).fit(one);
  CHECK(r1.labels()(0) == -1);
  CHECK(r1.n_clusters() == 0);
  CHECK_THROWS_WITH(hdbscan<>({.min_cluster_size = 1}), Contains("min_cluster_size"));
  CHECK_THROWS_WITH(hdbscan<>({.cluster_selection_epsilon = -1.0}), Contains("cluster_selection_epsilon"));
  CHECK_THROWS_WITH((hdbscan<dist::inner_product_metric>(hdbscan_params{})), Contains("similarity"));
  CHECK_THROWS_WITH(hdbscan<>({.min_cluster_size = 5}).fit(segkit::test::normal_matrix(4, 2, 1)), Contains("min_samples (5) exceeds"));
  CHECK_THROWS_WITH(hdbscan<>(hdbscan_params{}).fit(segkit::matrix<float>::from_shape({0, 2})), Contains("no samples"));
  auto bad = segkit::test::normal_matrix(20, 2, 1);
  bad(2, 0) = std::nanf("");
  CHECK_THROWS_WITH(hdbscan<>(hdbscan_params{}).fit(bad), Contains("non-finite"));
  CHECK_THROWS_WITH(hdbscan<>(hdbscan_params{}).fit(segkit::test::normal_matrix(20, 2, 1), std::vector<double>(20, 0.0)), Contains("all sample weights are zero"));
  CHECK(segkit::params::parse_enum<fragment_rule>("shed", "fragments") == fragment_rule::shed);
  CHECK_THROWS_WITH(segkit::params::parse_enum<fragment_rule>("keep", "fragments"), Contains("fragments must be drop or shed (got 'keep')"));
}

TEST_CASE("hdbscan: shed keeps the clusters of drop and lets points leave later", "[cluster][hdbscan]") {
  // The true splits depend only on sizes, so both rules give the same clusters in the condensed
  // tree; under shed a point leaves at its leaf merge (capped at its cluster's split), never
  // before the split where drop lets its whole fragment go.
  const auto x = segkit::test::blobs(600, 2, 4, 21);
  std::vector<double> w(600, 1.0);
  for (std::size_t i = 0; i < w.size(); i += 7) w[i] = 2.5;
  const std::vector<double> heavy(600, 13.0);  // every row alone outweighs min_cluster_size: up to 2n - 1 clusters
  for (const int weighting : {0, 1, 2}) {
    const std::span<const double> ws = weighting == 0 ? std::span<const double>() : std::span<const double>(weighting == 1 ? w : heavy);
    const auto drop = hdbscan<>({.min_cluster_size = 12}).fit(x, ws);
    const auto shed = hdbscan<>({.min_cluster_size = 12, .fragments = fragment_rule::shed}).fit(x, ws);
    REQUIRE(drop.tree.size() == shed.tree.size());
    REQUIRE(drop.tree.n_clusters == shed.tree.n_clusters);
    std::size_t later = 0;
    for (std::size_t r = 0; r < drop.tree.size(); ++r) {  // the same rows in the same order
      REQUIRE(shed.tree.child[r] == drop.tree.child[r]);
      CHECK(shed.tree.parent[r] == drop.tree.parent[r]);
      CHECK(shed.tree.child_size[r] == drop.tree.child_size[r]);
      if (drop.tree.child[r] >= 600) {
        CHECK(shed.tree.lambda[r] == drop.tree.lambda[r]);  // a true split
      } else {
        CHECK(shed.tree.lambda[r] >= drop.tree.lambda[r]);
        later += shed.tree.lambda[r] > drop.tree.lambda[r] ? 1 : 0;
      }
    }
    CHECK((weighting == 2 || later > 0));  // heavy rows never fall out: they are clusters
  }
}

TEST_CASE("hdbscan model: saved with its prediction data, loaded whole; predict() is approximate_predict", "[cluster][hdbscan]") {
  using Catch::Matchers::Contains;
  const auto x = segkit::test::blobs(700, 3, 3, 93);
  std::vector<double> w(700, 1.0);
  for (std::size_t i = 0; i < 700; i += 7) w[i] = 2.5;
  const auto model = hdbscan<>({.min_cluster_size = 20, .min_samples = 8}).fit(x, w);
  REQUIRE(model.n_clusters() >= 2);
  REQUIRE(model.has_prediction_data());
  const auto q = segkit::test::normal_matrix(150, 3, 94);
  const auto predicted = model.approximate_predict(q);
  CHECK((model.predict(q) == predicted.labels));
  CHECK((model.predict(x) == model.labels()));  // training rows land where they were
  const auto path = fs::temp_directory_path() / "segkit_hdbscan_model.seg";
  model.save(path);
  const auto back = hdbscan<>::model_type::load(path);
  CHECK((back.labels() == model.labels()));
  CHECK(back.probabilities == model.probabilities);
  CHECK(back.outlier_scores == model.outlier_scores);
  CHECK(back.core_distances == model.core_distances);
  CHECK(back.selected == model.selected);
  CHECK(back.tree.parent == model.tree.parent);
  CHECK(back.tree.lambda == model.tree.lambda);
  CHECK((back.single_linkage_tree.linkage == model.single_linkage_tree.linkage));
  CHECK(back.weights == model.weights);
  CHECK(back.min_samples == 8);
  const auto again = back.approximate_predict(q);
  CHECK((again.labels == predicted.labels));
  CHECK(again.probabilities == predicted.probabilities);
  CHECK((back.all_points_membership_vectors() == model.all_points_membership_vectors()));
  CHECK_THROWS_WITH(hdbscan<dist::manhattan_metric>::model_type::load(path), Contains("uses metric 'l2'"));
  // Without prediction data the model is smaller, saves and loads, and says why it cannot predict.
  const auto lean = hdbscan<>({.min_cluster_size = 20, .min_samples = 8, .prediction_data = false}).fit(x, w);
  CHECK((lean.labels() == model.labels()));
  CHECK_FALSE(lean.has_prediction_data());
  lean.save(path);
  const auto lean_back = hdbscan<>::model_type::load(path);
  CHECK((lean_back.labels() == model.labels()));
  CHECK_THROWS_WITH(lean_back.predict(q), Contains("no prediction data"));
  fs::remove(path);
}
