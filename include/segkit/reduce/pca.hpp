#pragma once
/// @file
/// @brief Principal component analysis: exact (covariance or Gram eigendecomposition through
/// LAPACK), randomized (Halko, Martinsson & Tropp 2011) for large inputs, whitening, explained
/// variance, transform / inverse_transform, scikit-learn's sign convention, and incremental
/// fitting batch by batch (Ross et al. 2008) for data that do not fit in memory.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <numeric>
#include <span>
#include <string_view>
#include <type_traits>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <xtensor/xtensor.hpp>

#include "segkit/core/binary_format.hpp"
#include "segkit/core/compiled.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/params.hpp"
#include "segkit/core/random.hpp"
#include "segkit/core/blas.hpp"
#include "segkit/reduce/detail/lapack.hpp"
#include "segkit/reduce/detail/randomized_svd.hpp"

namespace segkit::reduce {

/// How pca computes the decomposition.
enum class pca_solver {
  automatic,   ///< randomized when k < 0.8 min(n, d) and its estimated arithmetic is under half the full solver's
  full,        ///< exact eigendecomposition of the d x d covariance (or the n x n Gram matrix when d > n)
  randomized,  ///< randomized range finder with power iterations, then a small exact SVD
};
/// Names of pca_solver in files and on the command line (scikit-learn's svd_solver).
constexpr auto enum_names(pca_solver) {
  using params::name_value;
  return std::array{name_value{"auto", pca_solver::automatic}, name_value{"full", pca_solver::full}, name_value{"randomized", pca_solver::randomized}};
}

/// Parameters of pca.
struct pca_params {
  std::size_t n_components = 0;   ///< components kept; 0 = min(n, d) (or as `variance` decides)
  double variance = 0.0;          ///< in (0, 1): keep the fewest components explaining this share (full solver)
  bool whiten = false;            ///< scale transformed coordinates to unit variance
  pca_solver solver = pca_solver::automatic;  ///< see pca_solver
  std::size_t power_iterations = 0;  ///< randomized: 0 = 7 when k < 0.1 min(n, d), else 4
  std::size_t oversamples = 10;   ///< randomized: extra random directions
  std::uint64_t seed = 0;         ///< randomized: the only source of randomness
  std::size_t threads = 0;        ///< 0 = all hardware threads; results do not depend on it

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = pca_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("n_components", &p::n_components, "components kept; 0 = min(n, d) (or as variance decides)", {}, "dims"),
                      sp::field("variance", &p::variance, "in (0, 1): keep the fewest components explaining this share (full solver); 0 = off",
                                {0, 1, false, true}),
                      sp::field("whiten", &p::whiten, "scale transformed coordinates to unit variance"),
                      sp::field("solver", &p::solver, "auto (randomized when cheaper), full or randomized", {}, "svd_solver"),
                      sp::field("power_iterations", &p::power_iterations, "randomized: power iterations; 0 = 7 when k < 0.1 min(n, d), else 4"),
                      sp::field("oversamples", &p::oversamples, "randomized: extra random directions"),
                      sp::field("seed", &p::seed, "randomized: the only source of randomness"),
                      sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it")};
  }
};

namespace detail {

inline constexpr std::size_t pca_block = 2048;  // rows per work item; fixed so results do not depend on threads

/// Rows [b, e) of x, centered by `mean`, in double (row-major, d columns).
template <class T>
void centered_block(const matrix_view<T>& x, const std::vector<double>& mean, std::size_t b, std::size_t e, std::vector<double>& out) {
  const std::size_t d = x.cols();
  out.resize((e - b) * d);
  for (std::size_t i = b; i < e; ++i) {
    const T* r = x.row(i);
    double* o = out.data() + (i - b) * d;
    for (std::size_t j = 0; j < d; ++j) o[j] = static_cast<double>(r[j]) - mean[j];
  }
}

/// Y (n x l) = (X - mean) Q with Q d x l.
template <class T>
std::vector<double> times(const matrix_view<T>& x, const std::vector<double>& mean, const std::vector<double>& q, std::size_t l, executor& ex) {
  const std::size_t n = x.rows(), d = x.cols();
  std::vector<double> y(n * l);
  parallel_for(ex, n, pca_block, [&](std::size_t b, std::size_t e, std::size_t) {
    std::vector<double> blk;
    centered_block(x, mean, b, e, blk);
    blas::gemm<double>(false, false, e - b, l, d, 1.0, blk.data(), d, q.data(), l, 0.0, y.data() + b * l, l);
  });
  return y;
}

/// Z (d x l) = (X - mean)^T Y with Y n x l; partial products summed in block order.
template <class T>
std::vector<double> times_transposed(const matrix_view<T>& x, const std::vector<double>& mean, const std::vector<double>& y, std::size_t l,
                                     executor& ex) {
  const std::size_t d = x.cols();
  return parallel_reduce(
      ex, x.rows(), pca_block, std::vector<double>(d * l, 0.0),
      [&](std::size_t b, std::size_t e, std::size_t) {
        std::vector<double> blk, part(d * l, 0.0);
        centered_block(x, mean, b, e, blk);
        blas::gemm<double>(true, false, d, l, e - b, 1.0, blk.data(), d, y.data() + b * l, l, 0.0, part.data(), l);
        return part;
      },
      [](std::vector<double> acc, const std::vector<double>& p) {
        for (std::size_t i = 0; i < acc.size(); ++i) acc[i] += p[i];
        return acc;
      });
}

/// Power iterations of the randomized solver: 7 when k < 0.1 min(n, d), else 4 (scikit-learn's rule).
inline std::size_t power_iterations(std::size_t k, std::size_t r, std::size_t given) {
  if (given != 0) return given;
  return static_cast<double>(k) < 0.1 * static_cast<double>(r) ? 7 : 4;
}

/**
 * The solver `automatic` picks: the full eigendecomposition costs about n r^2 + r^3 (r = min(n, d))
 * operations, the randomized one about (2 q + 2) n d l + n l^2 with l = k + oversamples; randomized
 * only when it needs less than half the arithmetic (it is approximate) and k < 0.8 r.
 */
inline pca_solver automatic_solver(std::size_t n, std::size_t d, std::size_t k, std::size_t oversamples, std::size_t given_iterations) {
  const std::size_t r = std::min(n, d);
  if (static_cast<double>(k) >= 0.8 * static_cast<double>(r)) return pca_solver::full;
  const double dn = static_cast<double>(n), dd = static_cast<double>(d), dr = static_cast<double>(r);
  const double l = static_cast<double>(std::min(r, k + oversamples));
  const double q = static_cast<double>(power_iterations(k, r, given_iterations));
  const double full = dn * dr * dr + dr * dr * dr;
  const double randomized = (2.0 * q + 2.0) * dn * dd * l + dn * l * l;
  return randomized < 0.5 * full ? pca_solver::randomized : pca_solver::full;
}

[[noreturn]] inline void throw_pca(const std::string& message) { segkit::detail::throw_invalid("segkit::reduce::pca", message); }

}  // namespace detail

/**
 * @brief A fitted PCA: mean, principal axes and the variance each explains.
 * @par Thread safety  const members may run concurrently.
 */
template <class T = float>
struct pca_model {
  std::vector<double> mean;                 ///< per input column
  xt::xtensor<double, 2> components;        ///< k x d, unit rows, by decreasing variance
  std::vector<double> explained_variance;   ///< per component (divided by n - 1)
  std::vector<double> explained_variance_ratio;  ///< per component, of the total variance
  std::vector<double> singular_values;      ///< of the centered data
  double noise_variance = 0.0;              ///< mean variance of the dropped directions (probabilistic PCA)
  std::size_t n_samples = 0;                ///< rows fitted
  bool whiten = false;                      ///< transform scales coordinates to unit variance
  pca_solver solver = pca_solver::full;     ///< the solver actually used

  [[nodiscard]] std::size_t n_components() const noexcept { return components.shape(0); }
  [[nodiscard]] std::size_t dim() const noexcept { return components.shape(1); }

  /**
   * @brief Coordinates of rows in the principal axes: (x - mean) components^T (divided by
   * sqrt(explained variance) when whitening). Row by row independent: a row gets the same
   * coordinates alone or in any batch.
   * @throws segkit::invalid_argument for a column count other than dim() or NaN/Inf.
   */
  template <class E>
  [[nodiscard]] matrix<T> transform(const E& x_in, std::size_t threads = 0) const {
    const auto x = as_rows<T>(x_in);
    if (x->cols() != dim()) detail::throw_pca(fmt::format("transform: rows have {} columns, the model {}", x->cols(), dim()));
    require_finite<T>("segkit::reduce::pca::transform", "x", x.view());
    const std::size_t n = x->rows(), d = dim(), k = n_components();
    matrix<T> out = matrix<T>::from_shape({n, k});
    std::vector<double> scale(k, 1.0);
    if (whiten) {
      for (std::size_t c = 0; c < k; ++c) scale[c] = explained_variance[c] > 0.0 ? 1.0 / std::sqrt(explained_variance[c]) : 0.0;
    }
    executor ex(threads);
    parallel_for(ex, n, 256, [&](std::size_t b, std::size_t e, std::size_t) {
      std::vector<double> blk, y((e - b) * k);
      detail::centered_block(x.view(), mean, b, e, blk);
      for (std::size_t i = 0; i < e - b; ++i) {
        for (std::size_t c = 0; c < k; ++c) {
          const double* v = components.data() + c * d;
          const double* r = blk.data() + i * d;
          double s = 0.0;
          for (std::size_t j = 0; j < d; ++j) s += r[j] * v[j];
          out(b + i, c) = static_cast<T>(s * scale[c]);
        }
      }
    });
    return out;
  }

  /// Rows back in the input space: y components (times sqrt(explained variance) when whitening) + mean.
  template <class E>
  [[nodiscard]] matrix<T> inverse_transform(const E& y_in) const {
    const auto y = as_rows<T>(y_in);
    const std::size_t k = n_components(), d = dim();
    if (y->cols() != k) detail::throw_pca(fmt::format("inverse_transform: rows have {} columns, the model {} components", y->cols(), k));
    matrix<T> out = matrix<T>::from_shape({y->rows(), d});
    for (std::size_t i = 0; i < y->rows(); ++i) {
      for (std::size_t j = 0; j < d; ++j) {
        double s = mean[j];
        for (std::size_t c = 0; c < k; ++c) {
          const double w = whiten ? std::sqrt(explained_variance[c]) : 1.0;
          s += static_cast<double>(y->row(i)[c]) * w * components(c, j);
        }
        out(i, j) = static_cast<T>(s);
      }
    }
    return out;
  }

  /// Kind of the container the model is stored in (segkit::storable_model).
  static constexpr std::string_view container_kind = "segkit.model.pca";
  /// Writes the model atomically in segkit's checksummed container.
  void save(const std::filesystem::path& path) const { save_model(*this, path); }
  /// Reads a model written by save(). @throws segkit::io_error / segkit::format_error.
  [[nodiscard]] static pca_model load(const std::filesystem::path& path) { return load_model<pca_model>(path); }

  /// Adds the model's sections to `w` (segkit::storable_model).
  void write_to(container_writer& w) const {
    byte_writer meta;
    meta.put(std::uint32_t{1}).put(static_cast<std::uint64_t>(n_components())).put(static_cast<std::uint64_t>(dim()));
    meta.put(noise_variance).put(static_cast<std::uint64_t>(n_samples)).put(static_cast<std::uint8_t>(whiten)).put(static_cast<std::uint8_t>(solver));
    w.add_copy("meta", meta.bytes());
    w.add_array<double>("mean", std::span<const double>(mean));
    w.add_array<double>("comps", std::span<const double>(components.data(), components.size()));
    w.add_array<double>("var", std::span<const double>(explained_variance));
    w.add_array<double>("ratio", std::span<const double>(explained_variance_ratio));
    w.add_array<double>("sv", std::span<const double>(singular_values));
  }

  /// Rebuilds a model from write_to()'s sections, checking every value. @throws segkit::format_error.
  [[nodiscard]] static pca_model read_from(const container_reader& file) {
    byte_reader meta(file.section("meta"), file);
    if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("PCA model format version {} is not supported", v));
    const auto k = meta.get<std::uint64_t>(), d = meta.get<std::uint64_t>();
    if (k == 0 || d == 0 || k > d || d > (std::uint64_t{1} << 32) / k) file.fail(fmt::format("implausible PCA shape ({} components of {} columns)", k, d));
    pca_model m;
    m.noise_variance = meta.get<double>();
    m.n_samples = meta.get<std::uint64_t>();
    m.whiten = meta.get<std::uint8_t>() != 0;
    const auto solver = meta.get<std::uint8_t>();
    if (solver > static_cast<std::uint8_t>(pca_solver::randomized)) file.fail(fmt::format("unknown PCA solver {}", solver));
    m.solver = static_cast<pca_solver>(solver);
    m.mean = file.finite_array<double>("mean", d);
    const auto c = file.finite_array<double>("comps", k * d);
    m.components = xt::xtensor<double, 2>::from_shape({k, d});
    std::copy(c.begin(), c.end(), m.components.begin());
    m.explained_variance = file.finite_array<double>("var", k);
    m.explained_variance_ratio = file.finite_array<double>("ratio", k);
    m.singular_values = file.finite_array<double>("sv", k);
    for (const double v : m.explained_variance) {
      if (v < 0.0) file.fail(fmt::format("negative explained variance {}", v));
    }
    return m;
  }
};

/**
 * @brief Principal component analysis (satisfies segkit::inductive_reducer).
 *
 * @code
 * auto model = segkit::reduce::pca<>({.n_components = 50}).fit(x);
 * auto y = model.transform(x);                 // n x 50
 * model.explained_variance_ratio;              // per component
 * @endcode
 * The full solver eigendecomposes the covariance (d <= n) or the Gram matrix (d > n) in double
 * precision, accumulated over row blocks (never a centered copy of the data). Signs follow
 * scikit-learn's svd_flip: each component's largest |projection| over the training rows is
 * positive. Results do not depend on the thread count.
 * @par Thread safety  fit is const and may run concurrently on different data.
 */
template <class T = float>
class pca {
 public:
  using value_type = T;
  /// @throws segkit::invalid_argument naming the first parameter outside its table's range.
  explicit pca(pca_params params = {}) : params_(params) { segkit::params::validate(params_, "segkit::reduce::pca"); }

  /**
   * @brief Fits the principal axes.
   * @throws segkit::invalid_argument for fewer than 2 rows, 0 columns, NaN/Inf, n_components
   *         above min(n, d), a variance share outside (0, 1), or variance with the randomized solver.
   * @par Complexity  full: O(n d^2 + d^3) (or O(n^2 d + n^3) when d > n); randomized:
   *      O(n d (k + p) (2 q + 2)) for q power iterations.
   */
  template <class E>
  [[nodiscard]] pca_model<T> fit(const E& x) const {
    return fit_rows(as_rows<T>(x));
  }

  /// fit(x).transform(x).
  template <class E>
  [[nodiscard]] matrix<T> fit_transform(const E& x) const {
    return fit(x).transform(x, params_.threads);
  }

 private:
  // Defined after the class (not inline), so compiled mode keeps it out of users' translation units.
  pca_model<T> fit_rows(const rows_ref<T>& x) const;
  static std::vector<double> column_means(const matrix_view<T>& x, executor& ex) {
    const std::size_t d = x.cols();
    auto sum = parallel_reduce(
        ex, x.rows(), detail::pca_block, std::vector<double>(d, 0.0),
        [&](std::size_t b, std::size_t e, std::size_t) {
          std::vector<double> s(d, 0.0);
          for (std::size_t i = b; i < e; ++i) {
            for (std::size_t j = 0; j < d; ++j) s[j] += static_cast<double>(x.row(i)[j]);
          }
          return s;
        },
        [](std::vector<double> a, const std::vector<double>& p) {
          for (std::size_t j = 0; j < a.size(); ++j) a[j] += p[j];
          return a;
        });
    for (double& v : sum) v /= static_cast<double>(x.rows());
    return sum;
  }

  static double total_variance(const matrix_view<T>& x, const std::vector<double>& mean, executor& ex) {
    const double s = parallel_reduce(
        ex, x.rows(), detail::pca_block, 0.0,
        [&](std::size_t b, std::size_t e, std::size_t) {
          double acc = 0.0;
          for (std::size_t i = b; i < e; ++i) {
            for (std::size_t j = 0; j < x.cols(); ++j) {
              const double t = static_cast<double>(x.row(i)[j]) - mean[j];
              acc += t * t;
            }
          }
          return acc;
        },
        [](double a, double p) { return a + p; });
    return s / static_cast<double>(x.rows() - 1);
  }

  /// Exact: eigendecomposition of the covariance (d <= n) or the Gram matrix (d > n).
  static void full_decomposition(const matrix_view<T>& x, const std::vector<double>& mean, executor& ex, std::vector<double>& axes,
                                 std::vector<double>& sv) {
    const std::size_t n = x.rows(), d = x.cols(), r = std::min(n, d);
    if (d <= n) {
      const auto cov = parallel_reduce(
          ex, n, detail::pca_block, std::vector<double>(d * d, 0.0),
          [&](std::size_t b, std::size_t e, std::size_t) {
            std::vector<double> blk, part(d * d, 0.0);
            detail::centered_block(x, mean, b, e, blk);
            blas::gemm<double>(true, false, d, d, e - b, 1.0, blk.data(), d, blk.data(), d, 0.0, part.data(), d);
            return part;
          },
          [](std::vector<double> a, const std::vector<double>& p) {
            for (std::size_t i = 0; i < a.size(); ++i) a[i] += p[i];
            return a;
          });
      const auto values = detail::symmetric_eigen(cov, d, axes);
      sv.resize(d);
      for (std::size_t c = 0; c < d; ++c) sv[c] = std::sqrt(std::max(0.0, values[c]));
      return;
    }
    // Gram matrix G = Xc Xc^T (n x n); its eigenvectors u give the axes Xc^T u / s.
    std::vector<double> xc;
    detail::centered_block(x, mean, 0, n, xc);
    std::vector<double> gram(n * n);
    blas::gemm<double>(false, true, n, n, d, 1.0, xc.data(), d, xc.data(), d, 0.0, gram.data(), n);
    std::vector<double> u;
    const auto values = detail::symmetric_eigen(gram, n, u);
    sv.assign(r, 0.0);
    axes.assign(r * d, 0.0);
    for (std::size_t c = 0; c < r; ++c) {
      sv[c] = std::sqrt(std::max(0.0, values[c]));
      if (sv[c] <= 1e-12 * std::max(sv[0], 1e-300)) continue;  // a null direction: no axis (variance 0)
      for (std::size_t i = 0; i < n; ++i) {
        const double w = u[c * n + i] / sv[c];
        for (std::size_t j = 0; j < d; ++j) axes[c * d + j] += w * xc[i * d + j];
      }
    }
  }

  /// Randomized range finder (Halko, Martinsson & Tropp 2011) on the centered rows.
  void randomized_decomposition(const matrix_view<T>& x, const std::vector<double>& mean, std::size_t k, executor& ex, std::vector<double>& axes,
                                std::vector<double>& sv) const {
    const std::size_t n = x.rows(), d = x.cols();
    detail::randomized_svd(
        n, d, k, params_.oversamples, detail::power_iterations(k, std::min(n, d), params_.power_iterations), params_.seed,
        [&](const std::vector<double>& q, std::size_t l) { return detail::times(x, mean, q, l, ex); },
        [&](const std::vector<double>& y, std::size_t l) { return detail::times_transposed(x, mean, y, l, ex); }, ex, sv, axes);
  }

  /// scikit-learn's svd_flip (u-based): the largest |projection| of each component is positive.
  static void flip_signs(const matrix_view<T>& x, pca_model<T>& m, executor& ex) {
    const std::size_t n = x.rows(), d = x.cols(), k = m.n_components();
    if (k == 0) return;
    std::vector<double> comps(m.components.begin(), m.components.end());
    std::vector<double> ct(d * k);
    for (std::size_t c = 0; c < k; ++c) {
      for (std::size_t j = 0; j < d; ++j) ct[j * k + c] = comps[c * d + j];
    }
    const auto proj = detail::times(x, m.mean, ct, k, ex);  // n x k
    for (std::size_t c = 0; c < k; ++c) {
      std::size_t at = 0;
      for (std::size_t i = 1; i < n; ++i) {
        if (std::abs(proj[i * k + c]) > std::abs(proj[at * k + c])) at = i;
      }
      if (proj[at * k + c] < 0.0) {
        for (std::size_t j = 0; j < d; ++j) m.components(c, j) = -m.components(c, j);
      }
    }
  }

  pca_params params_;
};

template <class T>
auto pca<T>::fit_rows(const rows_ref<T>& x) const -> pca_model<T> {
  const std::size_t n = x->rows(), d = x->cols(), r = std::min(n, d);
  if (n < 2) detail::throw_pca(fmt::format("needs at least 2 rows (got {})", n));
  if (d == 0) detail::throw_pca("rows have 0 columns");
  require_finite<T>("segkit::reduce::pca", "x", x.view());
  if (params_.n_components > r) detail::throw_pca(fmt::format("n_components ({}) exceeds min(n, d) = {}", params_.n_components, r));
  const bool by_variance = params_.variance != 0.0;
  if (by_variance && !(params_.variance > 0.0 && params_.variance < 1.0)) detail::throw_pca(fmt::format("variance ({}) must lie in (0, 1)", params_.variance));
  if (by_variance && params_.solver == pca_solver::randomized) detail::throw_pca("variance needs the full solver");
  std::size_t k = params_.n_components == 0 ? r : params_.n_components;
  pca_solver solver = params_.solver;
  if (solver == pca_solver::automatic) {
    solver = by_variance ? pca_solver::full : detail::automatic_solver(n, d, k, params_.oversamples, params_.power_iterations);
  }
  executor ex(params_.threads);
  pca_model<T> m;
  m.n_samples = n;
  m.whiten = params_.whiten;
  m.solver = solver;
  m.mean = column_means(x.view(), ex);
  std::vector<double> axes;  // rows: unit vectors in input space
  std::vector<double> sv;    // singular values
  double total_var = 0.0;
  if (solver == pca_solver::full) {
    full_decomposition(x.view(), m.mean, ex, axes, sv);
    for (const double s : sv) total_var += s * s;
    total_var /= static_cast<double>(n - 1);
    std::vector<double> ev(sv.size());
    for (std::size_t c = 0; c < sv.size(); ++c) ev[c] = sv[c] * sv[c] / static_cast<double>(n - 1);
    if (by_variance) {
      double cum = 0.0;
      k = ev.size();
      for (std::size_t c = 0; c < ev.size(); ++c) {
        cum += ev[c] / total_var;
        if (cum > params_.variance) {
          k = c + 1;
          break;
        }
      }
    }
    double rest = 0.0;
    for (std::size_t c = k; c < ev.size(); ++c) rest += ev[c];
    m.noise_variance = k < ev.size() ? rest / static_cast<double>(ev.size() - k) : 0.0;
  } else {
    randomized_decomposition(x.view(), m.mean, k, ex, axes, sv);
    total_var = total_variance(x.view(), m.mean, ex);
    double kept = 0.0;
    for (std::size_t c = 0; c < k; ++c) kept += sv[c] * sv[c] / static_cast<double>(n - 1);
    m.noise_variance = k < r ? std::max(0.0, total_var - kept) / static_cast<double>(r - k) : 0.0;
  }
  m.components = xt::xtensor<double, 2>::from_shape({k, d});
  for (std::size_t c = 0; c < k; ++c) {
    std::copy_n(axes.data() + c * d, d, m.components.data() + c * d);
    m.singular_values.push_back(sv[c]);
    m.explained_variance.push_back(sv[c] * sv[c] / static_cast<double>(n - 1));
    m.explained_variance_ratio.push_back(total_var > 0.0 ? m.explained_variance.back() / total_var : 0.0);
  }
  flip_signs(x.view(), m, ex);
  return m;
}

static_assert(segkit::inductive_reducer<pca<float>, float>);

/// Parameters of incremental_pca.
struct incremental_pca_params {
  std::size_t n_components = 0;  ///< components kept (>= 1; 0 = the first batch's column count)
  bool whiten = false;           ///< transform scales coordinates to unit variance

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = incremental_pca_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("n_components", &p::n_components, "components kept; 0 = the first batch's column count", {}, "dims"),
                      sp::field("whiten", &p::whiten, "transform scales coordinates to unit variance")};
  }
};

/**
 * @brief PCA fitted batch by batch with bounded memory (Ross, Lim, Lin & Yang 2008, as
 * scikit-learn's IncrementalPCA): each partial_fit combines the current axes (scaled by their
 * singular values), the centered batch and a mean-correction row, and takes their exact SVD.
 * Memory O((k + batch) d). Signs: each axis's largest |coordinate| is positive (scikit-learn's
 * v-based svd_flip).
 * @par Thread safety  partial_fit mutates; model() and transform() are const.
 */
template <class T = float>
class incremental_pca {
 public:
  explicit incremental_pca(incremental_pca_params params = {}) : params_(params) {}

  /**
   * @brief Adds a batch.
   * @throws segkit::invalid_argument for NaN/Inf, a column count other than the first batch's, or
   *         a batch with fewer rows than n_components (every batch must have at least k rows).
   */
  template <class E>
  void partial_fit(const E& batch_in) {
    constexpr const char* comp = "segkit::reduce::incremental_pca";
    const auto x = as_rows<T>(batch_in);
    const std::size_t b = x->rows(), d = x->cols();
    require_finite<T>(comp, "batch", x.view());
    if (seen_ == 0) {
      d_ = d;
      k_ = params_.n_components == 0 ? d : params_.n_components;
      if (k_ > d) segkit::detail::throw_invalid(comp, fmt::format("n_components ({}) exceeds the {} columns", k_, d));
      mean_.assign(d, 0.0);
      var_.assign(d, 0.0);
    } else if (d != d_) {
      segkit::detail::throw_invalid(comp, fmt::format("batch has {} columns, earlier batches {}", d, d_));
    }
    if (b < k_) segkit::detail::throw_invalid(comp, fmt::format("a batch of {} rows is smaller than n_components ({})", b, k_));
    // Batch moments, then the combined mean and variance (Chan, Golub & LeVeque).
    std::vector<double> bmean(d, 0.0), bvar(d, 0.0);
    for (std::size_t i = 0; i < b; ++i) {
      for (std::size_t j = 0; j < d; ++j) bmean[j] += static_cast<double>(x->row(i)[j]);
    }
    for (double& v : bmean) v /= static_cast<double>(b);
    for (std::size_t i = 0; i < b; ++i) {
      for (std::size_t j = 0; j < d; ++j) {
        const double t = static_cast<double>(x->row(i)[j]) - bmean[j];
        bvar[j] += t * t;
      }
    }
    const double n0 = static_cast<double>(seen_), nb = static_cast<double>(b), nt = n0 + nb;
    // Rows to decompose: old axes scaled by singular values, the centered batch, the mean correction.
    const std::size_t old_rows = seen_ == 0 ? 0 : components_.size() / d;
    const std::size_t rows = old_rows + b + (seen_ == 0 ? 0 : 1);
    std::vector<double> stack(rows * d);
    for (std::size_t c = 0; c < old_rows; ++c) {
      for (std::size_t j = 0; j < d; ++j) stack[c * d + j] = singular_[c] * components_[c * d + j];
    }
    for (std::size_t i = 0; i < b; ++i) {
      for (std::size_t j = 0; j < d; ++j) stack[(old_rows + i) * d + j] = static_cast<double>(x->row(i)[j]) - bmean[j];
    }
    if (seen_ != 0) {
      const double w = std::sqrt(n0 / nt * nb);
      for (std::size_t j = 0; j < d; ++j) stack[(rows - 1) * d + j] = w * (mean_[j] - bmean[j]);
    }
    std::vector<double> total_ss(d);
    for (std::size_t j = 0; j < d; ++j) {
      const double delta = bmean[j] - mean_[j];
      total_ss[j] = var_[j] * n0 + bvar[j] + delta * delta * n0 * nb / nt;  // sum of squares about the new mean
      mean_[j] += delta * nb / nt;
      var_[j] = total_ss[j] / nt;
    }
    std::vector<double> u, vt;
    auto s = detail::thin_svd(stack, rows, d, u, vt);
    // v-based sign: the largest |entry| of each right singular vector is positive.
    for (std::size_t c = 0; c < s.size(); ++c) {
      std::size_t at = 0;
      for (std::size_t j = 1; j < d; ++j) {
        if (std::abs(vt[c * d + j]) > std::abs(vt[c * d + at])) at = j;
      }
      if (vt[c * d + at] < 0.0) {
        for (std::size_t j = 0; j < d; ++j) vt[c * d + j] = -vt[c * d + j];
      }
    }
    seen_ += b;
    all_singular_ = s;
    singular_.assign(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(std::min(k_, s.size())));
    components_.assign(vt.begin(), vt.begin() + static_cast<std::ptrdiff_t>(singular_.size() * d));
    total_var_ = std::accumulate(total_ss.begin(), total_ss.end(), 0.0);
  }

  /// The model so far (mean, axes, explained variance).
  /// @throws segkit::invalid_argument before the first partial_fit.
  [[nodiscard]] pca_model<T> model() const {
    if (seen_ == 0) segkit::detail::throw_invalid("segkit::reduce::incremental_pca", "model() before any partial_fit");
    pca_model<T> m;
    m.mean = mean_;
    m.n_samples = seen_;
    m.whiten = params_.whiten;
    const std::size_t k = singular_.size();
    m.components = xt::xtensor<double, 2>::from_shape({k, d_});
    std::copy(components_.begin(), components_.end(), m.components.begin());
    const double dof = static_cast<double>(seen_ > 1 ? seen_ - 1 : 1);
    for (std::size_t c = 0; c < k; ++c) {
      m.singular_values.push_back(singular_[c]);
      m.explained_variance.push_back(singular_[c] * singular_[c] / dof);
      m.explained_variance_ratio.push_back(total_var_ > 0.0 ? singular_[c] * singular_[c] / total_var_ : 0.0);
    }
    if (k < std::min(seen_, d_) && all_singular_.size() > k) {
      double rest = 0.0;
      for (std::size_t c = k; c < all_singular_.size(); ++c) rest += all_singular_[c] * all_singular_[c] / dof;
      m.noise_variance = rest / static_cast<double>(all_singular_.size() - k);
    }
    return m;
  }

  [[nodiscard]] std::size_t n_samples_seen() const noexcept { return seen_; }

 private:
  incremental_pca_params params_;
  std::size_t seen_ = 0, d_ = 0, k_ = 0;
  std::vector<double> mean_, var_, components_, singular_, all_singular_;
  double total_var_ = 0.0;
};

}  // namespace segkit::reduce

/// The instantiations compiled once into segkit::segkit_compiled (segkit/core/compiled.hpp).
#define SEGKIT_INSTANCES_REDUCE_PCA(X) X(class segkit::reduce::pca<float>) X(class segkit::reduce::pca<double>)
SEGKIT_INSTANCES_REDUCE_PCA(SEGKIT_EXTERN_TEMPLATE)
