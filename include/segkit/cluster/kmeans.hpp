#pragma once
/// @file
/// @brief K-Means (Lloyd, Hamerly or Elkan iterations) with greedy k-means++, random or given initial centers, sample weights,
/// restarts, and spherical k-means for cosine similarity.

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
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/detail/kmeans_bounds.hpp"
#include "segkit/cluster/detail/kmeans_init.hpp"
#include "segkit/cluster/detail/kmeans_steps.hpp"
#include "segkit/cluster/row_group.hpp"
#include "segkit/core/binary_format.hpp"
#include "segkit/core/compiled.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/npy.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/params.hpp"
#include "segkit/core/random.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distance/kernels.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/distance/nearest.hpp"
#include "segkit/distance/pairwise.hpp"

namespace segkit::cluster {

/// How k-means runs its iterations. All give the same centers and labels from the same start.
enum class kmeans_algorithm {
  lloyd,   ///< every row against every center each iteration (BLAS or SIMD registers)
  hamerly,  ///< Lloyd with Hamerly's bounds (2010): one lower bound per row; memory O(n)
  elkan     ///< Lloyd with Elkan's bounds (2003): one lower bound per row and center; memory O(n k), fewest distances
};
/// Names of kmeans_algorithm in files and on the command line.
constexpr auto enum_names(kmeans_algorithm) {
  using params::name_value;
  return std::array{name_value{"lloyd", kmeans_algorithm::lloyd}, name_value{"hamerly", kmeans_algorithm::hamerly},
                    name_value{"elkan", kmeans_algorithm::elkan}};
}

/// How k-means chooses its first centers.
enum class kmeans_init {
  kmeans_plus_plus,  ///< greedy k-means++ (Arthur & Vassilvitskii 2007) with 2 + ln(k) local trials
  random,            ///< k distinct samples drawn with probability proportional to their weight
  kmeans_parallel    ///< k-means|| (Bahmani et al. 2012): a few oversampling passes, then k-means++ on the weighted candidates
};
/// Names of kmeans_init in files and on the command line.
constexpr auto enum_names(kmeans_init) {
  using params::name_value;
  return std::array{name_value{"kmeans++", kmeans_init::kmeans_plus_plus}, name_value{"random", kmeans_init::random},
                    name_value{"kmeans||", kmeans_init::kmeans_parallel}, name_value{"k-means++", kmeans_init::kmeans_plus_plus},
                    name_value{"k-means||", kmeans_init::kmeans_parallel}};
}

/// Parameters of segkit::cluster::kmeans: defaults here, meaning and valid values in table().
struct kmeans_params {
  std::size_t k = 8;                                     ///< number of clusters
  std::size_t max_iter = 300;                            ///< Lloyd iterations per restart
  double tol = 1e-4;                                     ///< convergence threshold of the center shift
  std::size_t n_init = 1;                                ///< restarts
  kmeans_init init = kmeans_init::kmeans_plus_plus;      ///< how initial centers are chosen
  std::size_t init_rounds = 5;                           ///< k-means|| passes
  double oversampling = 2.0;                             ///< k-means|| candidates per pass, x k
  kmeans_algorithm algorithm = kmeans_algorithm::lloyd;  ///< iteration strategy
  matrix<double> initial_centers{};                      ///< k x d starting centers (empty: use init)
  bool spherical = false;                                ///< cosine k-means
  std::uint64_t seed = 0;                                ///< the only source of randomness
  std::size_t threads = 0;                               ///< worker threads (0 = all)

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = kmeans_params;
    namespace sp = segkit::params;
    return std::tuple{
        sp::field("k", &p::k, "number of clusters, at most the number of rows", sp::at_least(1), "n_clusters"),
        sp::field("max_iter", &p::max_iter, "Lloyd iterations per restart", sp::at_least(1)),
        sp::field("tol", &p::tol, "converged when the summed squared center shift is <= tol x mean feature variance (scikit-learn's rule)",
                  sp::at_least(0)),
        sp::field("n_init", &p::n_init, "restarts from different initial centers; the lowest inertia wins", sp::at_least(1)),
        sp::field("init", &p::init, "how initial centers are chosen: greedy k-means++, k-means|| (a few passes, for large n) or weighted random rows"),
        sp::field("init_rounds", &p::init_rounds, "k-means||: oversampling passes over the data", sp::at_least(1)),
        sp::field("oversampling", &p::oversampling, "k-means||: expected candidates per pass, as a multiple of k", sp::above(0)),
        sp::field("algorithm", &p::algorithm,
                  "iteration strategy, all with the same result: hamerly and elkan skip distances the triangle inequality rules out"),
        sp::field("initial_centers", &p::initial_centers, "k x d starting centers; empty = use init; given, n_init is 1"),
        sp::field("spherical", &p::spherical, "cosine k-means: rows and centers on the unit sphere, assignment by cosine"),
        sp::field("seed", &p::seed, "the only source of randomness"),
        sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it")};
  }
};

/**
 * @brief A fitted k-means model: centers, labels of the training rows, and how the fit went.
 * @par Thread safety  const calls (predict, transform, save) may run concurrently.
 */
template <class T = float>
struct kmeans_model : clustering {
  matrix<T> centers;                   ///< k x d cluster centers (unit length if spherical)
  double inertia = 0.0;                ///< weighted sum of squared distances to the closest center (spherical: of 1 - cosine)
  std::size_t n_iter = 0;              ///< Lloyd iterations of the winning restart
  bool converged = false;              ///< labels stopped changing or the center shift fell within tol
  bool spherical = false;              ///< fitted as spherical (cosine) k-means

  /// Closest center of each row (ties: the lower center index).
  /// @throws segkit::invalid_argument if the dimension differs or a row holds NaN/Inf.
  template <class E>
  [[nodiscard]] xt::xtensor<label_type, 1> predict(const E& x, std::size_t threads = 0) const;

  /// Euclidean distance of each row to each center (n x k); cosine distance if spherical.
  template <class E>
  [[nodiscard]] matrix<T> transform(const E& x, std::size_t threads = 0) const;

  /// Kind of the container the model is stored in (segkit::storable_model).
  static constexpr std::string_view container_kind = "segkit.model.kmeans";
  /// Writes the model atomically in segkit's checksummed container.
  void save(const std::filesystem::path& path) const { save_model(*this, path); }
  /// Reads a model written by save(). @throws segkit::format_error if damaged or of another kind.
  [[nodiscard]] static kmeans_model load(const std::filesystem::path& path) { return load_model<kmeans_model>(path); }
  /// Adds the model's sections to `w` (segkit::storable_model).
  void write_to(container_writer& w) const;
  /// Rebuilds a model from write_to()'s sections, checking every value. @throws segkit::format_error.
  [[nodiscard]] static kmeans_model read_from(const container_reader& file);
};

/**
 * @brief K-Means clustering by Lloyd's algorithm.
 *
 * The assignment step computes distances to all centers for blocks of 2,048 rows with one BLAS
 * matrix product per block; center sums are accumulated in double precision per block and
 * combined in block order, so the result is bit-identical for any thread count. Iteration stops
 * when no label changes, when the summed squared center shift is at most
 * tol x (mean per-feature variance), or after max_iter iterations — the rules of
 * scikit-learn's KMeans, whose centers and labels segkit reproduces from the same initial centers.
 *
 * @tparam T  float (default) or double.
 * @par Complexity  O(n_init x n_iter x n x k x d) through BLAS; memory O(n + k d) per thread.
 * @par Thread safety  fit() is const; concurrent fits are safe.
 */
template <class T = float>
class kmeans {
 public:
  using value_type = T;

  /// @throws segkit::invalid_argument naming the first parameter outside its table's range.
  explicit kmeans(kmeans_params params = {}) : p_(std::move(params)) { segkit::params::validate(p_, detail::kmeans_component); }

  /// The parameters.
  [[nodiscard]] const kmeans_params& params() const noexcept { return p_; }

  /**
   * @brief Clusters the rows of `x` (n x d), optionally weighted.
   * @param x        samples, any 2-D xtensor expression or matrix_view (not copied if row-major).
   * @param weights  one non-negative weight per row; empty = all 1.
   * @throws segkit::invalid_argument if x is empty, has no columns, holds NaN/Inf, k exceeds the
   * number of rows, the weights are of the wrong length, negative, non-finite or all zero, or the
   * initial centers are not k x d and finite.
   */
  template <class E>
  [[nodiscard]] kmeans_model<T> fit(const E& x, std::span<const double> weights = {}) const {
    const auto rows = as_rows<T>(x);
    return fit_view(rows.view(), weights);
  }

  /// @cond INTERNAL
  /// For segkit::distributed: fits rows spread over the processes of `group`; `x` and `w` are this
  /// process's rows and weights, already checked (finite, weights >= 0 with a positive total, k
  /// at most the rows of all processes, the same d everywhere). Labels are this process's rows'.
  [[nodiscard]] kmeans_model<T> fit_group(matrix_view<T> x, std::vector<double> w, const row_group& group) const {
    check_initial_centers(x.cols());
    return run(x, w, group);
  }
  /// @endcond

  /// @throws segkit::invalid_argument unless the given initial centers (if any) are k x d and finite.
  void check_initial_centers(std::size_t d) const {
    const char* comp = detail::kmeans_component;
    if (p_.initial_centers.size() == 0) return;
    if (p_.initial_centers.shape(0) != p_.k || p_.initial_centers.shape(1) != d) {
      segkit::detail::throw_invalid(comp, fmt::format("initial_centers are {} x {}, expected k x d = {} x {}", p_.initial_centers.shape(0),
                                                      p_.initial_centers.shape(1), p_.k, d));
    }
    require_finite<double>(comp, "initial_centers", as_rows<double>(p_.initial_centers).view());
  }

 private:
  kmeans_model<T> fit_view(matrix_view<T> x, std::span<const double> weights) const {
    std::vector<double> w = detail::checked_weights(x, p_.k, weights, detail::kmeans_component);
    check_initial_centers(x.cols());
    return run(x, w, row_group::here());
  }

  // Defined after the class (not inline): in compiled mode (SEGKIT_COMPILED) the fit is instantiated
  // once in segkit::segkit_compiled, and a program's translation units only declare it.
  kmeans_model<T> run(matrix_view<T> x, std::span<const double> w, const row_group& group) const;
  kmeans_model<T> lloyd(const detail::lloyd_state<T>& s, matrix<T> centers, double tol) const;

  // Lloyd's iteration with a pluggable assignment step `assign(centers, labels, dist)` returning
  // the weighted sums of the assignment (dist must hold distances to the assigned centers when a
  // cluster is empty). Convergence and the final E-step are shared, so every strategy ends alike.
  template <class Assign>
  kmeans_model<T> iterate(const detail::lloyd_state<T>& s, matrix<T> centers, double tol, Assign& assign) const {
    const std::size_t n = s.x.rows(), d = s.x.cols(), k = centers.shape(0);
    kmeans_model<T> m;
    label_vector labels = label_vector::from_shape({n});
    label_vector old = label_vector::from_shape({n});
    old.fill(-1);
    std::vector<T> dist(n);
    for (std::size_t it = 0; it < p_.max_iter; ++it) {
      auto part = assign(centers, labels.data(), dist.data());
      part.reduce(*s.group);
      detail::relocate_empty(s, part, labels.data(), dist.data());
      double shift = 0.0;
      for (std::size_t c = 0; c < k; ++c) {
        if (part.weights[c] <= 0.0) continue;  // still empty (zero weights only): keep the center
        for (std::size_t j = 0; j < d; ++j) {
          const T v = static_cast<T>(part.sums[c * d + j] / part.weights[c]);
          shift += static_cast<double>(v - centers(c, j)) * static_cast<double>(v - centers(c, j));
          centers(c, j) = v;
        }
      }
      if (p_.spherical) detail::unit_normalize_rows(centers);
      m.n_iter = it + 1;
      if (!s.group->any(labels != old)) {  // strict convergence: no label changed anywhere
        m.converged = true;
        break;
      }
      if (shift <= tol) {
        m.converged = true;
        break;
      }
      old = labels;
    }
    // Labels and inertia that match the final centers.
    auto final_part = detail::e_step(s, centers, labels.data(), dist.data(), true);
    final_part.reduce(*s.group);
    m.inertia = p_.spherical ? final_part.inertia / 2.0 : final_part.inertia;  // |a-b|^2 = 2(1-cos) on the unit sphere
    m.centers = std::move(centers);
    m.set_labels(std::move(labels), k);
    return m;
  }

  kmeans_params p_;
};

template <class T>
kmeans_model<T> kmeans<T>::run(matrix_view<T> x, std::span<const double> w, const row_group& group) const {
  const std::size_t n = x.rows(), d = x.cols(), k = p_.k;
  const bool given = p_.initial_centers.size() != 0;
  // Spherical k-means works on unit rows; the copy is made only then.
  matrix<T> unit;
  if (p_.spherical) {
    unit = detail::unit_rows(x);
    x = matrix_view<T>(unit.data(), n, d);
  }
  executor ex(p_.threads);
  detail::lloyd_state<T> s{x, w, distance::row_norm_terms<distance::squared_l2_metric>(x), &ex, &group};
  const double tol = p_.tol * detail::mean_variance(x, ex, group);

  kmeans_model<T> best;
  best.inertia = std::numeric_limits<double>::infinity();
  const std::size_t runs = given ? 1 : p_.n_init;
  for (std::size_t run = 0; run < runs; ++run) {
    rng r(p_.seed, run);
    matrix<T> centers;
    if (given) {
      centers = xt::cast<T>(p_.initial_centers);
    } else if (p_.init == kmeans_init::random) {
      centers = detail::random_centers(s, k, r);
    } else if (p_.init == kmeans_init::kmeans_parallel) {
      centers = detail::kmeans_parallel(s, k, r, p_.init_rounds, p_.oversampling, [&](const matrix<T>& cand, const std::vector<double>& mass, std::uint64_t seed) {
        kmeans_params sub;
        sub.k = k;
        sub.max_iter = 30;
        sub.seed = seed;
        sub.threads = p_.threads;
        return kmeans<T>(sub).fit(cand, mass).centers;
      });
    } else {
      centers = detail::kmeans_plus_plus(s, k, r);
    }
    if (p_.spherical) detail::unit_normalize_rows(centers);
    auto model = lloyd(s, std::move(centers), tol);
    if (model.inertia < best.inertia) best = std::move(model);
  }
  best.spherical = p_.spherical;
  return best;
}

template <class T>
kmeans_model<T> kmeans<T>::lloyd(const detail::lloyd_state<T>& s, matrix<T> centers, double tol) const {
  if (p_.algorithm == kmeans_algorithm::hamerly) {
    detail::hamerly_assigner<T> assign(s);
    return iterate(s, std::move(centers), tol, assign);
  }
  if (p_.algorithm == kmeans_algorithm::elkan) {
    detail::elkan_assigner<T> assign(s, centers.shape(0));
    return iterate(s, std::move(centers), tol, assign);
  }
  auto assign = [&s](const matrix<T>& c, label_type* labels, T* dist) { return detail::e_step(s, c, labels, dist, false); };
  return iterate(s, std::move(centers), tol, assign);
}

static_assert(segkit::inductive_clusterer<kmeans<>>);
static_assert(segkit::inductive_clusterer<kmeans<double>, double>);

/**
 * @brief k-means as a segkit::centroid_trainer: the quantizer training of inverted-list indexes
 * (index::ivf's coarse lists and product-quantizer codebooks), k-means++ then at most max_iter
 * Lloyd iterations.
 * @code
 * segkit::index::ivf<segkit::distance::cosine_metric> index(128, {.nlist = 256}, segkit::cluster::kmeans_trainer{});
 * @endcode
 */
struct kmeans_trainer {
  std::size_t max_iter = 25;  ///< Lloyd iterations (a coarse quantizer needs few)

  /// k centers of `rows` from k-means seeded with `seed`.
  template <class T>
  [[nodiscard]] matrix<T> operator()(matrix_view<T> rows, std::size_t k, std::uint64_t seed, std::size_t threads) const {
    kmeans_params p;
    p.k = k;
    p.max_iter = max_iter;
    p.seed = seed;
    p.threads = threads;
    return kmeans<T>(p).fit(rows).centers;
  }
};

static_assert(segkit::centroid_trainer<kmeans_trainer, float>);

template <class T>
template <class E>
xt::xtensor<label_type, 1> kmeans_model<T>::predict(const E& x_in, std::size_t threads) const {
  const auto rows = as_rows<T>(x_in);
  matrix_view<T> x = rows.view();
  detail::check_rows(x, centers.shape(1), "rows");
  matrix<T> unit;
  if (spherical) {
    unit = detail::unit_rows(x);
    x = matrix_view<T>(unit.data(), x.rows(), x.cols());
  }
  return distance::nearest_centers(x, matrix_view<T>(centers.data(), centers.shape(0), centers.shape(1)), threads);
}

template <class T>
template <class E>
matrix<T> kmeans_model<T>::transform(const E& x_in, std::size_t threads) const {
  const auto rows = as_rows<T>(x_in);
  detail::check_rows(rows.view(), centers.shape(1), "rows");
  if (spherical) return distance::pairwise_distances(distance::cosine_metric{}, rows.view(), centers, {.threads = threads});
  return distance::pairwise_distances(distance::l2_metric{}, rows.view(), centers, {.threads = threads});
}

template <class T>
void kmeans_model<T>::write_to(container_writer& w) const {
  byte_writer meta;
  meta.put(std::uint32_t{1}).put_string(npy_dtype_name(segkit::detail::npy_dtype_of<T>()));
  meta.put(static_cast<std::uint64_t>(centers.shape(0))).put(static_cast<std::uint64_t>(centers.shape(1)));
  meta.put(static_cast<std::uint64_t>(labels().size())).put(inertia).put(static_cast<std::uint64_t>(n_iter));
  meta.put(static_cast<std::uint8_t>(converged)).put(static_cast<std::uint8_t>(spherical));
  w.add_copy("meta", meta.bytes());
  w.add_array<T>("centres", std::span<const T>(centers.data(), centers.size()));
  w.add_array<label_type>("labels", std::span<const label_type>(labels().data(), labels().size()));
}

template <class T>
kmeans_model<T> kmeans_model<T>::read_from(const container_reader& file) {
  byte_reader meta(file.section("meta"), file);
  if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("k-means model format version {} is not supported", v));
  const auto dtype = meta.get_string();
  if (dtype != npy_dtype_name(segkit::detail::npy_dtype_of<T>())) file.fail(fmt::format("model stores {} centers, expected {}", dtype, npy_dtype_name(segkit::detail::npy_dtype_of<T>())));
  const auto k = meta.get<std::uint64_t>(), d = meta.get<std::uint64_t>(), n = meta.get<std::uint64_t>();
  if (k == 0 || d == 0 || k > (std::uint64_t{1} << 32) / d || n > (std::uint64_t{1} << 40)) file.fail("implausible model shape");
  kmeans_model<T> m;
  m.inertia = meta.get<double>();
  m.n_iter = meta.get<std::uint64_t>();
  m.converged = meta.get<std::uint8_t>() != 0;
  m.spherical = meta.get<std::uint8_t>() != 0;
  if (!std::isfinite(m.inertia) || m.inertia < 0.0) file.fail("the inertia is not a finite non-negative number");
  const auto c = file.finite_array<T>("centres", k * d);
  m.centers = matrix<T>::from_shape({k, d});
  std::copy(c.begin(), c.end(), m.centers.begin());
  const auto l = file.array<label_type>("labels", n);
  label_vector labels = label_vector::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) {
    if (l[i] < 0 || static_cast<std::uint64_t>(l[i]) >= k) file.fail(fmt::format("label {} of row {} is outside 0..{}", l[i], i, k - 1));
    labels(i) = l[i];
  }
  m.set_labels(std::move(labels), k);
  return m;
}

}  // namespace segkit::cluster

/// The instantiations compiled once into segkit::segkit_compiled (segkit/core/compiled.hpp).
#define SEGKIT_INSTANCES_CLUSTER_KMEANS(X)                                                           \
  X(class segkit::cluster::kmeans<float>) X(class segkit::cluster::kmeans<double>)                   \
  X(struct segkit::cluster::kmeans_model<float>) X(struct segkit::cluster::kmeans_model<double>)
SEGKIT_INSTANCES_CLUSTER_KMEANS(SEGKIT_EXTERN_TEMPLATE)
