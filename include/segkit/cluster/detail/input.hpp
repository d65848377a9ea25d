#pragma once
// Checks every clusterer applies to its input rows and sample weights.

#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"

namespace segkit::cluster::detail {

/// Throws segkit::invalid_argument naming `comp` if x has no rows, no columns, or a NaN/Inf.
template <class T>
void check_samples(const char* comp, const matrix_view<T>& x) {
  if (x.rows() == 0) segkit::detail::throw_invalid(comp, "no samples (x has 0 rows)");
  if (x.cols() == 0) segkit::detail::throw_invalid(comp, "samples have 0 features");
  require_finite<T>(comp, "x", x);
}

/// One weight per row (all 1 when `given` is empty), each finite and >= 0; with
/// `positive_total`, not all zero.
inline std::vector<double> sample_weights(const char* comp, std::span<const double> given, std::size_t n, bool positive_total) {
  using segkit::detail::throw_invalid;
  if (given.empty()) return std::vector<double>(n, 1.0);
  if (given.size() != n) throw_invalid(comp, fmt::format("{} weights for {} samples", given.size(), n));
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!(given[i] >= 0.0) || !std::isfinite(given[i])) throw_invalid(comp, fmt::format("weight {} is {} (must be finite and >= 0)", i, given[i]));
    total += given[i];
  }
  if (positive_total && !(total > 0.0)) throw_invalid(comp, "all sample weights are zero");
  return {given.begin(), given.end()};
}

}  // namespace segkit::cluster::detail
