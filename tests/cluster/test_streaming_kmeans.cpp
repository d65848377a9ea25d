#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <vector>

#include <segkit/cluster/streaming_kmeans.hpp>
#include <segkit/core/random.hpp>

namespace fs = std::filesystem;
using segkit::cluster::streaming_kmeans;
using segkit::cluster::streaming_kmeans_params;

namespace {
using point = std::vector<double>;

// `per` rows around each center (normal noise of sd `noise`), interleaved; seeded by `seed`.
segkit::matrix<float> batch_around(const std::vector<point>& centers, std::size_t per, std::uint64_t seed, double noise = 1.0) {
  const std::size_t d = centers.front().size();
  segkit::matrix<float> m = segkit::matrix<float>::from_shape({per * centers.size(), d});
  segkit::rng r(seed);
  for (std::size_t i = 0; i < m.shape(0); ++i) {
    const auto& c = centers[i % centers.size()];
    for (std::size_t j = 0; j < d; ++j) m(i, j) = static_cast<float>(c[j] + noise * r.normal());
  }
  return m;
}

// Distance from p to the closest center of the model.
double nearest(const streaming_kmeans<float>& m, const point& p) {
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t c = 0; c < m.centers().shape(0); ++c) {
    double s = 0.0;
    for (std::size_t j = 0; j < p.size(); ++j) s += (m.centers()(c, j) - p[j]) * (m.centers()(c, j) - p[j]);
    best = std::min(best, std::sqrt(s));
  }
  return best;
}

const std::vector<point> three = {{0, 0, 0}, {20, 0, 0}, {0, 20, 0}};
}  // namespace

TEST_CASE("streaming k-means: a stationary stream converges to the blob means, ids stay put", "[cluster][streaming]") {
  streaming_kmeans<float> m({.k = 3, .seed = 1});
  for (std::uint64_t b = 0; b < 40; ++b) {
    const auto rep = m.partial_fit(batch_around(three, 100, b));
    CHECK(rep.spawned.empty());
    CHECK(rep.retired.empty());
    CHECK(rep.rows == 300);
  }
  CHECK(m.n_batches() == 40);
  CHECK(m.ids() == std::vector<segkit::label_type>{0, 1, 2});
  for (const auto& c : three) CHECK(nearest(m, c) < 0.1);  // 4,000 rows per blob: the mean is within ~0.03
  CHECK(m.rms_distance() == Approx(std::sqrt(3.0)).epsilon(0.05));  // unit noise in 3 dimensions
  const auto labels = m.predict(batch_around(three, 10, 99));
  for (std::size_t i = 3; i < 30; ++i) CHECK(labels(i) == labels(i % 3));
}

TEST_CASE("streaming k-means: with decay 1 a center is the running mean of its rows", "[cluster][streaming]") {
  // Two far-apart groups; the second batch is weighted. Center = weighted mean of all rows so far.
  segkit::matrix<float> b1 = {{0, 0}, {2, 0}, {100, 100}, {102, 100}};
  segkit::matrix<float> b2 = {{1, 3}, {101, 97}};
  streaming_kmeans<float> m({.k = 2, .spawn_factor = 0.0});
  m.partial_fit(b1);
  const std::vector<double> w2 = {2.0, 1.0};
  m.partial_fit(b2, w2);
  const auto low = m.predict(segkit::matrix<float>{{0, 0}})(0), high = m.predict(segkit::matrix<float>{{100, 100}})(0);
  REQUIRE(low != high);
  const auto row = [&](segkit::label_type id) { return static_cast<std::size_t>(std::find(m.ids().begin(), m.ids().end(), id) - m.ids().begin()); };
  // low: rows (0,0), (2,0) weight 1 each, (1,3) weight 2 -> ((0+2+2)/4, (0+0+6)/4) = (1, 1.5)
  CHECK(m.centers()(row(low), 0) == Approx(1.0));
  CHECK(m.centers()(row(low), 1) == Approx(1.5));
  CHECK(m.masses()[row(low)] == Approx(4.0));
  // high: (100,100), (102,100), (101,97) -> (101, 99)
  CHECK(m.centers()(row(high), 0) == Approx(101.0));
  CHECK(m.centers()(row(high), 1) == Approx(99.0));
  // decay 0.5: the old mass counts half: low = (0.5*2*(1,0) + 2*(1,3)) / 3 = (1, 2)
  streaming_kmeans<float> d({.k = 2, .decay = 0.5, .spawn_factor = 0.0});
  d.partial_fit(b1);
  d.partial_fit(b2, w2);
  const auto lo = d.predict(segkit::matrix<float>{{0, 0}})(0);
  const auto r = static_cast<std::size_t>(std::find(d.ids().begin(), d.ids().end(), lo) - d.ids().begin());
  CHECK(d.centers()(r, 0) == Approx(1.0));
  CHECK(d.centers()(r, 1) == Approx(2.0));
  CHECK(d.masses()[r] == Approx(3.0));
}

TEST_CASE("streaming k-means: a new blob spawns one center; outliers do not; an idle center retires", "[cluster][streaming]") {
  streaming_kmeans<float> m({.k = 3, .retire_after = 5, .seed = 2});
  for (std::uint64_t b = 0; b < 10; ++b) m.partial_fit(batch_around(three, 100, b));
  // A batch with 1 % scattered outliers: no spawn.
  auto noisy = batch_around(three, 100, 50);
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < 3; ++j) noisy(i * 97, j) = static_cast<float>(60.0 * static_cast<double>(i + 1) * (j == i ? 1.0 : -1.0));
  }
  CHECK(m.partial_fit(noisy).spawned.empty());
  // A fourth blob appears: one new center, id 3, at that blob.
  const std::vector<point> four = {{0, 0, 0}, {20, 0, 0}, {0, 20, 0}, {0, 0, 30}};
  const auto rep = m.partial_fit(batch_around(four, 100, 11));
  REQUIRE(rep.spawned == std::vector<segkit::label_type>{3});
  CHECK(nearest(m, {0, 0, 30}) < 0.5);
  for (std::uint64_t b = 12; b < 20; ++b) CHECK(m.partial_fit(batch_around(four, 100, b)).spawned.empty());
  CHECK(m.predict(segkit::matrix<float>{{0, 0, 29}})(0) == 3);
  // The blob at (20, 0, 0) stops: its center retires after 5 idle batches, never earlier.
  const std::vector<point> gone = {{0, 0, 0}, {0, 20, 0}, {0, 0, 30}};
  for (std::uint64_t b = 0; b < 4; ++b) CHECK(m.partial_fit(batch_around(gone, 100, 100 + b)).retired.empty());
  const auto last = m.partial_fit(batch_around(gone, 100, 104));
  CHECK(last.retired == std::vector<segkit::label_type>{1});
  CHECK(m.ids() == std::vector<segkit::label_type>{0, 2, 3});
  CHECK(m.predict(segkit::matrix<float>{{20, 0, 0}})(0) != 1);
  // Two new blobs in one batch: two centers.
  const std::vector<point> six = {{0, 0, 0}, {0, 20, 0}, {0, 0, 30}, {40, 40, 0}, {-40, 40, 0}};
  const auto two = m.partial_fit(batch_around(six, 100, 200));
  CHECK(two.spawned == std::vector<segkit::label_type>{4, 5});
  CHECK(nearest(m, {40, 40, 0}) < 0.5);
  CHECK(nearest(m, {-40, 40, 0}) < 0.5);
}

TEST_CASE("streaming k-means: decay lets a center follow a drifting segment", "[cluster][streaming]") {
  const auto track = [](double decay) {
    streaming_kmeans<float> m({.k = 2, .decay = decay, .spawn_factor = 0.0, .seed = 3});
    double err = 0.0;
    for (std::uint64_t b = 0; b < 30; ++b) {
      const double x = 0.5 * static_cast<double>(b);  // the first segment drifts 0.5 per batch
      m.partial_fit(batch_around({{x, 0}, {0, 50}}, 200, b, 0.5));
      err = nearest(m, {x, 0});
    }
    return err;
  };
  const double forgetting = track(0.5), remembering = track(1.0);
  CHECK(forgetting < 1.0);    // lags about one step behind
  CHECK(remembering > 5.0);   // the running mean of all positions lags half the path
}

TEST_CASE("streaming k-means: same bits at any thread count; save and load continue the stream", "[cluster][streaming]") {
  const auto run = [](std::size_t threads, std::size_t upto, streaming_kmeans<float>* out = nullptr) {
    streaming_kmeans<float> m({.k = 3, .decay = 0.9, .retire_after = 3, .seed = 5, .threads = threads});
    const std::vector<point> four = {{0, 0, 0}, {20, 0, 0}, {0, 20, 0}, {0, 0, 30}};
    for (std::uint64_t b = 0; b < upto; ++b) m.partial_fit(batch_around(b < 5 ? three : four, 3000, b));
    if (out != nullptr) *out = m;
    return m;
  };
  const auto a = run(1, 10), b = run(2, 10), c = run(3, 10);
  CHECK((a.centers() == b.centers()));
  CHECK((a.centers() == c.centers()));
  CHECK(a.ids() == c.ids());
  CHECK(a.ids().size() == 4);

  streaming_kmeans<float> half({.k = 3, .decay = 0.9, .retire_after = 3, .seed = 5});
  run(2, 6, &half);
  const auto path = fs::temp_directory_path() / "segkit_streaming.seg";
  half.save(path);
  streaming_kmeans<float> resumed({.k = 3, .decay = 0.9, .retire_after = 3, .seed = 5});
  resumed.load(path);
  const std::vector<point> four = {{0, 0, 0}, {20, 0, 0}, {0, 20, 0}, {0, 0, 30}};
  for (std::uint64_t i = 6; i < 10; ++i) resumed.partial_fit(batch_around(four, 3000, i));
  CHECK((resumed.centers() == a.centers()));
  CHECK(resumed.ids() == a.ids());
  CHECK(resumed.masses() == a.masses());
  fs::remove(path);
  CHECK_THROWS_AS(resumed.load(path), segkit::io_error);
}

TEST_CASE("streaming k-means refuses bad input and bad parameters", "[cluster][streaming]") {
  CHECK_THROWS_WITH(streaming_kmeans<float>({.k = 0}), Catch::Contains("k must be >= 1 (got 0)"));
  CHECK_THROWS_WITH(streaming_kmeans<float>({.k = 2, .decay = 0.0}), Catch::Contains("decay must be in (0, 1]"));
  CHECK_THROWS_WITH(streaming_kmeans<float>({.k = 2, .decay = 1.5}), Catch::Contains("decay must be in (0, 1]"));
  CHECK_THROWS_WITH(streaming_kmeans<float>({.k = 2, .spawn_factor = -1}), Catch::Contains("spawn_factor must be finite, >= 0 (got -1)"));
  CHECK_THROWS_WITH(streaming_kmeans<float>({.k = 4, .max_clusters = 2}), Catch::Contains("max_clusters (2) is below k (4)"));
  streaming_kmeans<float> m({.k = 3});
  CHECK_THROWS_WITH(m.predict(segkit::matrix<float>{{1, 2}}), Catch::Contains("predict before the first partial_fit"));
  CHECK_THROWS_WITH(m.partial_fit(segkit::matrix<float>{{1, 2}, {3, 4}}), Catch::Contains("k (3) exceeds the number of samples (2)"));
  CHECK(m.n_batches() == 0);  // a failed call changes nothing
  m.partial_fit(batch_around(three, 10, 1));
  CHECK_THROWS_WITH(m.partial_fit(segkit::matrix<float>{{1, 2}}), Catch::Contains("batch rows have 2 columns, the model has 3"));
  CHECK_THROWS_WITH(m.partial_fit(segkit::matrix<float>::from_shape({0, 3})), Catch::Contains("empty batch"));
  segkit::matrix<float> nan = {{1, 2, std::numeric_limits<float>::quiet_NaN()}};
  CHECK_THROWS_WITH(m.partial_fit(nan), Catch::Contains("non-finite value (nan) at row 0, column 2"));
  CHECK(m.n_batches() == 1);
}
