#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include <algorithm>
#include <cstdlib>
#include <limits>

#include <segkit/core/matrix_view.hpp>
#include <segkit/core/random.hpp>
#include <segkit/distance/kernels.hpp>
#include <segkit/distance/metrics.hpp>
#include <segkit/distance/nearest.hpp>

namespace {
struct reference {
  double dot = 0, l2 = 0, l1 = 0, scale = 0;  // scale: sum of |terms|, bounds rounding error
};
template <class T>
reference exact(const T* a, const T* b, std::size_t n) {
  reference r;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = a[i], y = b[i];
    r.dot += x * y;
    r.l2 += (x - y) * (x - y);
    r.l1 += std::abs(x - y);
    r.scale += std::abs(x * y) + (x - y) * (x - y) + std::abs(x - y);
  }
  return r;
}
}  // namespace

TEMPLATE_TEST_CASE("kernels match a double-precision reference at every dimension and alignment", "[distance][kernels]",
                   float, double) {
  const double tol = std::is_same_v<TestType, float> ? 2e-6 : 1e-14;
  segkit::rng r(11);
  for (std::size_t dim : {1, 3, 7, 16, 17, 384, 768}) {
    for (std::size_t offset : {0, 1, 3}) {  // unaligned pointers
      std::vector<TestType> a(dim + offset), b(dim + offset);
      for (auto& v : a) v = static_cast<TestType>(r.normal());
      for (auto& v : b) v = static_cast<TestType>(r.normal() * 2.0 + 0.5);
      const TestType* pa = a.data() + offset;
      const TestType* pb = b.data() + offset;
      const auto ref = exact(pa, pb, dim);
      INFO("dim " << dim << " offset " << offset);
      const double bound = tol * ref.scale + 1e-12;
      CHECK(std::abs(segkit::distance::dot(pa, pb, dim) - ref.dot) <= bound);
      CHECK(std::abs(segkit::distance::squared_l2(pa, pb, dim) - ref.l2) <= bound);
      CHECK(std::abs(segkit::distance::l1(pa, pb, dim) - ref.l1) <= bound);
      CHECK(std::abs(segkit::distance::scalar::dot(pa, pb, dim) - ref.dot) <= bound * 10);
      CHECK(std::abs(segkit::distance::scalar::squared_l2(pa, pb, dim) - ref.l2) <= bound * 10);
      CHECK(std::abs(segkit::distance::scalar::l1(pa, pb, dim) - ref.l1) <= bound * 10);
    }
  }
}

TEST_CASE("the SIMD path is compiled in for the tests", "[distance][kernels]") {
  // Tests are compiled as the installed tool is (baseline x86-64, no -march=native): the kernels
  // must not fall back to scalar, and on a CPU with AVX2 + FMA they must take the run-time path
  // unless SEGKIT_SIMD=baseline (ctest test_distance_baseline runs this executable so).
  const std::string arch = segkit::distance::simd_architecture();
  CHECK(arch != "scalar");
  CHECK((arch.find("avx2") != std::string::npos) == segkit::cpu::runtime_avx2());
#if SEGKIT_RUNTIME_AVX2
  const char* forced = std::getenv("SEGKIT_SIMD");
  if (forced != nullptr && std::string(forced) == "baseline") CHECK_FALSE(segkit::cpu::runtime_avx2());
#endif
}

#if SEGKIT_RUNTIME_AVX2
TEMPLATE_TEST_CASE("the run-time AVX2 kernels equal the baseline ones up to rounding", "[distance][kernels]", float, double) {
  if (!segkit::cpu::runtime_avx2()) return;  // nothing to compare on this CPU
  namespace sd = segkit::distance;
  const double tol = std::is_same_v<TestType, float> ? 2e-6 : 1e-14;
  segkit::rng r(5);
  for (std::size_t dim : {16, 17, 31, 32, 33, 100, 768}) {
    for (std::size_t offset : {0, 1}) {
      std::vector<TestType> a(dim + offset), b(dim + offset);
      for (auto& v : a) v = static_cast<TestType>(r.normal());
      for (auto& v : b) v = static_cast<TestType>(r.normal() - 1.0);
      const TestType* pa = a.data() + offset;
      const TestType* pb = b.data() + offset;
      const auto ref = exact(pa, pb, dim);
      const double bound = tol * ref.scale + 1e-12;
      INFO("dim " << dim << " offset " << offset);
      CHECK(std::abs(sd::avx2::dot(pa, pb, dim) - ref.dot) <= bound);
      CHECK(std::abs(sd::avx2::squared_l2(pa, pb, dim) - ref.l2) <= bound);
      CHECK(std::abs(sd::avx2::l1(pa, pb, dim) - ref.l1) <= bound);
      CHECK(std::abs(sd::simd::dot(pa, pb, dim) - ref.dot) <= bound);
      CHECK(std::abs(sd::simd::squared_l2(pa, pb, dim) - ref.l2) <= bound);
      CHECK(std::abs(sd::simd::l1(pa, pb, dim) - ref.l1) <= bound);
      // The public entry points take the AVX2 path here: the same value, bit for bit.
      CHECK(sd::dot(pa, pb, dim) == sd::avx2::dot(pa, pb, dim));
      CHECK(sd::l1(pa, pb, dim) == sd::avx2::l1(pa, pb, dim));
    }
  }
}
#endif

TEMPLATE_TEST_CASE("center_panel finds the nearest center, ties to the lower index", "[distance][kernels]", float, double) {
  // Whichever path runs (AVX2 chosen at run time, or the baseline under SEGKIT_SIMD=baseline),
  // the answer is the brute-force one.
  segkit::rng r(8);
  for (std::size_t dim : {1, 3, 8, 20, 64}) {
    for (std::size_t k : {1, 3, 4, 9, 17}) {
      const std::size_t n = 37;
      std::vector<TestType> x(n * dim), c(k * dim);
      for (auto& v : x) v = static_cast<TestType>(r.normal());
      for (auto& v : c) v = static_cast<TestType>(r.normal());
      if (k > 1) std::copy_n(c.begin(), dim, c.begin() + static_cast<std::ptrdiff_t>(dim));  // centers 0 and 1 tie
      const segkit::matrix_view<TestType> xv(x.data(), n, dim), cv(c.data(), k, dim);
      const segkit::distance::center_panel<TestType> panel(cv);
      std::vector<std::size_t> best(n);
      std::vector<TestType> score(n);
      panel.assign(xv, 0, n, best.data(), score.data());
      for (std::size_t i = 0; i < n; ++i) {
        std::size_t want = 0;
        double want_d = std::numeric_limits<double>::infinity();
        for (std::size_t j = 0; j < k; ++j) {
          const double d = exact(xv.row(i), cv.row(j), dim).l2;
          if (d < want_d - 1e-9 * (1.0 + d)) {
            want_d = d;
            want = j;
          }
        }
        INFO("dim " << dim << " k " << k << " row " << i);
        CHECK(best[i] == want);
        const double got_d = static_cast<double>(score[i]) + exact(xv.row(i), xv.row(i), dim).dot;
        CHECK(got_d == Approx(want_d).epsilon(1e-4).margin(1e-4));
      }
    }
  }
}

TEST_CASE("metric functors compute their definitions and declare honest traits", "[distance][metrics]") {
  using namespace segkit::distance;
  const float a[3] = {1, 2, 2}, b[3] = {4, 6, 2}, zero[3] = {0, 0, 0};
  CHECK(squared_l2_metric{}(a, b, 3) == Approx(25.0f));
  CHECK(l2_metric{}(a, b, 3) == Approx(5.0f));
  CHECK(manhattan_metric{}(a, b, 3) == Approx(7.0f));
  CHECK(inner_product_metric{}(a, b, 3) == Approx(20.0f));
  CHECK(cosine_metric{}(a, b, 3) == Approx(1.0 - 20.0 / (3.0 * std::sqrt(56.0))));
  CHECK(cosine_metric{}(a, zero, 3) == 1.0f);
  CHECK(cosine_metric{}(a, a, 3) == Approx(0.0f).margin(1e-6));
  STATIC_REQUIRE(l2_metric::true_metric);
  STATIC_REQUIRE(!squared_l2_metric::true_metric);
  STATIC_REQUIRE(squared_l2_metric::squared);
  STATIC_REQUIRE(inner_product_metric::higher_is_closer);
  STATIC_REQUIRE(!cosine_metric::true_metric);
  CHECK(visit_metric("cosine", [](auto m) { return std::string(decltype(m)::name); }) == "cosine");
  CHECK(visit_metric("l1", [](auto m) { return std::string(decltype(m)::name); }) == "manhattan");
  CHECK_THROWS_WITH(visit_metric("hamming", [](auto) { return 0; }), Catch::Contains("unknown metric 'hamming'"));
}
