#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "support/data.hpp"
#include "support/knn.hpp"

#include <segkit/cluster/kmeans.hpp>
#include <segkit/core/csv.hpp>
#include <segkit/index/any_index.hpp>
#include <segkit/index/flat.hpp>
#include <segkit/index/ivf.hpp>

namespace fs = std::filesystem;
using segkit::test::iota_ids;
using segkit::test::recall;
using segkit::id_type;
using segkit::index::ivf;
using segkit::index::ivf_codec;
using segkit::cluster::kmeans_trainer;

TEST_CASE("ivf: recall against the exact index for each codec and metric; all lists = exact for flat", "[index][ivf][slow]") {
  const auto base = segkit::test::blobs(8000, 32, 40, 51);
  const auto q = segkit::test::blobs(100, 32, 40, 52);
  const auto ids = iota_ids(8000);
  segkit::index::flat<> exact(32);
  exact.add(ids, base);
  const auto truth = exact.search(q, 10);
  for (const auto codec : {ivf_codec::flat, ivf_codec::sq8, ivf_codec::pq}) {
    INFO("codec " << segkit::params::name(codec));
    ivf<> index(32, {.nlist = 64, .codec = codec, .pq_m = 16}, kmeans_trainer{});
    index.add(ids, base);
    CHECK(index.size() == 8000);
    CHECK(index.nlist() == 64);
    const double low = recall(index.search(q, 10, {.nprobe = 2}), truth);
    const double high = recall(index.search(q, 10, {.nprobe = 16}), truth);
    CHECK(high >= low);
    CHECK(high >= (codec == ivf_codec::pq ? 0.85 : 0.95));
    if (codec == ivf_codec::flat) {
      const auto all = index.search(q, 10, {.nprobe = 64});
      CHECK((all.ids == truth.ids));  // every list scanned: the exact answer
    }
  }
  CHECK(ivf<>(32, {.codec = ivf_codec::pq, .pq_m = 8}).code_size() == 8);
  CHECK(ivf<>(32, {.codec = ivf_codec::sq8}).code_size() == 32);
  // cosine: same as the exact cosine search when every list is scanned.
  segkit::index::flat<segkit::distance::cosine_metric> exact_cos(32);
  exact_cos.add(ids, base);
  ivf<segkit::distance::cosine_metric> cos(32, {.nlist = 32}, kmeans_trainer{});
  cos.add(ids, base);
  const auto a = cos.search(q, 5, {.nprobe = 32}), b = exact_cos.search(q, 5);
  CHECK((a.ids == b.ids));
  for (std::size_t i = 0; i < 5; ++i) CHECK(a.distances(0, i) == Approx(b.distances(0, i)).margin(1e-5));
}

TEST_CASE("ivf: thread-independent, removes and upserts, filters, save and load", "[index][ivf]") {
  const auto base = segkit::test::blobs(2000, 16, 20, 53);
  const auto q = segkit::test::blobs(50, 16, 20, 54);
  const auto ids = iota_ids(2000);
  const auto build = [&](std::size_t threads) {
    ivf<> index(16, {.nlist = 50, .codec = ivf_codec::pq, .pq_m = 8, .seed = 2, .threads = threads}, kmeans_trainer{});
    index.add(ids, base);
    return index;
  };
  const auto one = build(1);
  auto full = build(3);  // also the index of the filter and file checks below
  CHECK((one.search(q, 10, {.nprobe = 8, .threads = 1}).ids == full.search(q, 10, {.nprobe = 8, .threads = 2}).ids));

  auto index = one;  // a copy: the removals below leave `one` as built
  for (id_type id = 0; id < 2000; id += 2) CHECK(index.remove(id));
  CHECK_FALSE(index.remove(0));
  CHECK(index.size() == 1000);
  for (const auto id : index.search(q, 10, {.nprobe = 50}).ids) CHECK(id % 2 == 1);
  const segkit::matrix<float> moved = {{100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100}};
  index.upsert(std::vector<id_type>{7}, moved);
  CHECK(index.search(moved, 1, {.nprobe = 50}).ids(0, 0) == 7);

  // Filters during the scan; a selective attribute filter switches to exact distances of the matches.
  std::string csv = "id,bucket\n";
  for (std::size_t i = 0; i < 2000; ++i) csv += fmt::format("{},{}\n", i, i % 1000);
  const auto t = std::make_shared<const segkit::index::attribute_table>(segkit::index::attribute_table::from_csv(segkit::parse_csv(csv, {}, "x.csv")));
  full.set_attributes(t);
  segkit::index::flat<> exact(16);
  exact.add(ids, base);
  const auto rare = segkit::index::attribute_filter::parse("bucket < 5", t);  // 0.5 %
  CHECK((full.search(q, 10, {}, rare).ids == exact.search(q, 10, {}, rare).ids));
  const auto half = [](id_type id) { return id % 2 == 0; };
  for (const auto id : full.search(q, 10, {.nprobe = 10}, half).ids) CHECK((id == segkit::no_id || id % 2 == 0));

  const auto path = fs::temp_directory_path() / "segkit_ivf.seg";
  full.save(path);
  const auto back = ivf<>::load(path);
  CHECK(back.size() == 2000);
  CHECK(back.attributes() != nullptr);
  CHECK((back.search(q, 10, {.nprobe = 8}).ids == full.search(q, 10, {.nprobe = 8}).ids));
  auto any = segkit::index::any_index::load(path);
  CHECK(any.type() == "ivf");
  CHECK_THROWS_WITH(ivf<segkit::distance::cosine_metric>::load(path), Catch::Contains("index uses metric 'l2'"));
  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 2);
  std::ofstream(path, std::ios::binary) << bytes;
  CHECK_THROWS_AS(ivf<>::load(path), segkit::format_error);
  fs::remove(path);
}

TEST_CASE("ivf: bad input", "[index][ivf]") {
  CHECK_THROWS_WITH(ivf<>(0), Catch::Contains("dim must be at least 1"));
  CHECK_THROWS_WITH(ivf<>(10, {.codec = ivf_codec::pq, .pq_m = 3}), Catch::Contains("pq_m (3) must divide the dimension (10)"));
  CHECK(ivf<>(10, {.codec = ivf_codec::pq}).params().pq_m == 2);  // default: largest divisor of 10 up to 10 / 4
  CHECK(ivf<>(9, {.codec = ivf_codec::pq}).params().pq_m == 1);
  ivf<> index(4, {.nlist = 8}, kmeans_trainer{});
  CHECK_THROWS_WITH(index.add(iota_ids(3), segkit::test::normal_matrix(3, 4, 1)), Catch::Contains("3 training rows for 8 lists"));
  CHECK(index.size() == 0);
  CHECK_FALSE(index.trained());
  index.add(iota_ids(100), segkit::test::normal_matrix(100, 4, 1));
  CHECK_THROWS_WITH(index.train(segkit::test::normal_matrix(100, 4, 2)), Catch::Contains("already trained"));
  CHECK_THROWS_WITH(index.search(segkit::test::normal_matrix(1, 3, 1), 1), Catch::Contains("queries have 3 columns"));
  CHECK_THROWS_WITH(index.search(segkit::test::normal_matrix(1, 4, 1), 0), Catch::Contains("k must be at least 1"));
  CHECK(ivf<>(4).search(segkit::test::normal_matrix(1, 4, 1), 2).ids(0, 0) == segkit::no_id);
}

TEST_CASE("ivf: quantizers come from the centroid trainer it was given", "[index][ivf]") {
  // A trainer that takes the first k rows as centers (no k-means): the index must use exactly those.
  const auto first_rows = [](segkit::matrix_view<float> rows, std::size_t k, std::uint64_t, std::size_t) {
    segkit::matrix<float> c = segkit::matrix<float>::from_shape({k, rows.cols()});
    for (std::size_t i = 0; i < k; ++i) std::copy_n(rows.row(i), rows.cols(), &c(i, 0));
    return c;
  };
  static_assert(segkit::centroid_trainer<decltype(first_rows)>);
  const auto base = segkit::test::blobs(400, 8, 4, 57);
  ivf<> index(8, {.nlist = 4, .train_size = 400}, first_rows);
  index.add(iota_ids(400), base);
  // The lists are the rows nearest to each of rows 0..3 (the centers): probing one list returns exactly its members.
  const auto lists = segkit::distance::nearest_centers(segkit::as_rows<float>(base).view(), segkit::matrix_view<float>(&base(0, 0), 4, 8));
  for (std::size_t l = 0; l < 4; ++l) {
    const auto r = index.search(segkit::matrix_view<float>(&base(l, 0), 1, 8), 400, {.nprobe = 1});
    std::set<id_type> found, members;
    for (std::size_t j = 0; j < 400; ++j) {
      if (r.ids(0, j) != segkit::no_id) found.insert(r.ids(0, j));
    }
    for (std::size_t i = 0; i < 400; ++i) {
      if (lists(i) == static_cast<segkit::label_type>(l)) members.insert(i);
    }
    CHECK(!members.empty());
    CHECK(found == members);
  }
  // Without a trainer, training is refused by name; a trainer returning the wrong shape too.
  ivf<> none(8, {.nlist = 4});
  CHECK_THROWS_WITH(none.add(iota_ids(10), segkit::test::normal_matrix(10, 8, 1)), Catch::Contains("no centroid trainer"));
  const auto wrong = [](segkit::matrix_view<float>, std::size_t k, std::uint64_t, std::size_t) { return segkit::matrix<float>::from_shape({k, 3}); };
  ivf<> bad(8, {.nlist = 4}, wrong);
  CHECK_THROWS_WITH(bad.train(segkit::test::normal_matrix(10, 8, 1)), Catch::Contains("the trainer returned 4 x 3 centers, expected 4 x 8"));
}
