#pragma once
/// @file
/// @brief What an HDBSCAN fit produces: its parameters, the condensed cluster tree, and the fitted
/// model (labels, probabilities, outlier scores, trees, prediction data) with its file format.
/// The algorithm is segkit/cluster/hdbscan.hpp; prediction for new points segkit/cluster/hdbscan_predict.hpp.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <span>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/hierarchy.hpp"
#include "segkit/core/binary_format.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/npy.hpp"
#include "segkit/core/params.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distance/metrics.hpp"

namespace segkit::cluster {

/// How HDBSCAN picks flat clusters from the condensed tree.
enum class cluster_selection {
  eom,  ///< excess of mass: the set of non-nested clusters of greatest total stability
  leaf  ///< the leaves of the condensed tree: many small, homogeneous clusters
};
/// Names of cluster_selection in files and on the command line.
constexpr auto enum_names(cluster_selection) {
  using params::name_value;
  return std::array{name_value{"eom", cluster_selection::eom}, name_value{"leaf", cluster_selection::leaf}};
}

/// How HDBSCAN builds the minimum spanning tree of mutual reachability.
enum class mst_algorithm {
  automatic,  ///< Borůvka where it applies (l2 or sqeuclidean, at most 16 dimensions, from 4,096 rows), else Prim
  prim,       ///< Prim's algorithm over all pairs: O(n^2) distances, any metric and dimension
  boruvka     ///< Borůvka's algorithm on a k-d tree: l2 or sqeuclidean, at most 16 dimensions
};

/// Names of mst_algorithm in files and on the command line.
constexpr auto enum_names(mst_algorithm) {
  using params::name_value;
  return std::array{name_value{"auto", mst_algorithm::automatic}, name_value{"prim", mst_algorithm::prim}, name_value{"boruvka", mst_algorithm::boruvka}};
}

/**
 * @brief What becomes of the points on a side of a split that weighs less than min_cluster_size.
 *
 * The two published HDBSCAN implementations read the single-linkage tree differently here; the
 * choice changes outlier scores and stabilities, and so sometimes which clusters are selected.
 */
enum class fragment_rule {
  drop,  ///< the side leaves the cluster whole, at the split's density (Campello et al. 2013; the hdbscan library)
  shed   ///< its points stay in the cluster and leave one by one, each at the density of the last merge that
         ///< joined it to the tree (its leaf merge), at the latest when the cluster itself splits (R dbscan::hdbscan)
};

/// Names of fragment_rule in files and on the command line.
constexpr auto enum_names(fragment_rule) {
  using params::name_value;
  return std::array{name_value{"drop", fragment_rule::drop}, name_value{"shed", fragment_rule::shed}};
}

/// Parameters of segkit::cluster::hdbscan: defaults here, meaning and valid values in table().
struct hdbscan_params {
  std::size_t min_cluster_size = 5;                      ///< smallest (weighted) cluster
  std::size_t min_samples = 0;                           ///< neighbors defining the core distance (0 = min_cluster_size)
  double cluster_selection_epsilon = 0.0;                ///< merge clusters split below this distance
  std::size_t max_cluster_size = 0;                      ///< eom: largest selectable cluster (0 = no limit)
  cluster_selection selection = cluster_selection::eom;  ///< eom or leaf
  bool allow_single_cluster = false;                     ///< allow one cluster of everything
  std::size_t threads = 0;                               ///< worker threads (0 = all)
  mst_algorithm mst = mst_algorithm::automatic;          ///< spanning-tree algorithm
  fragment_rule fragments = fragment_rule::drop;         ///< how small sides of a split leave it
  bool prediction_data = true;                           ///< keep the training rows in the model for predict()

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = hdbscan_params;
    namespace sp = segkit::params;
    return std::tuple{
        sp::field("min_cluster_size", &p::min_cluster_size, "smallest (weighted) size of a cluster", sp::at_least(2)),
        sp::field("min_samples", &p::min_samples, "neighbors (self included) defining the core distance; 0 = min_cluster_size"),
        sp::field("cluster_selection_epsilon", &p::cluster_selection_epsilon, "clusters split below this distance are merged back (0 = off)",
                  sp::at_least_finite(0)),
        sp::field("max_cluster_size", &p::max_cluster_size, "eom: clusters larger than this are not selected (0 = no limit)"),
        sp::field("selection", &p::selection, "eom (excess of mass) or leaf", {}, "cluster_selection_method"),
        sp::field("allow_single_cluster", &p::allow_single_cluster, "allow the root, i.e. one cluster of everything, to be selected"),
        sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it"),
        sp::field("mst", &p::mst,
                  "spanning tree: auto (boruvka for l2/sqeuclidean up to 16-D from 4,096 rows, else prim), prim or boruvka; the same minimum weight"),
        sp::field("fragments", &p::fragments,
                  "points of a side smaller than min_cluster_size: drop (the hdbscan library: all at the split) or shed (R dbscan::hdbscan: one by one)"),
        sp::field("prediction_data", &p::prediction_data, "keep a copy of the training rows in the model so that it can predict new points and be saved with them")};
  }
};

/**
 * @brief The condensed cluster tree (Campello, Moulavi & Sander 2013), in the row format of the
 * hdbscan Python library: each row says that `child` (a point 0..n-1, or a cluster n, n+1, ...;
 * the root is n) leaves `parent` at density `lambda` = 1 / distance, carrying `child_size`
 * (weighted) points. Clusters are numbered in breadth-first order from the root.
 */
struct condensed_tree {
  std::vector<std::size_t> parent;
  std::vector<std::size_t> child;
  std::vector<double> lambda;
  std::vector<double> child_size;
  std::size_t n_points = 0;
  std::size_t n_clusters = 0;  ///< clusters in the tree, the root included

  [[nodiscard]] std::size_t size() const noexcept { return parent.size(); }
};

namespace detail {

// The clusters of a condensed tree, indexed 0 (the root) .. n_clusters - 1 (condensed id - n).
struct cluster_table {
  std::vector<double> birth, death, size, stability;  // death: highest lambda among the cluster's own rows
  std::vector<std::size_t> parent;                     // the root is its own parent
  std::vector<std::vector<std::size_t>> children;

  explicit cluster_table(const condensed_tree& ct)
      : birth(ct.n_clusters, 0.0), death(ct.n_clusters, 0.0), size(ct.n_clusters, 0.0), stability(ct.n_clusters, 0.0),
        parent(ct.n_clusters, 0), children(ct.n_clusters) {
    const std::size_t n = ct.n_points;
    for (std::size_t r = 0; r < ct.size(); ++r) {
      const std::size_t p = ct.parent[r] - n;
      if (ct.child[r] >= n) {
        const std::size_t c = ct.child[r] - n;
        birth[c] = ct.lambda[r];
        size[c] = ct.child_size[r];
        parent[c] = p;
        children[p].push_back(c);
      }
      if (p == 0) size[0] += ct.child_size[r];
      death[p] = std::max(death[p], ct.lambda[r]);
    }
    for (std::size_t r = 0; r < ct.size(); ++r) {
      const std::size_t p = ct.parent[r] - n;
      if (std::isfinite(birth[p])) stability[p] += (ct.lambda[r] - birth[p]) * ct.child_size[r];
    }
  }

  // Calls f(c) for every cluster strictly below c.
  template <class F>
  void for_each_below(std::size_t c, F&& f) const {
    std::vector<std::size_t> stack(children[c]);
    while (!stack.empty()) {
      const std::size_t v = stack.back();
      stack.pop_back();
      f(v);
      stack.insert(stack.end(), children[v].begin(), children[v].end());
    }
  }
};

// GLOSH, 1 - lambda / lambda_max: 0 when lambda_max is 0 or both are infinite (duplicate rows),
// 1 for a finite lambda under an infinite lambda_max.
inline double glosh(double lambda_max, double lambda) noexcept {
  if (lambda_max == 0.0 || std::isinf(lambda)) return 0.0;
  if (std::isinf(lambda_max)) return 1.0;
  return (lambda_max - lambda) / lambda_max;
}

}  // namespace detail

/// What hdbscan_model::approximate_predict returns, one entry per new point.
struct hdbscan_prediction {
  label_vector labels;                 ///< the fitted cluster the point falls into, or -1 for noise
  std::vector<double> probabilities;   ///< strength of that membership in [0, 1] (0 for noise)
  std::vector<double> outlier_scores;  ///< the GLOSH score the point would get, in [0, 1]
};

/**
 * @brief A fitted HDBSCAN clustering: labels, membership probabilities, GLOSH outlier scores, the
 * condensed and single-linkage trees, and (with hdbscan_params::prediction_data, the default) the
 * training rows, so that it places new points (predict(), approximate_predict(), soft clustering)
 * and is saved whole.
 *
 * predict() and the soft-clustering members build the prediction structures on each call
 * (O(n log n)); to place many small batches, keep one segkit::cluster::hdbscan_predictor.
 * @par Thread safety  const calls may run concurrently.
 */
template <class Metric = distance::l2_metric, class T = float>
struct hdbscan_model : clustering {
  std::vector<double> probabilities;        ///< strength of each row's membership in its cluster, in [0, 1]; 0 for noise
  std::vector<double> outlier_scores;       ///< GLOSH score of each row, in [0, 1]: 1 - lambda(row) / lambda_max(its cluster)
  std::vector<double> core_distances;       ///< distance to the min_samples-th nearest row (self included)
  std::vector<double> cluster_persistence;  ///< per selected cluster: stability / (size x max lambda), as the hdbscan library reports
  std::vector<std::size_t> selected;        ///< condensed-tree id of each selected cluster, by label
  condensed_tree tree;                      ///< the condensed tree (for reports)
  dendrogram single_linkage_tree;           ///< single linkage of mutual reachability, scipy format
  std::size_t min_samples = 0;              ///< the fit's min_samples (resolved)
  matrix<T> training_rows;                  ///< prediction data: the rows of the fit (empty without prediction_data)
  std::vector<double> weights;              ///< prediction data: their weights (empty: unweighted)

  /// True if the model kept its training rows (hdbscan_params::prediction_data).
  [[nodiscard]] bool has_prediction_data() const noexcept { return training_rows.shape(0) == labels().size() && labels().size() != 0; }

  /// Labels of new rows: approximate_predict(x).labels.
  /// @throws segkit::invalid_argument without prediction data, for a wrong width, or NaN/Inf.
  template <class E>
  [[nodiscard]] label_vector predict(const E& x, std::size_t threads = 0) const;
  /// Labels, probabilities and outlier scores of new rows (segkit::cluster::hdbscan_predictor).
  template <class E>
  [[nodiscard]] hdbscan_prediction approximate_predict(const E& x, std::size_t threads = 0) const;
  /// Soft-clustering membership vectors of new rows (m x n_clusters()).
  template <class E>
  [[nodiscard]] matrix<double> membership_vectors(const E& x, std::size_t threads = 0) const;
  /// Soft-clustering membership vectors of the training rows (n x n_clusters()).
  [[nodiscard]] matrix<double> all_points_membership_vectors(std::size_t threads = 0) const;

  /// Kind of the container the model is stored in (segkit::storable_model).
  static constexpr std::string_view container_kind = "segkit.model.hdbscan";
  /// Writes the model (with its prediction data) atomically in segkit's checksummed container.
  void save(const std::filesystem::path& path) const { save_model(*this, path); }
  /// Reads a model written by save(). @throws segkit::format_error if damaged, of another kind or of another metric.
  [[nodiscard]] static hdbscan_model load(const std::filesystem::path& path) { return load_model<hdbscan_model>(path); }
  /// Adds the model's sections to `w` (segkit::storable_model).
  void write_to(container_writer& w) const;
  /// Rebuilds a model from write_to()'s sections, checking every value. @throws segkit::format_error.
  [[nodiscard]] static hdbscan_model read_from(const container_reader& file);
};

template <class Metric, class T>
void hdbscan_model<Metric, T>::write_to(container_writer& w) const {
  const std::size_t n = labels().size();
  byte_writer meta;
  meta.put(std::uint32_t{1}).put_string(Metric::name).put_string(npy_dtype_name(segkit::detail::npy_dtype_of<T>()));
  meta.put(static_cast<std::uint64_t>(n)).put(static_cast<std::uint64_t>(n_clusters())).put(static_cast<std::uint64_t>(min_samples));
  meta.put(static_cast<std::uint64_t>(tree.size())).put(static_cast<std::uint64_t>(tree.n_clusters));
  meta.put(static_cast<std::uint64_t>(has_prediction_data() ? training_rows.shape(1) : 0)).put(static_cast<std::uint8_t>(!weights.empty()));
  w.add_copy("meta", meta.bytes());
  w.add_array<label_type>("labels", std::span<const label_type>(labels().data(), n));
  w.add_array<double>("prob", probabilities);
  w.add_array<double>("glosh", outlier_scores);
  w.add_array<double>("core", core_distances);
  w.add_array<double>("persist", cluster_persistence);
  const std::vector<std::uint64_t> sel(selected.begin(), selected.end()), parent(tree.parent.begin(), tree.parent.end()),
      child(tree.child.begin(), tree.child.end());
  w.add_array_copy<std::uint64_t>("selected", sel);
  w.add_array_copy<std::uint64_t>("tparent", parent);
  w.add_array_copy<std::uint64_t>("tchild", child);
  w.add_array<double>("tlambda", tree.lambda);
  w.add_array<double>("tsize", tree.child_size);
  w.add_array<double>("linkage", std::span<const double>(single_linkage_tree.linkage.data(), single_linkage_tree.linkage.size()));
  if (has_prediction_data()) {
    w.add_array<T>("rows", std::span<const T>(training_rows.data(), training_rows.size()));
    if (!weights.empty()) w.add_array<double>("weights", weights);
  }
}

template <class Metric, class T>
hdbscan_model<Metric, T> hdbscan_model<Metric, T>::read_from(const container_reader& file) {
  byte_reader meta(file.section("meta"), file);
  if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("HDBSCAN model format version {} is not supported", v));
  if (const auto m = meta.get_string(); m != Metric::name) file.fail(fmt::format("the model uses metric '{}', this type '{}'", m, Metric::name));
  if (const auto t = meta.get_string(); t != npy_dtype_name(segkit::detail::npy_dtype_of<T>())) file.fail(fmt::format("the model stores {} rows", t));
  const auto n = meta.get<std::uint64_t>(), k = meta.get<std::uint64_t>(), ms = meta.get<std::uint64_t>();
  const auto rows = meta.get<std::uint64_t>(), tree_clusters = meta.get<std::uint64_t>(), d = meta.get<std::uint64_t>();
  const bool weighted = meta.get<std::uint8_t>() != 0;
  if (n == 0 || n > (std::uint64_t{1} << 40) || k > n || rows > 4 * n || tree_clusters == 0 || tree_clusters > n || (d != 0 && d > (std::uint64_t{1} << 32) / n)) {
    file.fail("implausible model shape");
  }
  hdbscan_model m;
  m.min_samples = static_cast<std::size_t>(ms);
  const auto stored = file.array<label_type>("labels", n);
  label_vector labels = label_vector::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) {
    if (stored[i] < -1 || (stored[i] >= 0 && static_cast<std::uint64_t>(stored[i]) >= k)) file.fail(fmt::format("label {} of row {} is outside -1..{}", stored[i], i, k - 1));
    labels(i) = stored[i];
  }
  const auto finite_in = [&](const char* tag, std::size_t count, double lo, double hi) {
    const auto v = file.array<double>(tag, count);
    for (const double x : v) {
      if (!(x >= lo && x <= hi)) file.fail(fmt::format("{} holds {}, outside [{}, {}]", tag, x, lo, hi));
    }
    return std::vector<double>(v.begin(), v.end());
  };
  constexpr double big = std::numeric_limits<double>::infinity();
  m.probabilities = finite_in("prob", n, 0.0, 1.0);
  m.outlier_scores = finite_in("glosh", n, 0.0, 1.0);
  m.core_distances = finite_in("core", n, 0.0, big);
  m.cluster_persistence = finite_in("persist", k, -big, big);
  const auto sel = file.array<std::uint64_t>("selected", k);
  for (const auto s : sel) {
    if (s < n || s - n >= tree_clusters) file.fail(fmt::format("selected cluster {} is not in the condensed tree", s));
    m.selected.push_back(static_cast<std::size_t>(s));
  }
  const auto parent = file.array<std::uint64_t>("tparent", rows), child = file.array<std::uint64_t>("tchild", rows);
  m.tree.n_points = n;
  m.tree.n_clusters = tree_clusters;
  // A tree: every point and every cluster but the root is a child exactly once, and clusters are
  // numbered breadth-first (a cluster's parent has a lower id), so no walk can loop.
  std::vector<char> seen(n + tree_clusters, 0);
  for (std::size_t r = 0; r < rows; ++r) {
    const bool cluster_child = child[r] >= n;
    if (parent[r] < n || parent[r] - n >= tree_clusters || child[r] >= n + tree_clusters || (cluster_child && child[r] <= parent[r]) ||
        seen[child[r]] != 0) {
      file.fail("the condensed tree is not a tree of known nodes");
    }
    seen[child[r]] = 1;
    m.tree.parent.push_back(static_cast<std::size_t>(parent[r]));
    m.tree.child.push_back(static_cast<std::size_t>(child[r]));
  }
  if (std::count(seen.begin(), seen.end(), char{1}) != static_cast<std::ptrdiff_t>(n + tree_clusters - 1)) file.fail("the condensed tree misses points or clusters");
  m.tree.lambda = finite_in("tlambda", rows, 0.0, big);
  m.tree.child_size = finite_in("tsize", rows, 0.0, big);
  const auto linkage = file.array<double>("linkage", (n - 1) * 4);
  m.single_linkage_tree.n_leaves = n;
  m.single_linkage_tree.linkage = matrix<double>::from_shape({static_cast<std::size_t>(n - 1), 4});
  std::copy(linkage.begin(), linkage.end(), m.single_linkage_tree.linkage.begin());
  for (std::size_t r = 0; r + 1 < n; ++r) {
    const double a = m.single_linkage_tree.linkage(r, 0), b = m.single_linkage_tree.linkage(r, 1);
    if (!(a >= 0 && a < static_cast<double>(n + r)) || !(b >= 0 && b < static_cast<double>(n + r)) || !(m.single_linkage_tree.linkage(r, 2) >= 0) || !std::isfinite(m.single_linkage_tree.linkage(r, 2))) {
      file.fail("the single-linkage tree links unknown nodes");
    }
  }
  if (d != 0) {
    const auto values = file.array<T>("rows", n * d);
    for (const T v : values) {
      if (!std::isfinite(v)) file.fail("a training row holds NaN or Inf");
    }
    m.training_rows = matrix<T>::from_shape({static_cast<std::size_t>(n), static_cast<std::size_t>(d)});
    std::copy(values.begin(), values.end(), m.training_rows.begin());
    if (weighted) m.weights = finite_in("weights", n, 0.0, std::numeric_limits<double>::max());
  }
  m.set_labels(std::move(labels), k);
  return m;
}

}  // namespace segkit::cluster
