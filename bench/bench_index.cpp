// Exact search: build (add) and query timed separately; recall against itself is 1 by construction,
// so the counter reported is queries per second. HNSW search (float32 and int8 storage) on one
// index built once, single-threaded: the distance kernels' share of a graph walk.
#include <benchmark/benchmark.h>

#include <numeric>
#include <vector>

#include <segkit/core/random.hpp>
#include <segkit/index/flat.hpp>
#include <segkit/index/hnsw.hpp>

namespace {
segkit::matrix<float> normal(std::size_t n, std::size_t d, std::uint64_t seed) {
  segkit::rng r(seed);
  segkit::matrix<float> m = segkit::matrix<float>::from_shape({n, d});
  for (auto& x : m) x = static_cast<float>(r.normal());
  return m;
}

void bm_flat_add(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto base = normal(n, 128, 1);
  std::vector<segkit::id_type> ids(n);
  std::iota(ids.begin(), ids.end(), 0);
  for (auto _ : state) {
    segkit::index::flat<> index(128);
    index.add(ids, base);
    benchmark::DoNotOptimize(index.size());
  }
}

void bm_flat_search(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto threads = static_cast<std::size_t>(state.range(1));
  const auto base = normal(n, 128, 1);
  const auto queries = normal(1000, 128, 2);
  std::vector<segkit::id_type> ids(n);
  std::iota(ids.begin(), ids.end(), 0);
  segkit::index::flat<> index(128);
  index.add(ids, base);
  for (auto _ : state) benchmark::DoNotOptimize(index.search(queries, 10, {.threads = threads}).ids.data());
  state.counters["qps"] = benchmark::Counter(1000.0 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void bm_hnsw_search(benchmark::State& state) {
  const auto storage = state.range(0) == 0 ? segkit::index::hnsw_storage::float32 : segkit::index::hnsw_storage::int8;
  const auto base = normal(20000, 128, 3);
  const auto queries = normal(1000, 128, 4);
  std::vector<segkit::id_type> ids(base.shape(0));
  std::iota(ids.begin(), ids.end(), 0);
  segkit::index::hnsw<> index(128, {.m = 16, .ef_construction = 100, .seed = 1, .storage = storage});
  index.add(ids, base);
  for (auto _ : state) benchmark::DoNotOptimize(index.search(queries, 10, {.ef = 64, .threads = 1}).ids.data());
  state.counters["qps"] = benchmark::Counter(1000.0 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
}  // namespace

BENCHMARK(bm_hnsw_search)->ArgName("int8")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_flat_add)->ArgName("n")->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_flat_search)->ArgNames({"n", "threads"})->Args({100000, 1})->Args({100000, 2})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
