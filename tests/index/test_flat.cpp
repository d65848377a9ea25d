#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "support/data.hpp"
#include "support/knn.hpp"
#include "support/oracle.hpp"

#include <xtensor/xview.hpp>

#include <segkit/core/npy.hpp>
#include <segkit/index/flat.hpp>

namespace fs = std::filesystem;
using segkit::test::iota_ids;
using segkit::id_type;

namespace {
template <class Metric>
void check_against_oracle(std::string_view name, std::size_t n, std::size_t d, std::size_t nq, std::size_t k) {
  const auto base = segkit::test::blobs(n, d, 12, 21);
  const auto queries = segkit::test::blobs(nq, d, 12, 22);
  segkit::index::flat<Metric> index(d);
  index.add(iota_ids(n), base);
  const auto got = index.search(queries, k);
  const auto want = segkit::test::oracle_knn(name, base, queries, k);
  for (std::size_t q = 0; q < nq; ++q) {
    for (std::size_t j = 0; j < k; ++j) {
      INFO(name << " query " << q << " rank " << j);
      REQUIRE(got.ids(q, j) == want[q][j].second);
      const double value = name == "ip" ? -want[q][j].first : want[q][j].first;
      CHECK(got.distances(q, j) == Approx(value).epsilon(1e-5).margin(1e-5));
    }
  }
}

fs::path temp_path(const std::string& name) {
  const auto dir = fs::temp_directory_path() / "segkit_test_flat";
  fs::create_directories(dir);
  return dir / name;
}
}  // namespace

TEST_CASE("flat search equals brute force for every metric", "[index][flat]") {
  using namespace segkit::distance;
  check_against_oracle<l2_metric>("l2", 3000, 17, 150, 10);
  check_against_oracle<squared_l2_metric>("sqeuclidean", 2000, 64, 70, 5);
  check_against_oracle<cosine_metric>("cosine", 2500, 33, 90, 10);
  check_against_oracle<inner_product_metric>("ip", 2000, 16, 80, 10);
  check_against_oracle<manhattan_metric>("manhattan", 1500, 7, 40, 10);
  // Several base ranges (n > 16384) with few queries, and k above the candidate margin.
  check_against_oracle<l2_metric>("l2", 40000, 8, 3, 40);
}

TEST_CASE("flat search equals FAISS IndexFlatL2 and IndexFlatIP", "[index][flat]") {
  // Fixture: tests/data/make_flat_fixture.py (FAISS 1.7.3).
  const fs::path dir = fs::path(SEGKIT_TEST_DATA) / "flat";
  const auto base = segkit::load_npy_matrix<float>(dir / "base.npy");
  const auto queries = segkit::load_npy_matrix<float>(dir / "queries.npy");
  segkit::index::flat<segkit::distance::squared_l2_metric> l2(24);
  segkit::index::flat<segkit::distance::inner_product_metric> ip(24);
  l2.add(iota_ids(500), base);
  ip.add(iota_ids(500), base);
  const auto r_l2 = l2.search(queries, 10);
  const auto r_ip = ip.search(queries, 10);
  const auto l2_ids = segkit::load_npy_matrix<std::int64_t>(dir / "l2_ids.npy");
  const auto l2_d = segkit::load_npy_matrix<float>(dir / "l2_dist.npy");
  const auto ip_ids = segkit::load_npy_matrix<std::int64_t>(dir / "ip_ids.npy");
  const auto ip_d = segkit::load_npy_matrix<float>(dir / "ip_dist.npy");
  for (std::size_t q = 0; q < 30; ++q) {
    for (std::size_t j = 0; j < 10; ++j) {
      CHECK(r_l2.ids(q, j) == static_cast<id_type>(l2_ids(q, j)));
      CHECK(r_l2.distances(q, j) == Approx(l2_d(q, j)).epsilon(1e-5));
      CHECK(r_ip.ids(q, j) == static_cast<id_type>(ip_ids(q, j)));
      CHECK(r_ip.distances(q, j) == Approx(ip_d(q, j)).epsilon(1e-5).margin(1e-5));
    }
  }
}

TEST_CASE("flat search: same bits for any thread count", "[index][flat]") {
  const auto base = segkit::test::normal_matrix(20000, 24, 5);
  const auto queries = segkit::test::normal_matrix(300, 24, 6);
  segkit::index::flat<segkit::distance::cosine_metric> index(24);
  index.add(iota_ids(20000), base);
  const auto r1 = index.search(queries, 7, {.threads = 1});
  const auto r2 = index.search(queries, 7, {.threads = 2});
  const auto r4 = index.search(queries, 7, {.threads = 4});
  CHECK((r1.ids == r2.ids));
  CHECK((r1.distances == r2.distances));
  CHECK((r1.ids == r4.ids));
  CHECK((r1.distances == r4.distances));
}

TEST_CASE("flat search: ties are broken by smaller id", "[index][flat]") {
  segkit::matrix<float> base = segkit::matrix<float>::from_shape({60, 5});
  for (std::size_t i = 0; i < 60; ++i) {
    for (std::size_t j = 0; j < 5; ++j) base(i, j) = (i % 2 == 0) ? 1.0f : 3.0f;  // 30 + 30 duplicates
  }
  // Ids in descending order, so storage order and id order disagree.
  std::vector<id_type> ids(60);
  for (std::size_t i = 0; i < 60; ++i) ids[i] = 1000 - i;
  segkit::index::flat<> index(5);
  index.add(ids, base);
  segkit::matrix<float> q = {{1.0f, 1.0f, 1.0f, 1.0f, 1.0f}};
  const auto r = index.search(q, 12);
  // The 30 exact matches have ids 1000, 998, ..., 942; the 12 smallest of them come first, ascending.
  for (std::size_t j = 0; j < 12; ++j) {
    CHECK(r.ids(0, j) == 942 + 2 * j);
    CHECK(r.distances(0, j) == 0.0f);
  }
}

TEST_CASE("flat search: k above the size, filters, and empty inputs", "[index][flat]") {
  const auto base = segkit::test::normal_matrix(40, 6, 9);
  const auto queries = segkit::test::normal_matrix(4, 6, 10);
  segkit::index::flat<> index(6);
  index.add(iota_ids(40), base);

  const auto all = index.search(queries, 50);  // k is capped at the 40 stored
  REQUIRE(all.ids.shape(1) == 40);
  for (std::size_t j = 0; j < 40; ++j) CHECK(all.ids(0, j) != segkit::no_id);

  // Filter: even ids only; equals brute force over the even rows.
  const auto even = index.search(queries, 5, {}, [](id_type id) { return id % 2 == 0; });
  const auto want = segkit::test::oracle_knn("l2", base, queries, 40);
  for (std::size_t q = 0; q < 4; ++q) {
    std::vector<id_type> expected;
    for (const auto& [score, id] : want[q]) {
      if (id % 2 == 0 && expected.size() < 5) expected.push_back(id);
    }
    for (std::size_t j = 0; j < 5; ++j) CHECK(even.ids(q, j) == expected[j]);
  }
  // A filter that matches 3 ids leaves the rest empty.
  const auto few = index.search(queries, 5, {}, [](id_type id) { return id < 3; });
  CHECK(few.ids(1, 2) < 3);
  CHECK(few.ids(1, 3) == segkit::no_id);

  segkit::index::flat<segkit::distance::inner_product_metric> ip(6);
  const auto none = ip.search(queries, 2);
  CHECK(none.ids(0, 0) == segkit::no_id);
  CHECK(none.distances(0, 0) == -std::numeric_limits<float>::infinity());
  const segkit::matrix<float> no_queries = segkit::matrix<float>::from_shape({0, 6});
  CHECK(index.search(no_queries, 3).ids.shape(0) == 0);
}

TEST_CASE("flat: remove and upsert keep search exact", "[index][flat]") {
  const auto base = segkit::test::normal_matrix(500, 12, 31);
  const auto queries = segkit::test::normal_matrix(20, 12, 32);
  segkit::index::flat<> index(12);
  index.add(iota_ids(500), base);
  for (id_type id = 0; id < 500; id += 3) CHECK(index.remove(id));
  CHECK_FALSE(index.remove(0));
  CHECK_FALSE(index.contains(3));
  CHECK(index.contains(4));
  CHECK(index.size() == 500 - 167);
  // Replace the vector of id 1 with a copy of query 0: it must become query 0's nearest.
  segkit::matrix<float> row = xt::view(queries, xt::range(0, 1), xt::all());
  const std::vector<id_type> one = {1};
  index.upsert(one, segkit::as_rows<float>(row));
  const auto r = index.search(queries, 10);
  CHECK(r.ids(0, 0) == 1);
  CHECK(r.distances(0, 0) == Approx(0.0f).margin(1e-6));
  // Every other answer equals brute force over the rows still stored.
  segkit::matrix<float> kept = segkit::matrix<float>::from_shape({index.size(), 12});
  std::vector<id_type> kept_ids;
  for (id_type id = 0; id < 500; ++id) {
    if (id % 3 == 0) continue;
    const auto& src = id == 1 ? row : base;
    const std::size_t src_row = id == 1 ? 0 : id;
    std::copy_n(&src(src_row, 0), 12, &kept(kept_ids.size(), 0));
    kept_ids.push_back(id);
  }
  const auto want = segkit::test::oracle_knn("l2", kept, queries, 10);
  for (std::size_t q = 0; q < 20; ++q) {
    for (std::size_t j = 0; j < 10; ++j) CHECK(r.ids(q, j) == kept_ids[want[q][j].second]);
  }
}

TEST_CASE("flat: bad input is refused with a clear message and nothing changes", "[index][flat]") {
  CHECK_THROWS_WITH(segkit::index::flat<>(0), Catch::Contains("dim must be at least 1"));
  segkit::index::flat<> index(3);
  const segkit::matrix<float> rows = {{1, 2, 3}, {4, 5, 6}};
  const std::vector<id_type> ids = {7, 8};
  index.add(ids, rows);
  CHECK_THROWS_WITH(index.add(ids, rows), Catch::Contains("id 7 is already stored (use upsert to replace it)"));
  const std::vector<id_type> dup = {9, 9};
  CHECK_THROWS_WITH(index.add(dup, rows), Catch::Contains("id 9 appears twice"));
  const std::vector<id_type> one = {10};
  CHECK_THROWS_WITH(index.add(one, rows), Catch::Contains("1 ids for 2 rows"));
  const segkit::matrix<float> wide = {{1, 2, 3, 4}};
  CHECK_THROWS_WITH(index.add(one, wide), Catch::Contains("rows have 4 columns, the index has dimension 3"));
  segkit::matrix<float> nan_row = {{1, std::numeric_limits<float>::quiet_NaN(), 3}};
  CHECK_THROWS_WITH(index.add(one, nan_row), Catch::Contains("non-finite value (nan) at row 0, column 1"));
  const std::vector<id_type> reserved = {segkit::no_id};
  CHECK_THROWS_WITH(index.add(reserved, xt::view(rows, xt::range(0, 1), xt::all())), Catch::Contains("reserved"));
  CHECK(index.size() == 2);
  CHECK_THROWS_WITH(index.search(rows, 0), Catch::Contains("k must be at least 1"));
  CHECK_THROWS_WITH(index.search(wide, 1), Catch::Contains("queries have 4 columns, the index has dimension 3"));
  CHECK_THROWS_AS(index.search(nan_row, 1), segkit::invalid_argument);
}

TEST_CASE("flat: save and load round-trip; wrong or damaged files are refused", "[index][flat]") {
  const auto base = segkit::test::normal_matrix(300, 10, 41);
  const auto queries = segkit::test::normal_matrix(15, 10, 42);
  segkit::index::flat<segkit::distance::cosine_metric> index(10);
  index.add(iota_ids(300, 1000), base);
  index.remove(1005);
  const auto path = temp_path("cos.seg");
  index.save(path);
  const auto loaded = segkit::index::flat<segkit::distance::cosine_metric>::load(path);
  CHECK(loaded.size() == index.size());
  const auto a = index.search(queries, 8);
  const auto b = loaded.search(queries, 8);
  CHECK((a.ids == b.ids));
  CHECK((a.distances == b.distances));

  CHECK_THROWS_WITH(segkit::index::flat<segkit::distance::l2_metric>::load(path),
                    Catch::Contains("index uses metric 'cosine', this index type expects 'l2'"));
  CHECK_THROWS_WITH((segkit::index::flat<segkit::distance::cosine_metric, double>::load(path)),
                    Catch::Contains("stores float32 values, this index type expects float64"));

  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  const auto bad = temp_path("bad.seg");
  for (std::size_t at : {std::size_t{3}, std::size_t{100}, bytes.size() / 2, bytes.size() - 1}) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 1);
    std::ofstream(bad, std::ios::binary) << damaged;
    INFO("flipped byte " << at);
    CHECK_THROWS_AS(segkit::index::flat<segkit::distance::cosine_metric>::load(bad), segkit::format_error);
  }
  std::ofstream(bad, std::ios::binary) << bytes.substr(0, bytes.size() - 100);
  CHECK_THROWS_WITH(segkit::index::flat<segkit::distance::cosine_metric>::load(bad), Catch::Contains("truncated"));
  CHECK_THROWS_AS(segkit::index::flat<>::load(temp_path("missing.seg")), segkit::io_error);
}

TEST_CASE("flat: open_mapped answers as load does, read-only, and survives a save over its file", "[index][flat][mmap]") {
  using F = segkit::index::flat<segkit::distance::l2_metric>;
  const auto base = segkit::test::normal_matrix(2000, 12, 51);
  const auto queries = segkit::test::normal_matrix(20, 12, 52);
  F index(12);
  index.add(iota_ids(2000, 7), base);
  index.remove(9);
  const auto path = temp_path("mapped.seg");
  index.save(path);

  auto mapped = F::open_mapped(path);
  CHECK(mapped.mapped());
  CHECK_FALSE(F::load(path).mapped());
  CHECK(mapped.size() == 1999);
  CHECK(mapped.contains(8));
  CHECK_FALSE(mapped.contains(9));
  const auto expected = index.search(queries, 10);
  const auto got = mapped.search(queries, 10);
  CHECK((got.ids == expected.ids));
  CHECK((got.distances == expected.distances));
  // The vectors are not copied: they are the file's bytes.
  CHECK(mapped.vectors().data() != index.vectors().data());
  CHECK(mapped.vectors()(3, 4) == index.vectors()(3, 4));

  // Read-only: mutations are refused and change nothing.
  const auto one = segkit::test::normal_matrix(1, 12, 53);
  CHECK_THROWS_WITH(mapped.add(std::vector<id_type>{99999}, one), Catch::Contains("opened read-only with open_mapped()"));
  CHECK_THROWS_AS(mapped.upsert(std::vector<id_type>{8}, segkit::matrix_view<float>(one.data(), 1, 12)), segkit::invalid_argument);
  CHECK_THROWS_AS(mapped.remove(8), segkit::invalid_argument);
  CHECK(mapped.size() == 1999);

  // A copy shares the mapping and outlives the original; saving a new index over the path (atomic
  // rename) leaves open mappings on the old contents.
  F copy = mapped;
  mapped = F(12);
  F other(12);
  other.add(iota_ids(5, 50000), segkit::test::normal_matrix(5, 12, 54));
  other.save(path);
  const auto again = copy.search(queries, 10);
  CHECK((again.ids == expected.ids));
  CHECK(F::open_mapped(path).size() == 5);
  // A mapped index saves like any other.
  const auto resaved = temp_path("resaved.seg");
  copy.save(resaved);
  CHECK((F::load(resaved).search(queries, 10).ids == expected.ids));

  // Damage is found when mapping, as when loading.
  std::string bytes;
  {
    std::ifstream f(resaved, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  const auto bad = temp_path("bad_mapped.seg");
  std::string damaged = bytes;
  damaged[bytes.size() - 10] = static_cast<char>(damaged[bytes.size() - 10] ^ 1);
  std::ofstream(bad, std::ios::binary) << damaged;
  CHECK_THROWS_WITH(F::open_mapped(bad), Catch::Contains("checksum mismatch"));
  std::ofstream(bad, std::ios::binary) << bytes.substr(0, bytes.size() - 100);
  CHECK_THROWS_WITH(F::open_mapped(bad), Catch::Contains("truncated"));
  std::ofstream(bad, std::ios::binary) << "";
  CHECK_THROWS_AS(F::open_mapped(bad), segkit::format_error);
  CHECK_THROWS_AS(F::open_mapped(temp_path("missing_mapped.seg")), segkit::io_error);
  // Without section checksums a mapped open skips that pass (structure and bounds still checked).
  {
    std::ofstream(bad, std::ios::binary) << damaged;
    const auto unchecked = segkit::container_reader::map(bad, "segkit.index.", false);
    CHECK(unchecked.kind() == "segkit.index.flat");
    CHECK_THROWS_WITH(segkit::container_reader::map(bad, "segkit.index."), Catch::Contains("checksum mismatch"));
  }
}
