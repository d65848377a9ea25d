#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "support/data.hpp"

#include <segkit/cluster/kmeans.hpp>
#include <segkit/core/npy.hpp>

namespace fs = std::filesystem;
using segkit::cluster::kmeans;
using segkit::cluster::kmeans_params;

namespace {
fs::path fixture(const std::string& name) { return fs::path(SEGKIT_TEST_DATA) / "kmeans" / name; }

// Every true group maps to exactly one cluster and vice versa (labels equal up to permutation).
bool same_partition(const xt::xtensor<segkit::label_type, 1>& a, const std::vector<std::size_t>& b) {
  std::map<segkit::label_type, std::size_t> ab;
  std::map<std::size_t, segkit::label_type> ba;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (ab.emplace(a(i), b[i]).first->second != b[i]) return false;
    if (ba.emplace(b[i], a(i)).first->second != a(i)) return false;
  }
  return true;
}
}  // namespace

TEST_CASE("kmeans reproduces scikit-learn from the same initial centers", "[cluster][kmeans]") {
  // Fixture: tests/data/make_kmeans_fixture.py (scikit-learn 1.2.1, algorithm="lloyd").
  const auto x = segkit::load_npy_matrix<double>(fixture("X.npy"));
  const auto init = segkit::load_npy_matrix<double>(fixture("init.npy"));
  const auto w = segkit::load_npy_vector<double>(fixture("weights.npy"));
  for (const std::string name : {"plain", "weighted", "two_iter"}) {
    kmeans_params p{.k = 5, .max_iter = name == "two_iter" ? 2u : 300u, .tol = 1e-4, .initial_centers = init};
    const auto model = kmeans<double>(p).fit(x, name == "weighted" ? std::span<const double>(w.data(), w.size()) : std::span<const double>{});
    const auto centers = segkit::load_npy_matrix<double>(fixture(name + "_centres.npy"));
    const auto labels = segkit::load_npy_vector<std::int32_t>(fixture(name + "_labels.npy"));
    const auto facts = segkit::load_npy_vector<double>(fixture(name + "_facts.npy"));
    INFO("case " << name);
    REQUIRE(model.centers.shape(0) == 5);
    for (std::size_t c = 0; c < 5; ++c) {
      for (std::size_t j = 0; j < 6; ++j) CHECK(model.centers(c, j) == Approx(centers(c, j)).epsilon(1e-4).margin(1e-6));
    }
    CHECK((model.labels() == labels));
    CHECK(model.inertia == Approx(facts(0)).epsilon(1e-6));
    CHECK(model.n_iter == static_cast<std::size_t>(facts(1)));
    CHECK(model.converged == (name != "two_iter"));
  }
  // float: same labels, centers to 1e-4.
  const auto xf = segkit::load_npy_matrix<float>(fixture("X.npy"));
  const auto model = kmeans<float>({.k = 5, .initial_centers = init}).fit(xf);
  const auto centers = segkit::load_npy_matrix<double>(fixture("plain_centres.npy"));
  CHECK((model.labels() == segkit::load_npy_vector<std::int32_t>(fixture("plain_labels.npy"))));
  for (std::size_t c = 0; c < 5; ++c) {
    for (std::size_t j = 0; j < 6; ++j) CHECK(model.centers(c, j) == Approx(centers(c, j)).epsilon(1e-4).margin(1e-5));
  }
}

TEST_CASE("kmeans: same seed gives the same bits at any thread count", "[cluster][kmeans]") {
  const auto x = segkit::test::blobs(9000, 12, 7, 5);  // several 2,048-row blocks
  const auto fit = [&](std::size_t threads) {
    return kmeans<float>({.k = 7, .n_init = 2, .seed = 11, .threads = threads}).fit(x);
  };
  const auto a = fit(1), b = fit(2), c = fit(3);
  CHECK((a.centers == b.centers));
  CHECK((a.labels() == b.labels()));
  CHECK(a.inertia == b.inertia);
  CHECK((a.centers == c.centers));
  CHECK(a.n_iter == c.n_iter);
  const auto other_seed = kmeans<float>({.k = 7, .n_init = 2, .seed = 12}).fit(x);
  CHECK(other_seed.inertia > 0.0);
}

TEST_CASE("kmeans++ finds well-separated blobs; random init too with restarts", "[cluster][kmeans]") {
  const std::size_t n = 2000, groups = 10;
  const auto x = segkit::test::blobs(n, 8, groups, 17);
  std::vector<std::size_t> truth(n);
  for (std::size_t i = 0; i < n; ++i) truth[i] = i % groups;
  const auto pp = kmeans<float>({.k = groups, .n_init = 3, .seed = 1}).fit(x);
  CHECK(same_partition(pp.labels(), truth));
  CHECK(pp.converged);
  // Unit noise in 8 dimensions: the inertia is about n * 8.
  CHECK(pp.inertia == Approx(8.0 * n).epsilon(0.1));
}

TEST_CASE("k-means|| initialization: as good as k-means++, thread-independent, weighted", "[cluster][kmeans]") {
  using segkit::cluster::kmeans_init;
  const std::size_t n = 20000, groups = 25;
  const auto x = segkit::test::blobs(n, 8, groups, 23);
  // One Lloyd iteration measures the initial centers (plus one step): k-means|| must be at
  // least as good as k-means++ within 10 %, and the converged fits agree.
  const auto first = [&](kmeans_init init, std::size_t threads, std::size_t iters) {
    return kmeans<float>({.k = groups, .max_iter = iters, .init = init, .seed = 4, .threads = threads}).fit(x);
  };
  const auto par1 = first(kmeans_init::kmeans_parallel, 1, 1), pp1 = first(kmeans_init::kmeans_plus_plus, 1, 1);
  CHECK(par1.inertia <= 1.1 * pp1.inertia);
  CHECK(first(kmeans_init::kmeans_parallel, 1, 300).inertia == Approx(first(kmeans_init::kmeans_plus_plus, 1, 300).inertia).epsilon(0.05));
  const auto par2 = first(kmeans_init::kmeans_parallel, 2, 1), par3 = first(kmeans_init::kmeans_parallel, 3, 1);
  CHECK((par1.centers == par2.centers));
  CHECK((par1.centers == par3.centers));
  // Rows of zero weight attract no center: only rows of blobs 0..9 weigh, and every center lies in
  // one of those blobs (blob centers are ~20 apart, rows ~3 from theirs). A center started on a
  // zero-weight row of another blob would receive no weight and stay there.
  std::vector<double> w(n, 0.0);
  for (std::size_t i = 0; i < 500; ++i) w[i] = i % groups < 10 ? 1.0 : 0.0;
  for (std::uint64_t seed = 0; seed < 4; ++seed) {
    const auto weighted = kmeans<float>({.k = 10, .max_iter = 1, .init = kmeans_init::kmeans_parallel, .seed = seed}).fit(x, w);
    for (std::size_t c = 0; c < 10; ++c) {
      double nearest = std::numeric_limits<double>::infinity();
      for (std::size_t i = 0; i < 500; ++i) {
        if (w[i] > 0.0) nearest = std::min<double>(nearest, segkit::distance::squared_l2(&weighted.centers(c, 0), &x(i, 0), 8));
      }
      CHECK(nearest < 60.0);
    }
  }
  // Few distinct rows (fewer candidates than k) still give k centers on those rows.
  segkit::matrix<float> few = segkit::matrix<float>::from_shape({500, 2});
  for (std::size_t i = 0; i < 500; ++i) {
    few(i, 0) = static_cast<float>(i % 6);
    few(i, 1) = 0.0f;
  }
  const auto m = kmeans<float>({.k = 6, .init = kmeans_init::kmeans_parallel, .seed = 1}).fit(few);
  CHECK(m.inertia == 0.0);
  CHECK_THROWS_WITH(kmeans<float>({.k = 2, .init_rounds = 0}), Catch::Contains("init_rounds must be >= 1 (got 0)"));
  CHECK_THROWS_WITH(kmeans<float>({.k = 2, .oversampling = 0.0}), Catch::Contains("oversampling must be > 0 (got 0)"));
}

TEST_CASE("random init draws distinct rows in proportion to their weight", "[cluster][kmeans]") {
  // Only rows 0..4 carry weight: random init must pick exactly them, and since zero-weight rows
  // do not move centers, the fitted centers stay on those rows.
  const auto x = segkit::test::blobs(300, 5, 3, 8);
  std::vector<double> w(300, 0.0);
  for (std::size_t i = 0; i < 5; ++i) w[i] = 1.0 + static_cast<double>(i);
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    const auto m = kmeans<float>({.k = 5, .init = segkit::cluster::kmeans_init::random, .seed = seed}).fit(x, w);
    std::set<std::size_t> rows;
    for (std::size_t c = 0; c < 5; ++c) {
      for (std::size_t i = 0; i < 5; ++i) {
        if (segkit::distance::squared_l2(&m.centers(c, 0), &x(i, 0), 5) == 0.0f) rows.insert(i);
      }
    }
    CHECK(rows.size() == 5);
    CHECK(m.inertia == 0.0);
  }
}

TEST_CASE("kmeans: row order does not change the result (given initial centers)", "[cluster][kmeans]") {
  const auto x = segkit::load_npy_matrix<double>(fixture("X.npy"));
  const auto init = segkit::load_npy_matrix<double>(fixture("init.npy"));
  std::vector<std::size_t> perm(x.shape(0));
  std::iota(perm.begin(), perm.end(), std::size_t{0});
  segkit::rng r(4);
  for (std::size_t i = perm.size() - 1; i > 0; --i) std::swap(perm[i], perm[r.below(i + 1)]);
  segkit::matrix<double> shuffled = segkit::matrix<double>::from_shape(x.shape());
  for (std::size_t i = 0; i < perm.size(); ++i) std::copy_n(&x(perm[i], 0), 6, &shuffled(i, 0));
  const auto a = kmeans<double>({.k = 5, .initial_centers = init}).fit(x);
  const auto b = kmeans<double>({.k = 5, .initial_centers = init}).fit(shuffled);
  for (std::size_t i = 0; i < perm.size(); ++i) REQUIRE(b.labels()(i) == a.labels()(perm[i]));
  for (std::size_t c = 0; c < 5; ++c) {
    for (std::size_t j = 0; j < 6; ++j) CHECK(b.centers(c, j) == Approx(a.centers(c, j)).epsilon(1e-12));
  }
}

TEST_CASE("kmeans edge cases: k = n, k = 1, duplicates, one sample, zero weights", "[cluster][kmeans]") {
  const auto x = segkit::test::normal_matrix(12, 3, 9);
  const auto all = kmeans<double>({.k = 12, .seed = 3}).fit(xt::cast<double>(x));
  CHECK(all.inertia == Approx(0.0).margin(1e-12));
  std::set<segkit::label_type> distinct(all.labels().begin(), all.labels().end());
  CHECK(distinct.size() == 12);

  const std::vector<double> w = {2, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  const auto one = kmeans<double>({.k = 1}).fit(xt::cast<double>(x), w);
  for (std::size_t j = 0; j < 3; ++j) {
    double s = 0;
    for (std::size_t i = 0; i < 12; ++i) s += w[i] * x(i, j);
    CHECK(one.centers(0, j) == Approx(s / 12.0));  // weights sum to 12
  }

  segkit::matrix<float> same = segkit::matrix<float>::from_shape({30, 4});
  same.fill(2.5f);
  const auto dup = kmeans<float>({.k = 3, .seed = 1}).fit(same);
  CHECK(dup.inertia == 0.0);
  for (auto v : dup.centers) CHECK(v == 2.5f);  // no NaN from empty clusters

  const segkit::matrix<float> single = {{1.0f, -1.0f}};
  const auto s1 = kmeans<float>({.k = 1}).fit(single);
  CHECK(s1.labels()(0) == 0);
  CHECK(s1.centers(0, 1) == -1.0f);
}

TEST_CASE("kmeans refuses bad input with messages naming the problem", "[cluster][kmeans]") {
  const auto x = segkit::test::normal_matrix(5, 3, 1);
  CHECK_THROWS_WITH(kmeans<float>({.k = 0}), Catch::Contains("k must be >= 1 (got 0)"));
  CHECK_THROWS_WITH(kmeans<float>({.k = 8}).fit(x), Catch::Contains("segkit::cluster::kmeans: k (8) exceeds the number of samples (5)"));
  CHECK_THROWS_WITH(kmeans<float>({.k = 2, .max_iter = 0}), Catch::Contains("max_iter must be >= 1 (got 0)"));
  CHECK_THROWS_WITH(kmeans<float>({.k = 2, .tol = -1}), Catch::Contains("tol must be >= 0"));
  auto nan = x;
  nan(3, 2) = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH(kmeans<float>({.k = 2}).fit(nan), Catch::Contains("x holds a non-finite value (nan) at row 3, column 2"));
  CHECK_THROWS_WITH(kmeans<float>({.k = 1}).fit(segkit::matrix<float>::from_shape({0, 3})), Catch::Contains("no samples"));
  CHECK_THROWS_WITH(kmeans<float>({.k = 1}).fit(segkit::matrix<float>::from_shape({4, 0})), Catch::Contains("0 features"));
  const std::vector<double> short_w = {1, 1};
  CHECK_THROWS_WITH(kmeans<float>({.k = 2}).fit(x, short_w), Catch::Contains("2 weights for 5 samples"));
  const std::vector<double> neg_w = {1, -1, 1, 1, 1};
  CHECK_THROWS_WITH(kmeans<float>({.k = 2}).fit(x, neg_w), Catch::Contains("weight 1 is -1"));
  const std::vector<double> zero_w(5, 0.0);
  CHECK_THROWS_WITH(kmeans<float>({.k = 2}).fit(x, zero_w), Catch::Contains("all sample weights are zero"));
  CHECK_THROWS_WITH(kmeans<float>({.k = 2, .initial_centers = segkit::matrix<double>::from_shape({3, 3})}).fit(x),
                    Catch::Contains("initial_centers are 3 x 3, expected k x d = 2 x 3"));
  const auto model = kmeans<float>({.k = 2}).fit(x);
  CHECK_THROWS_WITH(model.predict(segkit::test::normal_matrix(2, 4, 1)), Catch::Contains("rows have 4 columns, the model has 3"));
}

TEST_CASE("kmeans model: predict, transform, spherical, save and load", "[cluster][kmeans]") {
  const auto x = segkit::test::blobs(1500, 10, 4, 21);
  const auto model = kmeans<float>({.k = 4, .seed = 2}).fit(x);
  CHECK((model.predict(x) == model.labels()));
  const auto t = model.transform(x);
  REQUIRE(t.shape(1) == 4);
  for (std::size_t i = 0; i < 50; ++i) {
    const auto c = static_cast<std::size_t>(model.labels()(i));
    for (std::size_t j = 0; j < 4; ++j) CHECK(t(i, c) <= t(i, j) + 1e-3f);
    CHECK(t(i, c) == Approx(std::sqrt(segkit::distance::squared_l2(&x(i, 0), &model.centers(c, 0), 10))).epsilon(1e-3));
  }

  const auto sph = kmeans<float>({.k = 4, .spherical = true, .seed = 2}).fit(x);
  for (std::size_t c = 0; c < 4; ++c) CHECK(segkit::distance::dot(&sph.centers(c, 0), &sph.centers(c, 0), 10) == Approx(1.0f).epsilon(1e-5));
  // Scaling rows does not change a spherical assignment.
  CHECK((sph.predict(x * 3.0f) == sph.labels()));

  const auto path = fs::temp_directory_path() / "segkit_kmeans.seg";
  model.save(path);
  const auto back = segkit::cluster::kmeans_model<float>::load(path);
  CHECK((back.centers == model.centers));
  CHECK((back.labels() == model.labels()));
  CHECK(back.inertia == model.inertia);
  CHECK(back.n_iter == model.n_iter);
  CHECK((back.predict(x) == model.labels()));
  CHECK_THROWS_WITH(segkit::cluster::kmeans_model<double>::load(path), Catch::Contains("stores float32 centers, expected float64"));
  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 4);
  std::ofstream(path, std::ios::binary) << bytes;
  CHECK_THROWS_AS(segkit::cluster::kmeans_model<float>::load(path), segkit::format_error);
}

TEST_CASE("kmeans: Hamerly and Elkan give Lloyd's centers, labels and iterations", "[cluster][kmeans]") {
  // The scikit-learn fixture, with and without weights, and seeded blobs in float with k-means++.
  using segkit::cluster::kmeans_algorithm;
  const auto x = segkit::load_npy_matrix<double>(fixture("X.npy"));
  const auto init = segkit::load_npy_matrix<double>(fixture("init.npy"));
  const auto w = segkit::load_npy_vector<double>(fixture("weights.npy"));
  for (const auto algorithm : {kmeans_algorithm::hamerly, kmeans_algorithm::elkan}) {
    INFO("algorithm " << (algorithm == kmeans_algorithm::elkan ? "elkan" : "hamerly"));
    for (const bool weighted : {false, true}) {
      const std::span<const double> ws = weighted ? std::span<const double>(w.data(), w.size()) : std::span<const double>{};
      const auto lloyd = kmeans<double>({.k = 5, .initial_centers = init}).fit(x, ws);
      const auto fast = kmeans<double>({.k = 5, .algorithm = algorithm, .initial_centers = init}).fit(x, ws);
      CHECK((fast.labels() == lloyd.labels()));
      CHECK(fast.n_iter == lloyd.n_iter);
      CHECK(fast.inertia == Approx(lloyd.inertia).epsilon(1e-12));
      for (std::size_t c = 0; c < 5; ++c) {
        for (std::size_t j = 0; j < 6; ++j) CHECK(fast.centers(c, j) == Approx(lloyd.centers(c, j)).epsilon(1e-12));
      }
    }
    const auto xf = segkit::test::blobs(6000, 5, 12, 31);
    for (std::size_t threads : {1, 2}) {
      const auto lloyd = kmeans<float>({.k = 15, .seed = 5, .threads = threads}).fit(xf);
      const auto fast = kmeans<float>({.k = 15, .algorithm = algorithm, .seed = 5, .threads = threads}).fit(xf);
      CHECK((fast.labels() == lloyd.labels()));
      CHECK(fast.n_iter == lloyd.n_iter);
      CHECK(fast.inertia == Approx(lloyd.inertia).epsilon(1e-5));
    }
    // Empty clusters (k larger than the distinct points) are relocated as Lloyd does.
    segkit::matrix<double> dup = segkit::matrix<double>::from_shape({40, 2});
    for (std::size_t i = 0; i < 40; ++i) {
      dup(i, 0) = static_cast<double>(i % 4);
      dup(i, 1) = static_cast<double>((i % 4) * (i % 4));
    }
    segkit::matrix<double> start = segkit::matrix<double>::from_shape({6, 2});
    for (std::size_t c = 0; c < 6; ++c) {
      start(c, 0) = 0.1 * static_cast<double>(c);
      start(c, 1) = 0.0;
    }
    const auto lloyd = kmeans<double>({.k = 6, .initial_centers = start}).fit(dup);
    const auto fast = kmeans<double>({.k = 6, .algorithm = algorithm, .initial_centers = start}).fit(dup);
    CHECK((fast.labels() == lloyd.labels()));
    CHECK((fast.centers == lloyd.centers));
  }
}
