// Faults an audit found in the indexes, each with the input that showed it: an absurd k, an
// upsert refused halfway, a file whose stored vectors or codebooks hold NaN with valid checksums.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "fuzz/fuzz.hpp"
#include "support/data.hpp"
#include "support/knn.hpp"

#include <segkit/cluster/kmeans.hpp>
#include <segkit/core/csv.hpp>
#include <segkit/index/attributes.hpp>
#include <segkit/index/flat.hpp>
#include <segkit/index/hnsw.hpp>
#include <segkit/index/ivf.hpp>
#include <segkit/index/merge.hpp>

namespace fs = std::filesystem;
using segkit::id_type;
using segkit::test::iota_ids;

namespace {
std::vector<char> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_bytes(const fs::path& p, const std::vector<char>& b) { std::ofstream(p, std::ios::binary).write(b.data(), static_cast<std::streamsize>(b.size())); }

// The file at p with the first value (a T) of section `tag` set to NaN and every checksum made
// valid again: only the loader's own checks can refuse it.
template <class T = float>
void poison(const fs::path& p, const char* tag) {
  auto b = read_bytes(p);
  const auto [offset, size] = segkit::fuzz::find_section(b, tag);
  REQUIRE(offset != std::string::npos);
  REQUIRE(size >= sizeof(T));
  segkit::fuzz::put<T>(b, offset, std::numeric_limits<T>::quiet_NaN());
  write_bytes(p, segkit::fuzz::with_valid_checksums(b));
}
}  // namespace

TEST_CASE("index searches: k is capped at the vectors stored, nq x k never overflows", "[index][hardening]") {
  const auto base = segkit::test::normal_matrix(40, 6, 1);
  const auto q = segkit::test::normal_matrix(3, 6, 2);
  constexpr std::size_t huge = std::size_t{1} << 63;  // `segkit index query -k 2^63` crashed HNSW, IVF and empty flat indexes

  segkit::index::flat<> flat(6);
  CHECK(flat.search(q, huge).ids.shape(1) == 1);  // empty: one column saying "none"
  CHECK(flat.search(q, huge).ids(2, 0) == segkit::no_id);
  flat.add(iota_ids(40), base);
  const auto all = flat.search(q, huge);
  REQUIRE(all.ids.shape(1) == 40);
  CHECK((all.ids == flat.search(q, 40).ids));
  CHECK(flat.search(q, 41).ids.shape(1) == 40);
  CHECK(flat.search(q, 5).ids.shape(1) == 5);

  segkit::index::hnsw<> hnsw(6, {.m = 8, .seed = 3});
  CHECK(hnsw.search(q, huge).ids.shape(1) == 1);
  hnsw.add(iota_ids(40), base);
  CHECK(hnsw.search(q, huge, {.ef = 100}).ids.shape(1) == 40);
  CHECK(hnsw.remove(7));
  const auto live = hnsw.search(q, huge, {.ef = 100});
  CHECK(live.ids.shape(1) == 39);
  for (const auto id : live.ids) CHECK(id != 7);

  segkit::index::ivf<> ivf(6, {.nlist = 4, .seed = 3}, segkit::cluster::kmeans_trainer{});
  CHECK(ivf.search(q, huge).ids.shape(1) == 1);
  ivf.add(iota_ids(40), base);
  CHECK(ivf.search(q, std::numeric_limits<std::size_t>::max(), {.nprobe = 4}).ids.shape(1) == 40);

  // The product itself is checked, whatever the sizes.
  CHECK_THROWS_WITH(segkit::index::detail::result_width("x", std::size_t{1} << 40, std::size_t{1} << 40, std::size_t{1} << 40),
                    Catch::Contains("more results than memory can address"));
  CHECK(segkit::index::detail::result_width("x", 3, 10, 0) == 1);

  // Shards that store fewer than k answer narrower results; the merge takes them all.
  segkit::index::flat<> a(6), b(6);
  a.add(std::vector<id_type>{0, 1, 2}, segkit::matrix_view<float>(base.data(), 3, 6));
  b.add(std::vector<id_type>{3, 4}, segkit::matrix_view<float>(base.data() + 3 * 6, 2, 6));
  const std::vector<segkit::knn_result<float>> parts = {a.search(q, 10), b.search(q, 10)};
  const auto merged = segkit::index::merge_results<float>(parts, 10, false);
  REQUIRE(merged.ids.shape(1) == 5);
  segkit::index::flat<> both(6);
  both.add(iota_ids(5), segkit::matrix_view<float>(base.data(), 5, 6));
  CHECK((merged.ids == both.search(q, 10).ids));
}

TEST_CASE("upsert checks the whole batch before it changes anything", "[index][hardening]") {
  const auto base = segkit::test::normal_matrix(10, 4, 5);
  segkit::index::hnsw<> half(4, {.m = 4, .seed = 1, .storage = segkit::index::hnsw_storage::float16});
  half.add(iota_ids(10), base);
  // Id 3 is replaced by a good row, id 11 is new with a value float16 cannot hold: the batch is
  // refused, and id 3 keeps its vector (before, it was removed first and lost).
  segkit::matrix<float> rows = {{1, 2, 3, 4}, {1, 2, 1e6f, 4}};
  CHECK_THROWS_WITH(half.upsert(std::vector<id_type>{3, 11}, rows), Catch::Contains("beyond the float16 storage's range"));
  CHECK(half.size() == 10);
  CHECK(half.contains(3));
  CHECK_FALSE(half.contains(11));
  const segkit::matrix<float> old3 = {{base(3, 0), base(3, 1), base(3, 2), base(3, 3)}};
  CHECK(half.search(old3, 1, {.ef = 50}).ids(0, 0) == 3);
  // A good batch replaces and adds, all of it.
  rows(1, 2) = 5.0f;
  half.upsert(std::vector<id_type>{3, 11}, rows);
  CHECK(half.size() == 11);
  const segkit::matrix<float> new3 = {{1, 2, 3, 4}};
  CHECK(half.search(new3, 1, {.ef = 50}).ids(0, 0) == 3);

  // IVF: a repeated id or a NaN is refused before the stored vectors change.
  segkit::index::ivf<> ivf(4, {.nlist = 2, .seed = 1}, segkit::cluster::kmeans_trainer{});
  ivf.add(iota_ids(10), base);
  CHECK_THROWS_WITH(ivf.upsert(std::vector<id_type>{3, 3}, rows), Catch::Contains("appears twice"));
  rows(0, 0) = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS(ivf.upsert(std::vector<id_type>{4, 12}, rows));
  CHECK(ivf.size() == 10);
  CHECK(ivf.contains(3));
  CHECK(ivf.contains(4));
}

TEST_CASE("a loaded IVF or k-means model refuses stored vectors, codebooks and centers that are not finite", "[index][hardening]") {
  const auto base = segkit::test::normal_matrix(300, 8, 7);
  const auto dir = fs::temp_directory_path() / "segkit_test_index_hardening";
  fs::create_directories(dir);
  const auto sq = dir / "sq.seg";
  segkit::index::ivf<> kept(8, {.nlist = 4, .codec = segkit::index::ivf_codec::sq8, .keep_vectors = true, .seed = 1}, segkit::cluster::kmeans_trainer{});
  kept.add(iota_ids(300), base);
  kept.save(sq);
  poison(sq, "vectors");
  CHECK_THROWS_WITH(segkit::index::ivf<>::load(sq), Catch::Contains("the stored vectors hold a non-finite value"));
  CHECK_THROWS_WITH(segkit::index::ivf<>::open_mapped(sq), Catch::Contains("the stored vectors hold a non-finite value"));

  const auto pq = dir / "pq.seg";
  segkit::index::ivf<> coded(8, {.nlist = 4, .codec = segkit::index::ivf_codec::pq, .pq_m = 4, .keep_vectors = false, .seed = 1},
                             segkit::cluster::kmeans_trainer{});
  coded.add(iota_ids(300), base);
  coded.save(pq);
  poison(pq, "books");
  CHECK_THROWS_WITH(segkit::index::ivf<>::load(pq), Catch::Contains("the PQ codebooks hold a non-finite value"));

  // The quantizer's own model file, the same way (its centers were not checked either).
  const auto km = dir / "kmeans.seg";
  segkit::cluster::kmeans<float>({.k = 3, .seed = 1}).fit(base).save(km);
  CHECK(segkit::cluster::kmeans_model<float>::load(km).n_clusters() == 3);
  poison(km, "centres");
  CHECK_THROWS_WITH(segkit::cluster::kmeans_model<float>::load(km), Catch::Contains("section 'centres' holds a non-finite value"));

  // A real attribute column (made from CSV, where a value is a finite number or null).
  const auto with_attributes = dir / "attrs.seg";
  segkit::index::flat<> flat(8);
  flat.add(iota_ids(3), segkit::matrix_view<float>(base.data(), 3, 8));
  flat.set_attributes(std::make_shared<const segkit::index::attribute_table>(
      segkit::index::attribute_table::from_csv(segkit::parse_csv("id,price:double\n0,1.5\n1,2.5\n2,\n", {}, "a.csv"))));
  flat.save(with_attributes);
  CHECK(segkit::index::flat<>::load(with_attributes).attributes() != nullptr);
  poison<double>(with_attributes, "av0");
  CHECK_THROWS_WITH(segkit::index::flat<>::load(with_attributes), Catch::Contains("real attribute 'price' holds a non-finite value at row 0"));
  fs::remove_all(dir);
}
