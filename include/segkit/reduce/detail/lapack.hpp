#pragma once
// The few LAPACK routines the reducers use, declared by their Fortran symbols (every LAPACK
// exports them; the library comes with xtensor-blas's link interface), wrapped for row-major
// double matrices.

#include <algorithm>
#include <climits>
#include <cstddef>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"

extern "C" {
void dsyevr_(const char* jobz, const char* range, const char* uplo, const int* n, double* a, const int* lda, const double* vl,
             const double* vu, const int* il, const int* iu, const double* abstol, int* m, double* w, double* z, const int* ldz,
             int* isuppz, double* work, const int* lwork, int* iwork, const int* liwork, int* info, std::size_t, std::size_t,
             std::size_t);
void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s, double* u, const int* ldu, double* vt,
             const int* ldvt, double* work, const int* lwork, int* iwork, int* info, std::size_t);
void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work, const int* lwork, int* info);
void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau, double* work, const int* lwork,
             int* info);
}

namespace segkit::reduce::detail {

inline int lapack_int(std::size_t v) {
  if (v > static_cast<std::size_t>(INT_MAX)) segkit::detail::throw_invalid("segkit::reduce", fmt::format("size {} exceeds LAPACK's limit", v));
  return static_cast<int>(v);
}

[[noreturn]] inline void lapack_failed(const char* routine, int info) {
  throw segkit::error(segkit::detail::compose("segkit::reduce", fmt::format("LAPACK {} failed (info = {})", routine, info)));
}

/**
 * Eigen-decomposition of the symmetric n x n matrix `a` (row-major; only symmetry is used, so
 * row- and column-major agree). Returns eigenvalues in descending order; `vectors` receives the
 * eigenvectors as rows (row i belongs to value i).
 */
inline std::vector<double> symmetric_eigen(std::vector<double> a, std::size_t n, std::vector<double>& vectors) {
  const int in = lapack_int(n);
  std::vector<double> w(n), z(n * n);
  std::vector<int> isuppz(2 * std::max<std::size_t>(n, 1));
  int m = 0, info = 0, lwork = -1, liwork = -1, iwq = 0;
  double wq = 0.0, zero = 0.0, abstol = 0.0;
  int one = 1;
  const int lda = std::max(in, 1);
  dsyevr_("V", "A", "U", &in, a.data(), &lda, &zero, &zero, &one, &one, &abstol, &m, w.data(), z.data(), &lda, isuppz.data(), &wq, &lwork,
          &iwq, &liwork, &info, 1, 1, 1);
  lwork = static_cast<int>(wq);
  liwork = iwq;
  std::vector<double> work(static_cast<std::size_t>(std::max(lwork, 1)));
  std::vector<int> iwork(static_cast<std::size_t>(std::max(liwork, 1)));
  dsyevr_("V", "A", "U", &in, a.data(), &lda, &zero, &zero, &one, &one, &abstol, &m, w.data(), z.data(), &lda, isuppz.data(), work.data(),
          &lwork, iwork.data(), &liwork, &info, 1, 1, 1);
  if (info != 0) lapack_failed("dsyevr", info);
  // z is column-major: column j (= row j of our row-major reading) is the eigenvector of w[j], ascending.
  vectors.assign(n * n, 0.0);
  std::vector<double> values(n);
  for (std::size_t r = 0; r < n; ++r) {
    const std::size_t j = n - 1 - r;
    values[r] = w[j];
    std::copy_n(z.data() + j * n, n, vectors.data() + r * n);
  }
  return values;
}

/**
 * Thin SVD of the m x n row-major matrix `a`: a = U diag(s) Vt with U m x r, Vt r x n
 * (r = min(m, n)), both returned row-major.
 */
inline std::vector<double> thin_svd(std::vector<double> a, std::size_t m, std::size_t n, std::vector<double>& u, std::vector<double>& vt) {
  // Row-major a is column-major a^T (n x m): a^T = V s U^T, so LAPACK's "U" is our V and its "VT" our U^T.
  const std::size_t r = std::min(m, n);
  const int im = lapack_int(n), in = lapack_int(m), ir = lapack_int(r);
  std::vector<double> s(r), lu(n * r), lvt(r * m);
  std::vector<int> iwork(8 * std::max<std::size_t>(r, 1));
  int info = 0, lwork = -1;
  double wq = 0.0;
  const int lda = std::max(im, 1), ldu = std::max(im, 1), ldvt = std::max(ir, 1);
  dgesdd_("S", &im, &in, a.data(), &lda, s.data(), lu.data(), &ldu, lvt.data(), &ldvt, &wq, &lwork, iwork.data(), &info, 1);
  lwork = static_cast<int>(wq);
  std::vector<double> work(static_cast<std::size_t>(std::max(lwork, 1)));
  dgesdd_("S", &im, &in, a.data(), &lda, s.data(), lu.data(), &ldu, lvt.data(), &ldvt, work.data(), &lwork, iwork.data(), &info, 1);
  if (info != 0) lapack_failed("dgesdd", info);
  // lu: n x r column-major = V (columns are right singular vectors) -> Vt row-major r x n: row j = column j.
  vt.assign(r * n, 0.0);
  for (std::size_t j = 0; j < r; ++j) std::copy_n(lu.data() + j * n, n, vt.data() + j * n);
  // lvt: r x m column-major = U^T -> U row-major m x r: U(i, j) = lvt(j, i) = lvt[i * r + j].
  u.assign(m * r, 0.0);
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < r; ++j) u[i * r + j] = lvt[i * r + j];
  }
  return s;
}

/**
 * Orthonormal basis of the columns of the m x n row-major matrix `a` (m >= n), in place:
 * a becomes Q (m x n, row-major) of its QR factorization.
 */
inline void orthonormalize_columns(std::vector<double>& a, std::size_t m, std::size_t n) {
  // Row-major m x n is column-major n x m (a^T); QR must act on the columns of a, so transpose.
  std::vector<double> c(m * n);
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < n; ++j) c[j * m + i] = a[i * n + j];
  }
  const int im = lapack_int(m), in = lapack_int(n);
  const int lda = std::max(im, 1);
  std::vector<double> tau(n);
  int info = 0, lwork = -1;
  double wq = 0.0;
  dgeqrf_(&im, &in, c.data(), &lda, tau.data(), &wq, &lwork, &info);
  lwork = std::max(static_cast<int>(wq), 1);
  std::vector<double> work(static_cast<std::size_t>(lwork));
  dgeqrf_(&im, &in, c.data(), &lda, tau.data(), work.data(), &lwork, &info);
  if (info != 0) lapack_failed("dgeqrf", info);
  lwork = -1;
  dorgqr_(&im, &in, &in, c.data(), &lda, tau.data(), &wq, &lwork, &info);
  lwork = std::max(static_cast<int>(wq), 1);
  work.assign(static_cast<std::size_t>(lwork), 0.0);
  dorgqr_(&im, &in, &in, c.data(), &lda, tau.data(), work.data(), &lwork, &info);
  if (info != 0) lapack_failed("dorgqr", info);
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < n; ++j) a[i * n + j] = c[j * m + i];
  }
}

}  // namespace segkit::reduce::detail
