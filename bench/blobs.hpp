#pragma once
// The benchmarks' synthetic clusters: k centers drawn from N(0, 4^2) per coordinate, n rows each
// a uniformly chosen center plus N(0, 1) noise; seed 1, so every suite and program sees the same.
#include <cstddef>

#include <segkit/core/random.hpp>
#include <segkit/core/types.hpp>

namespace segkit_bench {

inline segkit::matrix<float> blobs(std::size_t n, std::size_t d, std::size_t k) {
  segkit::rng r(1);
  segkit::matrix<float> centers = segkit::matrix<float>::from_shape({k, d});
  for (auto& v : centers) v = static_cast<float>(4.0 * r.normal());
  segkit::matrix<float> x = segkit::matrix<float>::from_shape({n, d});
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = r.below(k);
    for (std::size_t j = 0; j < d; ++j) x(i, j) = centers(c, j) + static_cast<float>(r.normal());
  }
  return x;
}

}  // namespace segkit_bench
