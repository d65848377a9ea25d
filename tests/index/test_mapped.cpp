// open_mapped() of the HNSW and IVF indexes (flat's is in test_flat.cpp): same answers as load(),
// read-only, copies share the mapping and outlive a save over the file, damage refused.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "support/data.hpp"
#include "support/knn.hpp"

#include <segkit/index/any_index.hpp>
#include <segkit/index/hnsw.hpp>
#include <segkit/index/ivf.hpp>
#include <segkit/cluster/kmeans.hpp>

namespace fs = std::filesystem;
using segkit::id_type;
using segkit::test::iota_ids;

namespace {

fs::path temp_path(const std::string& name) {
  const auto dir = fs::temp_directory_path() / "segkit_test_mapped";
  fs::create_directories(dir);
  return dir / name;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

// `make` returns a filled index; `params` are its search parameters.
template <class Index, class Make, class Params>
void check_mapped(const std::string& name, Make make, const Params& params) {
  INFO(name);
  const auto queries = segkit::test::blobs(30, 16, 12, 42);
  Index index = make();
  index.remove(9);
  const auto path = temp_path(name + ".seg");
  index.save(path);
  const auto expected = index.search(queries, 10, params);

  auto mapped = Index::open_mapped(path);
  CHECK(mapped.mapped());
  CHECK_FALSE(Index::load(path).mapped());
  CHECK(mapped.size() == index.size());
  CHECK(mapped.contains(8));
  CHECK_FALSE(mapped.contains(9));
  const auto got = mapped.search(queries, 10, params);
  CHECK((got.ids == expected.ids));
  CHECK((got.distances == expected.distances));

  // Read-only: mutations are refused and change nothing.
  const auto one = segkit::test::normal_matrix(1, 16, 43);
  CHECK_THROWS_WITH(mapped.add(std::vector<id_type>{99999}, one), Catch::Contains("opened read-only with open_mapped()"));
  CHECK_THROWS_AS(mapped.upsert(std::vector<id_type>{8}, segkit::matrix_view<float>(one.data(), 1, 16)), segkit::invalid_argument);
  CHECK_THROWS_AS(mapped.remove(8), segkit::invalid_argument);
  CHECK(mapped.size() == index.size());
  CHECK(mapped.contains(8));

  // A copy shares the mapping and outlives the original; an atomic save over the path leaves it
  // on the old contents. A mapped index saves like any other.
  Index copy = mapped;
  mapped = make();
  make().save(path);
  CHECK((copy.search(queries, 10, params).ids == expected.ids));
  const auto resaved = temp_path(name + "_resaved.seg");
  copy.save(resaved);
  CHECK((Index::load(resaved).search(queries, 10, params).ids == expected.ids));

  // Damage is found when mapping, as when loading.
  const std::string bytes = read_bytes(resaved);
  const auto bad = temp_path(name + "_bad.seg");
  std::string flipped = bytes;
  flipped[bytes.size() / 2] = static_cast<char>(flipped[bytes.size() / 2] ^ 4);
  std::ofstream(bad, std::ios::binary) << flipped;
  CHECK_THROWS_WITH(Index::open_mapped(bad), Catch::Contains("checksum mismatch"));
  std::ofstream(bad, std::ios::binary) << bytes.substr(0, bytes.size() - 64);
  CHECK_THROWS_WITH(Index::open_mapped(bad), Catch::Contains("truncated"));
  CHECK_THROWS_AS(Index::open_mapped(temp_path("missing.seg")), segkit::io_error);
}

}  // namespace

TEST_CASE("hnsw: open_mapped answers as load does, for each storage, read-only", "[index][hnsw][mmap]") {
  using segkit::index::hnsw;
  using segkit::index::hnsw_storage;
  const auto base = segkit::test::blobs(2000, 16, 12, 41);
  for (const auto storage : {hnsw_storage::float32, hnsw_storage::float16, hnsw_storage::int8}) {
    const auto make = [&] {
      hnsw<segkit::distance::cosine_metric> index(16, {.m = 8, .ef_construction = 60, .storage = storage});
      index.add(iota_ids(2000), base);
      return index;
    };
    check_mapped<hnsw<segkit::distance::cosine_metric>>(std::string("hnsw_") + std::string(segkit::params::name(storage)), make,
                                                        hnsw<segkit::distance::cosine_metric>::search_params{.ef = 40});
  }
  // compact() is a mutation too.
  hnsw<> index(16);
  index.add(iota_ids(50), segkit::test::normal_matrix(50, 16, 44));
  index.save(temp_path("small.seg"));
  auto mapped = hnsw<>::open_mapped(temp_path("small.seg"));
  CHECK_THROWS_WITH(mapped.compact(), Catch::Contains("read-only"));
}

TEST_CASE("ivf: open_mapped answers as load does, for each codec, read-only", "[index][ivf][mmap][slow]") {
  using segkit::index::ivf;
  using segkit::index::ivf_codec;
  const auto base = segkit::test::blobs(3000, 16, 12, 45);
  for (const auto codec : {ivf_codec::flat, ivf_codec::sq8, ivf_codec::pq}) {
    const auto make = [&] {
      ivf<> index(16, {.nlist = 20, .codec = codec, .pq_m = 4, .seed = 3}, segkit::cluster::kmeans_trainer{});
      index.add(iota_ids(3000), base);
      return index;
    };
    check_mapped<ivf<>>(std::string("ivf_") + std::string(segkit::params::name(codec)), make, ivf<>::search_params{.nprobe = 5});
  }
  // An untrained, empty index maps too, and refuses training.
  ivf<> empty(16, {.nlist = 4}, segkit::cluster::kmeans_trainer{});
  empty.save(temp_path("empty_ivf.seg"));
  auto mapped = ivf<>::open_mapped(temp_path("empty_ivf.seg"));
  CHECK(mapped.size() == 0);
  CHECK_THROWS_WITH(mapped.train(segkit::test::normal_matrix(10, 16, 46)), Catch::Contains("read-only"));
}

TEST_CASE("any_index: open_mapped for every index type", "[index][mmap]") {
  const auto base = segkit::test::blobs(1000, 16, 8, 47);
  const auto queries = segkit::test::blobs(10, 16, 8, 48);
  for (const std::string type : {"flat", "hnsw", "ivf"}) {
    INFO(type);
    segkit::index::any_index::build_options options;
    options.ivf.nlist = 10;
    options.trainer = segkit::cluster::kmeans_trainer{};
    auto index = segkit::index::any_index::make(type, "l2", 16, options);
    index.add(iota_ids(1000), segkit::as_rows<float>(base).view());
    const auto path = temp_path("any_" + type + ".seg");
    index.save(path);
    auto mapped = segkit::index::any_index::open_mapped(path);
    CHECK(mapped.type() == type);
    CHECK((mapped.search(segkit::as_rows<float>(queries).view(), 5, {}).ids == index.search(segkit::as_rows<float>(queries).view(), 5, {}).ids));
    CHECK_THROWS_AS(mapped.remove(3), segkit::invalid_argument);
  }
}
