#pragma once
/// @file
/// @brief A pipeline chosen at run time: LSA, any reducers and any clusterer, described by a
/// small JSON or YAML file (`segkit segment --config pipeline.json`) and run on texts; its fitted
/// segmentation_model assigns new texts and is saved to one file.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/agglomerative.hpp"
#include "segkit/cluster/dbscan.hpp"
#include "segkit/cluster/gmm.hpp"
#include "segkit/cluster/hdbscan.hpp"
#include "segkit/cluster/kmeans.hpp"
#include "segkit/core/binary_format.hpp"
#include "segkit/core/file.hpp"
#include "segkit/core/json.hpp"
#include "segkit/core/yaml.hpp"
#include "segkit/embed/lsa.hpp"
#include "segkit/pipeline/pipeline.hpp"
#include "segkit/pipeline/segment.hpp"
#include "segkit/pipeline/segmentation_model.hpp"
#include "segkit/reduce/pca.hpp"
#include "segkit/reduce/umap.hpp"

namespace segkit::pipeline {

/// One reducer of a pipeline_config.
struct reducer_config {
  std::string kind = "pca";                                           ///< pca or umap
  std::size_t n_components = reduce::umap_params{}.n_components;     ///< output dimensions (>= 1)
  std::size_t n_neighbors = reduce::umap_params{}.n_neighbors;       ///< umap
  double min_dist = reduce::umap_params{}.min_dist;                  ///< umap
};

/// The clusterer of a pipeline_config.
struct clusterer_config {
  std::string kind = "kmeans";     ///< kmeans, gmm, hdbscan, dbscan or agglomerative
  std::size_t k = cluster::kmeans_params{}.k;  ///< kmeans, gmm, agglomerative (k-means' default for all three)
  bool spherical = true;           ///< kmeans: cosine k-means (LSA vectors are compared by angle)
  std::string covariance = "full"; ///< gmm: full, tied, diag or spherical
  std::string linkage = "ward";    ///< agglomerative: ward, complete, average or single
  std::size_t min_cluster_size = 10;  ///< hdbscan (above the algorithm's 5: segments of texts smaller than 10 are rarely useful)
  double eps = cluster::dbscan_params{}.eps;  ///< dbscan
  std::size_t min_samples = 0;     ///< dbscan and hdbscan; 0 = the algorithm's default (dbscan 5, hdbscan min_cluster_size)
};

/**
 * @brief A run-time description of a text pipeline. As JSON (every key optional; YAML with the same keys: parse_yaml()):
 * @code{.json}
 * {"embed": {"dims": 100},
 *  "reduce": [{"kind": "umap", "n_components": 5, "n_neighbors": 15, "min_dist": 0.0}],
 *  "cluster": {"kind": "hdbscan", "min_cluster_size": 20},
 *  "seed": 1}
 * @endcode
 */
struct pipeline_config {
  std::size_t dims = embed::lsa_params{}.dims;  ///< LSA dimensions
  std::vector<reducer_config> reducers;  ///< in order
  clusterer_config clusterer;            ///< the last stage
  std::uint64_t seed = 0;                ///< for every stage
  std::size_t threads = 0;               ///< for every stage

  /// Reads the JSON form. @throws segkit::format_error naming the position, an unknown key or kind, or a value of the wrong type.
  static pipeline_config parse(std::string_view json, std::string_view source = "<pipeline config>") {
    return from_value(parse_json(json, source), source);
  }
  /// Reads the same settings written as YAML (the subset of core/yaml.hpp):
  /// @code{.yaml}
  /// embed: {dims: 100}
  /// reduce:
  ///   - kind: umap
  ///     n_components: 5
  /// cluster:
  ///   kind: hdbscan
  ///   min_cluster_size: 20
  /// @endcode
  /// @throws segkit::format_error naming the line, or as parse().
  static pipeline_config parse_yaml(std::string_view yaml, std::string_view source = "<pipeline config>") {
    return from_value(segkit::parse_yaml(yaml, source), source);
  }
  /// The settings from a parsed document. @throws segkit::format_error naming an unknown key or kind, or a value of the wrong type.
  static pipeline_config from_value(const json_value& doc, std::string_view source);
  /// The JSON form of every setting (parse() reads it back to an equal configuration; seeds above
  /// 2^53 lose precision, as JSON numbers do).
  [[nodiscard]] std::string to_json() const;
  /// Reads a file: YAML when its name ends in .yaml or .yml, JSON otherwise.
  /// @throws segkit::io_error / segkit::format_error naming the file.
  static pipeline_config load(const std::filesystem::path& path) {
    const auto bytes = read_file_bytes(path, "segkit::pipeline::pipeline_config");
    const std::string_view text(bytes.data(), bytes.size());
    const auto ext = path.extension();
    return ext == ".yaml" || ext == ".yml" ? parse_yaml(text, path.string()) : parse(text, path.string());
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
    // The range is checked before any conversion: a double beyond 2^64 cast to an integer is
    // undefined behavior (found by tests/fuzz/fuzz_config: "dims: 7E50").
    if (!x.is_number() || !(x.as_number() >= static_cast<double>(min)) || x.as_number() > 9007199254740992.0 || x.as_number() != std::floor(x.as_number())) {
      fail(fmt::format("{}.{} must be a whole number >= {} (and at most 2^53)", where, key, min));
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

inline pipeline_config pipeline_config::from_value(const json_value& doc, std::string_view source) {
  const detail::config_reader r{source};
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
    k.min_samples = r.count(o, "cluster", "min_samples", k.min_samples, 0);
  }
  return c;
}

inline std::string pipeline_config::to_json() const {
  std::string reduce;
  for (const auto& r : reducers) {
    reduce += fmt::format(R"({}{{"kind": "{}", "n_components": {}, "n_neighbors": {}, "min_dist": {}}})", reduce.empty() ? "" : ", ", r.kind, r.n_components,
                          r.n_neighbors, r.min_dist);
  }
  const auto& k = clusterer;
  return fmt::format(
      R"({{"embed": {{"dims": {}}}, "reduce": [{}], "cluster": {{"kind": "{}", "k": {}, "spherical": {}, "covariance": "{}", "linkage": "{}", )"
      R"("min_cluster_size": {}, "eps": {}, "min_samples": {}}}, "seed": {}, "threads": {}}})",
      dims, reduce, k.kind, k.k, k.spherical, k.covariance, k.linkage, k.min_cluster_size, k.eps, k.min_samples, seed, threads);
}

/// The fitted stages of an any_pipeline (segkit 0.x name; now the one segmentation_model).
using any_pipeline_model = segmentation_model;

/// What any_pipeline::fit() returns: the fitted stages and the segmentation of the training texts.
struct any_pipeline_fit {
  segmentation_model model;  ///< for assign(), transform() and save() (also in result.model)
  segmentation result;       ///< labels, vectors, 2-D coordinates, sizes, names, keywords, scores
};

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

  [[nodiscard]] any_pipeline_fit fit(std::span<const std::string> texts, const pipeline_params& description = {}) const {
    any_pipeline_fit out;
    segmentation& s = out.result;
    auto& fitted = s.model;
    fitted.config = c_.to_json();
    auto [model, v] = embed::lsa({.dims = c_.dims, .seed = c_.seed, .threads = c_.threads}).fit_transform(texts);
    fitted.embedder = std::move(model);
    for (const auto& r : c_.reducers) {
      if (r.kind == "pca") {
        auto m = reduce::pca<float>({.n_components = r.n_components, .seed = c_.seed, .threads = c_.threads}).fit(v);
        v = detail::training_output(m, v);
        fitted.reducers.emplace_back(std::move(m));
      } else {
        auto m = reduce::umap<>({.n_components = r.n_components, .n_neighbors = r.n_neighbors, .min_dist = r.min_dist, .seed = c_.seed, .threads = c_.threads})
                     .fit(v);
        v = detail::training_output(m, v);
        fitted.reducers.emplace_back(std::move(m));
      }
    }
    const auto& k = c_.clusterer;
    if (k.kind == "kmeans") {
      auto m = cluster::kmeans<float>({.k = k.k, .spherical = k.spherical, .seed = c_.seed, .threads = c_.threads}).fit(v);
      s.centers = m.centers;
      fitted.clusterer = std::move(m);
    } else if (k.kind == "gmm") {
      const auto cov = params::parse_enum<cluster::covariance_type>(k.covariance, "cluster.covariance");
      fitted.clusterer = cluster::gaussian_mixture<float>({.k = k.k, .covariance = cov, .seed = c_.seed}).fit(v);
    } else if (k.kind == "hdbscan") {
      auto h = cluster::hdbscan<>({.min_cluster_size = k.min_cluster_size, .min_samples = k.min_samples, .threads = c_.threads}).fit(v);
      s.tree = h.tree;
      s.tree_selected = h.selected;
      fitted.clusterer = std::move(h);
    } else if (k.kind == "dbscan") {
      fitted.clusterer = cluster::dbscan<>({.eps = k.eps, .min_samples = k.min_samples == 0 ? cluster::dbscan_params{}.min_samples : k.min_samples}).fit(v);
    } else {
      const auto l = params::parse_enum<cluster::linkage_method>(k.linkage, "cluster.linkage");
      fitted.clusterer = cluster::agglomerative<>({.k = k.k, .linkage = l, .threads = c_.threads}).fit(v);
    }
    s.labels = std::visit([](const auto& c) { return c.labels(); }, fitted.clusterer);
    detail::finish_segmentation(s, std::move(v), texts, description);
    out.model = s.model;
    return out;
  }

 private:
  pipeline_config c_;
};

}  // namespace segkit::pipeline
