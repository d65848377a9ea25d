#pragma once
/// @file
/// @brief Gaussian mixture models fitted by expectation-maximization, with full, tied, diagonal or
/// spherical covariances, computed in log space through Cholesky factors of the precisions.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <xtensor/xarray.hpp>

#include "segkit/cluster/kmeans.hpp"
#include "segkit/core/binary_format.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/params.hpp"
#include "segkit/core/random.hpp"
#include "segkit/core/types.hpp"
#include "segkit/core/blas.hpp"
#include "segkit/distance/kernels.hpp"

namespace segkit::cluster {

/// The shape of each component's covariance (scikit-learn's `covariance_type`).
enum class covariance_type {
  full,      ///< each component has its own general covariance matrix (k x d x d)
  tied,      ///< all components share one general covariance matrix (d x d)
  diag,      ///< each component has its own diagonal covariance (k x d)
  spherical  ///< each component has its own single variance (k)
};

/// Names of covariance_type in files and on the command line (scikit-learn's).
constexpr auto enum_names(covariance_type) {
  using params::name_value;
  return std::array{name_value{"full", covariance_type::full}, name_value{"tied", covariance_type::tied}, name_value{"diag", covariance_type::diag},
                    name_value{"spherical", covariance_type::spherical}};
}

/// Where EM starts: a hard assignment of every row, from which the first M-step estimates the
/// weights, means and covariances (scikit-learn's `init_params`).
enum class gmm_init {
  kmeans,           ///< labels of a k-means fit (one restart, seeded)
  kmeans_plus_plus  ///< each row assigned to the closest of k greedy k-means++ seeds (no Lloyd iterations)
};
/// Names of gmm_init in files and on the command line.
constexpr auto enum_names(gmm_init) {
  using params::name_value;
  return std::array{name_value{"kmeans", gmm_init::kmeans}, name_value{"kmeans++", gmm_init::kmeans_plus_plus}};
}

/// Parameters of segkit::cluster::gaussian_mixture: defaults here, meaning and valid values in table().
struct gmm_params {
  std::size_t k = 1;                                   ///< number of components
  covariance_type covariance = covariance_type::full;  ///< covariance shape
  double tol = 1e-3;                                   ///< convergence threshold of the mean log-likelihood
  double reg_covar = 1e-6;                             ///< added to the covariance diagonals
  std::size_t max_iter = 100;                          ///< EM iterations per restart
  std::size_t n_init = 1;                              ///< restarts
  gmm_init init = gmm_init::kmeans;                    ///< how each restart starts
  label_vector initial_labels{};                       ///< a starting assignment (then n_init is 1)
  matrix<double> initial_means{};                      ///< k x d starting means (then n_init is 1)
  std::uint64_t seed = 0;                              ///< the only source of randomness
  std::size_t threads = 0;                             ///< worker threads (0 = all)

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = gmm_params;
    namespace sp = segkit::params;
    return std::tuple{
        sp::field("k", &p::k, "number of components, at most the number of rows", sp::at_least(1), "n_components"),
        sp::field("covariance", &p::covariance, "covariance shape (scikit-learn's covariance_type)", {}, "covariance_type"),
        sp::field("tol", &p::tol, "converged when the mean log-likelihood changes by less than tol between iterations", sp::at_least_finite(0)),
        sp::field("reg_covar", &p::reg_covar, "added to the covariance diagonals; keeps them positive definite", sp::at_least_finite(0)),
        sp::field("max_iter", &p::max_iter, "EM iterations per restart", sp::at_least(1)),
        sp::field("n_init", &p::n_init, "restarts; the highest final lower bound wins", sp::at_least(1)),
        sp::field("init", &p::init, "how each restart starts (ignored with initial_labels or initial_means)", {}, "init_params"),
        sp::field("initial_labels", &p::initial_labels, "a starting assignment, values 0..k-1, one per row; then n_init is 1"),
        sp::field("initial_means", &p::initial_means, "k x d: rows are assigned to the closest mean to start; then n_init is 1"),
        sp::field("seed", &p::seed, "the only source of randomness"),
        sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it")};
  }
};

/**
 * @brief A fitted Gaussian mixture: scikit-learn's attributes (weights, means, covariances and
 * Cholesky factors of the precisions, in its shapes), the labels of the training rows, how the
 * fit went, and the components whose covariance only the regularization kept positive definite.
 * @par Thread safety  const calls may run concurrently.
 */
struct gmm_model : clustering {
  covariance_type covariance = covariance_type::full;  ///< covariance shape
  xt::xtensor<double, 1> weights;                      ///< k mixing weights, summing to 1
  matrix<double> means;                                ///< k x d component means
  /// full: k x d x d; tied: d x d; diag: k x d; spherical: k (each including reg_covar).
  xt::xarray<double> covariances;
  /// Same shapes: U with U U^T = covariance^-1 (upper triangular for full and tied; 1/sqrt(variance) otherwise).
  xt::xarray<double> precisions_cholesky;
  double log_likelihood = 0.0;        ///< mean (sample-weighted) log-likelihood of the training rows under the final parameters
  double lower_bound = 0.0;           ///< the mean log-likelihood of the winning restart's last E-step (scikit-learn's lower_bound_)
  std::size_t n_iter = 0;             ///< EM iterations of the winning restart
  bool converged = false;             ///< the winning restart's change fell below tol
  /// Components whose covariance is singular without reg_covar (a cluster of identical or collinear
  /// points, or an empty component), in increasing order. Their densities are finite but driven by
  /// the regularization; reduce k or raise reg_covar if this is not intended.
  std::vector<std::size_t> degenerate;

  /// Number of features d.
  [[nodiscard]] std::size_t n_features() const noexcept { return means.shape(1); }
  /// Free parameters: k - 1 weights, k d means and the covariances (as scikit-learn counts them).
  [[nodiscard]] std::size_t n_parameters() const noexcept;

  /// Log-likelihood log p(x) of each row. @throws segkit::invalid_argument for a wrong width or NaN/Inf.
  template <class E>
  [[nodiscard]] xt::xtensor<double, 1> score_samples(const E& x, std::size_t threads = 0) const;
  /// Mean log-likelihood of the rows. @throws segkit::invalid_argument as score_samples, or if x is empty.
  template <class E>
  [[nodiscard]] double score(const E& x, std::size_t threads = 0) const;
  /// Posterior probability of each component for each row (n x k, rows sum to 1).
  template <class E>
  [[nodiscard]] matrix<double> predict_proba(const E& x, std::size_t threads = 0) const;
  /// Most probable component of each row (ties: the lower index).
  template <class E>
  [[nodiscard]] xt::xtensor<label_type, 1> predict(const E& x, std::size_t threads = 0) const;
  /// Bayesian information criterion on x: -2 n score(x) + n_parameters ln n (lower is better).
  template <class E>
  [[nodiscard]] double bic(const E& x, std::size_t threads = 0) const;
  /// Akaike information criterion on x: -2 n score(x) + 2 n_parameters (lower is better).
  template <class E>
  [[nodiscard]] double aic(const E& x, std::size_t threads = 0) const;

  /// Kind of the container the model is stored in (segkit::storable_model).
  static constexpr std::string_view container_kind = "segkit.model.gmm";
  /// Writes the model atomically in segkit's checksummed container.
  void save(const std::filesystem::path& path) const { save_model(*this, path); }
  /// Reads a model written by save(); the precision factors are recomputed from the covariances.
  /// @throws segkit::format_error if the file is damaged, of another kind, or holds invalid parameters.
  [[nodiscard]] static gmm_model load(const std::filesystem::path& path) { return load_model<gmm_model>(path); }
  /// Adds the model's sections to `w` (segkit::storable_model).
  void write_to(container_writer& w) const;
  /// Rebuilds a model from write_to()'s sections, checking every value. @throws segkit::format_error.
  [[nodiscard]] static gmm_model read_from(const container_reader& file);
};

namespace detail {

/// Rows of a matrix_view or of a 2-D xtensor expression.
template <class E>
std::size_t rows_of(const E& x) {
  if constexpr (requires { x.rows(); }) {
    return x.rows();
  } else {
    return static_cast<std::size_t>(x.shape()[0]);
  }
}


inline constexpr const char* gmm_component = "segkit::cluster::gmm";
inline constexpr std::size_t gmm_block = 128;        // rows per sub-block: one GEMM per sub-block and pass
inline constexpr std::size_t gmm_min_group = 2048;   // rows per work item, at least
inline constexpr double log_2pi = 1.8378770664093454836;  // ln(2 pi)

// Number of values of one covariance set / precision factor set in the flat layouts below.
inline std::size_t covariance_size(covariance_type t, std::size_t k, std::size_t d) noexcept {
  switch (t) {
    case covariance_type::full: return k * d * d;
    case covariance_type::tied: return d * d;
    case covariance_type::diag: return k * d;
    case covariance_type::spherical: return k;
  }
  return 0;
}

// scikit-learn's parameter set in flat row-major layouts (full k*d*d, tied d*d, diag k*d,
// spherical k), means relative to an offset (the weighted data mean, to keep sums well conditioned).
struct mixture {
  covariance_type type = covariance_type::full;
  std::size_t k = 0, d = 0;
  std::vector<double> weights, means, covariances, prec_chol;
  std::vector<std::size_t> degenerate;
};

// Lower Cholesky factor of the symmetric positive definite a (d x d, row-major) in place, upper
// triangle zeroed. Returns the smallest pivot L_jj^2, or a value <= 0 if a is not positive definite.
inline double cholesky_in_place(double* a, std::size_t d) noexcept {
  double min_pivot = std::numeric_limits<double>::infinity();
  for (std::size_t j = 0; j < d; ++j) {
    double* rj = a + j * d;
    double pivot = rj[j];
    for (std::size_t m = 0; m < j; ++m) pivot -= rj[m] * rj[m];
    if (!(pivot > 0.0)) return pivot;
    min_pivot = std::min(min_pivot, pivot);
    const double l = std::sqrt(pivot);
    rj[j] = l;
    for (std::size_t i = j + 1; i < d; ++i) {
      double* ri = a + i * d;
      double v = ri[j];
      for (std::size_t m = 0; m < j; ++m) v -= ri[m] * rj[m];
      ri[j] = v / l;
    }
    for (std::size_t m = j + 1; m < d; ++m) rj[m] = 0.0;
  }
  return min_pivot;
}

// U = (L^-1)^T for the lower triangular L: the upper triangular precision factor (U U^T = (L L^T)^-1).
inline void precision_factor(const double* l, double* u, std::size_t d) {
  std::vector<double> inv(d * d, 0.0);  // L^-1, lower triangular
  for (std::size_t i = 0; i < d; ++i) {
    inv[i * d + i] = 1.0 / l[i * d + i];
    for (std::size_t j = 0; j < i; ++j) {
      double s = 0.0;
      for (std::size_t m = j; m < i; ++m) s += l[i * d + m] * inv[m * d + j];
      inv[i * d + j] = -s / l[i * d + i];
    }
  }
  for (std::size_t i = 0; i < d; ++i) {
    for (std::size_t j = 0; j < d; ++j) u[i * d + j] = inv[j * d + i];
  }
}

// Precision factor of one general covariance (d x d), regularized further if it is not positive
// definite in double precision. Returns true if the component is degenerate: singular without the
// regularization (smallest pivot at most `floor`) or in need of extra jitter, which is then added
// to `cov` so that it stays consistent with the factor.
inline bool general_factor(double* cov, double* u, std::size_t d, double reg, double floor) {
  std::vector<double> l(cov, cov + d * d);
  double pivot = cholesky_in_place(l.data(), d);
  bool degenerate = pivot <= floor;
  if (!(pivot > 0.0)) {
    double trace = 0.0;
    for (std::size_t j = 0; j < d; ++j) trace += std::abs(cov[j * d + j]);
    double jitter = std::max({reg, floor, 1e-10 * trace / static_cast<double>(d), std::numeric_limits<double>::min()});
    for (int attempt = 0; attempt < 64 && !(pivot > 0.0); ++attempt, jitter *= 10.0) {
      std::copy(cov, cov + d * d, l.begin());
      for (std::size_t j = 0; j < d; ++j) l[j * d + j] += jitter;
      pivot = cholesky_in_place(l.data(), d);
      if (pivot > 0.0) {
        for (std::size_t j = 0; j < d; ++j) cov[j * d + j] += jitter;
      }
    }
    if (!(pivot > 0.0)) segkit::detail::throw_invalid(gmm_component, "a covariance matrix could not be made positive definite (are the features finite?)");
    degenerate = true;
  }
  precision_factor(l.data(), u, d);
  return degenerate;
}

// A variance made usable: returns true (degenerate) if it is at most `floor`, and lifts a
// non-positive value (possible only with reg_covar = 0) to a positive jitter.
inline bool checked_variance(double& v, double floor) noexcept {
  const bool degenerate = v <= floor;
  if (!(v > 0.0)) v = std::max(floor, 1e-300);
  return degenerate;
}

// Computes the precision factors of m.covariances (adjusting degenerate ones) and m.degenerate.
// A covariance is degenerate when it is singular but for the regularization: a pivot or variance
// at most 2 reg, or at most 1e-10 x `scale` (the data's mean feature variance: rounding noise of
// the moment sums) when reg is smaller than that.
inline void factorise(mixture& m, double reg, double scale) {
  const double floor = 2.0 * reg + 1e-10 * scale;
  const std::size_t k = m.k, d = m.d;
  m.prec_chol.assign(covariance_size(m.type, k, d), 0.0);
  m.degenerate.clear();
  switch (m.type) {
    case covariance_type::full:
      for (std::size_t c = 0; c < k; ++c) {
        if (general_factor(m.covariances.data() + c * d * d, m.prec_chol.data() + c * d * d, d, reg, floor)) m.degenerate.push_back(c);
      }
      break;
    case covariance_type::tied:
      if (general_factor(m.covariances.data(), m.prec_chol.data(), d, reg, floor)) {
        for (std::size_t c = 0; c < k; ++c) m.degenerate.push_back(c);
      }
      break;
    case covariance_type::diag:
      for (std::size_t c = 0; c < k; ++c) {
        bool bad = false;
        for (std::size_t j = 0; j < d; ++j) bad = checked_variance(m.covariances[c * d + j], floor) || bad;
        for (std::size_t j = 0; j < d; ++j) m.prec_chol[c * d + j] = 1.0 / std::sqrt(m.covariances[c * d + j]);
        if (bad) m.degenerate.push_back(c);
      }
      break;
    case covariance_type::spherical:
      for (std::size_t c = 0; c < k; ++c) {
        if (checked_variance(m.covariances[c], floor)) m.degenerate.push_back(c);
        m.prec_chol[c] = 1.0 / std::sqrt(m.covariances[c]);
      }
      break;
  }
}

// The mixture rearranged for E-steps on rows centerd by `offset`: the log joint density of row x
// and component c is constant[c] - maha(x, c) / 2, where maha is computed per covariance type:
//   full:  || x U_c - m_c U_c ||^2, one GEMM against the factors side by side (d x k d);
//   tied:  || x U - m_c U ||^2;
//   diag and spherical: [x^2, x] . [p_c ; -2 p_c m_c], one GEMM (scikit-learn's expansion), with
//   sum_j p_cj m_cj^2 folded into the constant.
struct gaussians {
  covariance_type type = covariance_type::full;
  std::size_t k = 0, d = 0;
  std::vector<double> offset;     // d
  std::vector<double> constant;   // k
  std::vector<double> factor;     // full: d x (k d); tied: d x d; diag/spherical: 2d x k
  std::vector<double> projected;  // full/tied: k x d, m_c U_c
  std::size_t chunk = 1;          // full: components per GEMM, bounding the sub-block buffer

  gaussians(const mixture& m, std::vector<double> center) : type(m.type), k(m.k), d(m.d), offset(std::move(center)), constant(m.k) {
    const double half_d_log_2pi = 0.5 * static_cast<double>(d) * log_2pi;
    for (std::size_t c = 0; c < k; ++c) constant[c] = std::log(m.weights[c]) - half_d_log_2pi;
    const auto mean = [&](std::size_t c, std::size_t j) { return m.means[c * d + j]; };
    switch (type) {
      case covariance_type::full:
      case covariance_type::tied: {
        const bool full = type == covariance_type::full;
        const std::size_t width = full ? k * d : d;
        factor.assign(d * width, 0.0);
        projected.assign(k * d, 0.0);
        for (std::size_t c = 0; c < k; ++c) {
          const double* u = m.prec_chol.data() + (full ? c * d * d : 0);
          double log_det = 0.0;
          for (std::size_t j = 0; j < d; ++j) log_det += std::log(u[j * d + j]);
          constant[c] += log_det;
          for (std::size_t a = 0; a < d; ++a) {
            for (std::size_t b = a; b < d; ++b) {  // upper triangular
              if (full || c == 0) factor[a * width + (full ? c * d : 0) + b] = u[a * d + b];
              projected[c * d + b] += mean(c, a) * u[a * d + b];
            }
          }
        }
        chunk = full ? std::clamp<std::size_t>(4096 / d, 1, k) : 1;
        break;
      }
      case covariance_type::diag:
      case covariance_type::spherical: {
        factor.assign(2 * d * k, 0.0);
        for (std::size_t c = 0; c < k; ++c) {
          double quad = 0.0, log_det = 0.0;
          for (std::size_t j = 0; j < d; ++j) {
            const double u = m.prec_chol[type == covariance_type::diag ? c * d + j : c];
            const double p = u * u;
            factor[j * k + c] = p;
            factor[(d + j) * k + c] = -2.0 * p * mean(c, j);
            quad += p * mean(c, j) * mean(c, j);
            log_det += std::log(u);
          }
          constant[c] += log_det - 0.5 * quad;
        }
        break;
      }
    }
  }
};

// Buffers of one work item.
struct gmm_scratch {
  std::vector<double> x;    // rows x d centerd rows
  std::vector<double> a;    // rows x 2d [x^2, x] (diag/spherical)
  std::vector<double> y;    // rows x (chunk d) projections (full/tied)
  std::vector<double> rw;   // rows x k weighted responsibilities
  std::vector<double> z;    // rows x (chunk d) responsibility-scaled rows (full M-step)
};

// Rows [b, e) of x minus the offset, in double.
template <class T>
void centerd_rows(const matrix_view<T>& x, std::size_t b, std::size_t e, const std::vector<double>& offset, std::vector<double>& out) {
  const std::size_t d = x.cols();
  out.resize((e - b) * d);
  for (std::size_t i = b; i < e; ++i) {
    const T* r = x.row(i);
    double* o = out.data() + (i - b) * d;
    for (std::size_t j = 0; j < d; ++j) o[j] = static_cast<double>(r[j]) - offset[j];
  }
}

// [x^2, x] for each centerd row.
inline void squares_and_rows(const std::vector<double>& xb, std::size_t rows, std::size_t d, std::vector<double>& a) {
  a.resize(rows * 2 * d);
  for (std::size_t i = 0; i < rows; ++i) {
    const double* r = xb.data() + i * d;
    double* o = a.data() + i * 2 * d;
    for (std::size_t j = 0; j < d; ++j) {
      o[j] = r[j] * r[j];
      o[d + j] = r[j];
    }
  }
}

// Log joint densities log(w_c N(x_i | c)) of the centerd rows in s.x (rows x d) into lp (rows x k).
inline void log_joint(const gaussians& g, std::size_t rows, double* lp, gmm_scratch& s) {
  const std::size_t k = g.k, d = g.d;
  switch (g.type) {
    case covariance_type::full:
    case covariance_type::tied: {
      const bool full = g.type == covariance_type::full;
      const std::size_t width = full ? k * d : d;
      for (std::size_t c0 = 0; c0 < k; c0 += full ? g.chunk : k) {
        const std::size_t c1 = full ? std::min(k, c0 + g.chunk) : k;
        const std::size_t cols = full ? (c1 - c0) * d : d;
        s.y.resize(rows * cols);
        blas::gemm<double>(false, false, rows, cols, d, 1.0, s.x.data(), d, g.factor.data() + (full ? c0 * d : 0), width, 0.0, s.y.data(), cols);
        for (std::size_t i = 0; i < rows; ++i) {
          for (std::size_t c = c0; c < c1; ++c) {
            const double* y = s.y.data() + i * cols + (full ? (c - c0) * d : 0);
            lp[i * k + c] = g.constant[c] - 0.5 * distance::squared_l2(y, g.projected.data() + c * d, d);
          }
        }
      }
      break;
    }
    case covariance_type::diag:
    case covariance_type::spherical:
      squares_and_rows(s.x, rows, d, s.a);
      blas::gemm<double>(false, false, rows, k, 2 * d, -0.5, s.a.data(), 2 * d, g.factor.data(), k, 0.0, lp, k);
      for (std::size_t i = 0; i < rows; ++i) {
        for (std::size_t c = 0; c < k; ++c) lp[i * k + c] += g.constant[c];
      }
      break;
  }
}

// exp of n values in place (xsimd when available: about 1 ulp).
inline void exp_in_place(double* v, std::size_t n) {
#if SEGKIT_SIMD
  using batch = xsimd::batch<double>;
  constexpr std::size_t lanes = batch::size;
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) xsimd::exp(batch::load_unaligned(v + i)).store_unaligned(v + i);
  for (; i < n; ++i) v[i] = std::exp(v[i]);
#else
  for (std::size_t i = 0; i < n; ++i) v[i] = std::exp(v[i]);
#endif
}

// Turns each row of log joint densities (rows x k) into responsibilities in place and returns
// their log-sum-exp (log p(x_i)) in lse. argmax (ties: lower index) goes to labels if given.
inline void log_normalize_rows(double* lp, std::size_t rows, std::size_t k, double* lse, label_type* labels) {
  std::vector<double> top(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    double* r = lp + i * k;
    std::size_t best = 0;
    for (std::size_t c = 1; c < k; ++c) best = r[c] > r[best] ? c : best;
    top[i] = r[best];
    if (labels != nullptr) labels[i] = static_cast<label_type>(best);
    for (std::size_t c = 0; c < k; ++c) r[c] -= top[i];
  }
  exp_in_place(lp, rows * k);
  for (std::size_t i = 0; i < rows; ++i) {
    double* r = lp + i * k;
    double sum = 0.0;
    for (std::size_t c = 0; c < k; ++c) sum += r[c];
    lse[i] = top[i] + std::log(sum);
    const double inv = 1.0 / sum;
    for (std::size_t c = 0; c < k; ++c) r[c] *= inv;
  }
}

// Sufficient statistics of one pass: sample-weighted responsibilities' sums.
struct gmm_stats {
  std::vector<double> nk;      // k: sum of w r
  std::vector<double> first;   // full/tied: k x d (sum w r x); diag/spherical: k x 2d ([sum w r x^2, sum w r x])
  std::vector<double> second;  // full: k x d x d (sum w r x x^T); otherwise empty
  double log_likelihood = 0.0;  // sum of w log p(x)
  double weight = 0.0;          // sum of w

  gmm_stats(covariance_type t, std::size_t k, std::size_t d)
      : nk(k, 0.0),
        first(k * d * (t == covariance_type::diag || t == covariance_type::spherical ? 2 : 1), 0.0),
        second(t == covariance_type::full ? k * d * d : 0, 0.0) {}

  static gmm_stats merge(gmm_stats acc, const gmm_stats& p) {
    for (std::size_t i = 0; i < acc.nk.size(); ++i) acc.nk[i] += p.nk[i];
    for (std::size_t i = 0; i < acc.first.size(); ++i) acc.first[i] += p.first[i];
    for (std::size_t i = 0; i < acc.second.size(); ++i) acc.second[i] += p.second[i];
    acc.log_likelihood += p.log_likelihood;
    acc.weight += p.weight;
    return acc;
  }
};

// Adds the statistics of one sub-block (centerd rows in s.x, weighted responsibilities in s.rw).
inline void accumulate(gmm_stats& st, covariance_type type, std::size_t rows, std::size_t k, std::size_t d, std::size_t chunk, gmm_scratch& s) {
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t c = 0; c < k; ++c) st.nk[c] += s.rw[i * k + c];
  }
  if (type == covariance_type::diag || type == covariance_type::spherical) {
    if (s.a.size() != rows * 2 * d) squares_and_rows(s.x, rows, d, s.a);
    blas::gemm<double>(true, false, k, 2 * d, rows, 1.0, s.rw.data(), k, s.a.data(), 2 * d, 1.0, st.first.data(), 2 * d);
    return;
  }
  blas::gemm<double>(true, false, k, d, rows, 1.0, s.rw.data(), k, s.x.data(), d, 1.0, st.first.data(), d);
  if (type != covariance_type::full) return;
  for (std::size_t c0 = 0; c0 < k; c0 += chunk) {  // sum_i w r_ic x_i x_i^T for a chunk of components: Z^T X
    const std::size_t c1 = std::min(k, c0 + chunk), cols = (c1 - c0) * d;
    s.z.resize(rows * cols);
    for (std::size_t i = 0; i < rows; ++i) {
      const double* x = s.x.data() + i * d;
      for (std::size_t c = c0; c < c1; ++c) {
        const double r = s.rw[i * k + c];
        double* z = s.z.data() + i * cols + (c - c0) * d;
        for (std::size_t j = 0; j < d; ++j) z[j] = r * x[j];
      }
    }
    blas::gemm<double>(true, false, cols, d, rows, 1.0, s.z.data(), cols, s.x.data(), d, 1.0, st.second.data() + c0 * d * d, d);
  }
}

// What a pass over the rows produces besides the log-likelihood total.
struct pass_outputs {
  bool statistics = false;          // accumulate sufficient statistics (an EM iteration)
  label_type* labels = nullptr;     // n: most probable component
  double* log_density = nullptr;    // n: log p(x_i)
  double* responsibilities = nullptr;  // n x k
};

// Rows per work item: at least gmm_min_group, and few enough items that their statistics fit in
// about 256 MB. Depends on n, k, d and the type only, so results do not depend on the thread count.
inline std::size_t group_rows(std::size_t n, std::size_t stats_values) {
  const std::size_t budget = (std::size_t{256} << 20) / (8 * std::max<std::size_t>(stats_values, 1));
  const std::size_t groups = std::clamp<std::size_t>(budget, 1, 64);
  const std::size_t rows = (n + groups - 1) / groups;
  return std::max(gmm_min_group, (rows + gmm_block - 1) / gmm_block * gmm_block);
}

// One pass: E-step over every row and, if asked, the statistics for the M-step.
template <class T>
gmm_stats em_pass(const matrix_view<T>& x, std::span<const double> w, const gaussians& g, executor& ex, const pass_outputs& out) {
  const std::size_t n = x.rows(), k = g.k, d = g.d;
  const gmm_stats empty(out.statistics ? g.type : covariance_type::tied, out.statistics ? k : 0, out.statistics ? d : 0);
  const std::size_t grain = group_rows(n, empty.nk.size() + empty.first.size() + empty.second.size());
  return parallel_reduce(
      ex, n, grain, empty,
      [&](std::size_t gb, std::size_t ge, std::size_t) {
        gmm_stats st = empty;
        gmm_scratch s;
        std::vector<double> lse(gmm_block);
        for (std::size_t b = gb; b < ge; b += gmm_block) {
          const std::size_t e = std::min(ge, b + gmm_block), rows = e - b;
          centerd_rows(x, b, e, g.offset, s.x);
          s.a.clear();
          double* lp = out.responsibilities != nullptr ? out.responsibilities + b * k : (s.rw.resize(rows * k), s.rw.data());
          log_joint(g, rows, lp, s);
          log_normalize_rows(lp, rows, k, lse.data(), out.labels != nullptr ? out.labels + b : nullptr);
          for (std::size_t i = 0; i < rows; ++i) {
            st.log_likelihood += w.empty() ? lse[i] : w[b + i] * lse[i];
            st.weight += w.empty() ? 1.0 : w[b + i];
            if (out.log_density != nullptr) out.log_density[b + i] = lse[i];
          }
          if (out.statistics) {
            if (!w.empty()) {
              for (std::size_t i = 0; i < rows; ++i) {
                for (std::size_t c = 0; c < k; ++c) s.rw[i * k + c] *= w[b + i];
              }
            }
            accumulate(st, g.type, rows, k, d, g.chunk, s);
          }
        }
        return st;
      },
      gmm_stats::merge);
}

// Statistics of a hard assignment (responsibility 1 for the label), for the first M-step.
template <class T>
gmm_stats label_pass(const matrix_view<T>& x, std::span<const double> w, const label_type* labels, covariance_type type, std::size_t k,
                     const std::vector<double>& offset, std::size_t chunk, executor& ex) {
  const std::size_t n = x.rows(), d = x.cols();
  const gmm_stats empty(type, k, d);
  return parallel_reduce(
      ex, n, group_rows(n, empty.nk.size() + empty.first.size() + empty.second.size()), empty,
      [&](std::size_t gb, std::size_t ge, std::size_t) {
        gmm_stats st = empty;
        gmm_scratch s;
        for (std::size_t b = gb; b < ge; b += gmm_block) {
          const std::size_t e = std::min(ge, b + gmm_block), rows = e - b;
          centerd_rows(x, b, e, offset, s.x);
          s.a.clear();
          s.rw.assign(rows * k, 0.0);
          for (std::size_t i = 0; i < rows; ++i) s.rw[i * k + static_cast<std::size_t>(labels[b + i])] = w[b + i];
          accumulate(st, type, rows, k, d, chunk, s);
        }
        return st;
      },
      gmm_stats::merge);
}

// sum_i w_i x_i x_i^T of the centerd rows (d x d): the tied covariance's data term, once per fit.
template <class T>
std::vector<double> weighted_scatter(const matrix_view<T>& x, std::span<const double> w, const std::vector<double>& offset, executor& ex) {
  const std::size_t n = x.rows(), d = x.cols();
  return parallel_reduce(
      ex, n, group_rows(n, d * d), std::vector<double>(d * d, 0.0),
      [&](std::size_t gb, std::size_t ge, std::size_t) {
        std::vector<double> acc(d * d, 0.0), xb, z;
        for (std::size_t b = gb; b < ge; b += gmm_block) {
          const std::size_t e = std::min(ge, b + gmm_block), rows = e - b;
          centerd_rows(x, b, e, offset, xb);
          z.resize(rows * d);
          for (std::size_t i = 0; i < rows; ++i) {
            for (std::size_t j = 0; j < d; ++j) z[i * d + j] = w[b + i] * xb[i * d + j];
          }
          blas::gemm<double>(true, false, d, d, rows, 1.0, z.data(), d, xb.data(), d, 1.0, acc.data(), d);
        }
        return acc;
      },
      [](std::vector<double> acc, const std::vector<double>& p) {
        for (std::size_t i = 0; i < acc.size(); ++i) acc[i] += p[i];
        return acc;
      });
}

// The M-step (scikit-learn's _estimate_gaussian_parameters): weights, means and covariances from
// the statistics, reg added to the diagonals; then the precision factors.
inline mixture m_step(const gmm_stats& st, covariance_type type, std::size_t d, double reg, double scale, const std::vector<double>& scatter) {
  const std::size_t k = st.nk.size();
  mixture m;
  m.type = type;
  m.k = k;
  m.d = d;
  m.weights.resize(k);
  m.means.assign(k * d, 0.0);
  m.covariances.assign(covariance_size(type, k, d), 0.0);
  const double eps = 10.0 * std::numeric_limits<double>::epsilon();  // as scikit-learn: no division by zero for empty components
  std::vector<double> nk(k);
  double total = 0.0;
  for (std::size_t c = 0; c < k; ++c) total += nk[c] = st.nk[c] + eps;
  const bool moments = type == covariance_type::diag || type == covariance_type::spherical;
  const std::size_t stride = moments ? 2 * d : d, sum_at = moments ? d : 0;
  for (std::size_t c = 0; c < k; ++c) {
    m.weights[c] = nk[c] / total;
    for (std::size_t j = 0; j < d; ++j) m.means[c * d + j] = st.first[c * stride + sum_at + j] / nk[c];
  }
  switch (type) {
    case covariance_type::full:
      // sum r (x - mu)(x - mu)^T = S - s mu^T - mu s^T + (sum r) mu mu^T, divided by nk.
      for (std::size_t c = 0; c < k; ++c) {
        const double* s2 = st.second.data() + c * d * d;
        const double* s1 = st.first.data() + c * d;
        const double* mu = m.means.data() + c * d;
        double* cov = m.covariances.data() + c * d * d;
        for (std::size_t a = 0; a < d; ++a) {
          for (std::size_t b = 0; b < d; ++b) {
            cov[a * d + b] = (s2[a * d + b] - s1[a] * mu[b] - mu[a] * s1[b] + st.nk[c] * mu[a] * mu[b]) / nk[c];
          }
          cov[a * d + a] += reg;
        }
        for (std::size_t a = 0; a < d; ++a) {  // exact symmetry
          for (std::size_t b = a + 1; b < d; ++b) cov[a * d + b] = cov[b * d + a] = 0.5 * (cov[a * d + b] + cov[b * d + a]);
        }
      }
      break;
    case covariance_type::tied:
      for (std::size_t a = 0; a < d; ++a) {
        for (std::size_t b = 0; b < d; ++b) {
          double v = scatter[a * d + b];
          for (std::size_t c = 0; c < k; ++c) v -= nk[c] * m.means[c * d + a] * m.means[c * d + b];
          m.covariances[a * d + b] = v / total;
        }
        m.covariances[a * d + a] += reg;
      }
      break;
    case covariance_type::diag:
    case covariance_type::spherical:
      for (std::size_t c = 0; c < k; ++c) {
        double mean_var = 0.0;
        for (std::size_t j = 0; j < d; ++j) {
          const double mu = m.means[c * d + j];
          const double v = st.first[c * stride + j] / nk[c] - mu * mu + reg;
          if (type == covariance_type::diag) {
            m.covariances[c * d + j] = v;
          } else {
            mean_var += v;
          }
        }
        if (type == covariance_type::spherical) m.covariances[c] = mean_var / static_cast<double>(d);
      }
      break;
  }
  factorise(m, reg, scale);
  return m;
}

// Weighted mean of the rows (the centring offset of a fit).
template <class T>
std::vector<double> weighted_mean(const matrix_view<T>& x, std::span<const double> w, executor& ex) {
  const std::size_t n = x.rows(), d = x.cols();
  auto acc = parallel_reduce(
      ex, n, gmm_min_group, std::vector<double>(d + 1, 0.0),
      [&](std::size_t b, std::size_t e, std::size_t) {
        std::vector<double> a(d + 1, 0.0);
        for (std::size_t i = b; i < e; ++i) {
          for (std::size_t j = 0; j < d; ++j) a[j] += w[i] * static_cast<double>(x(i, j));
          a[d] += w[i];
        }
        return a;
      },
      [](std::vector<double> a, const std::vector<double>& p) {
        for (std::size_t j = 0; j < a.size(); ++j) a[j] += p[j];
        return a;
      });
  for (std::size_t j = 0; j < d; ++j) acc[j] /= acc[d];
  acc.pop_back();
  return acc;
}

// The model's parameters as a mixture centerd by the weighted mean of its means.
inline std::pair<mixture, std::vector<double>> centerd_mixture(const gmm_model& model) {
  mixture m;
  m.type = model.covariance;
  m.k = model.means.shape(0);
  m.d = model.means.shape(1);
  std::vector<double> offset(m.d, 0.0);
  for (std::size_t c = 0; c < m.k; ++c) {
    for (std::size_t j = 0; j < m.d; ++j) offset[j] += model.weights(c) * model.means(c, j);
  }
  m.weights.assign(model.weights.begin(), model.weights.end());
  m.means.resize(m.k * m.d);
  for (std::size_t c = 0; c < m.k; ++c) {
    for (std::size_t j = 0; j < m.d; ++j) m.means[c * m.d + j] = model.means(c, j) - offset[j];
  }
  m.prec_chol.assign(model.precisions_cholesky.begin(), model.precisions_cholesky.end());
  return {std::move(m), std::move(offset)};
}

inline std::vector<std::size_t> covariance_shape(covariance_type t, std::size_t k, std::size_t d) {
  switch (t) {
    case covariance_type::full: return {k, d, d};
    case covariance_type::tied: return {d, d};
    case covariance_type::diag: return {k, d};
    case covariance_type::spherical: return {k};
  }
  return {};
}

// Calls fn(matrix_view<V>) with the rows of x, V = double for double data and float otherwise.
template <class E, class F>
decltype(auto) with_rows(const E& x, F&& fn) {
  using V = std::conditional_t<std::is_same_v<typename std::decay_t<E>::value_type, double>, double, float>;
  const auto rows = as_rows<V>(x);
  return fn(rows.view());
}

// An E-step of the model over x with the given outputs; checks the rows first.
template <class E>
gmm_stats model_pass(const gmm_model& model, const E& x, std::size_t threads, pass_outputs out, std::size_t* n_rows = nullptr) {
  return with_rows(x, [&](auto v) {
    using V = typename decltype(v)::value_type;
    if (v.rows() != 0 && v.cols() != model.n_features()) {
      segkit::detail::throw_invalid(gmm_component, fmt::format("rows have {} columns, the model has {}", v.cols(), model.n_features()));
    }
    require_finite<V>(gmm_component, "rows", v);
    if (n_rows != nullptr) *n_rows = v.rows();
    auto [m, offset] = centerd_mixture(model);
    const gaussians g(m, std::move(offset));
    executor ex(threads);
    return em_pass<V>(v, {}, g, ex, out);
  });
}

}  // namespace detail

/**
 * @brief Gaussian mixture model fitted by expectation-maximization.
 *
 * Each restart starts from a hard assignment (k-means labels by default), estimates weights,
 * means and covariances from it, then alternates E-steps and M-steps until the mean log-likelihood
 * changes by less than tol or max_iter is reached — the algorithm and conventions of
 * scikit-learn's GaussianMixture (reg_covar on the diagonals, 10 eps added to component masses,
 * the lower bound of the last E-step decides between restarts, and the labels come from a final
 * E-step), whose log-likelihood segkit reproduces from the same start.
 *
 * Densities are evaluated in log space with Cholesky factors of the precisions and normalized by
 * log-sum-exp, so nothing underflows. Rows are processed in blocks of 128 with one BLAS product per
 * block; statistics are summed in double precision per work item and combined in order, so the
 * result is the same for any thread count. Sample weights scale each row's responsibilities (a
 * weight of 2 counts the row twice).
 *
 * @tparam T  float (default) or double: the type of the input rows; computation is in double.
 * @par Complexity  per iteration O(n k d^2) for full, O(n d^2 + n k d) for tied, O(n k d) for
 * diag and spherical; O(k d^3) for the factorisations. Memory O(n) plus the statistics.
 * @par Thread safety  fit() is const; concurrent fits are safe.
 */
template <class T = float>
class gaussian_mixture {
 public:
  using value_type = T;

  /// @throws segkit::invalid_argument naming the first parameter outside its table's range.
  explicit gaussian_mixture(gmm_params params = {}) : p_(std::move(params)) { segkit::params::validate(p_, detail::gmm_component); }

  /// The parameters.
  [[nodiscard]] const gmm_params& params() const noexcept { return p_; }

  /**
   * @brief Fits the mixture to the rows of `x` (n x d), optionally weighted.
   * @throws segkit::invalid_argument if x is empty, has no columns, holds NaN/Inf, k exceeds the
   * number of rows, the weights are of the wrong length, negative, non-finite or all zero, or the
   * initial labels/means do not fit (length, range, shape, NaN).
   */
  template <class E>
  [[nodiscard]] gmm_model fit(const E& x, std::span<const double> weights = {}) const {
    const auto rows = as_rows<T>(x);
    return fit_view(rows.view(), weights);
  }

 private:
  gmm_model fit_view(const matrix_view<T>& x, std::span<const double> weights) const {
    using segkit::detail::throw_invalid;
    const char* comp = detail::gmm_component;
    const std::size_t n = x.rows(), d = x.cols(), k = p_.k;
    const std::vector<double> w = detail::checked_weights(x, k, weights, comp);
    check_initialization(n, d);
    executor ex(p_.threads);
    const std::vector<double> offset = detail::weighted_mean(x, w, ex);
    const std::vector<double> scatter = p_.covariance == covariance_type::tied ? detail::weighted_scatter(x, w, offset, ex) : std::vector<double>{};
    const std::size_t chunk = std::clamp<std::size_t>(4096 / d, 1, k);
    const double scale = detail::mean_variance(x, ex);

    const bool given = p_.initial_labels.size() != 0 || p_.initial_means.size() != 0;
    const std::size_t runs = given ? 1 : p_.n_init;
    detail::mixture best;
    double best_bound = -std::numeric_limits<double>::infinity();
    std::size_t best_iter = 0;
    bool best_converged = false;
    for (std::size_t run = 0; run < runs; ++run) {
      const auto start = initial_labels(x, w, run, ex);
      detail::mixture m = detail::m_step(detail::label_pass(x, w, start.data(), p_.covariance, k, offset, chunk, ex), p_.covariance, d, p_.reg_covar, scale, scatter);
      double bound = -std::numeric_limits<double>::infinity();
      bool converged = false;
      std::size_t it = 0;
      while (it < p_.max_iter) {
        ++it;
        const double previous = bound;
        const detail::gaussians g(m, offset);
        const auto st = detail::em_pass(x, w, g, ex, {.statistics = true});
        bound = st.log_likelihood / st.weight;
        m = detail::m_step(st, p_.covariance, d, p_.reg_covar, scale, scatter);
        if (std::abs(bound - previous) < p_.tol) {
          converged = true;
          break;
        }
      }
      if (run == 0 || bound > best_bound) {
        best = std::move(m);
        best_bound = bound;
        best_iter = it;
        best_converged = converged;
      }
    }
    return finish(x, w, std::move(best), offset, ex, best_bound, best_iter, best_converged);
  }

  void check_initialization(std::size_t n, std::size_t d) const {
    using segkit::detail::throw_invalid;
    const char* comp = detail::gmm_component;
    if (p_.initial_labels.size() != 0 && p_.initial_means.size() != 0) throw_invalid(comp, "give initial_labels or initial_means, not both");
    if (p_.initial_labels.size() != 0) {
      if (p_.initial_labels.size() != n) throw_invalid(comp, fmt::format("{} initial labels for {} samples", p_.initial_labels.size(), n));
      for (std::size_t i = 0; i < n; ++i) {
        const auto l = p_.initial_labels(i);
        if (l < 0 || static_cast<std::size_t>(l) >= p_.k) throw_invalid(comp, fmt::format("initial label {} of row {} is outside 0..{}", l, i, p_.k - 1));
      }
    }
    if (p_.initial_means.size() != 0) {
      if (p_.initial_means.shape(0) != p_.k || p_.initial_means.shape(1) != d) {
        throw_invalid(comp, fmt::format("initial_means are {} x {}, expected k x d = {} x {}", p_.initial_means.shape(0), p_.initial_means.shape(1), p_.k, d));
      }
      require_finite<double>(comp, "initial_means", as_rows<double>(p_.initial_means).view());
    }
  }

  // The hard assignment a restart starts from.
  std::vector<label_type> initial_labels(const matrix_view<T>& x, const std::vector<double>& w, std::size_t run, executor& ex) const {
    const std::size_t n = x.rows();
    std::vector<label_type> labels(n);
    if (p_.initial_labels.size() != 0) {
      std::copy(p_.initial_labels.begin(), p_.initial_labels.end(), labels.begin());
      return labels;
    }
    detail::lloyd_state<T> s{x, w, distance::row_norm_terms<distance::squared_l2_metric>(x), &ex};
    matrix<T> centers;
    if (p_.initial_means.size() != 0) {
      centers = xt::cast<T>(p_.initial_means);
    } else if (p_.init == gmm_init::kmeans) {
      kmeans_params kp;
      kp.k = p_.k;
      kp.seed = rng(p_.seed, run)();
      kp.threads = p_.threads;
      const auto km = kmeans<T>(kp).fit(x, w);
      std::copy(km.labels().begin(), km.labels().end(), labels.begin());
      return labels;
    } else {
      rng r(p_.seed, run);
      centers = detail::kmeans_plus_plus(s, p_.k, r);
    }
    std::vector<T> dist(n);
    (void)detail::e_step(s, centers, labels.data(), dist.data(), false);
    return labels;
  }

  gmm_model finish(const matrix_view<T>& x, const std::vector<double>& w, detail::mixture m, const std::vector<double>& offset, executor& ex,
                   double bound, std::size_t n_iter, bool converged) const {
    const std::size_t n = x.rows(), k = m.k, d = m.d;
    gmm_model model;
    model.covariance = m.type;
    label_vector labels = label_vector::from_shape({n});
    const detail::gaussians g(m, offset);
    const auto st = detail::em_pass(x, w, g, ex, {.labels = labels.data()});
    model.set_labels(std::move(labels), k);
    model.log_likelihood = st.log_likelihood / st.weight;
    model.lower_bound = bound;
    model.n_iter = n_iter;
    model.converged = converged;
    model.weights = xt::xtensor<double, 1>::from_shape({k});
    std::copy(m.weights.begin(), m.weights.end(), model.weights.begin());
    model.means = matrix<double>::from_shape({k, d});
    for (std::size_t c = 0; c < k; ++c) {
      for (std::size_t j = 0; j < d; ++j) model.means(c, j) = m.means[c * d + j] + offset[j];
    }
    const auto shape = detail::covariance_shape(m.type, k, d);
    model.covariances = xt::xarray<double>::from_shape(shape);
    std::copy(m.covariances.begin(), m.covariances.end(), model.covariances.begin());
    model.precisions_cholesky = xt::xarray<double>::from_shape(shape);
    std::copy(m.prec_chol.begin(), m.prec_chol.end(), model.precisions_cholesky.begin());
    model.degenerate = std::move(m.degenerate);
    return model;
  }

  gmm_params p_;
};

static_assert(segkit::inductive_clusterer<gaussian_mixture<>>);
static_assert(segkit::inductive_clusterer<gaussian_mixture<double>, double>);

inline std::size_t gmm_model::n_parameters() const noexcept {
  const std::size_t k = n_clusters(), d = n_features();
  std::size_t cov = 0;
  switch (covariance) {
    case covariance_type::full: cov = k * d * (d + 1) / 2; break;
    case covariance_type::tied: cov = d * (d + 1) / 2; break;
    case covariance_type::diag: cov = k * d; break;
    case covariance_type::spherical: cov = k; break;
  }
  return cov + k * d + k - 1;
}

template <class E>
xt::xtensor<double, 1> gmm_model::score_samples(const E& x, std::size_t threads) const {
  xt::xtensor<double, 1> out = xt::xtensor<double, 1>::from_shape({detail::rows_of(x)});
  (void)detail::model_pass(*this, x, threads, {.log_density = out.data()});
  return out;
}

template <class E>
double gmm_model::score(const E& x, std::size_t threads) const {
  std::size_t n = 0;
  const auto st = detail::model_pass(*this, x, threads, {}, &n);
  if (n == 0) segkit::detail::throw_invalid(detail::gmm_component, "score of no samples (x has 0 rows)");
  return st.log_likelihood / st.weight;
}

template <class E>
matrix<double> gmm_model::predict_proba(const E& x, std::size_t threads) const {
  matrix<double> out = matrix<double>::from_shape({detail::rows_of(x), n_clusters()});
  (void)detail::model_pass(*this, x, threads, {.responsibilities = out.data()});
  return out;
}

template <class E>
xt::xtensor<label_type, 1> gmm_model::predict(const E& x, std::size_t threads) const {
  xt::xtensor<label_type, 1> out = xt::xtensor<label_type, 1>::from_shape({detail::rows_of(x)});
  (void)detail::model_pass(*this, x, threads, {.labels = out.data()});
  return out;
}

template <class E>
double gmm_model::bic(const E& x, std::size_t threads) const {
  const auto n = static_cast<double>(detail::rows_of(x));
  return -2.0 * score(x, threads) * n + static_cast<double>(n_parameters()) * std::log(n);
}

template <class E>
double gmm_model::aic(const E& x, std::size_t threads) const {
  const auto n = static_cast<double>(detail::rows_of(x));
  return -2.0 * score(x, threads) * n + 2.0 * static_cast<double>(n_parameters());
}

inline void gmm_model::write_to(container_writer& w) const {
  byte_writer meta;
  meta.put(std::uint32_t{1}).put_string(std::string(params::name(covariance)));
  meta.put(static_cast<std::uint64_t>(means.shape(0))).put(static_cast<std::uint64_t>(means.shape(1)));
  meta.put(static_cast<std::uint64_t>(labels().size())).put(log_likelihood).put(lower_bound).put(static_cast<std::uint64_t>(n_iter));
  meta.put(static_cast<std::uint8_t>(converged)).put(static_cast<std::uint64_t>(degenerate.size()));
  w.add_copy("meta", meta.bytes());
  w.add_array<double>("weights", std::span<const double>(weights.data(), weights.size()));
  w.add_array<double>("means", std::span<const double>(means.data(), means.size()));
  w.add_array<double>("covar", std::span<const double>(covariances.data(), covariances.size()));
  w.add_array<label_type>("labels", std::span<const label_type>(labels().data(), labels().size()));
  const std::vector<std::uint64_t> deg(degenerate.begin(), degenerate.end());
  w.add_array_copy<std::uint64_t>("degen", deg);
}

inline gmm_model gmm_model::read_from(const container_reader& file) {
  byte_reader meta(file.section("meta"), file);
  if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("GMM format version {} is not supported", v));
  gmm_model m;
  try {
    m.covariance = params::parse_enum<covariance_type>(meta.get_string(), "the covariance type");
  } catch (const segkit::invalid_argument& e) {
    file.fail(e.what());
  }
  const auto k = meta.get<std::uint64_t>(), d = meta.get<std::uint64_t>(), n = meta.get<std::uint64_t>();
  if (k == 0 || d == 0 || d > 65536 || k > (std::uint64_t{1} << 32) / (d * d) || n > (std::uint64_t{1} << 40)) file.fail("implausible model shape");
  m.log_likelihood = meta.get<double>();
  m.lower_bound = meta.get<double>();
  m.n_iter = meta.get<std::uint64_t>();
  m.converged = meta.get<std::uint8_t>() != 0;
  const auto n_degenerate = meta.get<std::uint64_t>();
  if (n_degenerate > k) file.fail(fmt::format("{} degenerate components of {}", n_degenerate, k));
  const auto weights = file.array<double>("weights", k);
  const auto means = file.array<double>("means", k * d);
  const auto cov = file.array<double>("covar", detail::covariance_size(m.covariance, k, d));
  double total = 0.0;
  for (const double v : weights) {
    if (!(v > 0.0) || !std::isfinite(v)) file.fail(fmt::format("mixing weight {} is not a positive number", v));
    total += v;
  }
  if (std::abs(total - 1.0) > 1e-6) file.fail(fmt::format("mixing weights sum to {}, not 1", total));
  for (const double v : means) {
    if (!std::isfinite(v)) file.fail("a mean is not finite");
  }
  detail::mixture mix;
  mix.type = m.covariance;
  mix.k = k;
  mix.d = d;
  mix.covariances.assign(cov.begin(), cov.end());
  for (const double v : mix.covariances) {
    if (!std::isfinite(v)) file.fail("a covariance value is not finite");
  }
  if (m.covariance == covariance_type::diag || m.covariance == covariance_type::spherical) {
    for (const double v : mix.covariances) {
      if (!(v > 0.0)) file.fail(fmt::format("variance {} is not positive", v));
    }
  }
  const auto saved = mix.covariances;
  try {
    detail::factorise(mix, 0.0, 0.0);
  } catch (const segkit::invalid_argument&) {
    file.fail("a covariance matrix is not positive definite");
  }
  if (mix.covariances != saved) file.fail("a covariance matrix is not positive definite");
  const auto shape = detail::covariance_shape(m.covariance, k, d);
  m.weights = xt::xtensor<double, 1>::from_shape({k});
  std::copy(weights.begin(), weights.end(), m.weights.begin());
  m.means = matrix<double>::from_shape({k, d});
  std::copy(means.begin(), means.end(), m.means.begin());
  m.covariances = xt::xarray<double>::from_shape(shape);
  std::copy(saved.begin(), saved.end(), m.covariances.begin());
  m.precisions_cholesky = xt::xarray<double>::from_shape(shape);
  std::copy(mix.prec_chol.begin(), mix.prec_chol.end(), m.precisions_cholesky.begin());
  const auto stored = file.array<label_type>("labels", n);
  label_vector labels = label_vector::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) {
    if (stored[i] < 0 || static_cast<std::uint64_t>(stored[i]) >= k) file.fail(fmt::format("label {} of row {} is outside 0..{}", stored[i], i, k - 1));
    labels(i) = stored[i];
  }
  m.set_labels(std::move(labels), k);
  const auto deg = file.array<std::uint64_t>("degen", n_degenerate);
  for (const auto c : deg) {
    if (c >= k) file.fail(fmt::format("degenerate component {} is outside 0..{}", c, k - 1));
    m.degenerate.push_back(static_cast<std::size_t>(c));
  }
  return m;
}

/// One point of a BIC sweep.
struct gmm_sweep_point {
  std::size_t k = 0;             ///< number of components
  double bic = 0.0;              ///< Bayesian information criterion on the training rows
  double aic = 0.0;              ///< Akaike information criterion
  double log_likelihood = 0.0;   ///< mean log-likelihood of the training rows
  bool converged = false;        ///< whether the winning restart converged
  std::size_t degenerate = 0;    ///< number of degenerate components
};

/// A BIC curve over k and its minimum.
struct gmm_sweep_result {
  std::vector<gmm_sweep_point> points;  ///< one per k, increasing
  std::size_t chosen_k = 0;             ///< k with the lowest BIC (ties: the smaller k)
};

/**
 * @brief Fits a mixture for every k in [k_min, k_max] with the other parameters of `base` and
 * reports BIC, AIC and log-likelihood per k; chosen_k minimizes BIC. Each k uses `base.seed`.
 * Unweighted: BIC counts rows. @throws segkit::invalid_argument if k_min is 0, k_min > k_max, or
 * k_max exceeds the number of rows (and as gaussian_mixture::fit does).
 */
template <class T = float, class E>
gmm_sweep_result gmm_sweep(const E& x, std::size_t k_min, std::size_t k_max, gmm_params base = {}) {
  const auto rows = as_rows<T>(x);
  detail::check_k_range("segkit::cluster::gmm_sweep", k_min, k_max, rows.view().rows());
  base.initial_labels = {};
  base.initial_means = {};
  gmm_sweep_result out;
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t k = k_min; k <= k_max; ++k) {
    base.k = k;
    const auto m = gaussian_mixture<T>(base).fit(rows.view());
    const auto n = static_cast<double>(rows.view().rows());
    const auto params = static_cast<double>(m.n_parameters());
    gmm_sweep_point p{k, -2.0 * m.log_likelihood * n + params * std::log(n), -2.0 * m.log_likelihood * n + 2.0 * params, m.log_likelihood,
                      m.converged, m.degenerate.size()};
    if (p.bic < best) {
      best = p.bic;
      out.chosen_k = k;
    }
    out.points.push_back(p);
  }
  return out;
}

}  // namespace segkit::cluster
