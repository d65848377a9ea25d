#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "support/data.hpp"
#include "support/partition.hpp"

#include <segkit/cluster/dbscan.hpp>
#include <segkit/core/npy.hpp>
#include <segkit/core/random.hpp>

namespace fs = std::filesystem;
using segkit::label_type;
using segkit::test::same_partition;
using segkit::cluster::dbscan;
using segkit::cluster::dbscan_params;
namespace dist = segkit::distance;
using Catch::Matchers::Contains;

namespace {
fs::path fixture(const std::string& name) { return fs::path(SEGKIT_TEST_DATA) / "dbscan" / name; }

template <class M>
void check_case(const std::string& name) {
  INFO("case " << name);
  const auto x = segkit::load_npy_matrix<double>(fixture(name + "_X.npy"));
  const auto prm = segkit::load_npy_vector<double>(fixture(name + "_params.npy"));
  std::vector<double> w;
  if (name == "weighted") {
    const auto wv = segkit::load_npy_vector<double>(fixture(name + "_weights.npy"));
    w.assign(wv.begin(), wv.end());
  }
  dbscan_params p{.eps = prm(0), .min_samples = static_cast<std::size_t>(prm(1)), .threads = 2};
  const auto r = dbscan<M, double>(p).fit(x, w);
  // Searching again instead of keeping neighbor lists, from the start or once 100 entries are kept:
  // the same labels.
  for (const std::size_t kept : {std::size_t{0}, std::size_t{100}}) {
    p.max_kept_neighbors = kept;
    CHECK((dbscan<M, double>(p).fit(x, w).labels() == r.labels()));
  }
  const auto want = segkit::load_npy_vector<std::int32_t>(fixture(name + "_labels.npy"));
  const auto core = segkit::load_npy_vector<std::int64_t>(fixture(name + "_core.npy"));
  CHECK((r.labels() == want));
  REQUIRE(r.core_sample_indices.size() == core.size());
  CHECK(std::equal(core.begin(), core.end(), r.core_sample_indices.begin(),
                   [](std::int64_t a, std::size_t b) { return static_cast<std::size_t>(a) == b; }));
  CHECK(r.n_clusters() == static_cast<std::size_t>(*std::max_element(want.begin(), want.end()) + 1));
  const auto noise = static_cast<double>(std::count(want.begin(), want.end(), -1));
  CHECK(r.noise_fraction() == Approx(noise / static_cast<double>(want.size())));
}

}  // namespace

TEST_CASE("dbscan labels equal scikit-learn's on fixtures", "[cluster][dbscan]") {
  // Fixtures: tests/data/make_dbscan_fixture.py (scikit-learn 1.2.1 DBSCAN): core points,
  // border points (lowest cluster among core neighbors) and noise all match.
  check_case<dist::l2_metric>("moons2d");
  check_case<dist::l2_metric>("blobs10d");
  check_case<dist::l2_metric>("blobs24d");  // above 16-D: blocked scan
  check_case<dist::l2_metric>("weighted");
  check_case<dist::cosine_metric>("cosine8d");
  check_case<dist::manhattan_metric>("manhattan");
}

TEST_CASE("dbscan on float rows gives the double result on the fixture", "[cluster][dbscan]") {
  const auto x = segkit::load_npy_matrix<double>(fixture("moons2d_X.npy"));
  const segkit::matrix<float> xf = xt::cast<float>(x);
  const auto r = dbscan<dist::l2_metric, float>({.eps = 0.18, .min_samples = 6}).fit(xf);
  CHECK((r.labels() == segkit::load_npy_vector<std::int32_t>(fixture("moons2d_labels.npy"))));
}

TEST_CASE("dbscan: the k-d tree and the blocked scan agree", "[cluster][dbscan]") {
  const auto x8 = segkit::test::blobs(3000, 8, 6, 11);
  segkit::matrix<float> x20 = xt::zeros<float>({std::size_t{3000}, std::size_t{20}});
  for (std::size_t i = 0; i < 3000; ++i) {
    for (std::size_t j = 0; j < 8; ++j) x20(i, j) = x8(i, j);
  }
  for (const double eps : {2.2, 3.0, 4.0}) {
    INFO("eps " << eps);
    const auto a = dbscan<>({.eps = eps, .min_samples = 10}).fit(x8);
    const auto b = dbscan<>({.eps = eps, .min_samples = 10}).fit(x20);
    CHECK((a.labels() == b.labels()));
    CHECK(a.n_clusters() >= 1);
    const auto c = dbscan<dist::squared_l2_metric>({.eps = eps * eps, .min_samples = 10}).fit(x8);
    CHECK((a.labels() == c.labels()));
  }
}

TEST_CASE("dbscan: the 2-D grid and the k-d tree agree", "[cluster][dbscan]") {
  // 2-D rows take the grid; the same rows with a zero third column take the k-d tree, whose
  // distances are then the same numbers. Blobs of different spreads, exact duplicates, and a
  // lattice of step exactly eps (neighbors at exactly eps count).
  auto x = segkit::test::blobs(4000, 2, 5, 31);
  for (std::size_t i = 0; i < 200; ++i) {
    x(3000 + i, 0) = x(i, 0);
    x(3000 + i, 1) = x(i, 1);
    x(3200 + i, 0) = static_cast<float>(40.0 + 0.5 * static_cast<double>(i % 20));
    x(3200 + i, 1) = static_cast<float>(40.0 + 0.5 * static_cast<double>(i / 20));
    x(3400 + i, 0) = static_cast<float>(0.05 * static_cast<double>(i % 10));  // a dense square: whole cells core
    x(3400 + i, 1) = static_cast<float>(0.05 * static_cast<double>(i / 10));
  }
  const auto pad = [](const segkit::matrix<float>& a) {
    segkit::matrix<float> b = xt::zeros<float>({a.shape(0), std::size_t{3}});
    for (std::size_t i = 0; i < a.shape(0); ++i) {
      b(i, 0) = a(i, 0);
      b(i, 1) = a(i, 1);
    }
    return b;
  };
  const auto x3 = pad(x);
  std::vector<double> w(4000);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<double>(i % 4);
  for (const double eps : {0.3, 0.5, 1.0}) {
    for (const std::size_t ms : {std::size_t{3}, std::size_t{12}}) {
      INFO("eps " << eps << " min_samples " << ms);
      const auto grid = dbscan<>({.eps = eps, .min_samples = ms, .threads = 2}).fit(x);
      const auto tree = dbscan<>({.eps = eps, .min_samples = ms, .threads = 2}).fit(x3);
      CHECK((grid.labels() == tree.labels()));
      CHECK(grid.core_sample_indices == tree.core_sample_indices);
      CHECK(grid.n_clusters() >= 2);
      CHECK((dbscan<>({.eps = eps, .min_samples = ms, .threads = 1}).fit(x).labels() == grid.labels()));
      CHECK((dbscan<>({.eps = eps, .min_samples = ms, .threads = 3}).fit(x).labels() == grid.labels()));
      CHECK((dbscan<>({.eps = eps, .min_samples = ms}).fit(x, w).labels() == dbscan<>({.eps = eps, .min_samples = ms}).fit(x3, w).labels()));
      CHECK((dbscan<dist::squared_l2_metric>({.eps = eps * eps, .min_samples = ms}).fit(x).labels() ==
             dbscan<dist::squared_l2_metric>({.eps = eps * eps, .min_samples = ms}).fit(x3).labels()));
    }
  }
  // The lattice: with eps = its step each inner point has 5 neighbors (itself and 4 at exactly eps).
  const auto lattice = dbscan<>({.eps = 0.5, .min_samples = 5}).fit(x);
  CHECK(lattice.labels()(3200 + 5 * 20 + 5) >= 0);
  CHECK(lattice.labels()(3200 + 5 * 20 + 5) == lattice.labels()(3200 + 6 * 20 + 5));
  // Rows too far apart for the grid's cell numbers: the k-d tree takes over, same answer.
  segkit::matrix<float> wide = {{0.0f, 0.0f}, {1e-3f, 0.0f}, {2e-3f, 0.0f}, {1e12f, 1e12f}, {1e12f, 1.000001e12f}};
  const auto far = dbscan<>({.eps = 1.5e-3, .min_samples = 2}).fit(wide);
  CHECK((far.labels() == dbscan<>({.eps = 1.5e-3, .min_samples = 2}).fit(pad(wide)).labels()));
  CHECK(far.labels()(0) == 0);
  CHECK(far.labels()(2) == 0);
}

TEST_CASE("dbscan results do not depend on threads; core partition does not depend on row order", "[cluster][dbscan]") {
  const auto x = segkit::test::blobs(5000, 3, 8, 5);
  const auto one = dbscan<>({.eps = 0.6, .min_samples = 8, .threads = 1}).fit(x);
  for (const std::size_t t : {2, 3}) {
    const auto r = dbscan<>({.eps = 0.6, .min_samples = 8, .threads = t}).fit(x);
    CHECK((r.labels() == one.labels()));
  }
  REQUIRE(one.n_clusters() >= 2);
  // Reverse the rows: core points keep their partition, noise stays noise.
  const std::size_t n = x.shape(0);
  segkit::matrix<float> rev = segkit::matrix<float>::from_shape(x.shape());
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < x.shape(1); ++j) rev(i, j) = x(n - 1 - i, j);
  }
  const auto r = dbscan<>({.eps = 0.6, .min_samples = 8}).fit(rev);
  xt::xtensor<label_type, 1> a = xt::xtensor<label_type, 1>::from_shape({one.core_sample_indices.size()});
  xt::xtensor<label_type, 1> b = a;
  for (std::size_t k = 0; k < one.core_sample_indices.size(); ++k) {
    const std::size_t i = one.core_sample_indices[k];
    a(k) = one.labels()(i);
    b(k) = r.labels()(n - 1 - i);
  }
  CHECK(same_partition(a, b));
  for (std::size_t i = 0; i < n; ++i) CHECK((one.labels()(i) < 0) == (r.labels()(n - 1 - i) < 0));
}

TEST_CASE("dbscan edge cases: duplicates, all noise, one row", "[cluster][dbscan]") {
  segkit::matrix<float> same = xt::ones<float>({std::size_t{20}, std::size_t{3}});
  const auto dup = dbscan<>({.eps = 1e-6, .min_samples = 20}).fit(same);
  CHECK(dup.n_clusters() == 1);
  CHECK(std::all_of(dup.labels().begin(), dup.labels().end(), [](label_type l) { return l == 0; }));
  const auto few = dbscan<>({.eps = 1e-6, .min_samples = 21}).fit(same);
  CHECK(few.n_clusters() == 0);
  CHECK(few.noise_fraction() == 1.0);
  CHECK(std::all_of(few.labels().begin(), few.labels().end(), [](label_type l) { return l == -1; }));

  const auto x = segkit::test::normal_matrix(200, 4, 1);
  const auto sparse = dbscan<>({.eps = 1e-3, .min_samples = 2}).fit(x);
  CHECK(sparse.n_clusters() == 0);
  CHECK(sparse.core_sample_indices.empty());

  segkit::matrix<float> one = {{1.0f, 2.0f}};
  CHECK(dbscan<>({.eps = 0.1, .min_samples = 1}).fit(one).labels()(0) == 0);
  CHECK(dbscan<>({.eps = 0.1, .min_samples = 2}).fit(one).labels()(0) == -1);

  // Zero weights do not count towards density; weight 5 makes a lone point a core point.
  segkit::matrix<float> pair = {{0.0f, 0.0f}, {0.05f, 0.0f}, {5.0f, 5.0f}};
  const std::vector<double> w{0.0, 0.0, 5.0};
  const auto rw = dbscan<>({.eps = 0.1, .min_samples = 2}).fit(pair, w);
  CHECK(rw.labels()(0) == -1);
  CHECK(rw.labels()(1) == -1);
  CHECK(rw.labels()(2) == 0);
}

TEST_CASE("dbscan rejects bad parameters and input with clear errors", "[cluster][dbscan]") {
  CHECK_THROWS_WITH(dbscan<>({.eps = 0.0}), Contains("eps"));
  CHECK_THROWS_WITH(dbscan<>({.eps = std::nan("")}), Contains("eps"));
  CHECK_THROWS_WITH(dbscan<>({.eps = 1.0, .min_samples = 0}), Contains("min_samples"));
  CHECK_THROWS_WITH((dbscan<dist::inner_product_metric>(dbscan_params{})), Contains("similarity"));
  const dbscan<> d({.eps = 1.0});
  CHECK_THROWS_WITH(d.fit(segkit::matrix<float>::from_shape({0, 3})), Contains("no samples"));
  segkit::matrix<float> bad = segkit::test::normal_matrix(10, 2, 1);
  bad(3, 1) = std::nanf("");
  CHECK_THROWS_WITH(d.fit(bad), Contains("non-finite"));
  const auto x = segkit::test::normal_matrix(10, 2, 1);
  CHECK_THROWS_WITH(d.fit(x, std::vector<double>(9, 1.0)), Contains("9 weights for 10 samples"));
  CHECK_THROWS_WITH(d.fit(x, std::vector<double>(10, -1.0)), Contains("weight 0"));
}

TEST_CASE("dbscan: a neighbor exactly at eps counts, whatever the float rounding of the scan", "[cluster][dbscan]") {
  // Two float rows whose exact (double) distance is eps: they must form one cluster with
  // min_samples = 2, on the blocked-scan path (24 dimensions) for every metric.
  const auto rows = segkit::test::normal_matrix(400, 24, 21);
  std::size_t missed_l2 = 0, missed_l1 = 0, missed_cos = 0;
  for (std::size_t p = 0; p < 200; ++p) {
    segkit::matrix<float> two = segkit::matrix<float>::from_shape({std::size_t{2}, std::size_t{24}});
    for (std::size_t j = 0; j < 24; ++j) {
      two(0, j) = rows(2 * p, j);
      two(1, j) = rows(2 * p + 1, j);
    }
    double l2 = 0.0, l1 = 0.0, ab = 0.0, aa = 0.0, bb = 0.0;
    for (std::size_t j = 0; j < 24; ++j) {
      const double a = two(0, j), b = two(1, j);
      l2 += (a - b) * (a - b);
      l1 += std::abs(a - b);
      ab += a * b;
      aa += a * a;
      bb += b * b;
    }
    const double cosd = std::max(0.0, 1.0 - ab / std::sqrt(aa * bb));
    missed_l2 += dbscan<>({.eps = std::sqrt(l2), .min_samples = 2}).fit(two).n_clusters() == 1 ? 0 : 1;
    missed_l1 += dbscan<dist::manhattan_metric>({.eps = l1, .min_samples = 2}).fit(two).n_clusters() == 1 ? 0 : 1;
    missed_cos += dbscan<dist::cosine_metric>({.eps = cosd, .min_samples = 2}).fit(two).n_clusters() == 1 ? 0 : 1;
  }
  CHECK(missed_l2 == 0);
  CHECK(missed_l1 == 0);
  CHECK(missed_cos == 0);
}

namespace {
// A saved file with one byte flipped in its middle.
void flip_middle_byte(const fs::path& p) {
  std::string bytes;
  {
    std::ifstream f(p, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 4);
  std::ofstream(p, std::ios::binary) << bytes;
}

// predict() by brute force: the lowest cluster among the core rows within eps, else -1.
template <class M, class Model, class X>
std::vector<label_type> brute_predict(const Model& m, const X& q) {
  std::vector<label_type> out(q.shape(0), -1);
  for (std::size_t i = 0; i < q.shape(0); ++i) {
    for (std::size_t c = 0; c < m.core_sample_indices.size(); ++c) {
      const double d = segkit::neighbors::exact_distance<M>(&q(i, 0), &m.components(c, 0), q.shape(1));
      const label_type l = m.labels()(m.core_sample_indices[c]);
      if (d <= m.eps && (out[i] < 0 || l < out[i])) out[i] = l;
    }
  }
  return out;
}
}  // namespace

TEST_CASE("dbscan model: training rows predict their labels, new points join as border points would, any path", "[cluster][dbscan]") {
  // The grid (2-D), the k-d tree (6-D) and the blocked scan (24-D, and cosine or manhattan).
  const auto check = [](auto metric, const auto& x, double eps) {
    using M = decltype(metric);
    const auto model = dbscan<M>({.eps = eps, .min_samples = 6}).fit(x);
    REQUIRE(model.n_clusters() >= 2);
    REQUIRE(model.components.shape(0) == model.core_sample_indices.size());
    CHECK((model.predict(x) == model.labels()));
    CHECK((model.predict(x, 3) == model.labels()));
    // Queries: jittered training rows (most join a cluster) and points spread around the data.
    auto q = segkit::test::normal_matrix(300, x.shape(1), 77);
    for (std::size_t i = 0; i < 150; ++i) {
      for (std::size_t j = 0; j < x.shape(1); ++j) q(i, j) = x(i * 5, j) + 0.2f * q(i, j);
    }
    for (std::size_t i = 150; i < 300; ++i) {
      for (std::size_t j = 0; j < x.shape(1); ++j) q(i, j) *= 6.0f;
    }
    const auto got = model.predict(q);
    const auto want = brute_predict<M>(model, q);
    for (std::size_t i = 0; i < want.size(); ++i) CHECK(got(i) == want[i]);
    CHECK(std::count(want.begin(), want.end(), -1) > 0);
    CHECK(std::count(want.begin(), want.end(), -1) < static_cast<std::ptrdiff_t>(want.size()));
  };
  check(dist::l2_metric{}, segkit::test::blobs(2000, 2, 5, 81), 0.35);
  check(dist::l2_metric{}, segkit::test::blobs(1500, 6, 4, 82), 1.3);
  check(dist::l2_metric{}, segkit::test::blobs(800, 24, 4, 83), 4.5);
  check(dist::manhattan_metric{}, segkit::test::blobs(800, 5, 4, 84), 2.2);
  check(dist::cosine_metric{}, segkit::test::blobs(800, 24, 4, 85), 0.08);
}

TEST_CASE("dbscan model: saved and loaded whole; damaged or foreign files refused", "[cluster][dbscan]") {
  const auto x = segkit::test::blobs(600, 3, 3, 86);
  const auto model = dbscan<>({.eps = 0.9, .min_samples = 5}).fit(x);
  const auto path = fs::temp_directory_path() / "segkit_dbscan_model.seg";
  model.save(path);
  const auto back = dbscan<>::model_type::load(path);
  CHECK((back.labels() == model.labels()));
  CHECK(back.n_clusters() == model.n_clusters());
  CHECK(back.core_sample_indices == model.core_sample_indices);
  CHECK((back.components == model.components));
  CHECK(back.eps == model.eps);
  const auto q = segkit::test::normal_matrix(100, 3, 87);
  CHECK((back.predict(q) == model.predict(q)));
  CHECK_THROWS_WITH(dbscan<dist::cosine_metric>::model_type::load(path), Contains("uses metric 'l2'"));
  CHECK_THROWS_WITH(model.predict(segkit::test::normal_matrix(2, 4, 1)), Contains("rows have 4 columns, the model has 3"));
  flip_middle_byte(path);
  CHECK_THROWS_AS(dbscan<>::model_type::load(path), segkit::format_error);
  fs::remove(path);
}
