#pragma once
/// @file
/// @brief A pipeline chosen at run time: LSA, any reducers and any clusterer, described by a
/// small JSON file (`segkit segment --config pipeline.json`) and run on texts.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/agglomerative.hpp"
#include "segkit/cluster/dbscan.hpp"
#include "segkit/cluster/gmm.hpp"
#include "segkit/cluster/hdbscan.hpp"
#include "segkit/cluster/kmeans.hpp"
#include "segkit/core/file.hpp"
#include "segkit/core/json.hpp"
#include "segkit/embed/lsa.hpp"
#include "segkit/pipeline/pipeline.hpp"
#include "segkit/pipeline/segment.hpp"
#include "segkit/reduce/pca.hpp"
#include "segkit/reduce/umap.hpp"

namespace segkit::pipeline {

/// One reducer of a pipeline_config.
struct reducer_config {
  std::string kind = "pca";        ///< pca or umap
  std::size_t n_components = 2;    ///< output dimensions (>= 1)
  std::size_t n_neighbors = 15;    ///< umap
  double min_dist = 0.1;           ///< umap
};

/// The clusterer of a pipeline_config.
struct clusterer_config {
  std::string kind = "kmeans";     ///< kmeans, gmm, hdbscan, dbscan or agglomerative
  std::size_t k = 8;               ///< kmeans, gmm, agglomerative
  bool spherical = true;           ///< kmeans: cosine k-means
  std::string covariance = "full"; ///< gmm: full, tied, diag or spherical
  std::string linkage = "ward";    ///< agglomerative: ward, complete, average or single
  std::size_t min_cluster_size = 10;  ///< hdbscan
  double eps = 0.5;                ///< dbscan
  std::size_t min_samples = 0;     ///< dbscan and hdbscan; 0 = the algorithm's default (dbscan 5, hdbscan min_cluster_size)
};

/**
 * @brief A run-time description of a text pipeline. As JSON (every key optional):
 * @code{.json}
 * {"embed": {"dims": 100},
 *  "reduce": [{"kind": "umap", "n_components": 5, "n_neighbors": 15, "min_dist": 0.0}],
 *  "cluster": {"kind": "hdbscan", "min_cluster_size": 20},
 *  "seed": 1}
 * @endcode
 */
struct pipeline_config {
  std::size_t dims = 100;                ///< LSA dimensions
  std::vector<reducer_config> reducers;  ///< in order
  clusterer_config clusterer;            ///< the last stage
  std::uint64_t seed = 0;                ///< for every stage
  std::size_t threads = 0;               ///< for every stage

  /// Reads the JSON form. @throws segkit::format_error naming the position, an unknown key or kind, or a value of the wrong type.
  static pipeline_config parse(std::string_view json, std::string_view source = "<pipeline config>");
  /// Reads a JSON file. @throws segkit::io_error / segkit::format_error naming the file.
  static pipeline_config load(const std::filesystem::path& path) {
    const auto bytes = read_file_bytes(path, "segkit::pipeline::pipeline_config");
    return parse(std::string_view(bytes.data(), bytes.size()), path.string());
  }
};

namespace detail {

struct config_reader {
  std::string_view source;

  [[noreturn]] void fail(const std::string& what) const { throw segkit::format_error(fmt::format("{}: {}", source, what)); }

  const json_value::object& object(const json_value& v, std::string_view where, std::initializer_list<std::string_view> keys) const {
    if (!v.is_object()) fail(fmt::format("{} must be an object, not {}", where, v.type_name()));
    for (const auto& [k, x] : v.as_object()) {
      bool known = false;
      for (const auto key : keys) known = known || k == key;
      if (!known) {
        std::string list;
        for (const auto key : keys) list += (list.empty() ? "" : ", ") + std::string(key);
        fail(fmt::format("unknown key '{}' in {} (known: {})", k, where, list));
      }
    }
    return v.as_object();
  }

  std::size_t count(const json_value::object& o, std::string_view where, const char* key, std::size_t fallback, std::size_t min = 0) const {
    const auto it = o.find(key);
    if (it == o.end()) return fallback;
    const auto& x = it->second;
    if (!x.is_number() || x.as_number() < static_cast<double>(min) || x.as_number() != static_cast<double>(static_cast<std::uint64_t>(x.as_number()))) {
      fail(fmt::format("{}.{} must be a whole number >= {}", where, key, min));
    }
    return static_cast<std::size_t>(x.as_number());
  }

  double real(const json_value::object& o, std::string_view where, const char* key, double fallback) const {
    const auto it = o.find(key);
    if (it == o.end()) return fallback;
    if (!it->second.is_number()) fail(fmt::format("{}.{} must be a number, not {}", where, key, it->second.type_name()));
    return it->second.as_number();
  }

  std::string text(const json_value::object& o, std::string_view where, const char* key, std::string fallback, std::initializer_list<std::string_view> allowed) const {
    const auto it = o.find(key);
    if (it == o.end()) return fallback;
    if (!it->second.is_string()) fail(fmt::format("{}.{} must be a string, not {}", where, key, it->second.type_name()));
    const auto& s = it->second.as_string();
    for (const auto a : allowed) {
      if (s == a) return s;
    }
    std::string list;
    for (const auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    fail(fmt::format("{}.{} must be one of {} (got '{}')", where, key, list, s));
  }
};

}  // namespace detail

inline pipeline_config pipeline_config::parse(std::string_view json, std::string_view source) {
  const detail::config_reader r{source};
  const json_value doc = parse_json(json, source);
  const auto& top = r.object(doc, "the configuration", {"embed", "reduce", "cluster", "seed", "threads"});
  pipeline_config c;
  c.seed = r.count(top, "the configuration", "seed", 0);
  c.threads = r.count(top, "the configuration", "threads", 0);
  if (const auto it = top.find("embed"); it != top.end()) c.dims = r.count(r.object(it->second, "embed", {"dims"}), "embed", "dims", c.dims, 1);
  if (const auto it = top.find("reduce"); it != top.end()) {
    if (!it->second.is_array()) r.fail(fmt::format("reduce must be an array, not {}", it->second.type_name()));
    for (std::size_t i = 0; i < it->second.as_array().size(); ++i) {
      const std::string where = fmt::format("reduce[{}]", i);
      const auto& o = r.object(it->second.as_array()[i], where, {"kind", "n_components", "n_neighbors", "min_dist"});
      reducer_config rc;
      rc.kind = r.text(o, where, "kind", rc.kind, {"pca", "umap"});
      rc.n_components = r.count(o, where, "n_components", rc.n_components, 1);
      rc.n_neighbors = r.count(o, where, "n_neighbors", rc.n_neighbors, 2);
      rc.min_dist = r.real(o, where, "min_dist", rc.min_dist);
      c.reducers.push_back(rc);
    }
  }
  if (const auto it = top.find("cluster"); it != top.end()) {
    const auto& o = r.object(it->second, "cluster", {"kind", "k", "spherical", "covariance", "linkage", "min_cluster_size", "eps", "min_samples"});
    auto& k = c.clusterer;
    k.kind = r.text(o, "cluster", "kind", k.kind, {"kmeans", "gmm", "hdbscan", "dbscan", "agglomerative"});
    k.k = r.count(o, "cluster", "k", k.k, 1);
    if (const auto s = o.find("spherical"); s != o.end()) {
      if (!s->second.is_bool()) r.fail("cluster.spherical must be true or false");
      k.spherical = s->second.as_bool();
    }
    k.covariance = r.text(o, "cluster", "covariance", k.covariance, {"full", "tied", "diag", "spherical"});
    k.linkage = r.text(o, "cluster", "linkage", k.linkage, {"ward", "complete", "average", "single"});
    k.min_cluster_size = r.count(o, "cluster", "min_cluster_size", k.min_cluster_size, 2);
    k.eps = r.real(o, "cluster", "eps", k.eps);
    k.min_samples = r.count(o, "cluster", "min_samples", k.min_samples, 1);
  }
  return c;
}

/**
 * @brief Runs a pipeline_config on texts: LSA, each reducer in order, the clusterer, then the
 * description segment_texts() gives (names from keywords, scores, a 2-D layout: the last
 * reducer's output when it has 2 columns, else a PCA of the clustered vectors).
 *
 * Equal to the typed pipeline with the same stages (tested); chosen at run time, so the tool can
 * take it from a file.
 * @throws segkit::invalid_argument as the stages do.
 */
class any_pipeline {
 public:
  explicit any_pipeline(pipeline_config config) : c_(std::move(config)) {}

  [[nodiscard]] const pipeline_config& config() const noexcept { return c_; }

  [[nodiscard]] segmentation fit(std::span<const std::string> texts, const pipeline_params& description = {}) const {
    auto [model, v] = embed::lsa({.dims = c_.dims, .seed = c_.seed, .threads = c_.threads}).fit_transform(texts);
    for (const auto& r : c_.reducers) {
      if (r.kind == "pca") {
        v = reduce::pca<float>({.n_components = r.n_components, .seed = c_.seed, .threads = c_.threads}).fit_transform(v);
      } else {
        v = reduce::umap<>({.n_components = r.n_components, .n_neighbors = r.n_neighbors, .min_dist = r.min_dist, .seed = c_.seed, .threads = c_.threads})
                .fit_transform(v);
      }
    }
    segmentation s;
    const auto& k = c_.clusterer;
    if (k.kind == "kmeans") {
      auto m = cluster::kmeans<float>({.k = k.k, .spherical = k.spherical, .seed = c_.seed, .threads = c_.threads}).fit(v);
      s.labels = m.labels;
      s.centres = m.centres;
    } else if (k.kind == "gmm") {
      const cluster::covariance_type cov = k.covariance == "tied" ? cluster::covariance_type::tied
                                           : k.covariance == "diag" ? cluster::covariance_type::diag
                                           : k.covariance == "spherical" ? cluster::covariance_type::spherical
                                                                         : cluster::covariance_type::full;
      s.labels = cluster::gaussian_mixture<float>({.k = k.k, .covariance = cov, .seed = c_.seed}).fit(v).labels;
    } else if (k.kind == "hdbscan") {
      auto h = cluster::hdbscan<>({.min_cluster_size = k.min_cluster_size, .min_samples = k.min_samples, .threads = c_.threads}).fit(v);
      s.labels = std::move(h.labels);
      s.tree = std::move(h.tree);
      s.tree_selected = std::move(h.selected);
    } else if (k.kind == "dbscan") {
      s.labels = cluster::dbscan<>({.eps = k.eps, .min_samples = k.min_samples == 0 ? 5 : k.min_samples}).fit(v).labels;
    } else {
      const cluster::linkage l = k.linkage == "complete" ? cluster::linkage::complete
                                 : k.linkage == "average" ? cluster::linkage::average
                                 : k.linkage == "single"  ? cluster::linkage::single
                                                          : cluster::linkage::ward;
      s.labels = cluster::agglomerative<>({.n_clusters = k.k, .method = l, .threads = c_.threads}).fit(v).labels;
    }
    s.embedder = std::move(model);
    detail::finish_segmentation(s, std::move(v), texts, description);
    return s;
  }

 private:
  pipeline_config c_;
};

}  // namespace segkit::pipeline
