#pragma once
/// @file
/// @brief t-SNE (van der Maaten & Hinton 2008) with Barnes-Hut (van der Maaten 2014) or FFT
/// interpolation (Linderman et al. 2019) gradients, picked per iteration by cost: perplexity-calibrated affinities on 3 x perplexity nearest neighbors, PCA initialization
/// scaled as openTSNE and scikit-learn do, early exaggeration, momentum and gains, the KL
/// divergence reported, and new points placed into a fixed embedding (openTSNE's transform idea).

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <type_traits>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <xtensor/xtensor.hpp>

#include "segkit/core/compiled.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/params.hpp"
#include "segkit/core/random.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/reduce/detail/fft.hpp"
#include "segkit/reduce/detail/knn.hpp"
#include "segkit/reduce/pca.hpp"
#include "segkit/reduce/detail/tsne_gradient.hpp"

namespace segkit::reduce {

/// How the repulsive forces are computed.
enum class tsne_method {
  automatic,   ///< per iteration, whichever of fft and barnes_hut is predicted cheaper (barnes_hut in 3 dimensions)
  barnes_hut,  ///< space-partitioning tree with opening angle theta, O(n log n) per iteration (1-3 dimensions)
  fft,         ///< interpolation on a grid with FFT convolutions (FIt-SNE), O(n + grid) per iteration (1-2 dimensions)
  exact,       ///< every pair, O(n^2) per iteration (any dimension; small n and tests)
};

/**
 * Cost model of tsne_method::automatic, in nanoseconds: a Barnes-Hut pass costs about
 * bh_per_point_log2 x n log2(n), an FFT pass fft_per_cell_log2 x cells log2(cells) plus
 * fft_per_point_node x n x points^2 (spreading and interpolation). Measured on this project's
 * 2-thread machine with bench/bench_reduce.cpp (bm_tsne_repulsion_*, bench/RESULTS.md); only the
 * ratios matter.
 */
struct tsne_cost_model {
  double bh_per_point_log2 = 38.0;
  double fft_per_cell_log2 = 1.0;
  double fft_per_point_node = 6.5;
};

/// How the embedding starts.
enum class tsne_init {
  pca,     ///< the first principal components, scaled to standard deviation 1e-4 along the first
  random,  ///< Gaussian with standard deviation 1e-4
};
/// Names of tsne_init in files and on the command line.
constexpr auto enum_names(tsne_init) {
  using params::name_value;
  return std::array{name_value{"pca", tsne_init::pca}, name_value{"random", tsne_init::random}};
}
/// Names of tsne_method in files and on the command line.
constexpr auto enum_names(tsne_method) {
  using params::name_value;
  return std::array{name_value{"auto", tsne_method::automatic}, name_value{"barnes_hut", tsne_method::barnes_hut}, name_value{"fft", tsne_method::fft},
                    name_value{"exact", tsne_method::exact}, name_value{"barnes-hut", tsne_method::barnes_hut}};
}

/// Parameters of tsne.
struct tsne_params {
  std::size_t n_components = 2;          ///< output dimensions (1-3 for Barnes-Hut)
  double perplexity = 30.0;              ///< effective number of neighbors (> 0, 3 perplexity < n)
  double early_exaggeration = 12.0;      ///< affinity multiplier of the first phase (>= 1)
  std::size_t exaggeration_iter = 250;   ///< iterations of the first phase (momentum 0.5)
  std::size_t max_iter = 1000;           ///< total iterations (the rest at momentum 0.8; > exaggeration_iter)
  double learning_rate = 0.0;            ///< 0 = max(n / early_exaggeration / 4, 50) (scikit-learn's "auto")
  double theta = 0.5;                    ///< Barnes-Hut opening angle (0 = exact forces through the tree)
  tsne_method method = tsne_method::automatic;  ///< see tsne_method
  std::size_t fft_points = 5;            ///< fft: interpolation nodes per box and axis (1-16)
  double fft_box_width = 1.0;            ///< fft: widest interpolation box, in embedding units (smaller = more accurate)
  tsne_init init = tsne_init::pca;       ///< see tsne_init
  knn_method knn = knn_method::automatic;  ///< how the neighbors are found (exact up to 20,000 rows, HNSW above)
  std::uint64_t seed = 0;                ///< the only source of randomness
  std::size_t threads = 0;               ///< 0 = all hardware threads; results do not depend on it

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = tsne_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("n_components", &p::n_components, "output dimensions (1-3 for Barnes-Hut, 1-2 for fft)", sp::at_least(1), "dims"),
                      sp::field("perplexity", &p::perplexity, "effective number of neighbors (3 perplexity < n)", sp::above(0)),
                      sp::field("early_exaggeration", &p::early_exaggeration, "affinity multiplier of the first phase", sp::at_least(1)),
                      sp::field("exaggeration_iter", &p::exaggeration_iter, "iterations of the first phase (momentum 0.5)"),
                      sp::field("max_iter", &p::max_iter, "total iterations (the rest at momentum 0.8); more than exaggeration_iter", sp::at_least(1),
                                "n_iter,iterations"),
                      sp::field("learning_rate", &p::learning_rate, "0 = max(n / early_exaggeration / 4, 50) (scikit-learn's auto)", sp::at_least(0)),
                      sp::field("theta", &p::theta, "Barnes-Hut opening angle (0 = exact forces through the tree)", sp::at_least(0)),
                      sp::field("method", &p::method, "auto (per iteration the cheaper of fft and barnes_hut), barnes_hut, fft or exact"),
                      sp::field("fft_points", &p::fft_points, "fft: interpolation nodes per box and axis", sp::between(1, 16)),
                      sp::field("fft_box_width", &p::fft_box_width, "fft: widest interpolation box, in embedding units (smaller = more accurate)",
                                {0, std::numeric_limits<double>::max(), true, false}),
                      sp::field("init", &p::init, "pca (the first principal components, scaled) or random"),
                      sp::field("knn", &p::knn, "neighbor search: auto (exact up to 20,000 rows, else hnsw), exact or hnsw"),
                      sp::field("seed", &p::seed, "the only source of randomness"),
                      sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it")};
  }
};


/// A t-SNE embedding and how the optimization went.
template <class Metric = distance::l2_metric, class T = float>
struct tsne_model {
  matrix<float> embedding;        ///< n x n_components
  double kl_divergence = 0.0;     ///< KL(P || Q) at the end (Q from the Barnes-Hut normalization)
  std::size_t n_iter = 0;         ///< iterations run
  double learning_rate = 0.0;     ///< the step used
  tsne_method method = tsne_method::barnes_hut;  ///< the repulsion method asked for
  knn_method knn = knn_method::exact;  ///< how the neighbors were found (automatic resolved)
  std::size_t fft_iterations = 0;  ///< iterations whose repulsion came from the FFT method (automatic picks per iteration)
  tsne_params params;             ///< the parameters fitted with
  matrix<T> training;             ///< the training rows (for transform)

  /**
   * @brief Places new rows into the fixed embedding (openTSNE's idea, Poličar et al. 2019): each
   * row's affinities to its 3 x 5 nearest training rows at perplexity 5, a start at their
   * affinity-weighted mean, then 250 gradient steps (learning rate 0.1, momentum 0.8, gradient
   * norm clipped at 0.25, exaggeration 1.5) against the fixed training points only. Rows never interact,
   * so a row gets the same coordinates alone or in any batch.
   * @throws segkit::invalid_argument for another column count or NaN/Inf.
   */
  template <class E>
  [[nodiscard]] matrix<float> transform(const E& x, std::size_t threads = 0) const {
    return transform_rows(as_rows<T>(x), threads);
  }

 private:
  // transform() of rows, defined after the class (not inline): compiled mode keeps it out of users' code.
  [[nodiscard]] matrix<float> transform_rows(const rows_ref<T>& x, std::size_t threads) const;

 public:
};

template <class Metric, class T>
auto tsne_model<Metric, T>::transform_rows(const rows_ref<T>& x, std::size_t threads) const -> matrix<float> {
  const std::size_t n = training.shape(0), d = training.shape(1), dim = embedding.shape(1);
  if (x->cols() != d) detail::throw_tsne(fmt::format("transform: rows have {} columns, the model {}", x->cols(), d));
  require_finite<T>("segkit::reduce::tsne::transform", "x", x.view());
  const std::size_t m = x->rows(), k = std::min<std::size_t>(15, n);
  executor ex(threads);
  std::vector<std::uint32_t> ids;
  std::vector<float> dist;
  detail::exact_knn(Metric{}, x.view(), matrix_view<T>(training.data(), n, d, d), k, false, ex, ids, dist, true);
  std::vector<double> d2(m * k);
  for (std::size_t i = 0; i < m * k; ++i) d2[i] = static_cast<double>(dist[i]) * static_cast<double>(dist[i]);
  const auto p = detail::conditional_affinities(d2, m, k, std::min(5.0, static_cast<double>(k) / 3.0), ex);
  std::vector<double> ref(n * dim);
  for (std::size_t i = 0; i < n * dim; ++i) ref[i] = embedding.data()[i];
  const bool use_tree = params.method != tsne_method::exact && dim <= 3;  // fft fits use the tree here too
  std::optional<detail::space_tree> tree;
  if (use_tree) tree.emplace(ref, n, dim);
  matrix<float> out = matrix<float>::from_shape({m, dim});
  parallel_for(ex, m, 16, [&](std::size_t b, std::size_t e, std::size_t) {
    std::vector<double> y(dim), update(dim, 0.0), gains(dim, 1.0), grad(dim), rep(dim);
    for (std::size_t i = b; i < e; ++i) {
      std::fill(y.begin(), y.end(), 0.0);
      for (std::size_t j = 0; j < k; ++j) {
        for (std::size_t q = 0; q < dim; ++q) y[q] += p[i * k + j] * ref[ids[i * k + j] * dim + q];
      }
      std::fill(update.begin(), update.end(), 0.0);
      std::fill(gains.begin(), gains.end(), 1.0);
      for (std::size_t it = 0; it < 250; ++it) {
        // Repulsion from all training points (the row's own normalization), attraction to its neighbors.
        std::fill(rep.begin(), rep.end(), 0.0);
        const double sum_q = use_tree ? tree->repulsion(y.data(), n, params.theta, rep.data())
                                      : detail::exact_repulsion(ref, n, dim, y.data(), n, rep.data());
        std::fill(grad.begin(), grad.end(), 0.0);
        for (std::size_t j = 0; j < k; ++j) {
          const double* r = ref.data() + ids[i * k + j] * dim;
          double dd = 0.0;
          for (std::size_t q = 0; q < dim; ++q) dd += (y[q] - r[q]) * (y[q] - r[q]);
          const double qv = 1.0 / (1.0 + dd);
          for (std::size_t q = 0; q < dim; ++q) grad[q] += 1.5 * p[i * k + j] * qv * (y[q] - r[q]);  // exaggeration 1.5
        }
        double norm = 0.0;
        for (std::size_t q = 0; q < dim; ++q) {
          grad[q] = 4.0 * (grad[q] - rep[q] / std::max(sum_q, 1e-300));
          norm += grad[q] * grad[q];
        }
        norm = std::sqrt(norm);
        if (norm > 0.25) {
          for (double& g : grad) g *= 0.25 / norm;
        }
        for (std::size_t q = 0; q < dim; ++q) {
          gains[q] = (update[q] * grad[q] < 0.0) ? gains[q] + 0.2 : std::max(0.01, gains[q] * 0.8);
          update[q] = 0.8 * update[q] - 0.1 * gains[q] * grad[q];
          y[q] += update[q];
        }
      }
      for (std::size_t q = 0; q < dim; ++q) out(i, q) = static_cast<float>(y[q]);
    }
  });
  return out;
}

/**
 * @brief t-SNE (satisfies segkit::inductive_reducer).
 *
 * @code
 * auto m = segkit::reduce::tsne<>({.perplexity = 30, .seed = 1}).fit(x);
 * m.embedding;      // n x 2
 * m.kl_divergence;  // of the final embedding
 * auto y = m.transform(new_rows);
 * @endcode
 * Affinities: exact min(n - 1, 3 perplexity + 1) nearest neighbors under `Metric` (squared
 * distances, as scikit-learn uses), precision by bisection to entropy log(perplexity), then
 * P = (P + P^T) / sum. Optimization as scikit-learn's: gradient 4 (exaggeration x attraction -
 * repulsion / Z), gains (+0.2 / x0.8, at least 0.01), momentum 0.5 for the exaggeration phase and
 * 0.8 after. Repulsion by Barnes-Hut (van der Maaten 2014) through a space-partitioning tree, by
 * polynomial interpolation on a grid with FFT convolutions (FIt-SNE), by whichever of the two is
 * predicted cheaper for the current layout (tsne_method::automatic), or by every pair. Each point's forces are computed independently and Z summed in a fixed order:
 * the same bits for any thread count.
 * @par Thread safety  fit is const and may run concurrently on different data.
 */
template <class Metric = distance::l2_metric, class T = float>
class tsne {
 public:
  using value_type = T;
  /// @throws segkit::invalid_argument naming the first parameter outside its table's range, max_iter
  /// not above exaggeration_iter, or n_components beyond what the method handles.
  explicit tsne(tsne_params params = {}) : params_(params) {
    const auto& p = params_;
    segkit::params::validate(p, "segkit::reduce::tsne");
    if ((p.method == tsne_method::barnes_hut || p.method == tsne_method::automatic) && p.n_components > 3) {
      detail::throw_tsne(fmt::format("Barnes-Hut needs n_components <= 3 (got {}); use tsne_method::exact", p.n_components));
    }
    if (p.method == tsne_method::fft && p.n_components > 2) {
      detail::throw_tsne(fmt::format("the fft method needs n_components <= 2 (got {}); use tsne_method::barnes_hut", p.n_components));
    }
    if (p.max_iter <= p.exaggeration_iter) detail::throw_tsne(fmt::format("max_iter ({}) must exceed exaggeration_iter ({})", p.max_iter, p.exaggeration_iter));
  }

  /**
   * @brief Fits the embedding.
   * @throws segkit::invalid_argument for fewer than 4 rows, a perplexity outside (0, (n - 1) / 3],
   *         NaN/Inf.
   * @par Complexity  O(n^2 d) for the exact neighbors; per iteration O(n k) attraction plus
   *      O(n log n) (Barnes-Hut) or O(n^2) (exact) repulsion.
   */
  template <class E>
  [[nodiscard]] tsne_model<Metric, T> fit(const E& x) const {
    return fit_rows(as_rows<T>(x));
  }

  /// fit(x).embedding.
  template <class E>
  [[nodiscard]] matrix<T> fit_transform(const E& x) const {
    return xt::cast<T>(fit(x).embedding);
  }

 private:
  // Defined after the class (not inline), so compiled mode keeps it out of users' translation units.
  tsne_model<Metric, T> fit_rows(const rows_ref<T>& x) const;
  void check(std::size_t n, std::size_t d) const {
    const auto& p = params_;
    if (n < 4) detail::throw_tsne(fmt::format("needs at least 4 rows (got {})", n));
    if (d == 0) detail::throw_tsne("rows have 0 columns");
    if (n > std::numeric_limits<std::uint32_t>::max()) detail::throw_tsne("more than 2^32 - 1 rows");
    if (3.0 * p.perplexity > static_cast<double>(n - 1)) {
      detail::throw_tsne(fmt::format("perplexity ({}) must lie in (0, (n - 1) / 3] with n = {}", p.perplexity, n));
    }
  }

  /// The method for this iteration: automatic compares the predicted costs (tsne_cost_model).
  [[nodiscard]] tsne_method pick_method(const std::vector<double>& y, std::size_t n, std::optional<detail::interpolation_repulsion>& interp) const {
    if (params_.method != tsne_method::automatic) return params_.method;
    if (!interp) return tsne_method::barnes_hut;
    const tsne_cost_model c;
    const double cells = static_cast<double>(interp->planned_cells(y, n)), rows = static_cast<double>(n);
    const double points = static_cast<double>(params_.fft_points);
    const double fft = c.fft_per_cell_log2 * cells * std::log2(cells + 1.0) + c.fft_per_point_node * rows * points * points;
    const double bh = c.bh_per_point_log2 * rows * std::log2(rows);
    return fft < bh ? tsne_method::fft : tsne_method::barnes_hut;
  }

  /// grad = 4 (exaggeration sum_j p_ij q_ij (y_i - y_j) - sum_j q_ij^2 (y_i - y_j) / Z); returns Z.
  double gradient(const detail::sparse_affinities& p, const std::vector<double>& y, std::size_t n, double exaggeration, tsne_method method,
                  std::optional<detail::interpolation_repulsion>& interp, std::vector<double>& grad, executor& ex) const {
    const std::size_t dim = params_.n_components;
    std::vector<double> rep(n * dim, 0.0), sum_q(n, 0.0);
    const bool use_tree = method == tsne_method::barnes_hut;
    std::optional<detail::space_tree> tree;
    if (use_tree) tree.emplace(y, n, dim);
    if (method == tsne_method::fft) {
      interp->compute(y, n, rep.data(), sum_q.data(), ex);
    } else {
      parallel_for(ex, n, 256, [&](std::size_t b, std::size_t e, std::size_t) {
        for (std::size_t t = b; t < e; ++t) {
          // In tree order: neighboring points walk nearly the same cells, which stay in cache.
          const std::size_t i = use_tree ? tree->order()[t] : t;
          sum_q[i] = use_tree ? tree->repulsion(y.data() + i * dim, i, params_.theta, rep.data() + i * dim)
                              : detail::exact_repulsion(y, n, dim, y.data() + i * dim, i, rep.data() + i * dim);
        }
      });
    }
    double z = 0.0;
    for (const double v : sum_q) z += v;
    z = std::max(z, std::numeric_limits<double>::min());
    parallel_for(ex, n, 256, [&](std::size_t b, std::size_t e, std::size_t) {
      std::vector<double> scratch(dim > 3 ? 4 * dim : 0);
      for (std::size_t i = b; i < e; ++i) {
        double attract[3] = {0.0, 0.0, 0.0};
        if (dim == 2) {
          detail::attraction<2>(p, y.data(), i, dim, attract);
        } else if (dim == 3) {
          detail::attraction<3>(p, y.data(), i, dim, attract);
        } else if (dim == 1) {
          detail::attraction<1>(p, y.data(), i, dim, attract);
        } else {
          detail::attraction<0>(p, y.data(), i, dim, scratch.data());
        }
        const double* att = dim <= 3 ? attract : scratch.data();
        double* g = grad.data() + i * dim;
        for (std::size_t q = 0; q < dim; ++q) g[q] = 4.0 * (exaggeration * att[q] - rep[i * dim + q] / z);
      }
    });
    return z;
  }

  tsne_params params_;
};

template <class Metric, class T>
auto tsne<Metric, T>::fit_rows(const rows_ref<T>& x) const -> tsne_model<Metric, T> {
  const std::size_t n = x->rows(), d = x->cols(), dim = params_.n_components;
  check(n, d);
  require_finite<T>("segkit::reduce::tsne", "x", x.view());
  executor ex(params_.threads);
  tsne_model<Metric, T> model;
  model.params = params_;
  model.training = matrix<T>::from_shape({n, d});
  for (std::size_t i = 0; i < n; ++i) std::copy_n(x->row(i), d, model.training.data() + i * d);
  // Affinities over the neighbors (the row itself excluded).
  const std::size_t k = std::min<std::size_t>(n - 1, static_cast<std::size_t>(3.0 * params_.perplexity + 1.0));
  std::vector<std::uint32_t> ids_self;
  std::vector<float> dist_self;
  model.knn = detail::self_knn(Metric{}, x.view(), k + 1, params_.knn, params_.seed, ex, ids_self, dist_self);
  std::vector<std::uint32_t> ids(n * k);
  std::vector<double> d2(n * k);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < k; ++j) {
      ids[i * k + j] = ids_self[i * (k + 1) + j + 1];
      const double v = dist_self[i * (k + 1) + j + 1];
      d2[i * k + j] = Metric::squared ? v : v * v;
    }
  }
  const auto cond = detail::conditional_affinities(d2, n, k, params_.perplexity, ex);
  const auto p = detail::joint_affinities(ids, cond, n, k);
  // Start.
  std::vector<double> y(n * dim);
  if (params_.init == tsne_init::pca) {
    const auto pc = pca<T>({.n_components = std::min({dim, d, n}), .seed = params_.seed, .threads = params_.threads}).fit(x.view());
    const auto t = pc.transform(x.view(), params_.threads);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t q = 0; q < dim; ++q) y[i * dim + q] = q < t.shape(1) ? static_cast<double>(t(i, q)) : 0.0;
    }
    double mean = 0.0, var = 0.0;
    for (std::size_t i = 0; i < n; ++i) mean += y[i * dim];
    mean /= static_cast<double>(n);
    for (std::size_t i = 0; i < n; ++i) var += (y[i * dim] - mean) * (y[i * dim] - mean);
    const double sd = std::sqrt(var / static_cast<double>(n));
    for (double& v : y) v = sd > 0.0 ? v / sd * 1e-4 : 0.0;
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      segkit::rng gen(params_.seed, i);
      for (std::size_t q = 0; q < dim; ++q) y[i * dim + q] = 1e-4 * gen.normal();
    }
  }
  const double lr = params_.learning_rate > 0.0 ? params_.learning_rate
                                                 : std::max(static_cast<double>(n) / params_.early_exaggeration / 4.0, 50.0);
  model.learning_rate = lr;
  std::vector<double> grad(n * dim), update(n * dim, 0.0), gains(n * dim, 1.0);
  model.method = params_.method;
  std::optional<detail::interpolation_repulsion> interp;
  const bool may_interpolate = params_.method == tsne_method::fft || (params_.method == tsne_method::automatic && dim <= 2);
  if (may_interpolate) interp.emplace(dim, params_.fft_points, params_.fft_box_width);
  double z = 1.0;
  for (std::size_t it = 0; it < params_.max_iter; ++it) {
    const bool early = it < params_.exaggeration_iter;
    const tsne_method method = pick_method(y, n, interp);
    model.fft_iterations += method == tsne_method::fft ? 1 : 0;
    z = gradient(p, y, n, early ? params_.early_exaggeration : 1.0, method, interp, grad, ex);
    const double momentum = early ? 0.5 : 0.8;
    for (std::size_t i = 0; i < n * dim; ++i) {
      gains[i] = (update[i] * grad[i] < 0.0) ? gains[i] + 0.2 : std::max(0.01, gains[i] * 0.8);
      update[i] = momentum * update[i] - lr * gains[i] * grad[i];
      y[i] += update[i];
    }
  }
  model.n_iter = params_.max_iter;
  // KL(P || Q) with Q from the last repulsion pass's normalization.
  z = gradient(p, y, n, 1.0, pick_method(y, n, interp), interp, grad, ex);
  double kl = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t e = p.start[i]; e < p.start[i + 1]; ++e) {
      const std::size_t j = p.column[e];
      double dd = 0.0;
      for (std::size_t q = 0; q < dim; ++q) dd += (y[i * dim + q] - y[j * dim + q]) * (y[i * dim + q] - y[j * dim + q]);
      const double qij = std::max(1.0 / (1.0 + dd) / z, std::numeric_limits<double>::epsilon());
      const double pij = std::max(p.value[e], std::numeric_limits<double>::epsilon());
      kl += pij * std::log(pij / qij);
    }
  }
  model.kl_divergence = kl;
  model.embedding = matrix<float>::from_shape({n, dim});
  for (std::size_t i = 0; i < n * dim; ++i) model.embedding.data()[i] = static_cast<float>(y[i]);
  return model;
}

static_assert(segkit::inductive_reducer<tsne<distance::l2_metric, float>, float>);

}  // namespace segkit::reduce

/// The instantiations compiled once into segkit::segkit_compiled (segkit/core/compiled.hpp).
#define SEGKIT_INSTANCES_REDUCE_TSNE(X) \
  SEGKIT_METRIC_INSTANCES(X, class segkit::reduce::tsne) SEGKIT_METRIC_INSTANCES(X, struct segkit::reduce::tsne_model)
SEGKIT_INSTANCES_REDUCE_TSNE(SEGKIT_EXTERN_TEMPLATE)
