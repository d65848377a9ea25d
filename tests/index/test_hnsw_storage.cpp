// HNSW with float16 / int8 storage (the walk on a compressed copy, exact re-ranking), and reading
// version-1 files.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "support/data.hpp"
#include "support/knn.hpp"

#include <segkit/core/npy.hpp>
#include <segkit/index/flat.hpp>
#include <segkit/index/hnsw.hpp>

using segkit::id_type;
using segkit::test::iota_ids;
using segkit::test::recall;
using segkit::index::hnsw;
using segkit::index::hnsw_storage;

namespace {

template <class Metric>
void check_storage(hnsw_storage storage) {
  INFO("metric " << Metric::name << ", storage " << segkit::params::name(storage));
  const auto base = segkit::test::blobs(5000, 40, 25, 11);
  const auto queries = segkit::test::blobs(150, 40, 25, 12);
  const auto ids = iota_ids(5000, 100);
  segkit::index::flat<Metric> exact(40);
  exact.add(ids, base);
  const auto truth = exact.search(queries, 10);

  hnsw<Metric> plain(40, {.m = 12, .ef_construction = 100, .seed = 5});
  hnsw<Metric> coded(40, {.m = 12, .ef_construction = 100, .seed = 5, .storage = storage});
  plain.add(ids, base);
  coded.add(ids, base);
  const auto want = plain.search(queries, 10, {.ef = 100});
  const auto got = coded.search(queries, 10, {.ef = 100});
  // (HNSW on inner products of unnormalized vectors misses true neighbors whatever the storage:
  // compare that metric with the float32 walk only.)
  constexpr bool metric_space = !std::is_same_v<Metric, segkit::distance::inner_product_metric>;
  if (metric_space) CHECK(recall(got, truth) >= 0.97);
  CHECK(recall(got, want) >= 0.97);
  // The graph is built on the float vectors whatever the storage, and re-ranking scores the
  // candidates with them: an id found by both walks has the very same distance.
  std::size_t common = 0;
  for (std::size_t i = 0; i < got.ids.shape(0); ++i) {
    for (std::size_t j = 0; j < 10; ++j) {
      for (std::size_t t = 0; t < 10; ++t) {
        if (got.ids(i, j) != want.ids(i, t)) continue;
        ++common;
        CHECK(got.distances(i, j) == want.distances(i, t));
      }
    }
  }
  CHECK(common >= 1400);

  // Without re-ranking, the distances are the compressed copy's: close to the exact ones, not equal.
  const auto rough = coded.search(queries, 10, {.ef = 100, .rerank = false});
  CHECK(recall(rough, metric_space ? truth : want) >= 0.85);
  double worst = 0.0, scale = 0.0;
  std::size_t differ = 0;
  for (std::size_t i = 0; i < rough.ids.shape(0); ++i) {
    for (std::size_t t = 0; t < 10; ++t) {
      if (rough.ids(i, 0) != want.ids(i, t)) continue;
      worst = std::max(worst, static_cast<double>(std::abs(rough.distances(i, 0) - want.distances(i, t))));
      scale = std::max(scale, static_cast<double>(std::abs(want.distances(i, t))));
      differ += rough.distances(i, 0) != want.distances(i, t);
    }
  }
  CHECK(differ > 0);
  CHECK(worst <= 0.05 * scale + 0.05);

  // Same answers for any thread count.
  CHECK((coded.search(queries, 10, {.ef = 60, .threads = 1}).ids == coded.search(queries, 10, {.ef = 60, .threads = 3}).ids));
}

}  // namespace

TEST_CASE("hnsw storage: float16 and int8 walks find what float32 finds, with exact distances after re-ranking", "[index][hnsw][storage][slow]") {
  for (const auto storage : {hnsw_storage::float16, hnsw_storage::int8}) {
    check_storage<segkit::distance::l2_metric>(storage);
    check_storage<segkit::distance::cosine_metric>(storage);
    check_storage<segkit::distance::inner_product_metric>(storage);
  }
}

TEST_CASE("hnsw storage: int8 ranges follow the data as it grows; removals, compaction and filters", "[index][hnsw][storage]") {
  // The first vectors span a small range; later ones a wide one. Ranges trained on the first
  // add alone would clamp almost everything later; retraining as the graph doubles keeps recall.
  auto base = segkit::test::blobs(4000, 24, 20, 21);
  for (std::size_t i = 0; i < 20; ++i) {
    for (std::size_t j = 0; j < 24; ++j) base(i, j) *= 0.01f;
  }
  const auto queries = segkit::test::blobs(100, 24, 20, 22);
  const auto ids = iota_ids(4000);
  hnsw<> index(24, {.m = 12, .ef_construction = 80, .storage = hnsw_storage::int8});
  std::size_t at = 0;
  for (const std::size_t step : {1, 19, 180, 800, 3000}) {
    index.add(std::span<const id_type>(ids.data() + at, step), segkit::matrix_view<float>(base.data() + at * 24, step, 24));
    at += step;
  }
  REQUIRE(at == 4000);
  segkit::index::flat<> exact(24);
  exact.add(ids, base);
  CHECK(recall(index.search(queries, 10, {.ef = 80, .rerank = false}), exact.search(queries, 10)) >= 0.9);
  CHECK(recall(index.search(queries, 10, {.ef = 80}), exact.search(queries, 10)) >= 0.97);

  for (id_type id = 0; id < 4000; id += 3) index.remove(id);
  for (const auto id : index.search(queries, 10, {.ef = 80}).ids) CHECK(id % 3 != 0);
  index.compact();
  CHECK(index.capacity_used() == index.size());
  const auto odd = [](id_type id) { return id % 2 == 1; };
  for (const auto id : index.search(queries, 10, {.ef = 80}, odd).ids) CHECK((id % 2 == 1 && id % 3 != 0));
}

TEST_CASE("hnsw storage: saved and loaded with the index; bad settings and values refused", "[index][hnsw][storage]") {
  const auto base = segkit::test::blobs(1500, 16, 10, 31);
  const auto queries = segkit::test::blobs(40, 16, 10, 32);
  const auto dir = std::filesystem::temp_directory_path() / "segkit_test_hnsw_storage";
  std::filesystem::create_directories(dir);
  for (const auto storage : {hnsw_storage::float16, hnsw_storage::int8}) {
    hnsw<> index(16, {.m = 8, .ef_construction = 60, .storage = storage});
    index.add(iota_ids(1500), base);
    const auto path = dir / "stored.seg";
    index.save(path);
    const auto back = hnsw<>::load(path);
    CHECK(back.params().storage == storage);
    const auto a = index.search(queries, 10, {.ef = 30, .rerank = false});
    const auto b = back.search(queries, 10, {.ef = 30, .rerank = false});
    CHECK((a.ids == b.ids));
    CHECK((a.distances == b.distances));
  }
  // Only float values with l2, sqeuclidean, cosine or ip.
  CHECK_THROWS_WITH((hnsw<segkit::distance::manhattan_metric>(8, {.storage = hnsw_storage::int8})), Catch::Contains("int8 storage needs float values"));
  CHECK_THROWS_AS((hnsw<segkit::distance::l2_metric, double>(8, {.storage = hnsw_storage::float16})), segkit::invalid_argument);
  // float16 holds values up to 65504; cosine stores unit vectors, so any finite value will do.
  hnsw<> half(2, {.storage = hnsw_storage::float16});
  const segkit::matrix<float> big = {{1.0f, 70000.0f}};
  CHECK_THROWS_WITH(half.add(std::vector<id_type>{1}, big), Catch::Contains("beyond the float16 storage's range"));
  CHECK(half.size() == 0);
  hnsw<segkit::distance::cosine_metric> unit(2, {.storage = hnsw_storage::float16});
  unit.add(std::vector<id_type>{1}, big);
  CHECK(unit.search(big, 1).ids(0, 0) == 1);
}

TEST_CASE("hnsw: version-1 files (before compressed storage) still load and answer as a fresh build", "[index][hnsw][storage]") {
  // tests/data/hnsw/README.md says how the files were made.
  const std::string data = SEGKIT_TEST_DATA;
  const auto base = segkit::load_npy_matrix<float>(data + "/hnsw/base.npy");
  const auto ids = iota_ids(base.shape(0));
  const auto check = [&]<class Metric>(Metric, const std::string& file) {
    const auto old = hnsw<Metric>::load(data + "/hnsw/" + file);
    CHECK(old.params().storage == hnsw_storage::float32);
    hnsw<Metric> fresh(6, {.m = 4, .ef_construction = 20});
    fresh.add(ids, base);
    const auto a = old.search(base, 5, {.ef = 10});
    const auto b = fresh.search(base, 5, {.ef = 10});
    CHECK((a.ids == b.ids));
    // The files were written by the -O3 tool; this test may be built otherwise (the sanitized
    // build is -O1), so the stored (normalized) vectors may differ in the last bit.
    for (std::size_t i = 0; i < a.distances.size(); ++i) CHECK(a.distances.data()[i] == Approx(b.distances.data()[i]).margin(1e-6));
  };
  check(segkit::distance::l2_metric{}, "v1_l2.seg");
  check(segkit::distance::cosine_metric{}, "v1_cosine.seg");
}
