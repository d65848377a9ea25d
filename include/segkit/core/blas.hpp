#pragma once
/// @file
/// @brief Row-major matrix products through BLAS (sgemm/dgemm): the one route to BLAS of blocked
/// distances, k-means, GMM and PCA. segkit declares the Fortran BLAS symbols itself (every BLAS
/// exports them), so no cblas header is needed; the library comes from xtensor-blas's link
/// interface (OpenBLAS on Debian).

#include <climits>
#include <cstddef>

#include <fmt/format.h>

#include "segkit/core/error.hpp"

/// @cond INTERNAL
extern "C" {
void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k, const float* alpha,
            const float* a, const int* lda, const float* b, const int* ldb, const float* beta, float* c, const int* ldc,
            std::size_t transa_len, std::size_t transb_len);
void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k, const double* alpha,
            const double* a, const int* lda, const double* b, const int* ldb, const double* beta, double* c,
            const int* ldc, std::size_t transa_len, std::size_t transb_len);
}
/// @endcond

namespace segkit::blas {

/// `v` as BLAS's int. @throws segkit::invalid_argument naming `what` if it exceeds INT_MAX.
inline int blas_int(std::size_t v, const char* what) {
  if (v > static_cast<std::size_t>(INT_MAX)) {
    segkit::detail::throw_invalid("segkit::blas", fmt::format("{} ({}) exceeds the BLAS limit of {}", what, v, INT_MAX));
  }
  return static_cast<int>(v);
}

/// C (m x n, row-major, leading dimension ldc) = alpha * A * B^T, where A is m x k (row stride lda)
/// and B is n x k (row stride ldb), both row-major. Column-major view: C^T = B * A^T.
template <class T>
void gemm_abt(std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda, const T* b,
              std::size_t ldb, T* c, std::size_t ldc) {
  const int im = blas_int(m, "rows"), in = blas_int(n, "rows"), ik = blas_int(k, "dimension");
  const int ilda = blas_int(lda, "row stride"), ildb = blas_int(ldb, "row stride"), ildc = blas_int(ldc, "row stride");
  const T beta{0};
  if constexpr (sizeof(T) == 4) {
    sgemm_("T", "N", &in, &im, &ik, &alpha, b, &ildb, a, &ilda, &beta, c, &ildc, 1, 1);
  } else {
    dgemm_("T", "N", &in, &im, &ik, &alpha, b, &ildb, a, &ilda, &beta, c, &ildc, 1, 1);
  }
}

/// General row-major product C (m x n, row stride ldc) = alpha * op(A) * op(B) + beta * C, where
/// op(X) is X or its transpose (trans_* = true) and A, B are row-major with row strides lda, ldb.
/// A row-major matrix is its transpose in column-major order, so the Fortran call computes
/// C^T = op(B)^T op(A)^T with the operands swapped and the same transpose flags.
template <class T>
void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda,
          const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
  if (m == 0 || n == 0) return;
  const int im = blas_int(m, "rows"), in = blas_int(n, "columns"), ik = blas_int(k, "inner dimension");
  const int ilda = blas_int(lda, "row stride"), ildb = blas_int(ldb, "row stride"), ildc = blas_int(ldc, "row stride");
  const char* ta = trans_a ? "T" : "N";
  const char* tb = trans_b ? "T" : "N";
  if constexpr (sizeof(T) == 4) {
    sgemm_(tb, ta, &in, &im, &ik, &alpha, b, &ildb, a, &ilda, &beta, c, &ildc, 1, 1);
  } else {
    dgemm_(tb, ta, &in, &im, &ik, &alpha, b, &ildb, a, &ilda, &beta, c, &ildc, 1, 1);
  }
}

}  // namespace segkit::blas
