#pragma once
/// @file
/// @brief Dot product, squared Euclidean and Manhattan kernels: xsimd for the instruction set chosen
/// at compile time (link segkit::native for AVX2/AVX-512), scalar otherwise.
///
/// The SIMD path is used for float and double unless SEGKIT_DISABLE_SIMD is defined or xsimd
/// supports no architecture for the target. Accumulation is in T with four independent SIMD
/// accumulators; the error against a double-precision sum is about 1e-6 relative for float.
/// Pointers need no particular alignment.

#include <cmath>
#include <cstddef>
#include <type_traits>

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
}  // namespace simd
#endif

namespace detail {
template <class T>
inline constexpr bool simd_type = SEGKIT_SIMD && (std::is_same_v<T, float> || std::is_same_v<T, double>);
}

/// Sum of a_i * b_i over n values.
template <class T>
T dot(const T* a, const T* b, std::size_t n) noexcept {
#if SEGKIT_SIMD
  if constexpr (detail::simd_type<T>) return simd::dot(a, b, n);
#endif
  return scalar::dot(a, b, n);
}

/// Sum of (a_i - b_i)^2 over n values.
template <class T>
T squared_l2(const T* a, const T* b, std::size_t n) noexcept {
#if SEGKIT_SIMD
  if constexpr (detail::simd_type<T>) return simd::squared_l2(a, b, n);
#endif
  return scalar::squared_l2(a, b, n);
}

/// Sum of |a_i - b_i| over n values.
template <class T>
T l1(const T* a, const T* b, std::size_t n) noexcept {
#if SEGKIT_SIMD
  if constexpr (detail::simd_type<T>) return simd::l1(a, b, n);
#endif
  return scalar::l1(a, b, n);
}

/// Name of the instruction set the kernels were compiled for ("scalar" without SIMD).
inline const char* simd_architecture() noexcept {
#if SEGKIT_SIMD
  return xsimd::default_arch::name();
#else
  return "scalar";
#endif
}

}  // namespace segkit::distance
