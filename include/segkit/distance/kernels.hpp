#pragma once
/// @file
/// @brief Dot product, squared Euclidean and Manhattan kernels: xsimd for the instruction set chosen
/// at compile time, plus AVX2 + FMA chosen at run time when the target does not guarantee it
/// (segkit/core/cpu.hpp); scalar otherwise.
///
/// The SIMD path is used for float and double unless SEGKIT_DISABLE_SIMD is defined or xsimd
/// supports no architecture for the target. Accumulation is in T with four independent SIMD
/// accumulators; the error against a double-precision sum is about 1e-6 relative for float.
/// Pointers need no particular alignment.

#include <cmath>
#include <cstddef>
#include <type_traits>

#include "segkit/core/cpu.hpp"
#include "segkit/distance/detail/avx2_vectors.hpp"

#if !defined(SEGKIT_DISABLE_SIMD)
#include <xsimd/xsimd.hpp>
#if !defined(XSIMD_NO_SUPPORTED_ARCHITECTURE)
#define SEGKIT_SIMD 1
#endif
#endif
#if !defined(SEGKIT_SIMD)
#define SEGKIT_SIMD 0
#endif

namespace segkit::distance {

/// Plain loops: the fallback, and the reference the SIMD kernels are tested against.
namespace scalar {
template <class T>
T dot(const T* a, const T* b, std::size_t n) noexcept {
  T s{};
  for (std::size_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}
template <class T>
T squared_l2(const T* a, const T* b, std::size_t n) noexcept {
  T s{};
  for (std::size_t i = 0; i < n; ++i) {
    const T d = a[i] - b[i];
    s += d * d;
  }
  return s;
}
template <class T>
T l1(const T* a, const T* b, std::size_t n) noexcept {
  T s{};
  for (std::size_t i = 0; i < n; ++i) s += std::abs(a[i] - b[i]);
  return s;
}
}  // namespace scalar

#if SEGKIT_SIMD
/// xsimd kernels for the architecture chosen at compile time.
namespace simd {
namespace detail {
// Sums op(a_i, b_i) with four SIMD accumulators, then a SIMD step loop, then a scalar tail.
template <class T, class Op, class Tail>
T reduce(const T* a, const T* b, std::size_t n, Op op, Tail tail) noexcept {
  using batch = xsimd::batch<T>;
  constexpr std::size_t w = batch::size;
  batch s0(T{0}), s1(T{0}), s2(T{0}), s3(T{0});
  std::size_t i = 0;
  for (; i + 4 * w <= n; i += 4 * w) {
    s0 = op(batch::load_unaligned(a + i), batch::load_unaligned(b + i), s0);
    s1 = op(batch::load_unaligned(a + i + w), batch::load_unaligned(b + i + w), s1);
    s2 = op(batch::load_unaligned(a + i + 2 * w), batch::load_unaligned(b + i + 2 * w), s2);
    s3 = op(batch::load_unaligned(a + i + 3 * w), batch::load_unaligned(b + i + 3 * w), s3);
  }
  for (; i + w <= n; i += w) s0 = op(batch::load_unaligned(a + i), batch::load_unaligned(b + i), s0);
  T s = xsimd::hadd((s0 + s1) + (s2 + s3));
  for (; i < n; ++i) s += tail(a[i], b[i]);
  return s;
}
}  // namespace detail

template <class T>
T dot(const T* a, const T* b, std::size_t n) noexcept {
  return detail::reduce(a, b, n, [](auto x, auto y, auto acc) { return xsimd::fma(x, y, acc); },
                        [](T x, T y) { return x * y; });
}
template <class T>
T squared_l2(const T* a, const T* b, std::size_t n) noexcept {
  return detail::reduce(
      a, b, n,
      [](auto x, auto y, auto acc) {
        const auto d = x - y;
        return xsimd::fma(d, d, acc);
      },
      [](T x, T y) { return (x - y) * (x - y); });
}
template <class T>
T l1(const T* a, const T* b, std::size_t n) noexcept {
  return detail::reduce(a, b, n, [](auto x, auto y, auto acc) { return acc + xsimd::abs(x - y); },
                        [](T x, T y) { return std::abs(x - y); });
}

/// The register operations of the compiled-in xsimd batch under the names of avx2::lanes, so
/// that one kernel body serves both (distance/detail/center_panel_kernel.inc).
template <class T>
struct lanes {
  using reg = xsimd::batch<T>;
  static constexpr std::size_t width = reg::size;
  static reg zero() noexcept { return reg(T{0}); }
  static reg splat(T v) noexcept { return reg(v); }
  static reg load_aligned(const T* p) noexcept { return reg::load_aligned(p); }
  static void store_aligned(T* p, reg v) noexcept { v.store_aligned(p); }
  static reg fma(reg a, reg b, reg c) noexcept { return xsimd::fma(a, b, c); }
  static auto less(reg a, reg b) noexcept { return a < b; }
  static reg select(typename reg::batch_bool_type mask, reg yes, reg no) noexcept { return xsimd::select(mask, yes, no); }
};
}  // namespace simd
#endif

#if SEGKIT_RUNTIME_AVX2
/// AVX2 + FMA kernels compiled beside the baseline ones (function multiversioning) and chosen at
/// run time by segkit::cpu::runtime_avx2(); call them only when it returns true. Same order of
/// operations as the xsimd kernels compiled for AVX2.
namespace avx2 {
/// The 256-bit register operations the kernels need, for float (8 lanes) and double (4 lanes).
template <class T>
struct lanes;
template <>
struct lanes<float> {
  using reg = detail::v256::f32x8;
  static constexpr std::size_t width = 8;
  SEGKIT_TARGET_AVX2 static reg zero() noexcept { return reg{}; }
  SEGKIT_TARGET_AVX2 static reg splat(float v) noexcept { return reg{v, v, v, v, v, v, v, v}; }
  SEGKIT_TARGET_AVX2 static reg load(const float* p) noexcept { return detail::v256::load(p); }
  SEGKIT_TARGET_AVX2 static reg load_aligned(const float* p) noexcept { return *reinterpret_cast<const reg*>(p); }
  SEGKIT_TARGET_AVX2 static void store_aligned(float* p, reg v) noexcept { *reinterpret_cast<reg*>(p) = v; }
  SEGKIT_TARGET_AVX2 static reg add(reg a, reg b) noexcept { return a + b; }
  SEGKIT_TARGET_AVX2 static reg sub(reg a, reg b) noexcept { return a - b; }
  SEGKIT_TARGET_AVX2 static reg fma(reg a, reg b, reg c) noexcept { return detail::v256::fma(a, b, c); }
  /// |a|: the sign bits cleared (as _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a)).
  SEGKIT_TARGET_AVX2 static reg abs(reg a) noexcept {
    constexpr int m = 0x7fffffff;
    return __builtin_bit_cast(reg, __builtin_bit_cast(detail::v256::i32x8, a) & detail::v256::i32x8{m, m, m, m, m, m, m, m});
  }
  /// The mask of the lanes where a < b; select() takes `yes` where the mask is set, else `no`.
  SEGKIT_TARGET_AVX2 static reg less(reg a, reg b) noexcept { return __builtin_ia32_cmpps256(a, b, detail::v256::cmp_lt_oq); }
  SEGKIT_TARGET_AVX2 static reg select(reg mask, reg yes, reg no) noexcept { return __builtin_ia32_blendvps256(no, yes, mask); }
  SEGKIT_TARGET_AVX2 static float sum(reg v) noexcept { return detail::v256::sum(v); }
};
template <>
struct lanes<double> {
  using reg = detail::v256::f64x4;
  static constexpr std::size_t width = 4;
  SEGKIT_TARGET_AVX2 static reg zero() noexcept { return reg{}; }
  SEGKIT_TARGET_AVX2 static reg splat(double v) noexcept { return reg{v, v, v, v}; }
  SEGKIT_TARGET_AVX2 static reg load(const double* p) noexcept { return detail::v256::load(p); }
  SEGKIT_TARGET_AVX2 static reg load_aligned(const double* p) noexcept { return *reinterpret_cast<const reg*>(p); }
  SEGKIT_TARGET_AVX2 static void store_aligned(double* p, reg v) noexcept { *reinterpret_cast<reg*>(p) = v; }
  SEGKIT_TARGET_AVX2 static reg add(reg a, reg b) noexcept { return a + b; }
  SEGKIT_TARGET_AVX2 static reg sub(reg a, reg b) noexcept { return a - b; }
  SEGKIT_TARGET_AVX2 static reg fma(reg a, reg b, reg c) noexcept { return detail::v256::fma(a, b, c); }
  SEGKIT_TARGET_AVX2 static reg abs(reg a) noexcept {
    constexpr long long m = 0x7fffffffffffffffLL;
    return __builtin_bit_cast(reg, __builtin_bit_cast(detail::v256::i64x4, a) & detail::v256::i64x4{m, m, m, m});
  }
  SEGKIT_TARGET_AVX2 static reg less(reg a, reg b) noexcept { return __builtin_ia32_cmppd256(a, b, detail::v256::cmp_lt_oq); }
  SEGKIT_TARGET_AVX2 static reg select(reg mask, reg yes, reg no) noexcept { return __builtin_ia32_blendvpd256(no, yes, mask); }
  SEGKIT_TARGET_AVX2 static double sum(reg v) noexcept { return detail::v256::sum(v); }
};

/// The three kernels' steps: acc + x*y, acc + (x-y)^2, acc + |x-y|.
enum class step { dot, squared_l2, l1 };

template <step S, class T>
SEGKIT_TARGET_AVX2 typename lanes<T>::reg accumulate(typename lanes<T>::reg x, typename lanes<T>::reg y, typename lanes<T>::reg acc) noexcept {
  using L = lanes<T>;
  if constexpr (S == step::dot) return L::fma(x, y, acc);
  if constexpr (S == step::squared_l2) {
    const auto d = L::sub(x, y);
    return L::fma(d, d, acc);
  }
  if constexpr (S == step::l1) return L::add(acc, L::abs(L::sub(x, y)));
}

// Four accumulators, a one-register step loop, a scalar tail (the order of simd::detail::reduce).
template <step S, class T>
SEGKIT_TARGET_AVX2 T reduce(const T* a, const T* b, std::size_t n) noexcept {
  using L = lanes<T>;
  constexpr std::size_t w = L::width;
  auto s0 = L::zero(), s1 = L::zero(), s2 = L::zero(), s3 = L::zero();
  std::size_t i = 0;
  for (; i + 4 * w <= n; i += 4 * w) {
    s0 = accumulate<S, T>(L::load(a + i), L::load(b + i), s0);
    s1 = accumulate<S, T>(L::load(a + i + w), L::load(b + i + w), s1);
    s2 = accumulate<S, T>(L::load(a + i + 2 * w), L::load(b + i + 2 * w), s2);
    s3 = accumulate<S, T>(L::load(a + i + 3 * w), L::load(b + i + 3 * w), s3);
  }
  for (; i + w <= n; i += w) s0 = accumulate<S, T>(L::load(a + i), L::load(b + i), s0);
  T s = L::sum(L::add(L::add(s0, s1), L::add(s2, s3)));
  for (; i < n; ++i) {
    if constexpr (S == step::dot) s += a[i] * b[i];
    if constexpr (S == step::squared_l2) s += (a[i] - b[i]) * (a[i] - b[i]);
    if constexpr (S == step::l1) s += std::abs(a[i] - b[i]);
  }
  return s;
}

/// Sum of a_i * b_i.
template <class T>
SEGKIT_TARGET_AVX2 T dot(const T* a, const T* b, std::size_t n) noexcept {
  return reduce<step::dot>(a, b, n);
}
/// Sum of (a_i - b_i)^2.
template <class T>
SEGKIT_TARGET_AVX2 T squared_l2(const T* a, const T* b, std::size_t n) noexcept {
  return reduce<step::squared_l2>(a, b, n);
}
/// Sum of |a_i - b_i|.
template <class T>
SEGKIT_TARGET_AVX2 T l1(const T* a, const T* b, std::size_t n) noexcept {
  return reduce<step::l1>(a, b, n);
}
}  // namespace avx2
#endif

namespace detail {
template <class T>
inline constexpr bool simd_type = SEGKIT_SIMD && (std::is_same_v<T, float> || std::is_same_v<T, double>);
/// Below this length the run-time AVX2 kernels gain nothing over the inlined baseline ones.
inline constexpr std::size_t runtime_min_length = 16;
}

/// Sum of a_i * b_i over n values.
template <class T>
T dot(const T* a, const T* b, std::size_t n) noexcept {
#if SEGKIT_RUNTIME_AVX2
  if constexpr (detail::simd_type<T>) {
    if (n >= detail::runtime_min_length && cpu::runtime_avx2()) return avx2::dot(a, b, n);
  }
#endif
#if SEGKIT_SIMD
  if constexpr (detail::simd_type<T>) return simd::dot(a, b, n);
#endif
  return scalar::dot(a, b, n);
}

/// Sum of (a_i - b_i)^2 over n values.
template <class T>
T squared_l2(const T* a, const T* b, std::size_t n) noexcept {
#if SEGKIT_RUNTIME_AVX2
  if constexpr (detail::simd_type<T>) {
    if (n >= detail::runtime_min_length && cpu::runtime_avx2()) return avx2::squared_l2(a, b, n);
  }
#endif
#if SEGKIT_SIMD
  if constexpr (detail::simd_type<T>) return simd::squared_l2(a, b, n);
#endif
  return scalar::squared_l2(a, b, n);
}

/// Sum of |a_i - b_i| over n values.
template <class T>
T l1(const T* a, const T* b, std::size_t n) noexcept {
#if SEGKIT_RUNTIME_AVX2
  if constexpr (detail::simd_type<T>) {
    if (n >= detail::runtime_min_length && cpu::runtime_avx2()) return avx2::l1(a, b, n);
  }
#endif
#if SEGKIT_SIMD
  if constexpr (detail::simd_type<T>) return simd::l1(a, b, n);
#endif
  return scalar::l1(a, b, n);
}

/// Name of the instruction set the kernels run with: "avx2" when chosen at run time, else the
/// one compiled in ("sse2", "avx2", ...), "scalar" without SIMD.
inline const char* simd_architecture() noexcept {
#if SEGKIT_RUNTIME_AVX2
  if (cpu::runtime_avx2()) return "avx2 (chosen at run time)";
#endif
#if SEGKIT_SIMD
  return xsimd::default_arch::name();
#else
  return "scalar";
#endif
}

}  // namespace segkit::distance
