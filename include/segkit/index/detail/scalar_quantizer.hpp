#pragma once
// 8-bit scalar quantization with a per-dimension range: value j of a vector is stored as the
// byte round((x_j - lo_j) / step_j), clamped to 0..255, and read back as lo_j + step_j * byte.
// Shared by the sq8 lists of index::ivf (on residuals) and the int8 storage of index::hnsw.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace segkit::index::detail {

template <class T>
struct scalar_quantizer {
  std::vector<T> lo, step;  // per dimension; empty until trained

  [[nodiscard]] bool trained() const noexcept { return !lo.empty(); }

  // The range (minimum to maximum) of each dimension over `count` rows of `dim` values, row r at
  // rows + r * stride. (Trimming the range to inner quantiles was tried for HNSW on the text
  // benchmark set: clamping the tails cost recall at every ef, so the full range it is.)
  void train(const T* rows, std::size_t count, std::size_t dim, std::size_t stride) {
    lo.assign(dim, std::numeric_limits<T>::infinity());
    std::vector<T> hi(dim, -std::numeric_limits<T>::infinity());
    for (std::size_t i = 0; i < count; ++i) {
      const T* x = rows + i * stride;
      for (std::size_t j = 0; j < dim; ++j) {
        lo[j] = std::min(lo[j], x[j]);
        hi[j] = std::max(hi[j], x[j]);
      }
    }
    step.assign(dim, T{1});
    for (std::size_t j = 0; j < dim; ++j) {
      if (count == 0) lo[j] = T{0};
      else if (hi[j] > lo[j]) step[j] = (hi[j] - lo[j]) / T{255};
    }
  }

  void encode(const T* x, std::uint8_t* code) const noexcept {
    for (std::size_t j = 0; j < lo.size(); ++j) {
      const T v = std::round((x[j] - lo[j]) / step[j]);
      code[j] = static_cast<std::uint8_t>(std::clamp(v, T{0}, T{255}));
    }
  }

  [[nodiscard]] T decode(std::size_t j, std::uint8_t c) const noexcept { return lo[j] + step[j] * static_cast<T>(c); }

  // Squared Euclidean distance from x to the decoded code. 16 independent partial sums, so the
  // compiler vectorizes without reassociating.
  [[nodiscard]] T squared_l2(const T* x, const std::uint8_t* code) const noexcept {
    constexpr std::size_t lanes = 16;
    const std::size_t dim = lo.size();
    T acc[lanes] = {};
    std::size_t j = 0;
    for (; j + lanes <= dim; j += lanes) {
      for (std::size_t t = 0; t < lanes; ++t) {
        const T diff = x[j + t] - (lo[j + t] + step[j + t] * static_cast<T>(code[j + t]));
        acc[t] += diff * diff;
      }
    }
    for (; j < dim; ++j) {
      const T diff = x[j] - decode(j, code[j]);
      acc[0] += diff * diff;
    }
    T sum{0};
    for (std::size_t t = 0; t < lanes; ++t) sum += acc[t];
    return sum;
  }

  // A range read from a file is usable: finite lower ends, finite positive steps.
  [[nodiscard]] bool valid(std::size_t dim) const noexcept {
    if (lo.size() != dim || step.size() != dim) return false;
    for (std::size_t j = 0; j < dim; ++j) {
      if (!std::isfinite(lo[j]) || !std::isfinite(step[j]) || !(step[j] > T{0})) return false;
    }
    return true;
  }
};

}  // namespace segkit::index::detail
