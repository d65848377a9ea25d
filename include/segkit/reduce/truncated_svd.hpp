#pragma once
/// @file
/// @brief Truncated SVD of sparse (or dense) rows without centring: latent semantic analysis of
/// TF-IDF matrices, as scikit-learn's TruncatedSVD (randomized solver).

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/params.hpp"
#include "segkit/core/sparse.hpp"
#include "segkit/reduce/detail/randomized_svd.hpp"

namespace segkit::reduce {

/// Parameters of truncated_svd.
struct truncated_svd_params {
  std::size_t n_components = 100;    ///< dimensions kept (< the number of columns)
  std::size_t power_iterations = 5;  ///< power iterations of the range finder (scikit-learn's n_iter)
  std::size_t oversamples = 10;      ///< extra random directions
  std::uint64_t seed = 0;            ///< the only source of randomness
  std::size_t threads = 0;           ///< 0 = all hardware threads; results do not depend on it

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = truncated_svd_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("n_components", &p::n_components, "dimensions kept (below the number of columns)", sp::at_least(1), "dims"),
                      sp::field("power_iterations", &p::power_iterations, "power iterations of the range finder (scikit-learn's n_iter)", {}, "n_iter"),
                      sp::field("oversamples", &p::oversamples, "extra random directions"),
                      sp::field("seed", &p::seed, "the only source of randomness"),
                      sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it")};
  }
};

namespace detail {

[[noreturn]] inline void throw_svd(const std::string& m) { segkit::detail::throw_invalid("segkit::reduce::truncated_svd", m); }

/// Y (n x l) = A Q for sparse A, row by row.
template <class T>
std::vector<double> sparse_times(const csr_matrix<T>& a, const std::vector<double>& q, std::size_t l, executor& ex) {
  std::vector<double> y(a.rows * l, 0.0);
  parallel_for(ex, a.rows, 512, [&](std::size_t b, std::size_t e, std::size_t) {
    for (std::size_t i = b; i < e; ++i) {
      double* yi = y.data() + i * l;
      for (std::size_t t = a.indptr[i]; t < a.indptr[i + 1]; ++t) {
        const double v = static_cast<double>(a.values[t]);
        const double* qr = q.data() + static_cast<std::size_t>(a.indices[t]) * l;
        for (std::size_t c = 0; c < l; ++c) yi[c] += v * qr[c];
      }
    }
  });
  return y;
}

/// A^T as CSR (the columns of A as rows), entries in row order: sums over them keep a fixed order.
template <class T>
csr_matrix<T> transposed(const csr_matrix<T>& a) {
  csr_matrix<T> t;
  t.rows = a.cols;
  t.cols = a.rows;
  t.indptr.assign(a.cols + 1, 0);
  for (const std::uint32_t c : a.indices) ++t.indptr[c + 1];
  for (std::size_t c = 0; c < a.cols; ++c) t.indptr[c + 1] += t.indptr[c];
  t.indices.resize(a.nnz());
  t.values.resize(a.nnz());
  std::vector<std::size_t> fill(t.indptr.begin(), t.indptr.end() - 1);
  for (std::size_t i = 0; i < a.rows; ++i) {
    for (std::size_t e = a.indptr[i]; e < a.indptr[i + 1]; ++e) {
      const std::size_t at = fill[a.indices[e]]++;
      t.indices[at] = static_cast<std::uint32_t>(i);
      t.values[at] = a.values[e];
    }
  }
  return t;
}

/// Dense rows as CSR (zeros dropped).
template <class T>
csr_matrix<T> to_csr(const matrix_view<T>& x) {
  csr_matrix<T> s;
  s.rows = x.rows();
  s.cols = x.cols();
  s.indptr.assign(1, 0);
  for (std::size_t i = 0; i < x.rows(); ++i) {
    for (std::size_t j = 0; j < x.cols(); ++j) {
      if (x.row(i)[j] != T(0)) {
        s.indices.push_back(static_cast<std::uint32_t>(j));
        s.values.push_back(x.row(i)[j]);
      }
    }
    s.indptr.push_back(s.values.size());
  }
  return s;
}

}  // namespace detail

/**
 * @brief A fitted truncated SVD: right singular vectors (components), singular values and the
 * variance of the data along each.
 */
struct truncated_svd_model {
  xt::xtensor<double, 2> components;             ///< k x d, unit rows, by decreasing singular value
  std::vector<double> singular_values;           ///< k values
  std::vector<double> explained_variance;        ///< variance of each transformed coordinate over the training rows
  std::vector<double> explained_variance_ratio;  ///< explained_variance / total variance of the input columns

  [[nodiscard]] std::size_t n_components() const noexcept { return components.shape(0); }
  [[nodiscard]] std::size_t dim() const noexcept { return components.shape(1); }

  /// Coordinates x components^T of sparse rows (row by row: batch-invariant).
  /// @throws segkit::invalid_argument for another column count or a malformed matrix.
  template <class T>
  [[nodiscard]] matrix<float> transform(const csr_matrix<T>& x, std::size_t threads = 0) const {
    x.check("segkit::reduce::truncated_svd::transform");
    if (x.cols != dim()) detail::throw_svd(fmt::format("transform: rows have {} columns, the model {}", x.cols, dim()));
    const std::size_t k = n_components(), d = dim();
    std::vector<double> ct(d * k);
    for (std::size_t c = 0; c < k; ++c) {
      for (std::size_t j = 0; j < d; ++j) ct[j * k + c] = components(c, j);
    }
    executor ex(threads);
    const auto y = detail::sparse_times(x, ct, k, ex);
    matrix<float> out = matrix<float>::from_shape({x.rows, k});
    for (std::size_t i = 0; i < y.size(); ++i) out.data()[i] = static_cast<float>(y[i]);
    return out;
  }
};

/**
 * @brief Truncated SVD without centring (satisfies the shape of a reducer for sparse input):
 * the randomized range finder of Halko, Martinsson & Tropp (2011) with power iterations, then an
 * exact SVD of the small projection, as scikit-learn's TruncatedSVD(algorithm="randomized").
 *
 * @code
 * auto svd = segkit::reduce::truncated_svd({.n_components = 100, .seed = 1}).fit(tfidf_rows);
 * auto y = svd.transform(tfidf_rows);   // n x 100
 * @endcode
 * Signs follow scikit-learn's svd_flip: each component's largest |coordinate| over the training
 * rows is positive. Products with the sparse matrix run row by row (A Q) and column by column
 * over a transposed copy (A^T Y): the same bits for any thread count.
 * @par Thread safety  fit is const and may run concurrently.
 */
class truncated_svd {
 public:
  /// @throws segkit::invalid_argument naming the first parameter outside its table's range.
  explicit truncated_svd(truncated_svd_params params = {}) : params_(params) { segkit::params::validate(params_, "segkit::reduce::truncated_svd"); }

  /**
   * @brief Fits on sparse rows.
   * @throws segkit::invalid_argument for no rows, n_components of 0 or not below the column
   *         count, a malformed matrix or non-finite values.
   * @par Complexity  O((2 q + 2) nnz l + (n + d) l^2), l = n_components + oversamples.
   */
  template <class T>
  [[nodiscard]] truncated_svd_model fit(const csr_matrix<T>& x) const {
    x.check("segkit::reduce::truncated_svd");
    const std::size_t n = x.rows, d = x.cols, k = params_.n_components;
    if (n == 0) detail::throw_svd("no rows");
    if (k == 0 || k >= d) detail::throw_svd(fmt::format("n_components ({}) must lie in [1, columns) with {} columns", k, d));
    if (k > n) detail::throw_svd(fmt::format("n_components ({}) exceeds the rows ({})", k, n));
    executor ex(params_.threads);
    const auto xt_ = detail::transposed(x);
    std::vector<double> sv, axes;
    detail::randomized_svd(
        n, d, k, params_.oversamples, params_.power_iterations, params_.seed,
        [&](const std::vector<double>& q, std::size_t l) { return detail::sparse_times(x, q, l, ex); },
        [&](const std::vector<double>& y, std::size_t l) { return detail::sparse_times(xt_, y, l, ex); }, ex, sv, axes);
    const std::size_t kept = axes.size() / d;
    truncated_svd_model m;
    m.components = xt::xtensor<double, 2>::from_shape({kept, d});
    std::copy(axes.begin(), axes.end(), m.components.begin());
    m.singular_values.assign(sv.begin(), sv.begin() + static_cast<std::ptrdiff_t>(kept));
    // Coordinates of the training rows: signs (svd_flip, u-based) and explained variance.
    std::vector<double> ct(d * kept);
    for (std::size_t c = 0; c < kept; ++c) {
      for (std::size_t j = 0; j < d; ++j) ct[j * kept + c] = m.components(c, j);
    }
    const auto y = detail::sparse_times(x, ct, kept, ex);
    m.explained_variance.assign(kept, 0.0);
    for (std::size_t c = 0; c < kept; ++c) {
      std::size_t at = 0;
      double mean = 0.0;
      for (std::size_t i = 0; i < n; ++i) {
        if (std::abs(y[i * kept + c]) > std::abs(y[at * kept + c])) at = i;
        mean += y[i * kept + c];
      }
      mean /= static_cast<double>(n);
      double var = 0.0;
      for (std::size_t i = 0; i < n; ++i) var += (y[i * kept + c] - mean) * (y[i * kept + c] - mean);
      m.explained_variance[c] = var / static_cast<double>(n);
      if (y[at * kept + c] < 0.0) {
        for (std::size_t j = 0; j < d; ++j) m.components(c, j) = -m.components(c, j);
      }
    }
    // Total variance of the input columns (population variance, as numpy's var).
    std::vector<double> sum(d, 0.0), sum2(d, 0.0);
    for (std::size_t e = 0; e < x.nnz(); ++e) {
      const double v = static_cast<double>(x.values[e]);
      sum[x.indices[e]] += v;
      sum2[x.indices[e]] += v * v;
    }
    double total = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
      const double mu = sum[j] / static_cast<double>(n);
      total += sum2[j] / static_cast<double>(n) - mu * mu;
    }
    m.explained_variance_ratio.resize(kept);
    for (std::size_t c = 0; c < kept; ++c) m.explained_variance_ratio[c] = total > 0.0 ? m.explained_variance[c] / total : 0.0;
    return m;
  }

  /// fit() on dense rows (zeros are dropped first).
  template <class E>
    requires(!std::is_same_v<std::decay_t<E>, csr_matrix<float>> && !std::is_same_v<std::decay_t<E>, csr_matrix<double>>)
  [[nodiscard]] truncated_svd_model fit(const E& x_in) const {
    const auto x = as_rows<float>(x_in);
    require_finite<float>("segkit::reduce::truncated_svd", "x", x.view());
    return fit(detail::to_csr(x.view()));
  }

 private:
  truncated_svd_params params_;
};

}  // namespace segkit::reduce
