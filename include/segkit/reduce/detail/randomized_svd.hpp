#pragma once
// Randomized truncated SVD of an operator known only through its products (PCA's centred rows,
// truncated_svd's sparse rows). Internal.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "segkit/core/parallel.hpp"
#include "segkit/core/random.hpp"
#include "segkit/reduce/detail/lapack.hpp"

namespace segkit::reduce::detail {

/**
 * Randomized range finder with q power iterations, then an exact SVD of the small projection
 * (Halko, Martinsson & Tropp 2011, algorithms 4.4 and 5.1) of an n x d operator A given by
 * `times(Q, l)` = A Q (Q d x l, result n x l) and `times_transposed(Y, l)` = A^T Y (Y n x l, result
 * d x l), all row-major. The Gaussian test matrix draws one stream per input column from `seed`,
 * so nothing depends on threads. Fills `sv` with the l = min(n, d, k + oversamples) singular values
 * found (descending) and `axes` with the first min(k, l) right singular vectors (rows, d values each).
 */
template <class Times, class TimesTransposed>
void randomized_svd(std::size_t n, std::size_t d, std::size_t k, std::size_t oversamples, std::size_t q, std::uint64_t seed, Times&& times,
                    TimesTransposed&& times_transposed, std::vector<double>& sv, std::vector<double>& axes) {
  const std::size_t l = std::min({n, d, k + oversamples});
  std::vector<double> omega(d * l);
  for (std::size_t j = 0; j < d; ++j) {
    segkit::rng gen(seed, j);
    for (std::size_t c = 0; c < l; ++c) omega[j * l + c] = gen.normal();
  }
  std::vector<double> y = times(omega, l);  // n x l
  for (std::size_t it = 0; it < q; ++it) {
    orthonormalize_columns(y, n, l);
    auto z = times_transposed(y, l);  // d x l
    orthonormalize_columns(z, d, l);
    y = times(z, l);
  }
  orthonormalize_columns(y, n, l);
  // B = Q^T A (l x d) = (A^T Q)^T.
  const auto bt = times_transposed(y, l);  // d x l
  std::vector<double> b(l * d);
  for (std::size_t j = 0; j < d; ++j) {
    for (std::size_t c = 0; c < l; ++c) b[c * d + j] = bt[j * l + c];
  }
  std::vector<double> ub, vt;
  sv = thin_svd(b, l, d, ub, vt);
  axes.assign(vt.begin(), vt.begin() + static_cast<std::ptrdiff_t>(std::min(k, sv.size()) * d));
}

}  // namespace segkit::reduce::detail
