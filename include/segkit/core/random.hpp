#pragma once
/// @file
/// @brief Seeded random numbers with independent streams, identical on every platform.

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace segkit {

namespace detail {
__extension__ using uint128 = unsigned __int128;  // GCC/Clang extension, for Lemire's method
}

/**
 * @brief xoshiro256** generator (Blackman & Vigna, "Scrambled linear pseudorandom number
 * generators", 2018), seeded through splitmix64 from a (seed, stream) pair.
 *
 * Streams let parallel work be reproducible: the work range r draws from `rng(seed, r)`, so the
 * numbers a range sees do not depend on which thread runs it. Unlike the standard distributions,
 * uniform(), below() and normal() give the same values with every compiler and library.
 * Satisfies std::uniform_random_bit_generator.
 * @par Thread safety  One generator per thread; a generator is not shared.
 */
class rng {
 public:
  using result_type = std::uint64_t;

  /// Generator for stream `stream` of seed `seed`; different (seed, stream) pairs are independent.
  explicit rng(std::uint64_t seed = 0, std::uint64_t stream = 0) noexcept {
    std::uint64_t x = seed ^ mix(stream + 0x9E3779B97F4A7C15ULL);
    for (auto& s : s_) s = splitmix(x);
  }

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

  /// Next 64 random bits.
  result_type operator()() noexcept {
    const std::uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
  }

  /// Uniform double in [0, 1) with 53 random bits.
  double uniform() noexcept { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

  /// Uniform integer in [0, n) without bias (Lemire, "Fast random integer generation in an
  /// interval", 2019). n must be > 0.
  std::uint64_t below(std::uint64_t n) noexcept {
    detail::uint128 m = static_cast<detail::uint128>((*this)()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<detail::uint128>((*this)()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

  /// Standard normal deviate (Box-Muller; the second value of each pair is kept for the next call).
  double normal() noexcept {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = 0.0;
    do {
      u1 = uniform();
    } while (u1 <= 0.0);
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double a = 6.283185307179586 * u2;
    spare_ = r * std::sin(a);
    has_spare_ = true;
    return r * std::cos(a);
  }

 private:
  static std::uint64_t mix(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  static std::uint64_t splitmix(std::uint64_t& x) noexcept { return mix(x += 0x9E3779B97F4A7C15ULL); }

  std::uint64_t s_[4]{};
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace segkit
