#pragma once
/// @file
/// @brief Instruction sets chosen at run time: a program compiled for baseline x86-64 (no
/// `-march=native`) still runs segkit's distance kernels with AVX2 and FMA where the CPU has them.
///
/// segkit's kernels are compiled twice when the target does not already guarantee AVX2: once for
/// the baseline (xsimd's SSE2 batches) and once as functions marked
/// `__attribute__((target("avx2,fma,f16c")))`, which GCC and Clang compile for those instructions
/// whatever the command line says (function multiversioning). The first call asks the CPU
/// (`__builtin_cpu_supports`) and every later call takes the same branch. So one binary runs on
/// any x86-64 CPU and is as fast as a `-march=native` build on an AVX2 one (bench/RESULTS.md).
///
/// - Compiled with AVX2, FMA and F16C enabled (e.g. `-march=native` on such a machine, or
///   linking segkit::native), there is nothing to choose: SEGKIT_RUNTIME_AVX2 is 0.
/// - `SEGKIT_NO_RUNTIME_DISPATCH` (or `SEGKIT_DISABLE_SIMD`) turns the run-time choice off.
/// - The environment variable `SEGKIT_SIMD=baseline` makes a process keep to the baseline kernels
///   (read once, at the first call): to compare the two paths, or to rule the AVX2 one out.
///
/// AVX-512 is not dispatched: on the CPUs it would serve, the AVX2 kernels run and the 512-bit
/// ones are left to `-march=native` builds (xsimd chooses them at compile time).

#include <cstdlib>
#include <cstring>

#if !defined(SEGKIT_DISABLE_SIMD) && !defined(SEGKIT_NO_RUNTIME_DISPATCH) && defined(__x86_64__) && \
    (defined(__GNUC__) || defined(__clang__)) && !(defined(__AVX2__) && defined(__FMA__) && defined(__F16C__))
/// 1 when the AVX2 kernels are compiled beside the baseline ones and chosen at run time.
#define SEGKIT_RUNTIME_AVX2 1
/// Marks a function compiled for AVX2, FMA and F16C whatever the command line enables.
#define SEGKIT_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#else
#define SEGKIT_RUNTIME_AVX2 0
#define SEGKIT_TARGET_AVX2
#endif

namespace segkit::cpu {

/// True if the run-time AVX2 kernels are compiled in and this CPU runs them (AVX2, FMA and F16C),
/// unless `SEGKIT_SIMD=baseline` is set. Decided once per process.
[[nodiscard]] inline bool runtime_avx2() noexcept {
#if SEGKIT_RUNTIME_AVX2
  static const bool yes = [] {
    const char* forced = std::getenv("SEGKIT_SIMD");  // NOLINT(concurrency-mt-unsafe): read once
    if (forced != nullptr && std::strcmp(forced, "baseline") == 0) return false;
    __builtin_cpu_init();
    // Every CPU with AVX2 has F16C (Intel from Ivy Bridge, AMD from Piledriver), and clang 14's
    // __builtin_cpu_supports does not know "f16c": AVX2 and FMA are asked for.
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return yes;
#else
  return false;
#endif
}

#if SEGKIT_RUNTIME_AVX2
// Sanitized builds (AddressSanitizer, ThreadSanitizer) leave `flatten` out of call_avx2: inlining
// every call into instrumented code made the compiler four times slower (HDBSCAN's instances:
// 113 s instead of 29 s) for the same steps; the copy then inlines as the optimizer chooses.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SEGKIT_DETAIL_FLATTEN
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SEGKIT_DETAIL_FLATTEN
#endif
#endif
#ifndef SEGKIT_DETAIL_FLATTEN
#define SEGKIT_DETAIL_FLATTEN , flatten
#endif
namespace detail {
// f(args...) in an AVX2 + FMA copy: flatten inlines every call inside it, so f's body, the
// kernels and the plain loops it calls are all compiled for AVX2, as -march=native compiles them.
template <class F, class... A>
__attribute__((target("avx2,fma,f16c") SEGKIT_DETAIL_FLATTEN)) void call_avx2(F& f, A&... args) {
  f(args...);
}
}  // namespace detail
#endif

/**
 * @brief Runs a hot loop in a copy compiled for AVX2 + FMA when this CPU has them
 * (runtime_avx2()), else as compiled: for loops of plain code around the kernels (k-means'
 * bounds, Borůvka's tree searches) that a portable build would otherwise run with SSE2 only.
 * The same steps either way; sums may differ in the last bit, as between any two instruction sets.
 * @code
 * segkit::cpu::dispatch_avx2([&](std::size_t b, std::size_t e) { ... }, begin, end);
 * @endcode
 */
template <class F, class... A>
void dispatch_avx2(F&& f, A... args) {
#if SEGKIT_RUNTIME_AVX2
  if (runtime_avx2()) {
    detail::call_avx2(f, args...);
    return;
  }
#endif
  f(args...);
}

}  // namespace segkit::cpu
