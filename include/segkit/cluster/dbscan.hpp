#pragma once
/// @file
/// @brief DBSCAN: density-based clusters of core points, their border points, and noise.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string_view>
#include <tuple>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/detail/dbscan_grid.hpp"
#include "segkit/neighbors/exact.hpp"
#include "segkit/core/binary_format.hpp"
#include "segkit/core/compiled.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/npy.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/params.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/graph/union_find.hpp"

namespace segkit::cluster {

/// Parameters of segkit::cluster::dbscan: defaults here, meaning and valid values in table().
struct dbscan_params {
  double eps = 0.5;                                       ///< neighborhood radius
  std::size_t min_samples = 5;                            ///< weighted neighbors of a core point
  std::size_t max_kept_neighbors = std::size_t{1} << 27;  ///< neighbor-list entries kept between passes
  std::size_t threads = 0;                                ///< worker threads (0 = all)

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = dbscan_params;
    namespace sp = segkit::params;
    return std::tuple{
        sp::field("eps", &p::eps, "neighborhood radius in the metric's units; a neighbor is at distance <= eps",
                  {0, std::numeric_limits<double>::max(), true, false}),
        sp::field("min_samples", &p::min_samples, "a core point has at least this many (weighted) points within eps, itself included", sp::at_least(1)),
        sp::internal_field("max_kept_neighbors", &p::max_kept_neighbors,
                           "neighbor-list entries kept between passes (4 bytes each); beyond, search again (0 = never keep)"),
        sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it")};
  }
};

/**
 * @brief A fitted DBSCAN clustering: the labels, the core samples and their rows, which place new
 * points as the fit placed border points.
 * @par Thread safety  const calls (predict, save) may run concurrently.
 */
template <class Metric = distance::l2_metric, class T = float>
struct dbscan_model : clustering {
  std::vector<std::size_t> core_sample_indices;  ///< training rows that are core points, ascending
  matrix<T> components;                          ///< those rows' values, in that order (scikit-learn's components_)
  double eps = 0.0;                              ///< the radius of the fit

  /**
   * @brief Label of each new row: the lowest cluster among the core samples within eps, -1
   * (noise) if there is none. The training rows get their own labels back (a border row joined
   * the lowest cluster among its core neighbors).
   * @throws segkit::invalid_argument if the width differs or a row holds NaN/Inf.
   */
  template <class E>
  [[nodiscard]] label_vector predict(const E& x, std::size_t threads = 0) const;

  /// Kind of the container the model is stored in (segkit::storable_model).
  static constexpr std::string_view container_kind = "segkit.model.dbscan";
  /// Writes the model atomically in segkit's checksummed container.
  void save(const std::filesystem::path& path) const { save_model(*this, path); }
  /// Reads a model written by save(). @throws segkit::format_error if damaged, of another kind or of another metric.
  [[nodiscard]] static dbscan_model load(const std::filesystem::path& path) { return load_model<dbscan_model>(path); }
  /// Adds the model's sections to `w` (segkit::storable_model).
  void write_to(container_writer& w) const;
  /// Rebuilds a model from write_to()'s sections, checking every value. @throws segkit::format_error.
  [[nodiscard]] static dbscan_model read_from(const container_reader& file);
};

/**
 * @brief DBSCAN (Ester, Kriegel, Sander & Xu, KDD 1996) with scikit-learn's labeling.
 *
 * Clusters are the connected components of core points (rows with at least min_samples
 * weighted rows within eps, counting themselves), numbered in the order of their lowest core
 * row. A border row (not core, within eps of a core row) joins the lowest-numbered cluster among
 * its core neighbors: exactly what scikit-learn's depth-first expansion produces, so labels are
 * identical to scikit-learn's DBSCAN and do not depend on the thread count. Neighborhoods come
 * from a uniform grid of cells of side eps / sqrt(2) for 2-D l2/sqeuclidean data (a dense cell is
 * core and connected as a whole; neighbors lie in the 5 x 5 block of cells), a k-d tree (up to
 * 16 dimensions, l2/sqeuclidean/cosine) or blocked exact scans, never an n x n matrix; distances
 * are compared to eps in double precision, the same way on every path.
 *
 * @tparam Metric  a distance (l2 default, sqeuclidean, cosine, manhattan); inner product is refused.
 * @par Complexity  one radius pass, about O(n log n + neighbors) on a tree, O(n^2 d) by scan;
 * memory O(n + neighbors) — neighbor lists are kept while they hold at most max_kept_neighbors
 * entries; beyond that passes 2 and 3 search again and memory stays O(n).
 * @par Thread safety  fit() is const.
 */
template <class Metric = distance::l2_metric, class T = float>
class dbscan {
 public:
  using value_type = T;

  /// The model fit() returns.
  using model_type = dbscan_model<Metric, T>;

  /// @throws segkit::invalid_argument naming the first parameter outside its table's range, or for a similarity metric.
  explicit dbscan(dbscan_params params = {}) : p_(params) {
    segkit::params::validate(p_, component);
    distance::require_distance<Metric>(component);
  }

  [[nodiscard]] const dbscan_params& params() const noexcept { return p_; }

  /**
   * @brief Clusters the rows of x (n x d), optionally weighted (a row of weight w counts w times
   * towards its neighbors' density).
   * @throws segkit::invalid_argument if x is empty, has no columns or holds NaN/Inf, or the
   * weights are of the wrong length, negative or not finite.
   */
  template <class E>
  [[nodiscard]] model_type fit(const E& x, std::span<const double> weights = {}) const {
    const auto rows = as_rows<T>(x);
    model_type m = fit_view(rows.view(), weights);
    m.eps = p_.eps;
    m.components = matrix<T>::from_shape({m.core_sample_indices.size(), rows.view().cols()});
    for (std::size_t c = 0; c < m.core_sample_indices.size(); ++c) std::copy_n(rows.view().row(m.core_sample_indices[c]), rows.view().cols(), &m.components(c, 0));
    return m;
  }

 private:
  static constexpr const char* component = "segkit::cluster::dbscan";
  static constexpr std::size_t grain = 256;

  model_type fit_view(const matrix_view<T>& x, std::span<const double> weights) const;

  // 2-D Euclidean data on a grid (detail::dbscan_grid): the same three passes, with whole cells
  // settled at once where they can be.
  model_type fit_grid(const detail::dbscan_grid& grid, const std::vector<double>& w, double need, executor& ex) const {
    const std::vector<char> core = grid.core_points(w, need, ex);
    graph::concurrent_union_find sets(core.size());
    grid.unite_cores(core, sets, ex);
    auto [labels, clusters, cores] = label_cores(core, sets);
    grid.label_borders(core, labels.data(), ex);
    model_type out;
    out.set_labels(std::move(labels), clusters);
    out.core_sample_indices = std::move(cores);
    return out;
  }

  // Labels of the core rows: their components numbered in the order of their lowest row; -1
  // elsewhere. Also the number of clusters and the core rows, ascending.
  struct core_labels {
    label_vector labels;
    std::size_t clusters = 0;
    std::vector<std::size_t> cores;
  };
  static core_labels label_cores(const std::vector<char>& core, graph::concurrent_union_find& sets) {
    const std::size_t n = core.size();
    core_labels out;
    out.labels = label_vector::from_shape({n});
    std::fill(out.labels.begin(), out.labels.end(), noise_label);
    std::vector<label_type> cluster_of_root(n, -1);
    for (std::size_t i = 0; i < n; ++i) {
      if (!core[i]) continue;
      out.cores.push_back(i);
      const std::size_t r = sets.find(i);
      if (cluster_of_root[r] < 0) cluster_of_root[r] = static_cast<label_type>(out.clusters++);
      out.labels(i) = cluster_of_root[r];
    }
    return out;
  }

  dbscan_params p_;
};

template <class Metric, class T>
auto dbscan<Metric, T>::fit_view(const matrix_view<T>& x, std::span<const double> weights) const -> model_type {
  const std::size_t n = x.rows();
  check_samples(component, x);
  const std::vector<double> w = sample_weights(component, weights, n, false);
  const double need = static_cast<double>(p_.min_samples);

  executor ex(p_.threads);
  if constexpr (distance::gemm_form_of<Metric>() == distance::gemm_form::squared_l2) {
    if (x.cols() == 2) {
      const detail::dbscan_grid grid(x, Metric::squared ? p_.eps : p_.eps * p_.eps);
      if (grid.valid()) return fit_grid(grid, w, need, ex);
    }
  }
  const neighbors::exact_neighbors<Metric, T> nb(x);

  // 1. Core points: weighted neighbor count (self included) reaches min_samples. The
  // neighbor lists are kept for passes 2 and 3 while they fit max_kept_neighbors entries; beyond
  // that (and in 1-3 dimensions) passes 2 and 3 search again and pass 1 stops counting at
  // min_samples.
  const std::size_t chunks = chunk_count(n, grain);
  std::vector<std::vector<std::uint32_t>> lists(chunks);
  std::vector<std::vector<std::size_t>> starts(chunks);
  std::atomic<std::size_t> stored{0};
  // In 1-3 dimensions a tree search is cheaper than keeping its result.
  std::atomic<bool> keep{n < (std::size_t{1} << 32) && p_.max_kept_neighbors > 0 && !(nb.uses_tree() && x.cols() <= 3)};
  std::vector<char> core(n, 0);
  parallel_for(ex, n, grain, [&](std::size_t b, std::size_t e, std::size_t c) {
    std::vector<double> count(e - b, 0.0);
    const bool store = keep.load(std::memory_order_relaxed);
    std::vector<std::vector<std::uint32_t>> rows(store ? e - b : 0);  // the scan path interleaves rows
    nb.radius(b, e, p_.eps, [&](std::size_t i, std::size_t j, double) {
      count[i - b] += w[j];
      if (!store) return count[i - b] < need;
      rows[i - b].push_back(static_cast<std::uint32_t>(j));
      return true;
    });
    if (store) {
      auto& list = lists[c];
      auto& start = starts[c];
      start.push_back(0);
      for (const auto& r : rows) {
        list.insert(list.end(), r.begin(), r.end());
        start.push_back(list.size());
      }
      if (stored.fetch_add(list.size()) + list.size() > p_.max_kept_neighbors) keep.store(false);
    }
    for (std::size_t i = b; i < e; ++i) core[i] = count[i - b] >= need ? 1 : 0;
  });
  const bool kept = keep.load();
  if (!kept) {
    lists = {};
    starts = {};
  }
  // Calls f(i, j) for the neighbors j of rows [b, e) (chunk c); f returns false to skip the rest of row i.
  const auto neighbors = [&](std::size_t b, std::size_t e, std::size_t c, auto&& f) {
    if (!kept) {
      nb.radius(b, e, p_.eps, [&](std::size_t i, std::size_t j, double) { return f(i, j); });
      return;
    }
    for (std::size_t i = b; i < e; ++i) {
      for (std::size_t q = starts[c][i - b]; q < starts[c][i - b + 1]; ++q) {
        if (!f(i, static_cast<std::size_t>(lists[c][q]))) break;
      }
    }
  };

  // 2. Clusters: connected components of core points (the representative is the lowest row).
  graph::concurrent_union_find sets(n);
  parallel_for(ex, n, grain, [&](std::size_t b, std::size_t e, std::size_t c) {
    neighbors(b, e, c, [&](std::size_t i, std::size_t j) {
      if (core[i] && j < i && core[j]) sets.unite(i, j);
      return static_cast<bool>(core[i]);
    });
  });
  core_labels found = label_cores(core, sets);

  // 3. Border points: the lowest cluster among their core neighbors. (A named object, not a
  // structured binding: lambdas may not capture bindings before C++20's P1091 in clang 16.)
  label_vector& labels = found.labels;
  parallel_for(ex, n, grain, [&](std::size_t b, std::size_t e, std::size_t c) {
    neighbors(b, e, c, [&](std::size_t i, std::size_t j) {
      if (core[i]) return false;
      if (core[j]) {
        const label_type l = labels(j);
        if (labels(i) < 0 || l < labels(i)) labels(i) = l;
      }
      return true;
    });
  });
  model_type out;
  out.set_labels(std::move(found.labels), found.clusters);
  out.core_sample_indices = std::move(found.cores);
  return out;
}

static_assert(segkit::inductive_clusterer<dbscan<>>);

template <class Metric, class T>
template <class E>
label_vector dbscan_model<Metric, T>::predict(const E& x_in, std::size_t threads) const {
  constexpr const char* comp = "segkit::cluster::dbscan_model::predict";
  const auto rows = as_rows<T>(x_in);
  const matrix_view<T> q = rows.view();
  if (q.rows() != 0 && q.cols() != components.shape(1) && components.shape(0) != 0) {
    segkit::detail::throw_invalid(comp, fmt::format("rows have {} columns, the model has {}", q.cols(), components.shape(1)));
  }
  require_finite<T>(comp, "rows", q);
  label_vector out = label_vector::from_shape({q.rows()});
  std::fill(out.begin(), out.end(), noise_label);
  if (components.shape(0) == 0 || q.rows() == 0) return out;
  const neighbors::exact_neighbors<Metric, T> nb(matrix_view<T>(components.data(), components.shape(0), components.shape(1)));
  executor ex(threads);
  parallel_for(ex, q.rows(), 256, [&](std::size_t b, std::size_t e, std::size_t) {
    nb.radius_to(q, b, e, eps, [&](std::size_t i, std::size_t j, double) {
      const label_type l = labels()(core_sample_indices[j]);
      if (out(i) < 0 || l < out(i)) out(i) = l;
      return true;
    });
  });
  return out;
}

template <class Metric, class T>
void dbscan_model<Metric, T>::write_to(container_writer& w) const {
  byte_writer meta;
  meta.put(std::uint32_t{1}).put_string(Metric::name).put_string(npy_dtype_name(segkit::detail::npy_dtype_of<T>()));
  meta.put(static_cast<std::uint64_t>(labels().size())).put(static_cast<std::uint64_t>(n_clusters()));
  meta.put(static_cast<std::uint64_t>(core_sample_indices.size())).put(static_cast<std::uint64_t>(components.shape(1))).put(eps);
  w.add_copy("meta", meta.bytes());
  w.add_array<label_type>("labels", std::span<const label_type>(labels().data(), labels().size()));
  const std::vector<std::uint64_t> cores(core_sample_indices.begin(), core_sample_indices.end());
  w.add_array_copy<std::uint64_t>("cores", cores);
  w.add_array<T>("rows", std::span<const T>(components.data(), components.size()));
}

template <class Metric, class T>
dbscan_model<Metric, T> dbscan_model<Metric, T>::read_from(const container_reader& file) {
  byte_reader meta(file.section("meta"), file);
  if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("DBSCAN model format version {} is not supported", v));
  if (const auto m = meta.get_string(); m != Metric::name) file.fail(fmt::format("the model uses metric '{}', this type '{}'", m, Metric::name));
  if (const auto t = meta.get_string(); t != npy_dtype_name(segkit::detail::npy_dtype_of<T>())) file.fail(fmt::format("the model stores {} rows", t));
  const auto n = meta.get<std::uint64_t>(), k = meta.get<std::uint64_t>(), nc = meta.get<std::uint64_t>(), d = meta.get<std::uint64_t>();
  dbscan_model m;
  m.eps = meta.get<double>();
  if (n > (std::uint64_t{1} << 40) || k > n || nc > n || (nc > 0 && (d == 0 || d > (std::uint64_t{1} << 32) / nc)) || !(m.eps > 0.0) || !std::isfinite(m.eps)) {
    file.fail("implausible model shape");
  }
  const auto stored = file.array<label_type>("labels", n);
  label_vector labels = label_vector::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) {
    if (stored[i] < -1 || (stored[i] >= 0 && static_cast<std::uint64_t>(stored[i]) >= k)) file.fail(fmt::format("label {} of row {} is outside -1..{}", stored[i], i, k - 1));
    labels(i) = stored[i];
  }
  const auto cores = file.array<std::uint64_t>("cores", nc);
  for (std::size_t c = 0; c < nc; ++c) {
    if (cores[c] >= n || (c > 0 && cores[c] <= cores[c - 1]) || labels(cores[c]) < 0) file.fail("the core rows are not ascending rows of clusters");
    m.core_sample_indices.push_back(static_cast<std::size_t>(cores[c]));
  }
  const auto values = file.array<T>("rows", nc * d);
  for (const T v : values) {
    if (!std::isfinite(v)) file.fail("a core sample holds NaN or Inf");
  }
  m.components = matrix<T>::from_shape({static_cast<std::size_t>(nc), static_cast<std::size_t>(d)});
  std::copy(values.begin(), values.end(), m.components.begin());
  m.set_labels(std::move(labels), k);
  return m;
}

}  // namespace segkit::cluster

/// The instantiations compiled once into segkit::segkit_compiled (segkit/core/compiled.hpp).
#define SEGKIT_INSTANCES_CLUSTER_DBSCAN(X) SEGKIT_METRIC_INSTANCES(X, class segkit::cluster::dbscan)
SEGKIT_INSTANCES_CLUSTER_DBSCAN(SEGKIT_EXTERN_TEMPLATE)
