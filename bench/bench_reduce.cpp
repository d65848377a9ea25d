// Reduction: PCA fit, the silhouette scan, UMAP's transform latency for one new row against a
// model fitted on 20,000 rows (issue #6 asks for < 1 ms per row), and one t-SNE repulsion pass by
// Barnes-Hut and by FFT interpolation on embeddings of given size and extent (the figures behind
// segkit::reduce::tsne_cost_model).
#include <benchmark/benchmark.h>

#include <segkit/core/random.hpp>
#include <segkit/quality/internal.hpp>
#include <segkit/reduce/pca.hpp>
#include <segkit/reduce/tsne.hpp>
#include <segkit/reduce/umap.hpp>

namespace {
segkit::matrix<float> blobs(std::size_t n, std::size_t d, std::size_t k, std::vector<segkit::label_type>* labels = nullptr) {
  segkit::rng r(1);
  segkit::matrix<float> centers = segkit::matrix<float>::from_shape({k, d});
  for (auto& v : centers) v = static_cast<float>(4.0 * r.normal());
  segkit::matrix<float> x = segkit::matrix<float>::from_shape({n, d});
  if (labels != nullptr) labels->resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = r.below(k);
    if (labels != nullptr) (*labels)[i] = static_cast<segkit::label_type>(c);
    for (std::size_t j = 0; j < d; ++j) x(i, j) = centers(c, j) + static_cast<float>(r.normal());
  }
  return x;
}

void bm_pca_fit(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0)), d = static_cast<std::size_t>(state.range(1));
  const auto x = blobs(n, d, 10);
  const segkit::reduce::pca<float> p({.n_components = 10, .threads = 2});
  for (auto _ : state) benchmark::DoNotOptimize(p.fit(x));
}

void bm_silhouette(benchmark::State& state) {
  std::vector<segkit::label_type> labels;
  const auto x = blobs(static_cast<std::size_t>(state.range(0)), 128, 20, &labels);
  for (auto _ : state) benchmark::DoNotOptimize(segkit::quality::silhouette_score(x, labels, {.threads = 2}));
}

void bm_umap_transform_one_row(benchmark::State& state) {
  static const auto x = blobs(20000, 64, 12);
  static const auto model = segkit::reduce::umap<>({.n_epochs = 50, .seed = 1, .threads = 2}).fit(x);
  const auto q = blobs(64, 64, 12);
  std::size_t i = 0;
  for (auto _ : state) {
    const segkit::matrix_view<float> row(q.data() + (i++ % 64) * 64, 1, 64, 64);
    benchmark::DoNotOptimize(model.transform(row, 1));
  }
}

/// n points in 40 Gaussian clusters (sd 1) whose centers spread over a square of side `side`.
std::vector<double> embedding_like(std::size_t n, double side) {
  segkit::rng r(3);
  std::vector<double> centers(80), y(2 * n);
  for (auto& c : centers) c = side * (r.uniform() - 0.5);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = r.below(40);
    for (std::size_t q = 0; q < 2; ++q) y[i * 2 + q] = centers[c * 2 + q] + r.normal();
  }
  return y;
}

void bm_tsne_repulsion_barnes_hut(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto y = embedding_like(n, static_cast<double>(state.range(1)));
  segkit::executor ex(2);
  std::vector<double> force(2 * n), sum_q(n);
  for (auto _ : state) {
    const segkit::reduce::detail::space_tree tree(y, n, 2);
    segkit::parallel_for(ex, n, 256, [&](std::size_t b, std::size_t e, std::size_t) {
      for (std::size_t t = b; t < e; ++t) {
        const std::size_t i = tree.order()[t];
        sum_q[i] = tree.repulsion(y.data() + 2 * i, i, 0.5, force.data() + 2 * i);
      }
    });
    benchmark::DoNotOptimize(sum_q.data());
  }
  state.counters["ns_per_point_log2"] = benchmark::Counter(static_cast<double>(n) * std::log2(static_cast<double>(n)),
                                                           benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void bm_tsne_repulsion_fft(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto y = embedding_like(n, static_cast<double>(state.range(1)));
  segkit::executor ex(2);
  std::vector<double> force(2 * n), sum_q(n);
  segkit::reduce::detail::interpolation_repulsion interp(2, segkit::reduce::tsne_params{}.fft_points, 1.0);
  const auto cells = static_cast<double>(interp.planned_cells(y, n));
  for (auto _ : state) interp.compute(y, n, force.data(), sum_q.data(), ex);
  state.counters["cells"] = cells;
  state.counters["ns_per_cell_log2"] =
      benchmark::Counter(cells * std::log2(cells), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
}  // namespace

BENCHMARK(bm_tsne_repulsion_barnes_hut)->Args({20000, 50})->Args({20000, 230})->Args({200000, 230})->Args({200000, 700})->Unit(benchmark::kMillisecond);
BENCHMARK(bm_tsne_repulsion_fft)->Args({20000, 50})->Args({20000, 230})->Args({200000, 230})->Args({200000, 700})->Unit(benchmark::kMillisecond);
BENCHMARK(bm_pca_fit)->Args({100000, 64})->Unit(benchmark::kMillisecond);
BENCHMARK(bm_silhouette)->Arg(20000)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_umap_transform_one_row)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
