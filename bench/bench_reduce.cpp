// Reduction: PCA fit, the silhouette scan, and UMAP's transform latency for one new row against
// a model fitted on 20,000 rows (issue #6 asks for < 1 ms per row).
#include <benchmark/benchmark.h>

#include <segkit/core/random.hpp>
#include <segkit/quality/internal.hpp>
#include <segkit/reduce/pca.hpp>
#include <segkit/reduce/umap.hpp>

namespace {
segkit::matrix<float> blobs(std::size_t n, std::size_t d, std::size_t k, std::vector<segkit::label_type>* labels = nullptr) {
  segkit::rng r(1);
  segkit::matrix<float> centres = segkit::matrix<float>::from_shape({k, d});
  for (auto& v : centres) v = static_cast<float>(4.0 * r.normal());
  segkit::matrix<float> x = segkit::matrix<float>::from_shape({n, d});
  if (labels != nullptr) labels->resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = r.below(k);
    if (labels != nullptr) (*labels)[i] = static_cast<segkit::label_type>(c);
    for (std::size_t j = 0; j < d; ++j) x(i, j) = centres(c, j) + static_cast<float>(r.normal());
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
}  // namespace

BENCHMARK(bm_pca_fit)->Args({100000, 64})->Unit(benchmark::kMillisecond);
BENCHMARK(bm_silhouette)->Arg(20000)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_umap_transform_one_row)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
