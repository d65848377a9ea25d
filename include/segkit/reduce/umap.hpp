#pragma once
/// @file
/// @brief UMAP (McInnes, Healy & Melville 2018): a fuzzy k-nearest-neighbor graph of the rows,
/// laid out in a few dimensions by stochastic gradient descent, with a deterministic, parallel
/// optimizer and a transform for new rows that is deterministic and batch-invariant.

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <numeric>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
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
#include "segkit/distance/metrics.hpp"
#include "segkit/distance/pairwise.hpp"
#include "segkit/graph/union_find.hpp"
#include "segkit/reduce/detail/knn.hpp"
#include "segkit/reduce/detail/lapack.hpp"
#include "segkit/reduce/pca.hpp"
#include "segkit/reduce/detail/umap_layout.hpp"

namespace segkit::reduce {

/// How UMAP places the rows before optimizing.
enum class umap_init {
  spectral,  ///< eigenvectors of the graph's normalized Laplacian (per connected component, components placed apart)
  pca,       ///< the first principal components
  random,    ///< uniform in [-10, 10]
};
/// Names of umap_init in files and on the command line.
constexpr auto enum_names(umap_init) {
  using params::name_value;
  return std::array{name_value{"spectral", umap_init::spectral}, name_value{"pca", umap_init::pca}, name_value{"random", umap_init::random}};
}

/// Parameters of umap.
struct umap_params {
  std::size_t n_components = 2;     ///< output dimensions (>= 1)
  std::size_t n_neighbors = 15;     ///< neighborhood size, the row itself included (2 <= k < n)
  double min_dist = 0.1;            ///< smallest distance between embedded points (>= 0, <= spread)
  double spread = 1.0;              ///< scale of the embedded clusters (> 0)
  std::size_t n_epochs = 0;         ///< optimization epochs; 0 = 500 up to 10,000 rows, else 200
  double learning_rate = 1.0;       ///< initial SGD step (> 0), decaying linearly to 0
  double negative_sample_rate = 5;  ///< repulsive samples per attractive one (>= 0)
  double repulsion_strength = 1.0;  ///< weight of the repulsive samples (gamma, >= 0)
  double local_connectivity = 1.0;  ///< neighbors assumed fully connected (>= 0)
  double set_op_mix_ratio = 1.0;    ///< 1 = fuzzy union of the two directed graphs, 0 = intersection
  umap_init init = umap_init::spectral;  ///< see umap_init
  std::size_t transform_epochs = 0; ///< epochs for new rows; 0 = 100 up to 10,000 training rows, else 30
  knn_method knn = knn_method::automatic;  ///< how the k-NN graph is found (exact up to 20,000 rows, HNSW above)
  std::uint64_t seed = 0;           ///< the only source of randomness
  std::size_t threads = 0;          ///< 0 = all hardware threads; results do not depend on it

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = umap_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("n_components", &p::n_components, "output dimensions", sp::at_least(1), "dims"),
                      sp::field("n_neighbors", &p::n_neighbors, "neighborhood size, the row itself included (below the number of rows)", sp::at_least(2),
                                "neighbors"),
                      sp::field("min_dist", &p::min_dist, "smallest distance between embedded points (at most spread)", sp::at_least(0)),
                      sp::field("spread", &p::spread, "scale of the embedded clusters", sp::above(0)),
                      sp::field("n_epochs", &p::n_epochs, "optimization epochs; 0 = 500 up to 10,000 rows, else 200", {}, "epochs"),
                      sp::field("learning_rate", &p::learning_rate, "initial SGD step, decaying linearly to 0", sp::above(0)),
                      sp::field("negative_sample_rate", &p::negative_sample_rate, "repulsive samples per attractive one", sp::at_least(0)),
                      sp::field("repulsion_strength", &p::repulsion_strength, "weight of the repulsive samples (gamma)", sp::at_least(0)),
                      sp::field("local_connectivity", &p::local_connectivity, "neighbors assumed fully connected", sp::at_least(0)),
                      sp::field("set_op_mix_ratio", &p::set_op_mix_ratio, "1 = fuzzy union of the two directed graphs, 0 = intersection", sp::between(0, 1)),
                      sp::field("init", &p::init, "spectral (the graph's Laplacian, per component), pca or random"),
                      sp::field("transform_epochs", &p::transform_epochs, "epochs for new rows; 0 = 100 up to 10,000 training rows, else 30"),
                      sp::field("knn", &p::knn, "neighbor search: auto (exact up to 20,000 rows, else hnsw), exact or hnsw"),
                      sp::field("seed", &p::seed, "the only source of randomness"),
                      sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it")};
  }
};


/**
 * @brief A fitted UMAP: the embedding of the training rows and what transform() needs.
 * @par Thread safety  transform is const and may run concurrently.
 */
template <class Metric = distance::l2_metric, class T = float>
struct umap_model {
  matrix<float> embedding;      ///< n x n_components
  umap_curve curve;             ///< a, b of the output kernel
  umap_params params;           ///< the parameters fitted with
  matrix<T> training;           ///< a copy of the training rows (for transform's neighbors)
  std::size_t n_epochs = 0;     ///< epochs run
  bool spectral_fallback = false;  ///< spectral init was asked for but impossible (n_components + 1 >= n): PCA used
  knn_method knn = knn_method::exact;  ///< how the k-NN graph was found (automatic resolved)

  /**
   * @brief Embeds new rows against the fitted embedding (kept fixed): each row's neighbors among
   * the training rows, its fuzzy memberships, a start at their weighted mean, then SGD on that row
   * alone with a random stream drawn from its own values. A row therefore gets the same
   * coordinates alone or in any batch, and the result does not depend on `threads`.
   * @throws segkit::invalid_argument for another column count or NaN/Inf.
   * @par Complexity  per row O(n d) for the exact neighbors plus O(k epochs (1 + negative rate)) updates.
   */
  template <class E>
  [[nodiscard]] matrix<float> transform(const E& x, std::size_t threads = 0) const {
    return transform_rows(as_rows<T>(x), threads);
  }

 private:
  // transform() of rows, defined after the class (not inline): compiled mode keeps it out of users' code.
  [[nodiscard]] matrix<float> transform_rows(const rows_ref<T>& x, std::size_t threads) const;

 public:
  /// Kind of the container the model is stored in (segkit::storable_model).
  static constexpr std::string_view container_kind = "segkit.model.umap";
  /// Writes the model atomically in segkit's checksummed container.
  void save(const std::filesystem::path& path) const { save_model(*this, path); }
  /// Reads a model written by save(). @throws segkit::io_error / segkit::format_error.
  [[nodiscard]] static umap_model load(const std::filesystem::path& path) { return load_model<umap_model>(path); }

  /// Adds the model's sections to `w`: the parameters, the metric's name and the element type (a
  /// model loads only into the same umap_model<Metric, T>), the training rows and the embedding.
  void write_to(container_writer& w) const {
    byte_writer meta;
    meta.put(std::uint32_t{1}).put_string(Metric::name).put(static_cast<std::uint8_t>(sizeof(T)));
    meta.put(static_cast<std::uint64_t>(training.shape(0))).put(static_cast<std::uint64_t>(training.shape(1))).put(static_cast<std::uint64_t>(embedding.shape(1)));
    meta.put(curve.a).put(curve.b).put(static_cast<std::uint64_t>(n_epochs)).put(static_cast<std::uint8_t>(spectral_fallback)).put(static_cast<std::uint8_t>(knn));
    const auto& p = params;
    meta.put(static_cast<std::uint64_t>(p.n_components)).put(static_cast<std::uint64_t>(p.n_neighbors)).put(p.min_dist).put(p.spread);
    meta.put(static_cast<std::uint64_t>(p.n_epochs)).put(p.learning_rate).put(p.negative_sample_rate).put(p.repulsion_strength);
    meta.put(p.local_connectivity).put(p.set_op_mix_ratio).put(static_cast<std::uint8_t>(p.init)).put(static_cast<std::uint64_t>(p.transform_epochs));
    meta.put(static_cast<std::uint8_t>(p.knn)).put(p.seed).put(static_cast<std::uint64_t>(p.threads));
    w.add_copy("meta", meta.bytes());
    w.add_array<T>("train", std::span<const T>(training.data(), training.size()));
    w.add_array<float>("embed", std::span<const float>(embedding.data(), embedding.size()));
  }

  /// The metric's name a model written by write_to() was fitted with ("l2", "cosine"), to choose
  /// the umap_model type that reads it. @throws segkit::format_error for a damaged section.
  [[nodiscard]] static std::string stored_metric(const container_reader& file) {
    byte_reader meta(file.section("meta"), file);
    if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("UMAP model format version {} is not supported", v));
    return meta.get_string();
  }

  /// Rebuilds a model from write_to()'s sections, checking every value. @throws segkit::format_error
  /// for a damaged file or one written for another metric or element type.
  [[nodiscard]] static umap_model read_from(const container_reader& file) {
    byte_reader meta(file.section("meta"), file);
    if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("UMAP model format version {} is not supported", v));
    if (const auto name = meta.get_string(); name != Metric::name) file.fail(fmt::format("the model was fitted with metric '{}', not '{}'", name, Metric::name));
    if (const auto size = meta.get<std::uint8_t>(); size != sizeof(T)) file.fail(fmt::format("the model holds {}-byte training values, not {}-byte", size, sizeof(T)));
    const auto n = meta.get<std::uint64_t>(), d = meta.get<std::uint64_t>(), c = meta.get<std::uint64_t>();
    if (n < 2 || d == 0 || c == 0 || n > (std::uint64_t{1} << 40) / (d + c)) file.fail(fmt::format("implausible UMAP shape ({} rows, {} columns, {} components)", n, d, c));
    umap_model m;
    m.curve.a = meta.get<double>();
    m.curve.b = meta.get<double>();
    m.n_epochs = meta.get<std::uint64_t>();
    m.spectral_fallback = meta.get<std::uint8_t>() != 0;
    const auto knn = meta.get<std::uint8_t>();
    auto& p = m.params;
    p.n_components = meta.get<std::uint64_t>();
    p.n_neighbors = meta.get<std::uint64_t>();
    p.min_dist = meta.get<double>();
    p.spread = meta.get<double>();
    p.n_epochs = meta.get<std::uint64_t>();
    p.learning_rate = meta.get<double>();
    p.negative_sample_rate = meta.get<double>();
    p.repulsion_strength = meta.get<double>();
    p.local_connectivity = meta.get<double>();
    p.set_op_mix_ratio = meta.get<double>();
    const auto init = meta.get<std::uint8_t>();
    p.transform_epochs = meta.get<std::uint64_t>();
    const auto pknn = meta.get<std::uint8_t>();
    p.seed = meta.get<std::uint64_t>();
    p.threads = meta.get<std::uint64_t>();
    if (knn > static_cast<std::uint8_t>(knn_method::hnsw) || pknn > static_cast<std::uint8_t>(knn_method::hnsw) || init > static_cast<std::uint8_t>(umap_init::random)) {
      file.fail("unknown k-NN method or initialization");
    }
    m.knn = static_cast<knn_method>(knn);
    p.knn = static_cast<knn_method>(pknn);
    p.init = static_cast<umap_init>(init);
    for (const double v : {m.curve.a, m.curve.b, p.min_dist, p.spread, p.learning_rate, p.negative_sample_rate, p.repulsion_strength, p.local_connectivity}) {
      if (!std::isfinite(v) || v < 0.0) file.fail(fmt::format("a UMAP parameter is negative or not finite ({})", v));
    }
    if (p.n_components != c || p.n_neighbors < 2 || p.n_epochs > (std::uint64_t{1} << 32) || p.transform_epochs > (std::uint64_t{1} << 32)) {
      file.fail("implausible UMAP parameters");
    }
    const auto x = file.finite_array<T>("train", n * d);
    m.training = matrix<T>::from_shape({n, d});
    std::copy(x.begin(), x.end(), m.training.begin());
    const auto e = file.finite_array<float>("embed", n * c);
    m.embedding = matrix<float>::from_shape({n, c});
    std::copy(e.begin(), e.end(), m.embedding.begin());
    return m;
  }
};

template <class Metric, class T>
auto umap_model<Metric, T>::transform_rows(const rows_ref<T>& x, std::size_t threads) const -> matrix<float> {
  const std::size_t d = training.shape(1), dim = embedding.shape(1), n = training.shape(0);
  if (x->cols() != d) detail::throw_umap(fmt::format("transform: rows have {} columns, the model {}", x->cols(), d));
  require_finite<T>("segkit::reduce::umap::transform", "x", x.view());
  const std::size_t k = std::min(params.n_neighbors, n);
  executor ex(threads);
  std::vector<std::uint32_t> ids;
  std::vector<float> dists;
  const matrix_view<T> base(training.data(), n, d, d);
  detail::exact_knn(Metric{}, x.view(), base, k, false, ex, ids, dists, true);
  const std::size_t m = x->rows();
  std::vector<double> sigma, rho;
  detail::smooth_knn(dists, m, k, std::max(0.0, params.local_connectivity - 1.0), false, sigma, rho);
  const std::size_t epochs = params.transform_epochs != 0 ? params.transform_epochs : (n <= 10000 ? 100 : 30);
  matrix<float> out = matrix<float>::from_shape({m, dim});
  parallel_for(ex, m, 16, [&](std::size_t b, std::size_t e, std::size_t) {
    for (std::size_t i = b; i < e; ++i) {
      std::vector<double> w(k);
      double total = 0.0, top = 0.0;
      for (std::size_t j = 0; j < k; ++j) {
        w[j] = detail::membership(dists[i * k + j], rho[i], sigma[i]);
        total += w[j];
        top = std::max(top, w[j]);
      }
      std::vector<double> start(dim, 0.0);
      for (std::size_t j = 0; j < k; ++j) {
        for (std::size_t q = 0; q < dim; ++q) start[q] += w[j] / total * embedding(ids[i * k + j], q);
      }
      std::vector<float> pos(start.begin(), start.end());
      // This row's edges, weak ones dropped against its own strongest (not the batch's).
      std::vector<double> kept;
      std::vector<std::uint32_t> tails;
      for (std::size_t j = 0; j < k; ++j) {
        if (w[j] >= top / static_cast<double>(epochs)) {
          kept.push_back(w[j]);
          tails.push_back(ids[i * k + j]);
        }
      }
      detail::sgd_state st;
      st.per_sample = detail::epochs_per_sample(kept, epochs);
      st.next_sample = st.per_sample;
      for (const double v : st.per_sample) {
        st.per_negative.push_back(params.negative_sample_rate > 0.0 ? v / params.negative_sample_rate : std::numeric_limits<double>::infinity());
      }
      st.next_negative = st.per_negative;
      segkit::rng gen(detail::row_seed(x->row(i), d, params.seed));
      const double alpha0 = params.learning_rate / 4.0;
      for (std::size_t ep = 0; ep < epochs; ++ep) {
        const auto alpha = static_cast<float>(alpha0 * (1.0 - static_cast<double>(ep) / static_cast<double>(epochs)));
        detail::move_head_any(pos.data(), dim, embedding.data(), n, tails.data(), 0, tails.size(), st, static_cast<double>(ep), alpha, curve,
                          static_cast<float>(params.repulsion_strength), 1, gen, n);
      }
      for (std::size_t q = 0; q < dim; ++q) out(i, q) = pos[q];
    }
  });
  return out;
}

/**
 * @brief UMAP (satisfies segkit::inductive_reducer).
 *
 * @code
 * auto model = segkit::reduce::umap<>({.n_neighbors = 15, .min_dist = 0.1, .seed = 1}).fit(x);
 * model.embedding;                    // n x 2
 * auto y = model.transform(new_rows); // batch-invariant, deterministic
 * @endcode
 * Steps (umap-learn 0.5 semantics): exact k nearest neighbors under `Metric` (blocked scans);
 * smooth k-NN distances (rho, sigma by bisection); membership strengths and their fuzzy union;
 * edges below max weight / n_epochs dropped; a, b fitted from min_dist and spread; spectral
 * initialization (block subspace iteration on the normalized adjacency, Rayleigh-Ritz), scaled to
 * [0, 10]; then n_epochs of SGD with negative sampling and a linearly decaying learning rate.
 *
 * **Deterministic parallel SGD.** umap-learn's parallel optimizer races on shared coordinates,
 * so its result depends on thread timing. Here each epoch reads a snapshot of all coordinates,
 * each row moves only itself (its edges in order, its negative samples from its own random
 * stream (seed, epoch, row)), and rows are split across threads: the same bits for any thread
 * count. A row's attraction is applied twice per edge sample, as umap-learn's move of both ends
 * of both directed copies of an undirected edge does.
 * @par Thread safety  fit is const and may run concurrently on different data.
 */
template <class Metric = distance::l2_metric, class T = float>
class umap {
 public:
  using value_type = T;
  /// @throws segkit::invalid_argument naming the first parameter outside its table's range, or min_dist above spread.
  explicit umap(umap_params params = {}) : params_(params) {
    segkit::params::validate(params_, "segkit::reduce::umap");
    if (params_.min_dist > params_.spread) detail::throw_umap(fmt::format("min_dist ({}) must lie in [0, spread]", params_.min_dist));
  }

  /**
   * @brief Fits the embedding.
   * @throws segkit::invalid_argument for fewer than 3 rows, n_neighbors outside [2, n), NaN/Inf,
   *         or a parameter outside its range.
   * @par Complexity  O(n^2 d) for the exact neighbors, O(n k (n_epochs (1 + negative rate))) for SGD.
   */
  template <class E>
  [[nodiscard]] umap_model<Metric, T> fit(const E& x) const {
    return fit_rows(as_rows<T>(x));
  }

  /// fit(x).embedding.
  template <class E>
  [[nodiscard]] matrix<T> fit_transform(const E& x) const {
    const auto m = fit(x);
    return xt::cast<T>(m.embedding);
  }

 private:
  // Defined after the class (not inline), so compiled mode keeps it out of users' translation units.
  umap_model<Metric, T> fit_rows(const rows_ref<T>& x) const;
  void check(std::size_t n, std::size_t d) const {
    const auto& p = params_;
    if (n < 3) detail::throw_umap(fmt::format("needs at least 3 rows (got {})", n));
    if (d == 0) detail::throw_umap("rows have 0 columns");
    if (n > std::numeric_limits<std::uint32_t>::max()) detail::throw_umap("more than 2^32 - 1 rows");
    if (p.n_neighbors >= n) detail::throw_umap(fmt::format("n_neighbors ({}) must lie in [2, n) with n = {}", p.n_neighbors, n));
  }

  /// Spectral, PCA or random start (n x dim, row-major).
  std::vector<double> initial_layout(const matrix_view<T>& x, const detail::fuzzy_graph& g, executor& ex, bool& fallback) const {
    const std::size_t n = x.rows(), dim = params_.n_components;
    std::vector<double> pos(n * dim);
    umap_init how = params_.init;
    if (how == umap_init::spectral) {
      graph::union_find uf(n);
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t e = g.start[i]; e < g.start[i + 1]; ++e) uf.unite(i, g.column[e]);
      }
      std::size_t components = 0;
      for (std::size_t i = 0; i < n; ++i) components += uf.find(i) == i ? 1 : 0;
      if (dim + 1 >= n) {
        how = umap_init::pca;
        fallback = true;
      } else if (components > 1) {
        pos = multi_component(x, g, uf, components, ex);
      } else {
        pos = spectral(g, ex);
      }
    }
    if (how == umap_init::random) {
      segkit::rng gen(params_.seed, 0xA11CEULL);
      for (double& v : pos) v = -10.0 + 20.0 * gen.uniform();
      return pos;
    }
    if (how == umap_init::pca) {
      const std::size_t c = std::min({dim, n, x.cols()});
      const auto m = pca<T>({.n_components = c, .seed = params_.seed, .threads = params_.threads}).fit(x);
      const auto y = m.transform(x, params_.threads);
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t q = 0; q < dim; ++q) pos[i * dim + q] = q < c ? static_cast<double>(y(i, q)) : 0.0;
      }
    }
    // umap-learn: scale so the largest |coordinate| is 10, then add a little noise.
    double top = 0.0;
    for (const double v : pos) top = std::max(top, std::abs(v));
    const double expansion = top > 0.0 ? 10.0 / top : 1.0;
    for (std::size_t i = 0; i < n; ++i) {
      segkit::rng gen(params_.seed, 0x1217000000ULL + i);
      for (std::size_t q = 0; q < dim; ++q) pos[i * dim + q] = pos[i * dim + q] * expansion + 1e-4 * gen.normal();
    }
    return pos;
  }

  /// A disconnected graph (umap-learn's multi-component idea): each component laid out on its own
  /// (spectral when it has more than dim + 2 rows, else random), scaled to a small box, and placed at
  /// its centroid's position in a layout of the component centroids (PCA of the centroids, or the
  /// coordinate axes when there are at most dim components).
  std::vector<double> multi_component(const matrix_view<T>& x, const detail::fuzzy_graph& g, graph::union_find& uf, std::size_t count,
                                      executor& ex) const {
    const std::size_t n = x.rows(), d = x.cols(), dim = params_.n_components;
    std::vector<std::size_t> comp(n), root_index(n, count);
    std::size_t next = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t r = uf.find(i);
      if (root_index[r] == count) root_index[r] = next++;
      comp[i] = root_index[r];
    }
    std::vector<std::vector<std::uint32_t>> members(count);
    for (std::size_t i = 0; i < n; ++i) members[comp[i]].push_back(static_cast<std::uint32_t>(i));
    // Where each component goes.
    std::vector<double> meta(count * dim, 0.0);
    if (count <= dim) {
      for (std::size_t c = 0; c < count; ++c) meta[c * dim + c] = 1.0;
    } else {
      matrix<double> centroids = xt::zeros<double>({count, d});
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < d; ++j) centroids(comp[i], j) += static_cast<double>(x.row(i)[j]) / static_cast<double>(members[comp[i]].size());
      }
      const std::size_t c2 = std::min({dim, count, d});
      const auto y = pca<double>({.n_components = c2, .solver = pca_solver::full, .threads = params_.threads}).fit_transform(centroids);
      double top = 0.0;
      for (const double v : y) top = std::max(top, std::abs(v));
      for (std::size_t c = 0; c < count; ++c) {
        for (std::size_t q = 0; q < c2; ++q) meta[c * dim + q] = top > 0.0 ? y(c, q) / top : 0.0;
      }
    }
    // Each component's own layout, scaled so components do not overlap.
    const double box = 0.5 / std::sqrt(static_cast<double>(count));
    std::vector<double> pos(n * dim, 0.0);
    for (std::size_t c = 0; c < count; ++c) {
      const auto& rows = members[c];
      const std::size_t m = rows.size();
      std::vector<double> local(m * dim, 0.0);
      if (m > dim + 2) {
        std::vector<std::uint32_t> local_index(n, 0);
        for (std::size_t r = 0; r < m; ++r) local_index[rows[r]] = static_cast<std::uint32_t>(r);
        detail::fuzzy_graph sub;
        sub.start.assign(m + 1, 0);
        for (std::size_t r = 0; r < m; ++r) {
          for (std::size_t e = g.start[rows[r]]; e < g.start[rows[r] + 1]; ++e) {
            sub.column.push_back(local_index[g.column[e]]);
            sub.weight.push_back(g.weight[e]);
          }
          sub.start[r + 1] = sub.column.size();
        }
        local = spectral(sub, ex);
      } else {
        for (std::size_t r = 0; r < m; ++r) {
          segkit::rng gen(params_.seed, 0xC0E0000000ULL + rows[r]);
          for (std::size_t q = 0; q < dim; ++q) local[r * dim + q] = gen.uniform() * 2.0 - 1.0;
        }
      }
      double top = 0.0;
      for (const double v : local) top = std::max(top, std::abs(v));
      for (std::size_t r = 0; r < m; ++r) {
        for (std::size_t q = 0; q < dim; ++q) {
          pos[rows[r] * dim + q] = meta[c * dim + q] + (top > 0.0 ? local[r * dim + q] / top : 0.0) * box;
        }
      }
    }
    return pos;
  }

  /// The eigenvectors 2..dim+1 of the normalized adjacency D^-1/2 A D^-1/2 with the largest
  /// eigenvalues (the smallest of the normalized Laplacian), by block subspace iteration on
  /// (I + N) / 2 with Rayleigh-Ritz steps.
  std::vector<double> spectral(const detail::fuzzy_graph& g, executor& ex) const {
    const std::size_t n = g.size(), dim = params_.n_components;
    const std::size_t b = std::min(n, dim + 1 + 8);
    std::vector<double> dinv(n, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      double s = 0.0;
      for (std::size_t e = g.start[i]; e < g.start[i + 1]; ++e) s += g.weight[e];
      dinv[i] = s > 0.0 ? 1.0 / std::sqrt(s) : 0.0;
    }
    const auto apply = [&](const std::vector<double>& v, std::vector<double>& out) {  // out = (I + N) v / 2, n x b
      out.assign(n * b, 0.0);
      parallel_for(ex, n, 1024, [&](std::size_t rb, std::size_t re, std::size_t) {
        for (std::size_t i = rb; i < re; ++i) {
          double* o = out.data() + i * b;
          for (std::size_t e = g.start[i]; e < g.start[i + 1]; ++e) {
            const double w = g.weight[e] * dinv[i] * dinv[g.column[e]];
            const double* src = v.data() + static_cast<std::size_t>(g.column[e]) * b;
            for (std::size_t c = 0; c < b; ++c) o[c] += w * src[c];
          }
          for (std::size_t c = 0; c < b; ++c) o[c] = 0.5 * (o[c] + v[i * b + c]);
        }
      });
    };
    const auto orthonormalize = [&](std::vector<double>& v) {  // modified Gram-Schmidt on the b columns
      for (std::size_t c = 0; c < b; ++c) {
        for (std::size_t p = 0; p < c; ++p) {
          double dot = 0.0;
          for (std::size_t i = 0; i < n; ++i) dot += v[i * b + c] * v[i * b + p];
          for (std::size_t i = 0; i < n; ++i) v[i * b + c] -= dot * v[i * b + p];
        }
        double norm = 0.0;
        for (std::size_t i = 0; i < n; ++i) norm += v[i * b + c] * v[i * b + c];
        norm = std::sqrt(norm);
        for (std::size_t i = 0; i < n; ++i) v[i * b + c] = norm > 0.0 ? v[i * b + c] / norm : 0.0;
      }
    };
    std::vector<double> v(n * b), w;
    for (std::size_t i = 0; i < n; ++i) {
      segkit::rng gen(params_.seed, 0x5EC7000000ULL + i);
      for (std::size_t c = 0; c < b; ++c) v[i * b + c] = gen.normal();
    }
    orthonormalize(v);
    // Chebyshev-filtered subspace iteration (Zhou & Saad 2007): each round a Rayleigh-Ritz step,
    // then a degree-8 Chebyshev polynomial of M that damps [0, smallest Ritz value of the block]
    // and amplifies the wanted eigenvalues near 1, which plain power steps separate slowly.
    constexpr std::size_t max_rounds = 60, degree = 8;
    std::vector<double> h(b * b), vec, ritz, rv(n * b), rw(n * b), y0, y1, y2;
    for (std::size_t round = 1; round <= max_rounds; ++round) {
      apply(v, w);
      std::fill(h.begin(), h.end(), 0.0);
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t p = 0; p < b; ++p) {
          for (std::size_t q = 0; q < b; ++q) h[p * b + q] += v[i * b + p] * w[i * b + q];
        }
      }
      for (std::size_t p = 0; p < b; ++p) {
        for (std::size_t q = p + 1; q < b; ++q) h[p * b + q] = h[q * b + p] = 0.5 * (h[p * b + q] + h[q * b + p]);
      }
      ritz = detail::symmetric_eigen(h, b, vec);
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t c = 0; c < b; ++c) {
          double s1 = 0.0, s2 = 0.0;
          for (std::size_t p = 0; p < b; ++p) {
            s1 += v[i * b + p] * vec[c * b + p];
            s2 += w[i * b + p] * vec[c * b + p];
          }
          rv[i * b + c] = s1;
          rw[i * b + c] = s2;
        }
      }
      double worst = 0.0;
      for (std::size_t c = 0; c <= dim; ++c) {
        double r = 0.0;
        for (std::size_t i = 0; i < n; ++i) r += (rw[i * b + c] - ritz[c] * rv[i * b + c]) * (rw[i * b + c] - ritz[c] * rv[i * b + c]);
        worst = std::max(worst, std::sqrt(r));
      }
      v = rv;
      if (worst < 1e-4 || round == max_rounds) break;  // umap-learn's eigsh tolerance
      const double hi = std::max(ritz[b - 1], 1e-3), e = hi / 2.0, c = hi / 2.0;
      y0 = v;
      y1.assign(n * b, 0.0);
      for (std::size_t i = 0; i < n * b; ++i) y1[i] = (rw[i] - c * v[i]) / e;
      for (std::size_t j = 2; j <= degree; ++j) {
        apply(y1, y2);
        for (std::size_t i = 0; i < n * b; ++i) y2[i] = 2.0 * (y2[i] - c * y1[i]) / e - y0[i];
        y0.swap(y1);
        y1.swap(y2);
      }
      v.swap(y1);
      orthonormalize(v);
    }
    std::vector<double> pos(n * dim);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t q = 0; q < dim; ++q) pos[i * dim + q] = v[i * b + q + 1];
    }
    return pos;
  }

  /// Deterministic parallel SGD: each epoch reads a snapshot; each row moves only itself.
  void optimize(const detail::fuzzy_graph& g, std::size_t epochs, umap_curve curve, std::vector<double>& pos, executor& ex) const {
    const std::size_t n = g.size(), dim = params_.n_components;
    detail::sgd_state st;
    st.per_sample = detail::epochs_per_sample(g.weight, epochs);
    st.next_sample = st.per_sample;
    st.per_negative.resize(st.per_sample.size());
    const double rate = params_.negative_sample_rate;
    for (std::size_t e = 0; e < st.per_sample.size(); ++e) st.per_negative[e] = rate > 0.0 ? st.per_sample[e] / rate : std::numeric_limits<double>::infinity();
    st.next_negative = st.per_negative;
    std::vector<float> live(pos.begin(), pos.end()), snapshot(n * dim);
    for (std::size_t ep = 0; ep < epochs; ++ep) {
      snapshot = live;
      const auto alpha = static_cast<float>(params_.learning_rate * (1.0 - static_cast<double>(ep) / static_cast<double>(epochs)));
      parallel_for(ex, n, 256, [&](std::size_t b, std::size_t e, std::size_t) {
        for (std::size_t i = b; i < e; ++i) {
          segkit::rng gen(params_.seed, (static_cast<std::uint64_t>(ep) << 32) | i);
          detail::move_head_any(live.data() + i * dim, dim, snapshot.data(), n, g.column.data(), g.start[i], g.start[i + 1], st,
                            static_cast<double>(ep), alpha, curve, static_cast<float>(params_.repulsion_strength), 2, gen, i);
        }
      });
    }
    std::copy(live.begin(), live.end(), pos.begin());
  }

  umap_params params_;
};

template <class Metric, class T>
auto umap<Metric, T>::fit_rows(const rows_ref<T>& x) const -> umap_model<Metric, T> {
  const std::size_t n = x->rows(), d = x->cols();
  check(n, d);
  require_finite<T>("segkit::reduce::umap", "x", x.view());
  executor ex(params_.threads);
  umap_model<Metric, T> model;
  model.params = params_;
  model.training = matrix<T>::from_shape({n, d});
  for (std::size_t i = 0; i < n; ++i) std::copy_n(x->row(i), d, model.training.data() + i * d);
  const std::size_t k = params_.n_neighbors, dim = params_.n_components;
  std::vector<std::uint32_t> ids;
  std::vector<float> dists;
  model.knn = detail::self_knn(Metric{}, x.view(), k, params_.knn, params_.seed, ex, ids, dists);
  std::vector<double> sigma, rho;
  detail::smooth_knn(dists, n, k, params_.local_connectivity, true, sigma, rho);
  auto g = detail::fuzzy_simplicial_set(ids, dists, n, k, sigma, rho, params_.set_op_mix_ratio);
  const std::size_t epochs = params_.n_epochs != 0 ? params_.n_epochs : (n <= 10000 ? 500 : 200);
  model.n_epochs = epochs;
  // Drop edges too weak to be sampled in any epoch.
  const double top = g.weight.empty() ? 0.0 : *std::max_element(g.weight.begin(), g.weight.end());
  const double cut = top / static_cast<double>(epochs > 10 ? epochs : 200);
  {
    detail::fuzzy_graph h;
    h.start.assign(n + 1, 0);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t e = g.start[i]; e < g.start[i + 1]; ++e) {
        if (g.weight[e] < cut) continue;
        h.column.push_back(g.column[e]);
        h.weight.push_back(g.weight[e]);
      }
      h.start[i + 1] = h.column.size();
    }
    g = std::move(h);
  }
  model.curve = detail::fit_curve(params_.spread, params_.min_dist);
  // Initial layout, scaled into [0, 10] per axis.
  std::vector<double> pos = initial_layout(x.view(), g, ex, model.spectral_fallback);
  for (std::size_t q = 0; q < dim; ++q) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (std::size_t i = 0; i < n; ++i) {
      lo = std::min(lo, pos[i * dim + q]);
      hi = std::max(hi, pos[i * dim + q]);
    }
    const double span = hi > lo ? hi - lo : 1.0;
    for (std::size_t i = 0; i < n; ++i) pos[i * dim + q] = 10.0 * (pos[i * dim + q] - lo) / span;
  }
  optimize(g, epochs, model.curve, pos, ex);
  model.embedding = matrix<float>::from_shape({n, dim});
  for (std::size_t i = 0; i < n * dim; ++i) model.embedding.data()[i] = static_cast<float>(pos[i]);
  return model;
}

static_assert(segkit::inductive_reducer<umap<distance::l2_metric, float>, float>);

}  // namespace segkit::reduce

/// The instantiations compiled once into segkit::segkit_compiled (segkit/core/compiled.hpp).
#define SEGKIT_INSTANCES_REDUCE_UMAP(X) \
  SEGKIT_METRIC_INSTANCES(X, class segkit::reduce::umap) SEGKIT_METRIC_INSTANCES(X, struct segkit::reduce::umap_model)
SEGKIT_INSTANCES_REDUCE_UMAP(SEGKIT_EXTERN_TEMPLATE)
