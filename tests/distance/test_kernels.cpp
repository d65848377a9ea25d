#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include <segkit/core/random.hpp>
#include <segkit/distance/kernels.hpp>
#include <segkit/distance/metrics.hpp>

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
  // Tests link segkit::native: on x86-64 the kernels must not fall back to scalar.
  CHECK(std::string(segkit::distance::simd_architecture()) != "scalar");
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
