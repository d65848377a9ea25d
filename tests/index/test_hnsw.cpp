#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "support/data.hpp"
#include "support/knn.hpp"

#include <segkit/index/any_index.hpp>
#include <segkit/index/flat.hpp>
#include <segkit/index/hnsw.hpp>

namespace fs = std::filesystem;
using segkit::test::iota_ids;
using segkit::test::recall;
using segkit::id_type;
using segkit::index::hnsw;

namespace {
// Rows [b, e) of m as their own matrix.
segkit::matrix<float> rows_of(const segkit::matrix<float>& m, std::size_t b, std::size_t e) {
  segkit::matrix<float> out = segkit::matrix<float>::from_shape({e - b, m.shape(1)});
  std::copy(m.data() + b * m.shape(1), m.data() + e * m.shape(1), out.data());
  return out;
}

template <class Metric>
void check_metric_recall(double min_recall) {
  const auto base = segkit::test::blobs(6000, 16, 30, 3);
  const auto queries = segkit::test::blobs(200, 16, 30, 4);
  const auto ids = iota_ids(6000, 1000);
  segkit::index::flat<Metric> exact(16);
  exact.add(ids, base);
  hnsw<Metric> graph(16, {.m = 12, .ef_construction = 100});
  graph.add(ids, base);
  const auto truth = exact.search(queries, 10);
  const auto got = graph.search(queries, 10, {.ef = 128});
  INFO("metric " << Metric::name);
  CHECK(recall(got, truth) >= min_recall);
  // Reported values are the metric's: equal to the exact index's for the ids both return.
  for (std::size_t i = 0; i < 20; ++i) {
    if (got.ids(i, 0) == truth.ids(i, 0)) CHECK(got.distances(i, 0) == Approx(truth.distances(i, 0)).epsilon(1e-4).margin(1e-4));
  }
}
}  // namespace

TEST_CASE("hnsw: recall against the exact index for every metric", "[index][hnsw][slow]") {
  // The thresholds are set a little below what hnswlib 0.6.2 (Debian python3-hnswlib, same M,
  // ef_construction and ef) reaches on these very vectors: l2 0.958, cosine 0.907, ip 0.737.
  // Overlapping 16-d blobs are a hard case; the comparison in bench/ uses larger sets.
  check_metric_recall<segkit::distance::l2_metric>(0.93);
  check_metric_recall<segkit::distance::squared_l2_metric>(0.93);
  check_metric_recall<segkit::distance::cosine_metric>(0.88);
  check_metric_recall<segkit::distance::manhattan_metric>(0.88);
  check_metric_recall<segkit::distance::inner_product_metric>(0.68);  // MIPS on a distance graph is harder
}

TEST_CASE("hnsw: recall grows with ef; small and large k", "[index][hnsw]") {
  const auto base = segkit::test::blobs(8000, 24, 40, 5);
  const auto queries = segkit::test::blobs(300, 24, 40, 6);
  const auto ids = iota_ids(8000);
  segkit::index::flat<> exact(24);
  exact.add(ids, base);
  hnsw<> graph(24);
  graph.add(ids, base);
  const auto truth = exact.search(queries, 10);
  double previous = 0.0;
  for (std::size_t ef : {10, 40, 160}) {
    const double r = recall(graph.search(queries, 10, {.ef = ef}), truth);
    CHECK(r >= previous - 0.01);
    previous = r;
  }
  CHECK(previous >= 0.97);  // hnswlib 0.6.2 on the same vectors at ef 160: 0.995
  const auto k1 = graph.search(queries, 1, {.ef = 64});
  std::size_t exact_first = 0;
  for (std::size_t i = 0; i < 300; ++i) exact_first += k1.ids(i, 0) == truth.ids(i, 0);
  CHECK(exact_first >= 270);  // hnswlib 0.6.2 on the same vectors: 275 of 300
  const auto all = graph.search(rows_of(queries, 0, 1), 100, {.ef = 200});  // k larger than the default ef
  std::set<id_type> distinct(all.ids.begin(), all.ids.end());
  CHECK(distinct.size() == 100);
  CHECK(all.ids(0, 99) != segkit::no_id);
}

TEST_CASE("hnsw: the graph and the results are the same for any thread count", "[index][hnsw]") {
  const auto base = segkit::test::blobs(5000, 12, 20, 7);
  const auto queries = segkit::test::blobs(100, 12, 20, 8);
  const auto ids = iota_ids(5000);
  const auto build = [&](std::size_t threads) {
    hnsw<> g(12, {.m = 8, .ef_construction = 64, .seed = 3, .threads = threads});
    g.add(ids, base);
    return g;
  };
  const auto a = build(1), b = build(2), c = build(3);
  const auto ra = a.search(queries, 5, {.ef = 32, .threads = 1});
  const auto rb = b.search(queries, 5, {.ef = 32, .threads = 2});
  const auto rc = c.search(queries, 5, {.ef = 32, .threads = 3});
  CHECK((ra.ids == rb.ids));
  CHECK((ra.ids == rc.ids));
  CHECK((ra.distances == rc.distances));
  // Another seed gives another graph (the seed is used).
  hnsw<> other(12, {.m = 8, .ef_construction = 64, .seed = 4});
  other.add(ids, base);
  const auto path_a = fs::temp_directory_path() / "segkit_hnsw_a.seg", path_o = fs::temp_directory_path() / "segkit_hnsw_o.seg";
  a.save(path_a);
  other.save(path_o);
  CHECK(fs::file_size(path_a) > 0);
  std::ifstream fa(path_a, std::ios::binary), fo(path_o, std::ios::binary);
  const std::string sa((std::istreambuf_iterator<char>(fa)), {}), so((std::istreambuf_iterator<char>(fo)), {});
  CHECK(sa != so);
  fs::remove(path_a);
  fs::remove(path_o);
}

TEST_CASE("hnsw: filters apply during the walk and match the exact filtered search", "[index][hnsw]") {
  const auto base = segkit::test::blobs(6000, 16, 30, 9);
  const auto queries = segkit::test::blobs(150, 16, 30, 10);
  const auto ids = iota_ids(6000);
  segkit::index::flat<> exact(16);
  exact.add(ids, base);
  hnsw<> graph(16);
  graph.add(ids, base);
  for (const id_type mod : {2, 10, 50}) {
    INFO("selectivity 1/" << mod);
    const auto keep = [mod](id_type id) { return id % mod == 0; };
    const auto got = graph.search(queries, 10, {.ef = 200}, keep);
    const auto truth = exact.search(queries, 10, {}, keep);
    for (const auto id : got.ids) CHECK((id == segkit::no_id || id % mod == 0));
    CHECK(recall(got, truth) >= (mod == 50 ? 0.85 : 0.95));
  }
  // A filter nothing passes: every row is empty.
  const auto none = graph.search(rows_of(queries, 0, 3), 5, {}, [](id_type) { return false; });
  for (const auto id : none.ids) CHECK(id == segkit::no_id);
}

TEST_CASE("hnsw: remove, upsert, and bounded memory under add/remove churn", "[index][hnsw][slow]") {
  const std::size_t n = 4000;
  const auto base = segkit::test::blobs(n, 8, 16, 11);
  hnsw<> graph(8, {.m = 8, .ef_construction = 64});
  graph.add(iota_ids(n), base);
  // Removed ids are never returned; a query equal to a removed vector finds something else.
  for (id_type id = 0; id < 100; ++id) CHECK(graph.remove(id));
  CHECK_FALSE(graph.remove(5));
  CHECK(graph.size() == n - 100);
  const auto r = graph.search(rows_of(base, 0, 100), 3, {.ef = 64});
  for (const auto id : r.ids) CHECK(id >= 100);
  // Upsert moves id 200 to the position of row 300: a query there returns both at distance 0.
  const segkit::matrix<float> moved = rows_of(base, 300, 301);
  const std::vector<id_type> two00 = {200};
  graph.upsert(two00, moved);
  CHECK(graph.size() == n - 100);
  const auto at300 = graph.search(moved, 2, {.ef = 64});
  CHECK(std::set<id_type>{at300.ids(0, 0), at300.ids(0, 1)} == std::set<id_type>{200, 300});
  CHECK(at300.distances(0, 1) == 0.0f);

  // 20 rounds: remove half of the live ids, add as many new ones; nodes stay bounded, recall holds.
  hnsw<> churn(8, {.m = 8, .ef_construction = 64});
  churn.add(iota_ids(n), base);
  std::vector<id_type> live = iota_ids(n);
  id_type next = n;
  const auto fresh = segkit::test::blobs(n, 8, 16, 12);
  for (int round = 0; round < 20; ++round) {
    std::vector<id_type> keep, add;
    for (std::size_t i = 0; i < live.size(); ++i) {
      if ((i + static_cast<std::size_t>(round)) % 2 == 0) {
        CHECK(churn.remove(live[i]));
      } else {
        keep.push_back(live[i]);
      }
    }
    const std::size_t m = live.size() - keep.size();
    segkit::matrix<float> rows = segkit::matrix<float>::from_shape({m, 8});
    for (std::size_t i = 0; i < m; ++i) {
      for (std::size_t j = 0; j < 8; ++j) rows(i, j) = fresh((next + i) % n, j) + 0.001f * static_cast<float>(round);
      add.push_back(next + i);
    }
    churn.add(add, rows);
    next += m;
    keep.insert(keep.end(), add.begin(), add.end());
    live = keep;
    CHECK(churn.size() == n);
    CHECK(churn.capacity_used() <= 2 * n + m);
  }
  // Recall of the churned index against the exact search over the live vectors.
  segkit::index::flat<> exact(8);
  hnsw<> probe = churn;
  probe.compact();
  CHECK(probe.capacity_used() == n);
  const auto q = segkit::test::blobs(100, 8, 16, 13);
  const auto got = churn.search(q, 10, {.ef = 100});
  const auto got_compact = probe.search(q, 10, {.ef = 100});
  CHECK(recall(got, got_compact) >= 0.9);
}

TEST_CASE("hnsw: save and load give the same answers; damaged files are refused", "[index][hnsw]") {
  const auto base = segkit::test::blobs(3000, 10, 12, 14);
  const auto queries = segkit::test::blobs(50, 10, 12, 15);
  hnsw<segkit::distance::cosine_metric> graph(10, {.m = 10});
  graph.add(iota_ids(3000, 7), base);
  graph.remove(9);
  const auto path = fs::temp_directory_path() / "segkit_hnsw.seg";
  graph.save(path);
  const auto back = hnsw<segkit::distance::cosine_metric>::load(path);
  CHECK(back.size() == graph.size());
  CHECK_FALSE(back.contains(9));
  const auto a = graph.search(queries, 8, {.ef = 50}), b = back.search(queries, 8, {.ef = 50});
  CHECK((a.ids == b.ids));
  CHECK((a.distances == b.distances));
  auto any = segkit::index::any_index::load(path);
  CHECK(any.type() == "hnsw");
  CHECK(any.metric() == "cosine");
  CHECK((any.search(segkit::as_rows<float>(queries).view(), 8, {.ef = 50}).ids == a.ids));
  CHECK_THROWS_WITH(hnsw<segkit::distance::l2_metric>::load(path), Catch::Contains("index uses metric 'cosine'"));
  CHECK_THROWS_WITH(segkit::index::flat<segkit::distance::cosine_metric>::load(path), Catch::Contains("hnsw"));

  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  for (const std::size_t at : {std::size_t{40}, bytes.size() / 3, bytes.size() - 9}) {
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 0x10);
    std::ofstream(path, std::ios::binary) << bad;
    CHECK_THROWS_AS(hnsw<segkit::distance::cosine_metric>::load(path), segkit::format_error);
  }
  std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  CHECK_THROWS_AS(hnsw<segkit::distance::cosine_metric>::load(path), segkit::format_error);
  fs::remove(path);
}

TEST_CASE("hnsw: edge cases and bad input", "[index][hnsw]") {
  hnsw<> empty(4);
  const segkit::matrix<float> q = {{1, 2, 3, 4}};
  CHECK(empty.search(q, 3).ids(0, 0) == segkit::no_id);
  hnsw<> one(4);
  one.add(std::vector<id_type>{42}, q);
  const auto r = one.search(q, 3);  // k is capped at the one vector stored
  REQUIRE(r.ids.shape(1) == 1);
  CHECK(r.ids(0, 0) == 42);
  CHECK(r.distances(0, 0) == 0.0f);
  // A filter that passes nothing leaves the row empty.
  const auto none = one.search(q, 3, {}, [](id_type) { return false; });
  CHECK(none.ids(0, 0) == segkit::no_id);
  CHECK(std::isinf(none.distances(0, 0)));
  // Many identical vectors: all found.
  hnsw<> dup(4, {.m = 4});
  segkit::matrix<float> same = segkit::matrix<float>::from_shape({300, 4});
  same.fill(1.0f);
  dup.add(iota_ids(300), same);
  const auto d = dup.search(rows_of(same, 0, 1), 20, {.ef = 300});
  std::set<id_type> found(d.ids.begin(), d.ids.end());
  CHECK(found.size() == 20);

  CHECK_THROWS_WITH(hnsw<>(0), Catch::Contains("dim must be at least 1"));
  CHECK_THROWS_WITH(hnsw<>(4, {.m = 1}), Catch::Contains("m must be in [2, 1024] (got 1)"));
  CHECK_THROWS_WITH(hnsw<>(4, {.ef_construction = 0}), Catch::Contains("ef_construction must be >= 1 (got 0)"));
  CHECK_THROWS_WITH(one.search(q, 0), Catch::Contains("k must be at least 1"));
  CHECK_THROWS_WITH(one.search(segkit::matrix<float>{{1, 2}}, 1), Catch::Contains("queries have 2 columns, the index has dimension 4"));
  CHECK_THROWS_WITH(one.add(std::vector<id_type>{42}, q), Catch::Contains("id 42 is already stored"));
  CHECK_THROWS_WITH(one.add(std::vector<id_type>{1, 1}, segkit::matrix<float>{{1, 2, 3, 4}, {1, 2, 3, 4}}), Catch::Contains("id 1 appears twice"));
  CHECK_THROWS_WITH(one.add(std::vector<id_type>{segkit::no_id}, q), Catch::Contains("reserved"));
  segkit::matrix<float> nan = {{1, std::numeric_limits<float>::quiet_NaN(), 3, 4}};
  CHECK_THROWS_WITH(one.add(std::vector<id_type>{7}, nan), Catch::Contains("non-finite"));
  CHECK_THROWS_WITH(one.search(nan, 1), Catch::Contains("non-finite"));
  CHECK(one.size() == 1);
  CHECK_THROWS_WITH(segkit::index::any_index::make("ivf", "manhattan", 4), Catch::Contains("an ivf index supports l2, sqeuclidean and cosine, not 'manhattan'"));
}
