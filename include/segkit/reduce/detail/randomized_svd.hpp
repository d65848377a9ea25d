#pragma once
// Randomized truncated SVD of an operator known only through its products (PCA's centered rows,
// truncated_svd's sparse rows). Internal.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "segkit/core/blas.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/random.hpp"
#include "segkit/distance/pairwise.hpp"
#include "segkit/reduce/detail/lapack.hpp"

namespace segkit::reduce::detail {

/**
 * Re-normalizes the columns of the m x n row-major matrix `a` between power iterations by one
 * Cholesky QR step: G = a^T a (row blocks summed in block order), G = R^T R, a <- a R^-1 — about
 * a quarter of Householder QR's arithmetic, all of it in matrix products. The columns come out
 * orthonormal up to the conditioning of G (enough to keep the power iterations from collapsing
 * onto the top direction; the final basis is made by Householder QR). Falls back to Householder
 * QR when G is not numerically positive definite. Spans the same subspace either way.
 */
inline void orthonormalize_columns_fast(std::vector<double>& a, std::size_t m, std::size_t n, executor& ex) {
  constexpr std::size_t block = 4096;
  {
    auto g = parallel_reduce(
        ex, m, block, std::vector<double>(n * n, 0.0),
        [&](std::size_t b, std::size_t e, std::size_t) {
          std::vector<double> part(n * n, 0.0);
          blas::gemm<double>(true, false, n, n, e - b, 1.0, a.data() + b * n, n, a.data() + b * n, n, 0.0, part.data(), n);
          return part;
        },
        [](std::vector<double> acc, const std::vector<double>& p) {
          for (std::size_t i = 0; i < acc.size(); ++i) acc[i] += p[i];
          return acc;
        });
    // Cholesky G = R^T R (R upper, row-major), then R^-1 (upper) by back substitution.
    double top = 0.0;
    for (std::size_t i = 0; i < n; ++i) top = std::max(top, g[i * n + i]);
    std::vector<double> r(n * n, 0.0);
    for (std::size_t j = 0; j < n; ++j) {
      double d = g[j * n + j];
      for (std::size_t k = 0; k < j; ++k) d -= r[k * n + j] * r[k * n + j];
      if (!(d > 1e-12 * top)) {
        orthonormalize_columns(a, m, n);
        return;
      }
      r[j * n + j] = std::sqrt(d);
      for (std::size_t c = j + 1; c < n; ++c) {
        double v = g[j * n + c];
        for (std::size_t k = 0; k < j; ++k) v -= r[k * n + j] * r[k * n + c];
        r[j * n + c] = v / r[j * n + j];
      }
    }
    std::vector<double> inv(n * n, 0.0);
    for (std::size_t c = 0; c < n; ++c) {  // column c of R^-1: solve R x = e_c
      for (std::size_t i = c + 1; i-- > 0;) {
        double v = i == c ? 1.0 : 0.0;
        for (std::size_t k = i + 1; k <= c; ++k) v -= r[i * n + k] * inv[k * n + c];
        inv[i * n + c] = v / r[i * n + i];
      }
    }
    std::vector<double> out(m * n);
    parallel_for(ex, m, block, [&](std::size_t b, std::size_t e, std::size_t) {
      blas::gemm<double>(false, false, e - b, n, n, 1.0, a.data() + b * n, n, inv.data(), n, 0.0, out.data() + b * n, n);
    });
    a.swap(out);
  }
}

/**
 * Randomized range finder with q power iterations (each product re-orthonormalized by
 * orthonormalize_columns_fast; the last basis by Householder QR), then an exact SVD of the small projection
 * (Halko, Martinsson & Tropp 2011, algorithms 4.4 and 5.1) of an n x d operator A given by
 * `times(Q, l)` = A Q (Q d x l, result n x l) and `times_transposed(Y, l)` = A^T Y (Y n x l, result
 * d x l), all row-major. The Gaussian test matrix draws one stream per input column from `seed`,
 * so nothing depends on threads. Fills `sv` with the l = min(n, d, k + oversamples) singular values
 * found (descending) and `axes` with the first min(k, l) right singular vectors (rows, d values each).
 */
template <class Times, class TimesTransposed>
void randomized_svd(std::size_t n, std::size_t d, std::size_t k, std::size_t oversamples, std::size_t q, std::uint64_t seed, Times&& times,
                    TimesTransposed&& times_transposed, executor& ex, std::vector<double>& sv, std::vector<double>& axes) {
  const std::size_t l = std::min({n, d, k + oversamples});
  std::vector<double> omega(d * l);
  for (std::size_t j = 0; j < d; ++j) {
    segkit::rng gen(seed, j);
    for (std::size_t c = 0; c < l; ++c) omega[j * l + c] = gen.normal();
  }
  std::vector<double> y = times(omega, l);  // n x l
  for (std::size_t it = 0; it < q; ++it) {
    orthonormalize_columns_fast(y, n, l, ex);
    auto z = times_transposed(y, l);  // d x l
    orthonormalize_columns_fast(z, d, l, ex);
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
