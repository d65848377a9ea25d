// K-Means fit: time per fit from the same k-means++ seed; inertia and iterations as counters.
// HDBSCAN: fit with either spanning tree; approximate_predict and membership vectors.
#include <algorithm>

#include <benchmark/benchmark.h>

#include <segkit/cluster/hdbscan.hpp>
#include <segkit/cluster/kmeans.hpp>
#include <segkit/core/random.hpp>

#include "blobs.hpp"

namespace {
using segkit_bench::blobs;

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

// The bounded assignments (algorithm 1 = Hamerly, 2 = Elkan): 30 iterations from given centers
// (rows 0, 7, 14, ...; no k-means++), so the time is the iterations' and the portable build's
// run-time AVX2 copy of their row loops can be compared with -march=native.
void bm_kmeans_bounds(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0)), d = static_cast<std::size_t>(state.range(1));
  const auto k = static_cast<std::size_t>(state.range(2)), threads = static_cast<std::size_t>(state.range(4));
  const auto algorithm = state.range(3) == 1 ? segkit::cluster::kmeans_algorithm::hamerly : segkit::cluster::kmeans_algorithm::elkan;
  const auto x = blobs(n, d, k);
  segkit::matrix<double> start = segkit::matrix<double>::from_shape({k, d});
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t j = 0; j < d; ++j) start(c, j) = x(c * 7, j);
  }
  const segkit::cluster::kmeans<float> km(
      {.k = k, .max_iter = 30, .tol = 0.0, .algorithm = algorithm, .initial_centers = start, .seed = 3, .threads = threads});
  segkit::cluster::kmeans_model<float> m;
  for (auto _ : state) m = km.fit(x);
  state.counters["inertia"] = m.inertia;
}

// Initialization cost: one Lloyd iteration after k-means++ (init 0) or k-means|| (init 1); the
// inertia counter shows the quality of the start.
void bm_kmeans_init(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0)), d = static_cast<std::size_t>(state.range(1));
  const auto k = static_cast<std::size_t>(state.range(2)), threads = static_cast<std::size_t>(state.range(4));
  const auto init = state.range(3) == 0 ? segkit::cluster::kmeans_init::kmeans_plus_plus : segkit::cluster::kmeans_init::kmeans_parallel;
  const auto x = blobs(n, d, k);
  const segkit::cluster::kmeans<float> km({.k = k, .max_iter = 1, .init = init, .seed = 3, .threads = threads});
  segkit::cluster::kmeans_model<float> m;
  for (auto _ : state) m = km.fit(x);
  state.counters["inertia"] = m.inertia;
}
}  // namespace

BENCHMARK(bm_kmeans_init)->ArgNames({"n", "d", "k", "parallel", "threads"})->Args({200000, 16, 100, 0, 2})->Args({200000, 16, 100, 1, 2})
    ->Args({200000, 16, 20, 0, 2})->Args({200000, 16, 20, 1, 2})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_kmeans_bounds)->ArgNames({"n", "d", "k", "algorithm", "threads"})->Args({100000, 32, 20, 1, 2})->Args({1000000, 16, 50, 1, 2})
    ->Args({100000, 32, 20, 2, 2})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_kmeans_fit)->ArgNames({"n", "d", "k", "threads"})->Args({100000, 32, 20, 1})->Args({100000, 32, 20, 2})
    ->Args({100000, 128, 20, 2})->Unit(benchmark::kMillisecond)->UseRealTime();
// HDBSCAN approximate_predict and membership vectors for m new points against a clustering of
// n points (fitted once, outside the timing), as after a UMAP to d dimensions. mode 0 = labels,
// probabilities and outlier scores; 1 = soft-clustering membership vectors.
void bm_hdbscan_predict(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0)), d = static_cast<std::size_t>(state.range(1));
  const auto mode = state.range(2);
  const auto threads = static_cast<std::size_t>(state.range(3));
  const auto x = blobs(n, d, 12);
  const auto q = blobs(n, d, 12);  // the same centers (seed 1), new draws of the points
  const segkit::cluster::hdbscan<> algo({.min_cluster_size = 50, .min_samples = 10});
  const auto fit = algo.fit(x);
  const segkit::cluster::hdbscan_predictor<> pred(fit);
  double noise = 0.0;
  for (auto _ : state) {
    if (mode == 0) {
      const auto p = pred.approximate_predict(q, threads);
      noise = static_cast<double>(std::count(p.labels.begin(), p.labels.end(), -1));
    } else {
      benchmark::DoNotOptimize(pred.membership_vectors(q, threads).data());
    }
  }
  state.counters["clusters"] = static_cast<double>(fit.n_clusters());
  if (mode == 0) state.counters["noise"] = noise / static_cast<double>(n);
}

BENCHMARK(bm_hdbscan_predict)->ArgNames({"n", "d", "membership", "threads"})
    ->Args({30000, 5, 0, 1})->Args({30000, 5, 0, 2})->Args({30000, 5, 1, 2})->Args({30000, 2, 0, 2})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// HDBSCAN fit on n points in d dimensions (12 blobs), with Prim's (mst 0) or Borůvka's (mst 1)
// spanning tree; the two give the same labels (clusters counter).
void bm_hdbscan_fit(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0)), d = static_cast<std::size_t>(state.range(1));
  const auto mst = state.range(2) == 0 ? segkit::cluster::mst_algorithm::prim : segkit::cluster::mst_algorithm::boruvka;
  const auto x = blobs(n, d, 12);
  const segkit::cluster::hdbscan<> algo({.min_cluster_size = 15, .threads = static_cast<std::size_t>(state.range(3)), .mst = mst});
  std::size_t clusters = 0;
  for (auto _ : state) clusters = algo.fit(x).n_clusters();
  state.counters["clusters"] = static_cast<double>(clusters);
}

BENCHMARK(bm_hdbscan_fit)->ArgNames({"n", "d", "boruvka", "threads"})
    ->Args({50000, 2, 0, 2})->Args({50000, 2, 1, 2})->Args({50000, 2, 1, 1})->Args({50000, 8, 0, 2})->Args({50000, 8, 1, 2})
    ->Args({500000, 2, 1, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
