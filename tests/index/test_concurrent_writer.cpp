// Searches alongside one writer for the flat, HNSW and IVF indexes. ThreadSanitizer runs these in CI. Every answer must be a consistent snapshot:
// known ids, sorted distances, and each distance that of the returned id's own vector (a search
// that ran during a removal's slot move would report another vector's distance).
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

#include <segkit/distance/kernels.hpp>
#include <segkit/index/flat.hpp>
#include <segkit/index/hnsw.hpp>
#include <segkit/index/ivf.hpp>
#include <segkit/cluster/kmeans.hpp>

#include "support/data.hpp"
#include "support/knn.hpp"

using segkit::id_type;
using segkit::test::iota_ids;

namespace {

template <class Index, class Params>
void searches_alongside_writer(Index& index, const Params& params) {
  const auto base = segkit::test::blobs(3000, 8, 10, 71);
  const auto q = segkit::test::blobs(20, 8, 10, 72);
  const auto rows = [&](std::size_t b, std::size_t e) {
    segkit::matrix<float> out = segkit::matrix<float>::from_shape({e - b, 8});
    std::copy(base.data() + b * 8, base.data() + e * 8, out.data());
    return out;
  };
  index.add(iota_ids(500), rows(0, 500));
  std::atomic<bool> done{false};
  std::atomic<std::size_t> searches{0}, bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!done.load()) {
        const auto r = index.search(q, 5, params);
        for (std::size_t i = 0; i < r.ids.shape(0); ++i) {
          for (std::size_t j = 0; j < 5; ++j) {
            const auto id = r.ids(i, j);
            if (id == segkit::no_id) continue;
            if (id >= 3000) {
              bad.fetch_add(1);
              continue;
            }
            const double own = std::sqrt(segkit::distance::squared_l2(&q(i, 0), &base(id, 0), 8));
            if (std::abs(own - r.distances(i, j)) > 1e-3 * (1.0 + own)) bad.fetch_add(1);
            if (j > 0 && r.distances(i, j) < r.distances(i, j - 1)) bad.fetch_add(1);
          }
        }
        (void)index.size();
        (void)index.contains(7);
        searches.fetch_add(1);
      }
    });
  }
  for (std::size_t b = 500; b < 3000; b += 250) {
    index.add(iota_ids(250, b), rows(b, b + 250));
    for (id_type id = b - 500; id < b - 400; ++id) index.remove(id);
    const auto again = rows(b, b + 10);  // the same vectors again: answers stay consistent
    index.upsert(iota_ids(10, b), segkit::matrix_view<float>(again.data(), 10, 8));
  }
  while (searches.load() < 30) std::this_thread::yield();
  done = true;
  for (auto& r : readers) r.join();
  CHECK(bad.load() == 0);
  CHECK(index.size() == 3000 - 1000);
}

}  // namespace

TEST_CASE("flat: concurrent searches alongside one writer", "[index][flat][concurrency]") {
  segkit::index::flat<segkit::distance::l2_metric> index(8);
  searches_alongside_writer(index, segkit::index::flat<segkit::distance::l2_metric>::search_params{.threads = 1});
}

TEST_CASE("hnsw: concurrent searches alongside one writer", "[index][hnsw][concurrency]") {
  using H = segkit::index::hnsw<>;
  H graph(8, H::build_params{.m = 8, .ef_construction = 40, .threads = 1});
  searches_alongside_writer(graph, H::search_params{.ef = 32, .threads = 1});
}

TEST_CASE("ivf: concurrent searches alongside one writer, the first add training", "[index][ivf][concurrency]") {
  using I = segkit::index::ivf<segkit::distance::l2_metric>;
  I index(8, I::build_params{.nlist = 8, .seed = 2, .threads = 1}, segkit::cluster::kmeans_trainer{});
  // Readers start before anything is stored or trained.
  std::atomic<bool> stop{false};
  std::thread early([&] {
    while (!stop.load()) (void)index.search(segkit::test::blobs(2, 8, 2, 1), 3, {.nprobe = 2, .threads = 1});
  });
  searches_alongside_writer(index, I::search_params{.nprobe = 8, .threads = 1});
  stop = true;
  early.join();
  CHECK(index.trained());
}
