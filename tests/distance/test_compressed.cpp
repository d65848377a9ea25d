#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <segkit/distance/compressed.hpp>

namespace sd = segkit::distance;

TEST_CASE("float16: conversions are IEEE binary16, the same with and without F16C", "[distance][float16]") {
  // Known encodings (IEEE 754-2008 binary16).
  CHECK(sd::portable::to_half(1.0f) == 0x3c00);
  CHECK(sd::portable::to_half(-2.0f) == 0xc000);
  CHECK(sd::portable::to_half(0.1f) == 0x2e66);
  CHECK(sd::portable::to_half(65504.0f) == 0x7bff);
  CHECK(sd::portable::to_half(65519.0f) == 0x7bff);  // below the midpoint to 65536: rounds down
  CHECK(sd::portable::to_half(65520.0f) == 0x7c00);  // the midpoint, ties to even: infinity
  CHECK(sd::portable::to_half(std::ldexp(1.0f, -24)) == 0x0001);  // smallest subnormal
  CHECK(sd::portable::to_half(std::ldexp(1.0f, -25)) == 0x0000);  // half of it: ties to even, zero
  CHECK(sd::portable::to_half(std::ldexp(3.0f, -25)) == 0x0002);  // 1.5 units: ties to even, 2
  CHECK(sd::portable::to_half(1.0f + 1.0f / 2048.0f) == 0x3c00);  // tie between 1 and 1 + 2^-10: even
  CHECK(sd::portable::to_half(1.0f + 3.0f / 2048.0f) == 0x3c02);  // tie between odd and even: even
  CHECK(sd::portable::to_half(-0.0f) == 0x8000);
  CHECK(sd::portable::to_half(std::numeric_limits<float>::infinity()) == 0x7c00);
  CHECK_FALSE(sd::half_is_finite(sd::portable::to_half(std::numeric_limits<float>::quiet_NaN())));
  CHECK(sd::portable::from_half(0x3555) == Approx(0.333251953125).epsilon(0));
  CHECK(sd::portable::from_half(0x0400) == std::ldexp(1.0f, -14));

  // Every half: decoding agrees between the two paths, and encoding the decoded value gives it back.
  for (std::uint32_t h = 0; h <= 0xffff; ++h) {
    const auto bits = static_cast<std::uint16_t>(h);
    const float v = sd::portable::from_half(bits);
    if (!sd::half_is_finite(bits) && (bits & 0x3ff) != 0) {
      CHECK(std::isnan(v));
      CHECK(std::isnan(sd::from_half(bits)));
      continue;
    }
    REQUIRE(std::bit_cast<std::uint32_t>(sd::from_half(bits)) == std::bit_cast<std::uint32_t>(v));
    REQUIRE(sd::portable::to_half(v) == bits);
  }
  // Encoding agrees on floats of every magnitude, midpoints included.
  std::mt19937 gen(5);
  std::uniform_int_distribution<std::uint32_t> any_bits;
  std::uniform_int_distribution<std::uint32_t> exponent(127 - 30, 127 + 20);  // 2^-30 .. 2^20: subnormal halves to overflow
  for (int i = 0; i < 200000; ++i) {
    const std::uint32_t sign_and_mantissa = any_bits(gen) & 0x807fffffu;
    const float f = std::bit_cast<float>(sign_and_mantissa | (exponent(gen) << 23));
    REQUIRE(sd::to_half(f) == sd::portable::to_half(f));
    const float mid = std::bit_cast<float>((sign_and_mantissa & 0xffffe000u) | 0x1000u | (exponent(gen) << 23));  // between two normal halves
    REQUIRE(sd::to_half(mid) == sd::portable::to_half(mid));
  }
}

TEST_CASE("compressed kernels match double-precision sums", "[distance][float16]") {
  std::mt19937 gen(9);
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<int> byte(0, 255);
  for (const std::size_t n : {1, 7, 15, 16, 17, 31, 128, 130, 384}) {
    INFO("n = " << n);
    std::vector<float> q(n);
    std::vector<std::uint8_t> c(n);
    std::vector<std::uint16_t> h(n);
    for (std::size_t j = 0; j < n; ++j) {
      q[j] = normal(gen);
      c[j] = static_cast<std::uint8_t>(byte(gen));
      h[j] = sd::to_half(normal(gen));
    }
    double codes = 0, dot = 0, l2 = 0, magnitude = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const double x = sd::from_half(h[j]);
      codes += static_cast<double>(q[j]) * c[j];
      dot += static_cast<double>(q[j]) * x;
      l2 += (q[j] - x) * (q[j] - x);
      magnitude += std::abs(static_cast<double>(q[j])) * (255.0 + std::abs(x));
    }
    CHECK(std::abs(sd::dot_codes(q.data(), c.data(), n) - codes) <= 1e-6 * magnitude);
    CHECK(std::abs(sd::dot_half(q.data(), h.data(), n) - dot) <= 1e-6 * magnitude);
    CHECK(sd::squared_l2_half(q.data(), h.data(), n) == Approx(l2).epsilon(1e-5));
  }
}
