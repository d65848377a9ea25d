// segkit::distributed under mpirun (ctest runs this program with 2 and with 3 ranks). Every rank
// generates the same seeded data, holds its slice, and compares the distributed result with the
// single-process one computed on the whole data; results must also be bit-identical on all ranks.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <unistd.h>

#include <segkit/cluster/kmeans.hpp>
#include <segkit/cluster/minibatch_kmeans.hpp>
#include <segkit/core/npy.hpp>
#include <segkit/distributed/communicator.hpp>
#include <segkit/distributed/kmeans.hpp>
#include <segkit/distributed/quality.hpp>
#include <segkit/distributed/rows.hpp>
#include <segkit/distributed/search.hpp>
#include <segkit/index/flat.hpp>
#include <segkit/index/hnsw.hpp>
#include <segkit/index/ivf.hpp>
#include <segkit/quality/internal.hpp>

#include "support/data.hpp"

namespace dist = segkit::distributed;
namespace cl = segkit::cluster;
using segkit::matrix;
using segkit::matrix_view;

namespace {

const dist::communicator& world() {
  static const dist::communicator comm;
  return comm;
}

// This rank's balanced slice of x.
matrix<float> slice_of(const matrix<float>& x, const dist::row_slice& s) {
  matrix<float> out = matrix<float>::from_shape({s.count, x.shape(1)});
  std::copy_n(x.data() + s.begin * x.shape(1), s.count * x.shape(1), out.data());
  return out;
}

dist::row_slice my_slice(std::size_t n) { return dist::balanced_slice(n, world().rank(), world().size()); }

// True when every rank holds exactly these bytes.
template <class V>
bool same_on_all_ranks(const V* data, std::size_t n) {
  std::vector<V> mine(data, data + n);
  const auto all = world().all_gather_v(std::span<const V>(mine));
  for (std::size_t r = 0; r < static_cast<std::size_t>(world().size()); ++r) {
    if (std::memcmp(all.data() + r * n, mine.data(), n * sizeof(V)) != 0) return false;
  }
  return true;
}

double max_relative_difference(const matrix<float>& a, const matrix<float>& b) {
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a.data()[i]) - b.data()[i]) / (1.0 + std::abs(static_cast<double>(b.data()[i]))));
  }
  return worst;
}

// The distributed fit agrees with the single-process one: centers to summation order, every
// label of this rank's slice, inertia, iteration count; the model is the same bits everywhere.
void check_matches(const cl::kmeans_model<float>& distributed, const cl::kmeans_model<float>& single, const dist::row_slice& s) {
  REQUIRE(distributed.centers.shape(0) == single.centers.shape(0));
  CHECK(max_relative_difference(distributed.centers, single.centers) < 1e-4);
  REQUIRE(distributed.labels().size() == s.count);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < s.count; ++i) differ += distributed.labels()(i) != single.labels()(s.begin + i) ? 1 : 0;
  CHECK(differ == 0);
  CHECK(distributed.inertia == Approx(single.inertia).epsilon(1e-6));
  CHECK(distributed.n_iter == single.n_iter);
  CHECK(same_on_all_ranks(distributed.centers.data(), distributed.centers.size()));
  CHECK(same_on_all_ranks(&distributed.inertia, 1));
}

}  // namespace

TEST_CASE("ordered_sum: a fixed tree order, the same bits on every rank", "[distributed]") {
  const auto& comm = world();
  // Values whose sum depends on the order: 1e16 and small parts.
  std::vector<double> v = {comm.rank() == 0 ? 1e16 : 1.0 + comm.rank() * 0.25, 0.1 * (comm.rank() + 1)};
  comm.ordered_sum(v);
  CHECK(same_on_all_ranks(v.data(), v.size()));
  // The documented order: rank r adds r + 2^s at step s.
  std::vector<double> parts;
  for (int r = 0; r < comm.size(); ++r) parts.push_back(0.1 * (r + 1));
  for (int step = 1; step < comm.size(); step <<= 1) {
    for (int r = 0; r + step < comm.size(); r += 2 * step) parts[static_cast<std::size_t>(r)] += parts[static_cast<std::size_t>(r + step)];
  }
  CHECK(v[1] == parts[0]);
  CHECK(comm.sum(std::uint64_t{3}) == 3u * static_cast<std::uint64_t>(comm.size()));
}

TEST_CASE("agree: an error on one rank is thrown on every rank, naming it", "[distributed]") {
  const auto& comm = world();
  const auto fails_on_last = [&] {
    if (comm.rank() == comm.size() - 1) segkit::detail::throw_invalid("segkit::test", "bad input here");
    return 7;
  };
  CHECK_THROWS_WITH(comm.agree(fails_on_last), Catch::Contains(fmt::format("rank {}: segkit::test: bad input here", comm.size() - 1)));
  CHECK_THROWS_AS(comm.agree(fails_on_last), segkit::invalid_argument);
  CHECK(comm.agree([] { return 5; }) == 5);
}

TEST_CASE("read_npy_slice: each rank reads its rows of a shared file; errors reach every rank", "[distributed][io]") {
  const auto& comm = world();
  const auto x = segkit::test::normal_matrix(1001, 7, 3);
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("segkit_dist_{}", comm.broadcast_value(static_cast<long>(::getpid())));
  const auto path = dir / "x.npy";
  if (comm.is_root()) {
    std::filesystem::create_directories(dir);
    segkit::save_npy(path, x);
  }
  comm.barrier();
  const auto local = dist::read_npy_slice<float>(comm, path);
  CHECK(local.slice.total == 1001);
  CHECK(local.rows.shape(0) == local.slice.count);
  const auto gathered = comm.all_gather_v(std::span<const float>(local.rows.data(), local.rows.size()));
  CHECK(std::memcmp(gathered.data(), x.data(), x.size() * sizeof(float)) == 0);
  // Double rows convert on the way in.
  const auto as_double = dist::read_npy_slice<double>(comm, path);
  if (local.slice.count > 0) CHECK(as_double.rows(0, 0) == static_cast<double>(local.rows(0, 0)));

  // Each rank its own file (rank r: r + 2 rows): global rows numbered rank by rank.
  const auto own = dir / fmt::format("own{}.npy", comm.rank());
  const auto own_rows = segkit::test::normal_matrix(static_cast<std::size_t>(comm.rank()) + 2, 7, 40 + static_cast<std::uint64_t>(comm.rank()));
  segkit::save_npy(own, own_rows);
  const auto mine = dist::read_npy_own<float>(comm, own);
  CHECK(mine.slice.count == static_cast<std::size_t>(comm.rank()) + 2);
  CHECK(mine.slice.begin == static_cast<std::size_t>(comm.rank() * (comm.rank() + 3) / 2));  // 2 + 3 + ... before this rank
  CHECK(mine.slice.total == static_cast<std::size_t>(comm.size() * (comm.size() + 3) / 2));
  CHECK(std::memcmp(mine.rows.data(), own_rows.data(), own_rows.size() * sizeof(float)) == 0);
  // Labels gathered on rank 0 in global row order.
  std::vector<segkit::label_type> tags(mine.slice.count, comm.rank());
  const auto gathered_tags = dist::gather_rows(comm, std::span<const segkit::label_type>(tags));
  if (comm.is_root()) {
    REQUIRE(gathered_tags.size() == mine.slice.total);
    CHECK(gathered_tags.front() == 0);
    CHECK(gathered_tags.back() == comm.size() - 1);
  } else {
    CHECK(gathered_tags.empty());
  }
  // A rank whose file has another width: every rank throws, naming it.
  const auto wide = dir / fmt::format("wide{}.npy", comm.rank());
  segkit::save_npy(wide, segkit::test::normal_matrix(3, comm.rank() == 1 ? 5 : 7, 1));
  CHECK_THROWS_WITH(dist::read_npy_own<float>(comm, wide), Catch::Contains("rank 1 holds 5 columns, rank 0 holds 7"));

  // A truncated file: every rank throws format_error (none waits in a collective).
  comm.barrier();
  if (comm.is_root()) std::filesystem::resize_file(path, std::filesystem::file_size(path) - 8);
  comm.barrier();
  CHECK_THROWS_AS(dist::read_npy_slice<float>(comm, path), segkit::format_error);
  CHECK_THROWS_AS(dist::read_npy_slice<float>(comm, dir / "missing.npy"), segkit::io_error);
  comm.barrier();
  if (comm.is_root()) std::filesystem::remove_all(dir);
}

TEST_CASE("distributed k-means equals single-process k-means for every start and iteration", "[distributed][kmeans]") {
  // 5,003 rows: slices do not fall on the 2,048-row blocks of k-means||'s random streams.
  const auto x = segkit::test::blobs(5003, 8, 6, 11);
  const auto s = my_slice(x.shape(0));
  const auto local = slice_of(x, s);
  for (const auto init : {cl::kmeans_init::kmeans_plus_plus, cl::kmeans_init::kmeans_parallel, cl::kmeans_init::random}) {
    for (const auto algorithm : {cl::kmeans_algorithm::lloyd, cl::kmeans_algorithm::elkan, cl::kmeans_algorithm::hamerly}) {
      cl::kmeans_params p{.k = 6, .n_init = 2, .init = init, .algorithm = algorithm, .seed = 5, .threads = 2};
      INFO("init " << static_cast<int>(init) << ", algorithm " << static_cast<int>(algorithm));
      check_matches(dist::kmeans<float>(p).fit(world(), local), cl::kmeans<float>(p).fit(x), s);
    }
  }
}

TEST_CASE("distributed k-means: weights, spherical, relocation of an empty cluster, threads", "[distributed][kmeans]") {
  const auto x = segkit::test::blobs(3001, 5, 4, 21);
  const auto s = my_slice(x.shape(0));
  const auto local = slice_of(x, s);
  std::vector<double> w(x.shape(0));
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = 0.5 + static_cast<double>(i % 7);
  const std::span<const double> local_w(w.data() + s.begin, s.count);

  SECTION("weighted, k-means||") {
    cl::kmeans_params p{.k = 4, .init = cl::kmeans_init::kmeans_parallel, .seed = 9};
    check_matches(dist::kmeans<float>(p).fit(world(), local, local_w), cl::kmeans<float>(p).fit(x, w), s);
  }
  SECTION("spherical") {
    cl::kmeans_params p{.k = 5, .spherical = true, .seed = 2};
    check_matches(dist::kmeans<float>(p).fit(world(), local), cl::kmeans<float>(p).fit(x), s);
  }
  SECTION("a start with a far center that no row takes: the farthest row is moved into it") {
    matrix<double> start = matrix<double>::from_shape({4, 5});
    for (std::size_t c = 0; c < 3; ++c) {
      for (std::size_t j = 0; j < 5; ++j) start(c, j) = x(c, j);
    }
    for (std::size_t j = 0; j < 5; ++j) start(3, j) = 1e4;
    cl::kmeans_params p{.k = 4, .initial_centers = start};
    const auto single = cl::kmeans<float>(p).fit(x);
    check_matches(dist::kmeans<float>(p).fit(world(), local), single, s);
    CHECK(single.centers(3, 0) < 1e3);  // the far center was relocated
  }
  SECTION("the thread count does not change a bit") {
    cl::kmeans_params p{.k = 4, .init = cl::kmeans_init::kmeans_parallel, .seed = 4, .threads = 1};
    const auto one = dist::kmeans<float>(p).fit(world(), local);
    p.threads = 3;
    const auto three = dist::kmeans<float>(p).fit(world(), local);
    CHECK(std::memcmp(one.centers.data(), three.centers.data(), one.centers.size() * sizeof(float)) == 0);
    CHECK((one.labels() == three.labels()));
  }
}

TEST_CASE("distributed k-means: a rank without rows, and bad input agreed by every rank", "[distributed][kmeans][errors]") {
  const auto& comm = world();
  const auto x = segkit::test::blobs(900, 3, 3, 8);
  SECTION("the last rank holds nothing") {
    const std::size_t per = x.shape(0) / static_cast<std::size_t>(comm.size() - 1);
    const std::size_t begin = std::min<std::size_t>(x.shape(0), per * static_cast<std::size_t>(comm.rank()));
    const std::size_t end = comm.rank() == comm.size() - 1 ? begin : (comm.rank() == comm.size() - 2 ? x.shape(0) : begin + per);
    const dist::row_slice s{begin, end - begin, x.shape(0)};
    const auto local = comm.rank() == comm.size() - 1 ? matrix<float>::from_shape({0, 0}) : slice_of(x, s);
    cl::kmeans_params p{.k = 3, .seed = 1};
    check_matches(dist::kmeans<float>(p).fit(comm, local), cl::kmeans<float>(p).fit(x), s);
  }
  SECTION("NaN on one rank") {
    auto local = slice_of(x, my_slice(x.shape(0)));
    if (comm.rank() == 1) local(0, 0) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH(dist::kmeans<float>({.k = 3}).fit(comm, local), Catch::Contains("rank 1:") && Catch::Contains("non-finite"));
  }
  SECTION("k above the rows of all ranks") {
    const auto local = slice_of(x, my_slice(x.shape(0)));
    CHECK_THROWS_WITH(dist::kmeans<float>({.k = 901}).fit(comm, local), Catch::Contains("k (901) exceeds the number of samples (900"));
  }
  SECTION("different widths") {
    const auto local = comm.rank() == 0 ? segkit::test::normal_matrix(10, 3, 1) : segkit::test::normal_matrix(10, 4, 1);
    CHECK_THROWS_WITH(dist::kmeans<float>({.k = 2}).fit(comm, local), Catch::Contains("columns"));
  }
  SECTION("weights of the wrong length on one rank") {
    const auto s = my_slice(x.shape(0));
    const auto local = slice_of(x, s);
    std::vector<double> w(comm.rank() == 0 ? s.count + 1 : s.count, 1.0);
    CHECK_THROWS_AS(dist::kmeans<float>({.k = 3}).fit(comm, local, w), segkit::invalid_argument);
  }
}

TEST_CASE("distributed mini-batch k-means equals the single-process one", "[distributed][kmeans]") {
  const auto x = segkit::test::blobs(6007, 6, 5, 31);
  const auto s = my_slice(x.shape(0));
  cl::minibatch_kmeans_params p{.k = 5, .batch_size = 256, .max_iter = 20, .seed = 3};
  check_matches(dist::minibatch_kmeans<float>(p).fit(world(), slice_of(x, s)), cl::minibatch_kmeans<float>(p).fit(x), s);
  p.reassignment_ratio = 0.5;  // starved centers are reassigned to rows fetched from their owners
  check_matches(dist::minibatch_kmeans<float>(p).fit(world(), slice_of(x, s)), cl::minibatch_kmeans<float>(p).fit(x), s);
}

TEST_CASE("distributed inertia and sampled silhouette equal the single-process values", "[distributed][quality]") {
  const auto x = segkit::test::blobs(2500, 4, 3, 41);
  const auto s = my_slice(x.shape(0));
  const auto local = slice_of(x, s);
  const auto model = cl::kmeans<float>({.k = 3, .seed = 2}).fit(x);
  const std::span<const segkit::label_type> mine(model.labels().data() + s.begin, s.count);
  CHECK(dist::inertia(world(), matrix_view<float>(local.data(), s.count, 4), mine, model.centers) == Approx(model.inertia).epsilon(1e-6));
  const segkit::quality::silhouette_estimate_params sp{.sample_size = 300, .seed = 17};
  const auto single = segkit::quality::silhouette_estimate(x, model.labels(), sp);
  const auto distributed = dist::silhouette_estimate(world(), matrix_view<float>(local.data(), s.count, 4), mine, sp);
  CHECK(distributed.sample_size == 300);
  CHECK(distributed.value == Approx(single.value).epsilon(1e-6));
  CHECK(distributed.standard_error == Approx(single.standard_error).epsilon(1e-4));
  CHECK(same_on_all_ranks(&distributed.value, 1));
  std::vector<segkit::label_type> bad(mine.begin(), mine.end());
  if (world().rank() == 0) bad.pop_back();
  CHECK_THROWS_WITH(dist::silhouette_estimate(world(), matrix_view<float>(local.data(), s.count, 4), bad, sp), Catch::Contains("rank 0:"));
}

TEST_CASE("sharded search: flat shards give the single index's answer; HNSW and IVF shards its recall", "[distributed][search]") {
  const auto& comm = world();
  const auto base = segkit::test::normal_matrix(4000, 16, 51);
  const auto queries = segkit::test::normal_matrix(60, 16, 52);
  const auto s = my_slice(base.shape(0));
  const auto local = slice_of(base, s);
  std::vector<segkit::id_type> ids(s.count);
  for (std::size_t i = 0; i < s.count; ++i) ids[i] = s.begin + i;
  std::vector<segkit::id_type> all_ids(base.shape(0));
  for (std::size_t i = 0; i < all_ids.size(); ++i) all_ids[i] = i;
  const matrix_view<float> qv(queries.data(), 60, 16), none(nullptr, 0, 16);

  segkit::index::flat<> whole(16);
  whole.add(all_ids, matrix_view<float>(base.data(), 4000, 16));
  const auto truth = whole.search(qv, 10, {});
  const auto recall = [&](const segkit::knn_result<float>& r) {
    std::size_t hits = 0;
    for (std::size_t i = 0; i < 60; ++i) {
      for (std::size_t a = 0; a < 10; ++a) {
        for (std::size_t b = 0; b < 10; ++b) hits += r.ids(i, a) == truth.ids(i, b) ? 1 : 0;
      }
    }
    return static_cast<double>(hits) / 600.0;
  };

  SECTION("flat: exactly the single index's ids and distances, queries from rank 0 only") {
    segkit::index::flat<> shard(16);
    shard.add(ids, matrix_view<float>(local.data(), s.count, 16));
    const dist::sharded_index<segkit::index::flat<>> sharded(comm, std::move(shard));
    CHECK(sharded.size() == 4000);
    const auto r = sharded.search(comm.is_root() ? qv : none, 10);
    CHECK((r.ids == truth.ids));
    CHECK((r.distances == truth.distances));
    // With a filter (even ids only) and more neighbors than pass it in a shard.
    const auto even = sharded.search(qv, 10, {}, [](segkit::id_type id) { return id % 2 == 0; });
    const auto even_truth = whole.search(qv, 10, {}, [](segkit::id_type id) { return id % 2 == 0; });
    CHECK((even.ids == even_truth.ids));
  }
  SECTION("inner product: larger is closer when merging") {
    using ip_flat = segkit::index::flat<segkit::distance::inner_product_metric>;
    ip_flat shard(16), single(16);
    shard.add(ids, matrix_view<float>(local.data(), s.count, 16));
    single.add(all_ids, matrix_view<float>(base.data(), 4000, 16));
    const dist::sharded_index<ip_flat> sharded(comm, std::move(shard));
    CHECK((sharded.search(qv, 5).ids == single.search(qv, 5, {}).ids));
  }
  SECTION("HNSW shards: recall at least the single HNSW index's") {
    using H = segkit::index::hnsw<>;
    H shard(16, H::build_params{.m = 8, .ef_construction = 64, .seed = 1, .threads = 2});
    shard.add(ids, matrix_view<float>(local.data(), s.count, 16));
    H single(16, H::build_params{.m = 8, .ef_construction = 64, .seed = 1, .threads = 2});
    single.add(all_ids, matrix_view<float>(base.data(), 4000, 16));
    const dist::sharded_index<H> sharded(comm, std::move(shard));
    const double single_recall = recall(single.search(qv, 10, {.ef = 16}));
    CHECK(recall(sharded.search(qv, 10, {.ef = 16})) >= single_recall - 0.01);
  }
  SECTION("IVF shards: recall at least the single IVF index's") {
    using I = segkit::index::ivf<>;
    I shard(16, I::build_params{.nlist = 16, .seed = 3, .threads = 2}, segkit::cluster::kmeans_trainer{});
    shard.add(ids, matrix_view<float>(local.data(), s.count, 16));
    I single(16, I::build_params{.nlist = 16, .seed = 3, .threads = 2}, segkit::cluster::kmeans_trainer{});
    single.add(all_ids, matrix_view<float>(base.data(), 4000, 16));
    const dist::sharded_index<I> sharded(comm, std::move(shard));
    const double single_recall = recall(single.search(qv, 10, {.nprobe = 2}));
    CHECK(recall(sharded.search(qv, 10, {.nprobe = 2})) >= single_recall - 0.01);
  }
  SECTION("a bad query reaches every rank as an error") {
    segkit::index::flat<> shard(16);
    const dist::sharded_index<segkit::index::flat<>> sharded(comm, std::move(shard));
    CHECK_THROWS_AS(sharded.search(qv, 0), segkit::invalid_argument);
  }
}
