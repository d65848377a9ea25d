#pragma once
/// @file
/// @brief Blocked many-to-many distances: matrix products through BLAS for l2, squared l2, inner
/// product and cosine (using row norms), SIMD kernels pair by pair for the other metrics.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/concepts.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/blas.hpp"
#include "segkit/core/params.hpp"
#include "segkit/distance/metrics.hpp"

namespace segkit::distance {

/// True for the gemm_forms that need a per-row norm term (the l2 forms and cosine).
template <class M>
constexpr bool needs_norm_terms() noexcept {
  return gemm_form_of<M>() == gemm_form::squared_l2 || gemm_form_of<M>() == gemm_form::cosine;
}

/// Norm term of one row: its squared norm for the l2 forms, its inverse norm (0 for a zero row)
/// for cosine.
template <class M, class T>
T norm_term(const T* row, std::size_t dim) noexcept {
  const T n2 = dot(row, row, dim);
  if constexpr (gemm_form_of<M>() == gemm_form::cosine) {
    return n2 > T{0} ? T{1} / std::sqrt(n2) : T{0};
  } else {
    return n2;
  }
}

/// Per-row values the matrix-product path needs (see norm_term); empty for metrics without them.
template <class M, class T>
std::vector<T> row_norm_terms(const matrix_view<T>& x) {
  std::vector<T> out;
  if constexpr (needs_norm_terms<M>()) {
    out.resize(x.rows());
    for (std::size_t i = 0; i < x.rows(); ++i) out[i] = norm_term<M>(x.row(i), x.cols());
  }
  return out;
}

/// Multiplier of the matrix product for a gemm_form: -2 for the l2 forms (x.y enters as -2 x.y), else 1.
template <class M, class T>
constexpr T gemm_alpha() noexcept {
  return gemm_form_of<M>() == gemm_form::squared_l2 ? T{-2} : T{1};
}

/**
 * @brief Ranking score (smaller is closer) from one entry of the alpha-scaled matrix product and
 * the two rows' norm terms: squared l2 for the l2 forms, -x.y for inner product, 1 - cos for
 * cosine (1 when a row is zero, whose inverse-norm term is 0). Branch-free, for selection loops.
 */
template <class M, class T>
constexpr T score_from_product(T product, T x_term, T y_term) noexcept {
  constexpr gemm_form form = gemm_form_of<M>();
  if constexpr (form == gemm_form::squared_l2) {
    return product + x_term + y_term;
  } else if constexpr (form == gemm_form::cosine) {
    return T{1} - product * x_term * y_term;
  } else {
    return -product;
  }
}

/**
 * @brief Writes the `x.rows() x y.rows()` values of metric `m` into `out` (row stride `ld`).
 *
 * `x_terms`/`y_terms` are row_norm_terms of x and y (ignored for metrics without a gemm_form).
 * With `ranking` true, l2 is left squared (same order, no square root); the other values are
 * the metric's own. Matrix-product values carry the rounding of the expansion (about 1e-6 of
 * |x|^2 + |y|^2 for float); callers that need exact values re-compute the few they keep.
 */
template <class M, class T>
void distance_block(const M& m, const matrix_view<T>& x, const matrix_view<T>& y, const T* x_terms, const T* y_terms,
                    T* out, std::size_t ld, bool ranking = false) {
  constexpr gemm_form form = gemm_form_of<M>();
  const std::size_t d = x.cols();
  if constexpr (form == gemm_form::none || !(std::is_same_v<T, float> || std::is_same_v<T, double>)) {
    for (std::size_t i = 0; i < x.rows(); ++i) {
      T* o = out + i * ld;
      for (std::size_t j = 0; j < y.rows(); ++j) o[j] = m(x.row(i), y.row(j), d);
    }
  } else {
    if (x.rows() == 0 || y.rows() == 0) return;
    if (d == 0) {
      for (std::size_t i = 0; i < x.rows(); ++i) std::fill_n(out + i * ld, y.rows(), form == gemm_form::cosine ? T{1} : T{0});
      return;
    }
    blas::gemm_abt<T>(x.rows(), y.rows(), d, gemm_alpha<M, T>(), x.data(), x.stride(), y.data(), y.stride(), out, ld);
    if constexpr (form == gemm_form::inner_product) return;  // the product is the value
    for (std::size_t i = 0; i < x.rows(); ++i) {
      T* o = out + i * ld;
      const T xi = x_terms[i];
      for (std::size_t j = 0; j < y.rows(); ++j) o[j] = score_from_product<M>(o[j], xi, y_terms[j]);
      if constexpr (form == gemm_form::squared_l2) {
        for (std::size_t j = 0; j < y.rows(); ++j) o[j] = std::max(T{0}, o[j]);
        if (!ranking && !M::squared) {
          for (std::size_t j = 0; j < y.rows(); ++j) o[j] = std::sqrt(o[j]);
        }
      }
    }
  }
}

/// Parameters of pairwise_distances().
struct pairwise_params {
  std::size_t threads = 0;       ///< 0 = all hardware threads; results do not depend on it
  std::size_t block_rows = 256;  ///< rows of x per work item (>= 1)

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = pairwise_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it"),
                      sp::field("block_rows", &p::block_rows, "rows of x per work item", sp::at_least(1))};
  }
};

/**
 * @brief The full `x.rows() x y.rows()` matrix of metric `m` values. Memory O(|x| |y|): for large
 * inputs use distance_block on blocks, or an index.
 * @throws segkit::invalid_argument if the column counts differ or the data hold NaN/Inf.
 * @par Complexity  O(|x| |y| d), through BLAS for metrics with a gemm_form.
 */
template <class M, class EX, class EY, class T = typename std::decay_t<EX>::value_type>
  requires segkit::metric<M, T>
matrix<T> pairwise_distances(const M& m, const EX& x_in, const EY& y_in, const pairwise_params& params = {}) {
  const auto x = as_rows<T>(x_in);
  const auto y = as_rows<T>(y_in);
  if (x->cols() != y->cols()) {
    segkit::detail::throw_invalid("segkit::distance::pairwise_distances",
                                  fmt::format("x has {} columns but y has {}", x->cols(), y->cols()));
  }
  require_finite<T>("segkit::distance::pairwise_distances", "x", x.view());
  require_finite<T>("segkit::distance::pairwise_distances", "y", y.view());
  matrix<T> out = matrix<T>::from_shape({x->rows(), y->rows()});
  const auto xt = row_norm_terms<M>(x.view());
  const auto yt = row_norm_terms<M>(y.view());
  executor ex(params.threads);
  parallel_for(ex, x->rows(), params.block_rows, [&](std::size_t b, std::size_t e, std::size_t) {
    distance_block(m, x->slice(b, e), y.view(), xt.empty() ? nullptr : xt.data() + b, yt.data(),
                   out.data() + b * y->rows(), y->rows());
  });
  return out;
}

}  // namespace segkit::distance
