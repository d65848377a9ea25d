#pragma once
// Seeded data generators shared by the tests.

#include <cstddef>
#include <cstdint>

#include <segkit/core/matrix_view.hpp>
#include <segkit/core/random.hpp>

namespace segkit::test {

// n x d standard normal values; one RNG stream per row so a prefix does not depend on n.
inline matrix<float> normal_matrix(std::size_t n, std::size_t d, std::uint64_t seed) {
  matrix<float> m = matrix<float>::from_shape({n, d});
  for (std::size_t i = 0; i < n; ++i) {
    rng r(seed, i);
    for (std::size_t j = 0; j < d; ++j) m(i, j) = static_cast<float>(r.normal());
  }
  return m;
}

// n points around `centers` random centers (spread 5) with unit noise; label i % centers.
inline matrix<float> blobs(std::size_t n, std::size_t d, std::size_t centers, std::uint64_t seed) {
  const auto c = normal_matrix(centers, d, seed ^ 0xC0FFEEULL);
  matrix<float> m = normal_matrix(n, d, seed);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) m(i, j) += 5.0f * c(i % centers, j);
  }
  return m;
}

}  // namespace segkit::test
