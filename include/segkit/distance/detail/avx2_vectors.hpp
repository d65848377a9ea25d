#pragma once
// 256-bit registers for the run-time AVX2 kernels (distance/kernels.hpp, distance/compressed.hpp)
// as GCC/Clang vector types and the compilers' x86 builtins, instead of <immintrin.h>: that header
// declares every instruction set's intrinsics and costs about 0.9 s of compile time in each
// translation unit (bench/RESULTS.md, "Compile time"), while the kernels need a dozen operations.
// Each operation below is the instruction the named intrinsic gives (the intrinsics are these
// builtins and vector operations), so results are the same bit for bit. Use only inside functions
// marked SEGKIT_TARGET_AVX2 (segkit/core/cpu.hpp), or when AVX2, FMA and F16C are compiled in.

#include <cstdint>

#include "segkit/core/cpu.hpp"

#if SEGKIT_RUNTIME_AVX2 || (defined(__AVX2__) && defined(__FMA__) && defined(__F16C__) && !defined(SEGKIT_DISABLE_SIMD))

namespace segkit::distance::detail::v256 {

// Registers (may_alias, as the intrinsics' own types: a load reads any float or double array).
typedef float f32x8 __attribute__((vector_size(32), may_alias));
typedef double f64x4 __attribute__((vector_size(32), may_alias));
typedef int i32x8 __attribute__((vector_size(32)));
typedef long long i64x4 __attribute__((vector_size(32)));
typedef float f32x4 __attribute__((vector_size(16)));
typedef double f64x2 __attribute__((vector_size(16)));
// Unaligned views for loads (as _mm256_loadu_ps / _mm_loadu_si128 read).
typedef float f32x8_unaligned __attribute__((vector_size(32), aligned(4), may_alias));
typedef double f64x4_unaligned __attribute__((vector_size(32), aligned(8), may_alias));
typedef short i16x8_unaligned __attribute__((vector_size(16), aligned(1), may_alias));
typedef unsigned char u8x8_unaligned __attribute__((vector_size(8), aligned(1), may_alias));

// _CMP_LT_OQ: less than, ordered, quiet (false when either lane is NaN).
inline constexpr int cmp_lt_oq = 0x11;

/// 8 floats from p, any alignment (_mm256_loadu_ps).
SEGKIT_TARGET_AVX2 inline f32x8 load(const float* p) noexcept { return *reinterpret_cast<const f32x8_unaligned*>(p); }
/// 4 doubles from p, any alignment (_mm256_loadu_pd).
SEGKIT_TARGET_AVX2 inline f64x4 load(const double* p) noexcept { return *reinterpret_cast<const f64x4_unaligned*>(p); }
/// a * b + c rounded once (vfmadd, as _mm256_fmadd_ps / _mm256_fmadd_pd).
SEGKIT_TARGET_AVX2 inline f32x8 fma(f32x8 a, f32x8 b, f32x8 c) noexcept { return __builtin_ia32_vfmaddps256(a, b, c); }
SEGKIT_TARGET_AVX2 inline f64x4 fma(f64x4 a, f64x4 b, f64x4 c) noexcept { return __builtin_ia32_vfmaddpd256(a, b, c); }

/// Sum of the 8 lanes in the order _mm256_extractf128_ps + _mm_add_ps + _mm_movehl_ps +
/// _mm_add_ss(s, _mm_movehdup_ps(s)) gives: ((v0+v4) + (v2+v6)) + ((v1+v5) + (v3+v7)).
SEGKIT_TARGET_AVX2 inline float sum(f32x8 v) noexcept {
  const f32x4 s = f32x4{v[0], v[1], v[2], v[3]} + f32x4{v[4], v[5], v[6], v[7]};
  return (s[0] + s[2]) + (s[1] + s[3]);
}
/// Sum of the 4 lanes as _mm256_extractf128_pd + _mm_add_pd + _mm_add_sd(s, _mm_unpackhi_pd(s, s)).
SEGKIT_TARGET_AVX2 inline double sum(f64x4 v) noexcept {
  const f64x2 s = f64x2{v[0], v[1]} + f64x2{v[2], v[3]};
  return s[0] + s[1];
}

/// 8 floats from 8 IEEE half-precision values (F16C vcvtph2ps, as _mm256_cvtph_ps).
SEGKIT_TARGET_AVX2 inline f32x8 halves_to_floats(const std::uint16_t* h) noexcept {
  return __builtin_ia32_vcvtph2ps256(*reinterpret_cast<const i16x8_unaligned*>(h));
}
/// 8 floats from 8 unsigned bytes (vpmovzxbd + vcvtdq2ps; exact).
SEGKIT_TARGET_AVX2 inline f32x8 bytes_to_floats(const std::uint8_t* c) noexcept {
  return __builtin_convertvector(*reinterpret_cast<const u8x8_unaligned*>(c), f32x8);
}

}  // namespace segkit::distance::detail::v256
#endif
