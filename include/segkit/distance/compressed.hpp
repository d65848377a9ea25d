#pragma once
/// @file
/// @brief Kernels between a float query and compressed stored vectors: IEEE half precision
/// (float16) values and 8-bit codes. Used by the float16 and int8 storage of segkit::index::hnsw.
///
/// With AVX2, FMA and F16C (compiled in, or chosen at run time: segkit/core/cpu.hpp) the kernels
/// widen 16 values per step in registers (F16C's vcvtph2ps for halves, vpmovzxbd + vcvtdq2ps for
/// bytes): xsimd 8.1 offers neither conversion, so these use the compilers' x86 builtins directly
/// (distance/detail/avx2_vectors.hpp). Otherwise
/// plain loops with the portable conversion below. Both give the same sums up to float rounding
/// order.

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "segkit/core/cpu.hpp"

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__) && !defined(SEGKIT_DISABLE_SIMD)
#include <immintrin.h>
#define SEGKIT_COMPRESSED_AVX2 1
#else
#define SEGKIT_COMPRESSED_AVX2 0
#endif
#include "segkit/distance/detail/avx2_vectors.hpp"

namespace segkit::distance {

/// Largest finite float16 value.
inline constexpr float half_max = 65504.0f;

namespace portable {
/// Nearest float16 (ties to even; beyond ±65504 rounds to ±infinity, NaN stays NaN), bit-exact
/// with IEEE 754 binary16 conversion.
inline std::uint16_t to_half(float f) noexcept {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t mag = x & 0x7fffffffu;
  if (mag >= 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7c00u | (mag > 0x7f800000u ? 0x200u : 0u));  // inf, NaN
  if (mag >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // >= 65520 rounds up to infinity
  if (mag < 0x38800000u) {  // below 2^-14: a subnormal half (units of 2^-24), rounded to nearest even
    const float scaled = std::bit_cast<float>(mag) * 16777216.0f;  // exact: a power-of-two scaling
    return static_cast<std::uint16_t>(sign | static_cast<std::uint16_t>(std::nearbyint(scaled)));
  }
  // Normal: re-bias the exponent (127 -> 15) and round the mantissa from 23 to 10 bits, ties to
  // even; a carry out of the mantissa correctly bumps the exponent.
  const std::uint32_t rebased = mag - 0x38000000u;
  const std::uint32_t rounded = rebased + 0xfffu + ((rebased >> 13) & 1u);
  return static_cast<std::uint16_t>(sign | (rounded >> 13));
}

/// The float a float16 represents (exact).
inline float from_half(std::uint16_t h) noexcept {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: mantissa x 2^-24
    const float v = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return sign != 0 ? -v : v;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}
}  // namespace portable

/// Nearest float16 of f (ties to even), as its 16 bits.
inline std::uint16_t to_half(float f) noexcept {
#if SEGKIT_COMPRESSED_AVX2
  return static_cast<std::uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT));
#else
  return portable::to_half(f);
#endif
}

/// The float a float16 (given as its 16 bits) represents.
inline float from_half(std::uint16_t h) noexcept {
#if SEGKIT_COMPRESSED_AVX2
  return _cvtsh_ss(h);
#else
  return portable::from_half(h);
#endif
}

/// True if the float16 is neither infinite nor NaN.
[[nodiscard]] constexpr bool half_is_finite(std::uint16_t h) noexcept { return (h & 0x7c00u) != 0x7c00u; }

#if SEGKIT_COMPRESSED_AVX2 || SEGKIT_RUNTIME_AVX2
/// The AVX2 + FMA + F16C kernels: called directly when compiled in, after
/// segkit::cpu::runtime_avx2() otherwise. Each sums whole blocks of 16 values (two 8-lane
/// accumulators) and returns the sum with `j` at the first value not done.
namespace avx2_codes {
namespace v = detail::v256;
SEGKIT_TARGET_AVX2 inline float dot_codes(const float* q, const std::uint8_t* c, std::size_t n, std::size_t& j) noexcept {
  v::f32x8 a0{}, a1{};
  for (; j + 16 <= n; j += 16) {
    a0 = v::fma(v::load(q + j), v::bytes_to_floats(c + j), a0);
    a1 = v::fma(v::load(q + j + 8), v::bytes_to_floats(c + j + 8), a1);
  }
  return v::sum(a0 + a1);
}
SEGKIT_TARGET_AVX2 inline float dot_half(const float* q, const std::uint16_t* h, std::size_t n, std::size_t& j) noexcept {
  v::f32x8 a0{}, a1{};
  for (; j + 16 <= n; j += 16) {
    a0 = v::fma(v::load(q + j), v::halves_to_floats(h + j), a0);
    a1 = v::fma(v::load(q + j + 8), v::halves_to_floats(h + j + 8), a1);
  }
  return v::sum(a0 + a1);
}
SEGKIT_TARGET_AVX2 inline float squared_l2_half(const float* q, const std::uint16_t* h, std::size_t n, std::size_t& j) noexcept {
  v::f32x8 a0{}, a1{};
  for (; j + 16 <= n; j += 16) {
    const v::f32x8 d0 = v::load(q + j) - v::halves_to_floats(h + j);
    const v::f32x8 d1 = v::load(q + j + 8) - v::halves_to_floats(h + j + 8);
    a0 = v::fma(d0, d0, a0);
    a1 = v::fma(d1, d1, a1);
  }
  return v::sum(a0 + a1);
}
}  // namespace avx2_codes
#endif

namespace detail {
/// True if the AVX2 code kernels run: compiled in, or chosen at run time.
[[nodiscard]] inline bool codes_avx2() noexcept {
#if SEGKIT_COMPRESSED_AVX2
  return true;
#else
  return cpu::runtime_avx2();
#endif
}
}  // namespace detail

/// Sum of q[j] * c[j] over n float queries and byte codes (the codes taken as 0..255).
inline float dot_codes(const float* q, const std::uint8_t* c, std::size_t n) noexcept {
  std::size_t j = 0;
  float s = 0.0f;
#if SEGKIT_COMPRESSED_AVX2 || SEGKIT_RUNTIME_AVX2
  if (detail::codes_avx2()) s = avx2_codes::dot_codes(q, c, n, j);
#endif
  for (; j < n; ++j) s += q[j] * static_cast<float>(c[j]);
  return s;
}

/// Sum of q[j] * h[j] over n float queries and float16 values.
inline float dot_half(const float* q, const std::uint16_t* h, std::size_t n) noexcept {
  std::size_t j = 0;
  float s = 0.0f;
#if SEGKIT_COMPRESSED_AVX2 || SEGKIT_RUNTIME_AVX2
  if (detail::codes_avx2()) s = avx2_codes::dot_half(q, h, n, j);
#endif
  for (; j < n; ++j) s += q[j] * from_half(h[j]);
  return s;
}

/// Squared Euclidean distance between n float queries and float16 values.
inline float squared_l2_half(const float* q, const std::uint16_t* h, std::size_t n) noexcept {
  std::size_t j = 0;
  float s = 0.0f;
#if SEGKIT_COMPRESSED_AVX2 || SEGKIT_RUNTIME_AVX2
  if (detail::codes_avx2()) s = avx2_codes::squared_l2_half(q, h, n, j);
#endif
  for (; j < n; ++j) {
    const float d = q[j] - from_half(h[j]);
    s += d * d;
  }
  return s;
}

}  // namespace segkit::distance
