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

#include "segkit/cluster/covariance.hpp"
#include "segkit/cluster/detail/gmm_em.hpp"
#include "segkit/cluster/kmeans.hpp"
#include "segkit/core/binary_format.hpp"
#include "segkit/core/compiled.hpp"
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

// The model's parameters as a mixture centered by the weighted mean of its means.
inline std::pair<mixture, std::vector<double>> centered_mixture(const gmm_model& model) {
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
    auto [m, offset] = centered_mixture(model);
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
  gmm_model fit_view(const matrix_view<T>& x, std::span<const double> weights) const;

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

template <class T>
auto gaussian_mixture<T>::fit_view(const matrix_view<T>& x, std::span<const double> weights) const -> gmm_model {
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
    detail::factorize(mix, 0.0, 0.0);
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

/// The instantiations compiled once into segkit::segkit_compiled (segkit/core/compiled.hpp).
#define SEGKIT_INSTANCES_CLUSTER_GMM(X) X(class segkit::cluster::gaussian_mixture<float>) X(class segkit::cluster::gaussian_mixture<double>)
SEGKIT_INSTANCES_CLUSTER_GMM(SEGKIT_EXTERN_TEMPLATE)
