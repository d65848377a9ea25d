#pragma once
/// @file
/// @brief A fitted agglomerative clustering (segkit::cluster::agglomerative_model): the cut's labels, the
/// dendrogram and the training rows, which place new rows by the linkage that built the tree; its file
/// format. The algorithm is segkit/cluster/agglomerative.hpp.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <new>
#include <numeric>
#include <span>
#include <string_view>
#include <tuple>
#include <vector>
#include <fmt/format.h>

#include "segkit/cluster/detail/graph_linkage.hpp"
#include "segkit/neighbors/exact.hpp"
#include "segkit/cluster/hierarchy.hpp"
#include "segkit/core/binary_format.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/npy.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/params.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/distance/pairwise.hpp"
#include "segkit/graph/knn_lists.hpp"
#include "segkit/graph/union_find.hpp"

namespace segkit::cluster {

/// How the distance between two clusters is defined.
enum class linkage_method {
  ward,      ///< increase of the within-cluster sum of squares (Euclidean only)
  complete,  ///< largest distance between members
  average,   ///< mean distance between members (UPGMA)
  single     ///< smallest distance between members
};

/// Names of linkage_method in files and on the command line (scipy's and scikit-learn's).
constexpr auto enum_names(linkage_method) {
  using params::name_value;
  return std::array{name_value{"ward", linkage_method::ward}, name_value{"complete", linkage_method::complete},
                    name_value{"average", linkage_method::average}, name_value{"single", linkage_method::single}};
}


/**
 * @brief A fitted agglomerative clustering: the labels of the cut, the full dendrogram, and the
 * training rows, which place new rows by the linkage that built the tree.
 * @par Thread safety  const calls may run concurrently.
 */
template <class Metric = distance::l2_metric, class T = float>
struct agglomerative_model : clustering {
  dendrogram tree;                                ///< every merge, scipy's linkage format (heights as scipy reports them)
  std::size_t connected_components = 1;           ///< pieces of the connectivity graph before it was completed (1 without one)
  linkage_method linkage = linkage_method::ward;  ///< the linkage of the fit
  matrix<T> training_rows;                        ///< the rows of the fit (for predict)

  /**
   * @brief Cluster of each new row: the cluster whose linkage with the row alone is smallest, as
   * the fit would merge them: single, the nearest member; complete, the smallest farthest member;
   * average, the smallest mean distance; ward, the smallest increase of the within-cluster sum of
   * squares, n_c / (n_c + 1) |x - c|^2. Ties go to the lower label. O(m n d).
   * @throws segkit::invalid_argument if the width differs or a row holds NaN/Inf.
   */
  template <class E>
  [[nodiscard]] label_vector predict(const E& x, std::size_t threads = 0) const;

  /// Kind of the container the model is stored in (segkit::storable_model).
  static constexpr std::string_view container_kind = "segkit.model.agglomerative";
  /// Writes the model atomically in segkit's checksummed container.
  void save(const std::filesystem::path& path) const { save_model(*this, path); }
  /// Reads a model written by save(). @throws segkit::format_error if damaged, of another kind or of another metric.
  [[nodiscard]] static agglomerative_model load(const std::filesystem::path& path) { return load_model<agglomerative_model>(path); }
  /// Adds the model's sections to `w` (segkit::storable_model).
  void write_to(container_writer& w) const;
  /// Rebuilds a model from write_to()'s sections, checking every value. @throws segkit::format_error.
  [[nodiscard]] static agglomerative_model read_from(const container_reader& file);
};

template <class Metric, class T>
template <class E>
label_vector agglomerative_model<Metric, T>::predict(const E& x_in, std::size_t threads) const {
  constexpr const char* comp = "segkit::cluster::agglomerative_model::predict";
  const auto rows = as_rows<T>(x_in);
  const matrix_view<T> q = rows.view();
  const std::size_t n = training_rows.shape(0), d = training_rows.shape(1), k = n_clusters();
  if (n == 0 || n != labels().size()) segkit::detail::throw_invalid(comp, "the model has no training rows");
  if (q.rows() != 0 && q.cols() != d) segkit::detail::throw_invalid(comp, fmt::format("rows have {} columns, the model has {}", q.cols(), d));
  require_finite<T>(comp, "rows", q);
  const std::vector<std::size_t> size = sizes();
  // Ward compares against centroids (double precision); the others against every member.
  std::vector<double> centroid;
  if (linkage == linkage_method::ward) {
    centroid.assign(k * d, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < d; ++j) centroid[static_cast<std::size_t>(labels()(i)) * d + j] += static_cast<double>(training_rows(i, j));
    }
    for (std::size_t c = 0; c < k; ++c) {
      for (std::size_t j = 0; j < d; ++j) centroid[c * d + j] /= static_cast<double>(size[c]);
    }
  }
  label_vector out = label_vector::from_shape({q.rows()});
  executor ex(threads);
  parallel_for(ex, q.rows(), 64, [&](std::size_t b, std::size_t e, std::size_t) {
    std::vector<double> score(k);
    for (std::size_t i = b; i < e; ++i) {
      if (linkage == linkage_method::ward) {
        for (std::size_t c = 0; c < k; ++c) {
          double s2 = 0.0;
          for (std::size_t j = 0; j < d; ++j) {
            const double t = static_cast<double>(q.row(i)[j]) - centroid[c * d + j];
            s2 += t * t;
          }
          score[c] = static_cast<double>(size[c]) / static_cast<double>(size[c] + 1) * s2;
        }
      } else {
        const bool farthest = linkage == linkage_method::complete;
        std::fill(score.begin(), score.end(), linkage == linkage_method::single ? std::numeric_limits<double>::infinity() : (farthest ? -1.0 : 0.0));
        for (std::size_t r = 0; r < n; ++r) {
          const double dist = neighbors::exact_distance<Metric>(q.row(i), &training_rows(r, 0), d);
          double& s = score[static_cast<std::size_t>(labels()(r))];
          s = linkage == linkage_method::single ? std::min(s, dist) : (farthest ? std::max(s, dist) : s + dist);
        }
        if (linkage == linkage_method::average) {
          for (std::size_t c = 0; c < k; ++c) score[c] /= static_cast<double>(size[c]);
        }
      }
      out(i) = static_cast<label_type>(std::min_element(score.begin(), score.end()) - score.begin());
    }
  });
  return out;
}

template <class Metric, class T>
void agglomerative_model<Metric, T>::write_to(container_writer& w) const {
  byte_writer meta;
  meta.put(std::uint32_t{1}).put_string(Metric::name).put_string(npy_dtype_name(segkit::detail::npy_dtype_of<T>()));
  meta.put_string(params::name(linkage)).put(static_cast<std::uint64_t>(labels().size())).put(static_cast<std::uint64_t>(n_clusters()));
  meta.put(static_cast<std::uint64_t>(training_rows.shape(1))).put(static_cast<std::uint64_t>(connected_components));
  w.add_copy("meta", meta.bytes());
  w.add_array<label_type>("labels", std::span<const label_type>(labels().data(), labels().size()));
  w.add_array<double>("linkage", std::span<const double>(tree.linkage.data(), tree.linkage.size()));
  w.add_array<T>("rows", std::span<const T>(training_rows.data(), training_rows.size()));
}

template <class Metric, class T>
agglomerative_model<Metric, T> agglomerative_model<Metric, T>::read_from(const container_reader& file) {
  byte_reader meta(file.section("meta"), file);
  if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("agglomerative model format version {} is not supported", v));
  if (const auto m = meta.get_string(); m != Metric::name) file.fail(fmt::format("the model uses metric '{}', this type '{}'", m, Metric::name));
  if (const auto t = meta.get_string(); t != npy_dtype_name(segkit::detail::npy_dtype_of<T>())) file.fail(fmt::format("the model stores {} rows", t));
  agglomerative_model m;
  try {
    m.linkage = params::parse_enum<linkage_method>(meta.get_string(), "the linkage");
  } catch (const segkit::invalid_argument& e) {
    file.fail(e.what());
  }
  const auto n = meta.get<std::uint64_t>(), k = meta.get<std::uint64_t>(), d = meta.get<std::uint64_t>(), parts = meta.get<std::uint64_t>();
  if (n == 0 || n > (std::uint64_t{1} << 40) || k == 0 || k > n || d == 0 || d > (std::uint64_t{1} << 32) / n || parts == 0 || parts > n) {
    file.fail("implausible model shape");
  }
  m.connected_components = static_cast<std::size_t>(parts);
  const auto stored = file.array<label_type>("labels", n);
  label_vector labels = label_vector::from_shape({n});
  std::vector<char> used(k, 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (stored[i] < 0 || static_cast<std::uint64_t>(stored[i]) >= k) file.fail(fmt::format("label {} of row {} is outside 0..{}", stored[i], i, k - 1));
    labels(i) = stored[i];
    used[static_cast<std::size_t>(stored[i])] = 1;
  }
  if (std::find(used.begin(), used.end(), 0) != used.end()) file.fail("a cluster has no rows");
  const auto z = file.array<double>("linkage", (n - 1) * 4);
  m.tree.n_leaves = n;
  m.tree.linkage = matrix<double>::from_shape({static_cast<std::size_t>(n - 1), 4});
  std::copy(z.begin(), z.end(), m.tree.linkage.begin());
  for (std::size_t r = 0; r + 1 < n; ++r) {
    const double a = m.tree.linkage(r, 0), b = m.tree.linkage(r, 1);
    if (!(a >= 0 && a < static_cast<double>(n + r)) || !(b >= 0 && b < static_cast<double>(n + r)) || !std::isfinite(m.tree.linkage(r, 2))) {
      file.fail("the linkage matrix links unknown nodes");
    }
  }
  const auto values = file.array<T>("rows", n * d);
  for (const T v : values) {
    if (!std::isfinite(v)) file.fail("a training row holds NaN or Inf");
  }
  m.training_rows = matrix<T>::from_shape({static_cast<std::size_t>(n), static_cast<std::size_t>(d)});
  std::copy(values.begin(), values.end(), m.training_rows.begin());
  m.set_labels(std::move(labels), k);
  return m;
}

}  // namespace segkit::cluster
