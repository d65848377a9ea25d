#pragma once
/// @file
/// @brief A pipeline chosen at run time: LSA, any reducers and any clusterer, described by a
/// small JSON or YAML file (`segkit segment --config pipeline.json`) and run on texts; its fitted
/// segmentation_model assigns new texts and is saved to one file.

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
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
#include "segkit/core/params.hpp"
#include "segkit/core/yaml.hpp"
#include "segkit/embed/lsa.hpp"
#include "segkit/pipeline/pipeline.hpp"
#include "segkit/pipeline/segment.hpp"
#include "segkit/pipeline/segmentation_model.hpp"
#include "segkit/reduce/pca.hpp"
#include "segkit/reduce/umap.hpp"

namespace segkit::pipeline {

/// The reducers a pipeline_config names.
enum class reducer_kind { pca, umap };
/// Names of reducer_kind in files.
constexpr auto enum_names(reducer_kind) {
  using params::name_value;
  return std::array{name_value{"pca", reducer_kind::pca}, name_value{"umap", reducer_kind::umap}};
}

/// The clusterers a pipeline_config names.
enum class clusterer_kind { kmeans, gmm, hdbscan, dbscan, agglomerative };
/// Names of clusterer_kind in files.
constexpr auto enum_names(clusterer_kind) {
  using params::name_value;
  return std::array{name_value{"kmeans", clusterer_kind::kmeans}, name_value{"gmm", clusterer_kind::gmm}, name_value{"hdbscan", clusterer_kind::hdbscan},
                    name_value{"dbscan", clusterer_kind::dbscan}, name_value{"agglomerative", clusterer_kind::agglomerative}};
}

/// The embedding stage of a pipeline_config (TF-IDF + LSA).
struct embed_config {
  std::size_t dims = embed::lsa_params{}.dims;  ///< LSA dimensions

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    namespace sp = segkit::params;
    return std::tuple{sp::field("dims", &embed_config::dims, "LSA dimensions", sp::at_least(1))};
  }
};

/// One reducer of a pipeline_config.
struct reducer_config {
  reducer_kind kind = reducer_kind::pca;                              ///< pca or umap
  std::size_t n_components = reduce::umap_params{}.n_components;     ///< output dimensions
  std::size_t n_neighbors = reduce::umap_params{}.n_neighbors;       ///< umap
  double min_dist = reduce::umap_params{}.min_dist;                  ///< umap

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = reducer_config;
    namespace sp = segkit::params;
    return std::tuple{sp::field("kind", &p::kind, "the reducer"), sp::field("n_components", &p::n_components, "output dimensions", sp::at_least(1)),
                      sp::field("n_neighbors", &p::n_neighbors, "umap: neighbors of the fuzzy graph", sp::at_least(2)),
                      sp::field("min_dist", &p::min_dist, "umap: the least distance between embedded points", sp::at_least(0))};
  }
};

/// The clusterer of a pipeline_config.
struct clusterer_config {
  clusterer_kind kind = clusterer_kind::kmeans;                       ///< the algorithm
  std::size_t k = cluster::kmeans_params{}.k;                         ///< kmeans, gmm, agglomerative (k-means' default for all three)
  bool spherical = true;                                              ///< kmeans: cosine k-means (LSA vectors are compared by angle)
  cluster::covariance_type covariance = cluster::gmm_params{}.covariance;  ///< gmm
  cluster::linkage_method linkage = cluster::agglomerative_params{}.linkage;  ///< agglomerative
  std::size_t min_cluster_size = 10;  ///< hdbscan (above the algorithm's 5: segments of texts smaller than 10 are rarely useful)
  double eps = cluster::dbscan_params{}.eps;  ///< dbscan
  std::size_t min_samples = 0;        ///< dbscan and hdbscan; 0 = the algorithm's default (dbscan 5, hdbscan min_cluster_size)

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = clusterer_config;
    namespace sp = segkit::params;
    return std::tuple{sp::field("kind", &p::kind, "the clusterer"),
                      sp::field("k", &p::k, "kmeans, gmm, agglomerative: clusters", sp::at_least(1)),
                      sp::field("spherical", &p::spherical, "kmeans: cosine k-means (LSA vectors are compared by angle)"),
                      sp::field("covariance", &p::covariance, "gmm: the covariance structure"),
                      sp::field("linkage", &p::linkage, "agglomerative: the linkage"),
                      sp::field("min_cluster_size", &p::min_cluster_size, "hdbscan: the smallest segment (above the algorithm's 5: text segments below 10 are rarely useful)", sp::at_least(2)),
                      sp::field("eps", &p::eps, "dbscan: the neighborhood radius", {0, std::numeric_limits<double>::max(), true, false}),
                      sp::field("min_samples", &p::min_samples, "dbscan and hdbscan: core neighbors; 0 = the algorithm's default (dbscan 5, hdbscan min_cluster_size)")};
  }
};

/**
 * @brief A run-time description of a text pipeline. As JSON (every key optional; YAML with the same keys: parse_yaml()):
 * @code{.json}
 * {"embed": {"dims": 100},
 *  "reduce": [{"kind": "umap", "n_components": 5, "n_neighbors": 15, "min_dist": 0.0}],
 *  "cluster": {"kind": "hdbscan", "min_cluster_size": 20},
 *  "seed": 1}
 * @endcode
 * Read and written through its parameter table (`segkit params pipeline`).
 */
struct pipeline_config {
  embed_config embed;                    ///< the LSA stage
  std::vector<reducer_config> reducers;  ///< in order
  clusterer_config clusterer;            ///< the last stage
  std::uint64_t seed = 0;                ///< for every stage
  std::size_t threads = 0;               ///< for every stage

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = pipeline_config;
    namespace sp = segkit::params;
    return std::tuple{sp::field("embed", &p::embed, "the TF-IDF + LSA stage"), sp::field("reduce", &p::reducers, "the reducers, in order"),
                      sp::field("cluster", &p::clusterer, "the last stage"), sp::field("seed", &p::seed, "for every stage"),
                      sp::field("threads", &p::threads, "for every stage, 0 = all cores")};
  }

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
  /// The settings from a parsed document (params::from_json of the table).
  /// @throws segkit::format_error "source: ..." naming an unknown key or kind, or a value of the wrong type or out of range.
  static pipeline_config from_value(const json_value& doc, std::string_view source) {
    try {
      return params::from_json<pipeline_config>(doc, source);
    } catch (const segkit::invalid_argument& e) {
      throw segkit::format_error(e.what());
    }
  }
  /// The JSON form of every setting (parse() reads it back to an equal configuration; seeds above
  /// 2^53 lose precision, as JSON numbers do).
  [[nodiscard]] std::string to_json() const { return params::to_json(*this); }
  /// Reads a file: YAML when its name ends in .yaml or .yml, JSON otherwise.
  /// @throws segkit::io_error / segkit::format_error naming the file.
  static pipeline_config load(const std::filesystem::path& path) {
    const auto bytes = read_file_bytes(path, "segkit::pipeline::pipeline_config");
    const std::string_view text(bytes.data(), bytes.size());
    const auto ext = path.extension();
    return ext == ".yaml" || ext == ".yml" ? parse_yaml(text, path.string()) : parse(text, path.string());
  }
};

/// The fitted stages of an any_pipeline (segkit 0.x name; now the one segmentation_model).
using any_pipeline_model = segmentation_model;

/// What any_pipeline::fit() returns: the fitted stages and the segmentation of the training texts.
struct any_pipeline_fit {
  segmentation result;                     ///< labels, vectors, 2-D coordinates, sizes, names, keywords, scores
  segmentation_model& model = result.model;  ///< for assign(), transform() and save(): another name for result.model, not a copy

  any_pipeline_fit() = default;
  any_pipeline_fit(const any_pipeline_fit& o) : result(o.result) {}
  any_pipeline_fit(any_pipeline_fit&& o) : result(std::move(o.result)) {}
  any_pipeline_fit& operator=(const any_pipeline_fit& o) {
    result = o.result;
    return *this;
  }
  any_pipeline_fit& operator=(any_pipeline_fit&& o) {
    result = std::move(o.result);
    return *this;
  }
  ~any_pipeline_fit() = default;
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
    auto [model, v] = embed::lsa({.dims = c_.embed.dims, .seed = c_.seed, .threads = c_.threads}).fit_transform(texts);
    fitted.embedder = std::move(model);
    for (const auto& r : c_.reducers) {
      if (r.kind == reducer_kind::pca) {
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
    if (k.kind == clusterer_kind::kmeans) {
      auto m = cluster::kmeans<float>({.k = k.k, .spherical = k.spherical, .seed = c_.seed, .threads = c_.threads}).fit(v);
      s.centers = m.centers;
      fitted.clusterer = std::move(m);
    } else if (k.kind == clusterer_kind::gmm) {
      fitted.clusterer = cluster::gaussian_mixture<float>({.k = k.k, .covariance = k.covariance, .seed = c_.seed}).fit(v);
    } else if (k.kind == clusterer_kind::hdbscan) {
      fitted.clusterer = cluster::hdbscan<>({.min_cluster_size = k.min_cluster_size, .min_samples = k.min_samples, .threads = c_.threads}).fit(v);
    } else if (k.kind == clusterer_kind::dbscan) {
      fitted.clusterer = cluster::dbscan<>({.eps = k.eps, .min_samples = k.min_samples == 0 ? cluster::dbscan_params{}.min_samples : k.min_samples}).fit(v);
    } else {
      fitted.clusterer = cluster::agglomerative<>({.k = k.k, .linkage = k.linkage, .threads = c_.threads}).fit(v);
    }
    s.labels = std::visit([](const auto& c) { return c.labels(); }, fitted.clusterer);
    detail::finish_segmentation(s, std::move(v), texts, description);
    return out;
  }

 private:
  pipeline_config c_;
};

}  // namespace segkit::pipeline
