// K-Means fit: time per fit from the same k-means++ seed; inertia and iterations as counters.
#include <benchmark/benchmark.h>

#include <segkit/cluster/kmeans.hpp>
#include <segkit/core/random.hpp>

namespace {
segkit::matrix<float> blobs(std::size_t n, std::size_t d, std::size_t k) {
  segkit::rng r(1);
  segkit::matrix<float> centres = segkit::matrix<float>::from_shape({k, d});
  for (auto& v : centres) v = static_cast<float>(4.0 * r.normal());
  segkit::matrix<float> x = segkit::matrix<float>::from_shape({n, d});
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = r.below(k);
    for (std::size_t j = 0; j < d; ++j) x(i, j) = centres(c, j) + static_cast<float>(r.normal());
  }
  return x;
}

void bm_kmeans_fit(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0)), d = static_cast<std::size_t>(state.range(1));
  const auto k = static_cast<std::size_t>(state.range(2)), threads = static_cast<std::size_t>(state.range(3));
  const auto x = blobs(n, d, k);
  const segkit::cluster::kmeans<float> km({.k = k, .max_iter = 20, .tol = 0.0, .seed = 3, .threads = threads});
  segkit::cluster::kmeans_model<float> m;
  for (auto _ : state) m = km.fit(x);
  state.counters["inertia"] = m.inertia;
  state.counters["n_iter"] = static_cast<double>(m.n_iter);
}
}  // namespace

BENCHMARK(bm_kmeans_fit)->ArgNames({"n", "d", "k", "threads"})->Args({100000, 32, 20, 1})->Args({100000, 32, 20, 2})
    ->Args({100000, 128, 20, 2})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
