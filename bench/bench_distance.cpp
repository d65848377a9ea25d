// Kernel throughput: bytes of vector data read per second, and distance-matrix GFLOP/s.
#include <benchmark/benchmark.h>

#include <vector>

#include <segkit/core/cpu.hpp>
#include <segkit/core/random.hpp>
#include <segkit/distance/kernels.hpp>
#include <segkit/distance/pairwise.hpp>

namespace {
std::vector<float> random_vector(std::size_t n, std::uint64_t seed) {
  segkit::rng r(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(r.normal());
  return v;
}

template <float (*Kernel)(const float*, const float*, std::size_t)>
void bm_kernel(benchmark::State& state) {
  const auto dim = static_cast<std::size_t>(state.range(0));
  const auto a = random_vector(dim, 1), b = random_vector(dim, 2);
  for (auto _ : state) benchmark::DoNotOptimize(Kernel(a.data(), b.data(), dim));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 2 * dim * sizeof(float)));
}
// The same single calls with the whole loop in segkit::cpu::dispatch_avx2: the kernel is inlined
// into the AVX2 copy, so a portable build pays no call per pair (compare bm_kernel at dim 16).
template <float (*Kernel)(const float*, const float*, std::size_t)>
void bm_kernel_dispatched(benchmark::State& state) {
  const auto dim = static_cast<std::size_t>(state.range(0));
  const auto a = random_vector(dim, 1), b = random_vector(dim, 2);
  segkit::cpu::dispatch_avx2([&] {
    for (auto _ : state) benchmark::DoNotOptimize(Kernel(a.data(), b.data(), dim));
  });
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 2 * dim * sizeof(float)));
}
float dot_k(const float* a, const float* b, std::size_t n) { return segkit::distance::dot(a, b, n); }
float l2_k(const float* a, const float* b, std::size_t n) { return segkit::distance::squared_l2(a, b, n); }
float l1_k(const float* a, const float* b, std::size_t n) { return segkit::distance::l1(a, b, n); }
float scalar_l2_k(const float* a, const float* b, std::size_t n) { return segkit::distance::scalar::squared_l2(a, b, n); }

void bm_pairwise_l2(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::size_t d = 128;
  const auto x = random_vector(n * d, 3), y = random_vector(n * d, 4);
  const segkit::matrix_view<float> vx(x.data(), n, d), vy(y.data(), n, d);
  for (auto _ : state) {
    auto m = segkit::distance::pairwise_distances(segkit::distance::squared_l2_metric{}, vx, vy, {.threads = 1});
    benchmark::DoNotOptimize(m.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(static_cast<double>(2 * n * n * d) * static_cast<double>(state.iterations()) / 1e9,
                                                 benchmark::Counter::kIsRate);
}
}  // namespace

BENCHMARK(bm_kernel<dot_k>)->ArgName("dim")->Arg(16)->Arg(128)->Arg(384)->Arg(768);
BENCHMARK(bm_kernel<l2_k>)->ArgName("dim")->Arg(16)->Arg(128)->Arg(384)->Arg(768);
BENCHMARK(bm_kernel_dispatched<dot_k>)->ArgName("dim")->Arg(16)->Arg(128);
BENCHMARK(bm_kernel_dispatched<l2_k>)->ArgName("dim")->Arg(16)->Arg(128);
BENCHMARK(bm_kernel<l1_k>)->ArgName("dim")->Arg(128)->Arg(768);
BENCHMARK(bm_kernel<scalar_l2_k>)->ArgName("dim")->Arg(128)->Arg(768);
BENCHMARK(bm_pairwise_l2)->ArgName("n")->Arg(512)->Arg(2048)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
