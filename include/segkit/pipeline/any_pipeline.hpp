#pragma once
/// @file
/// @brief A pipeline chosen at run time: LSA, any reducers and any clusterer, described by a
/// small JSON or YAML file (`segkit segment --config pipeline.json`) and run on texts; its fitted
/// model assigns new texts and is saved to one file.

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
 * @brief A run-time description of a text pipeline. As JSON (every key optional; YAML with the same keys: parse_yaml()):
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

/**
 * @brief The fitted stages of an any_pipeline: assigns new texts (embed -> reduce -> predict)
 * and is saved to / loaded from one checksummed file (`segkit segment --config ... --model-out`,
 * `segkit assign`).
 *
 * Only k-means and GMM predict segments for new records; HDBSCAN, DBSCAN and agglomerative models
 * keep their embedder and reducers (transform() works) but assign() throws.
 * @par Thread safety  const members may run concurrently.
 */
struct any_pipeline_model {
  using reducer_model = std::variant<reduce::pca_model<float>, reduce::umap_model<>>;  ///< a fitted reducer
  using cluster_model = std::variant<std::monostate, cluster::kmeans_model<float>, cluster::gmm_model>;  ///< monostate: cannot predict

  pipeline_config config;               ///< what was fitted
  embed::lsa_model embedder;            ///< TF-IDF + LSA
  std::vector<reducer_model> reducers;  ///< in order
  cluster_model clusterer;              ///< the predicting clusterer, if any
  std::vector<std::string> names;       ///< per segment label

  /// True if the clusterer predicts segments of new records (k-means, GMM).
  [[nodiscard]] bool can_assign() const noexcept { return clusterer.index() != 0; }

  /// The texts' vectors after the embedder and every reducer.
  [[nodiscard]] matrix<float> transform(std::span<const std::string> texts) const { return reduce(embedder.embed(texts)); }

  /// Embeddings after every reducer, in order.
  [[nodiscard]] matrix<float> reduce(matrix<float> v) const {
    for (const auto& r : reducers) {
      v = std::visit([&](const auto& m) { return matrix<float>(xt::cast<float>(m.transform(v, config.threads))); }, r);
    }
    return v;
  }

  /**
   * @brief Segment of each text; -1 for a text none of whose terms is in the vocabulary.
   * @throws segkit::invalid_argument if the clusterer cannot predict (can_assign() is false).
   */
  [[nodiscard]] xt::xtensor<label_type, 1> assign(std::span<const std::string> texts) const {
    if (!can_assign()) {
      segkit::detail::throw_invalid("segkit::pipeline::any_pipeline_model::assign",
                                    fmt::format("a {} pipeline cannot assign new records (k-means and GMM can)", config.clusterer.kind));
    }
    const matrix<float> e = embedder.embed(texts);
    std::vector<bool> known(texts.size(), false);
    for (std::size_t i = 0; i < texts.size(); ++i) {
      for (std::size_t j = 0; j < e.shape(1) && !known[i]; ++j) known[i] = e(i, j) != 0.0f;
    }
    const matrix<float> v = reduce(e);
    auto labels = std::visit(
        [&](const auto& m) -> xt::xtensor<label_type, 1> {
          if constexpr (std::is_same_v<std::decay_t<decltype(m)>, std::monostate>) {
            return {};
          } else {
            return m.predict(v, config.threads);
          }
        },
        clusterer);
    for (std::size_t i = 0; i < texts.size(); ++i) {
      if (!known[i]) labels(i) = noise_label;
    }
    return labels;
  }

  /// Kind of the container the model is stored in (segkit::storable_model).
  static constexpr std::string_view container_kind = "segkit.model.any_pipeline";
  /// Writes the model atomically (temporary file, fsync, rename) with per-section checksums.
  void save(const std::filesystem::path& path) const { save_model(*this, path); }
  /// Reads a model written by save(). @throws segkit::io_error / segkit::format_error for a damaged or foreign file.
  [[nodiscard]] static any_pipeline_model load(const std::filesystem::path& path) { return load_model<any_pipeline_model>(path); }

  /// Adds the configuration (as JSON), the names and one nested section per fitted stage to `w`.
  void write_to(container_writer& w) const {
    byte_writer meta;
    meta.put(std::uint32_t{1}).put_string(config.to_json()).put(static_cast<std::uint64_t>(names.size()));
    for (const auto& n : names) meta.put_string(n);
    w.add_copy("meta", meta.bytes());
    add_nested(w, "embed", embedder);
    for (std::size_t i = 0; i < reducers.size(); ++i) std::visit([&](const auto& m) { add_nested(w, fmt::format("reduce{}", i), m); }, reducers[i]);
    if (const auto* k = std::get_if<cluster::kmeans_model<float>>(&clusterer)) add_nested(w, "cluster", *k);
    if (const auto* g = std::get_if<cluster::gmm_model>(&clusterer)) add_nested(w, "cluster", *g);
  }

  /// Rebuilds the model from write_to()'s sections, checking that the stages match the stored
  /// configuration. @throws segkit::format_error.
  [[nodiscard]] static any_pipeline_model read_from(const container_reader& file) {
    byte_reader meta(file.section("meta"), file);
    if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("any_pipeline model format version {} is not supported", v));
    any_pipeline_model m;
    try {
      m.config = pipeline_config::parse(meta.get_string(), "the stored configuration");
    } catch (const segkit::format_error& e) {
      file.fail(e.what());
    }
    const auto n = meta.get<std::uint64_t>();
    if (n > (std::uint64_t{1} << 24)) file.fail(fmt::format("implausible segment count {}", n));
    for (std::uint64_t i = 0; i < n; ++i) m.names.push_back(meta.get_string());
    m.embedder = read_nested<embed::lsa_model>(file, "embed");
    for (std::size_t i = 0; i < m.config.reducers.size(); ++i) {
      const std::string tag = fmt::format("reduce{}", i);
      if (m.config.reducers[i].kind == "pca") {
        m.reducers.emplace_back(read_nested<reduce::pca_model<float>>(file, tag));
      } else {
        m.reducers.emplace_back(read_nested<reduce::umap_model<>>(file, tag));
      }
    }
    const auto& kind = m.config.clusterer.kind;
    if (kind == "kmeans") m.clusterer = read_nested<cluster::kmeans_model<float>>(file, "cluster");
    if (kind == "gmm") m.clusterer = read_nested<cluster::gmm_model>(file, "cluster");
    if (m.can_assign() && n != std::visit([](const auto& c) -> std::size_t {
          if constexpr (std::is_same_v<std::decay_t<decltype(c)>, std::monostate>) {
            return 0;
          } else {
            return c.n_clusters();
          }
        }, m.clusterer)) {
      file.fail(fmt::format("{} segment names for a clusterer of a different number of segments", n));
    }
    return m;
  }
};

/// What any_pipeline::fit() returns: the fitted stages and the segmentation of the training texts.
struct any_pipeline_fit {
  any_pipeline_model model;  ///< for assign(), transform() and save()
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
    auto& fitted = out.model;
    fitted.config = c_;
    auto [model, v] = embed::lsa({.dims = c_.dims, .seed = c_.seed, .threads = c_.threads}).fit_transform(texts);
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
    segmentation& s = out.result;
    const auto& k = c_.clusterer;
    if (k.kind == "kmeans") {
      auto m = cluster::kmeans<float>({.k = k.k, .spherical = k.spherical, .seed = c_.seed, .threads = c_.threads}).fit(v);
      s.labels = m.labels();
      s.centers = m.centers;
      fitted.clusterer = std::move(m);
    } else if (k.kind == "gmm") {
      const auto cov = params::parse_enum<cluster::covariance_type>(k.covariance, "cluster.covariance");
      auto m = cluster::gaussian_mixture<float>({.k = k.k, .covariance = cov, .seed = c_.seed}).fit(v);
      s.labels = m.labels();
      fitted.clusterer = std::move(m);
    } else if (k.kind == "hdbscan") {
      auto h = cluster::hdbscan<>({.min_cluster_size = k.min_cluster_size, .min_samples = k.min_samples, .threads = c_.threads}).fit(v);
      s.labels = h.labels();
      s.tree = std::move(h.tree);
      s.tree_selected = std::move(h.selected);
    } else if (k.kind == "dbscan") {
      s.labels = cluster::dbscan<>({.eps = k.eps, .min_samples = k.min_samples == 0 ? 5 : k.min_samples}).fit(v).labels();
    } else {
      const auto l = params::parse_enum<cluster::linkage_method>(k.linkage, "cluster.linkage");
      s.labels = cluster::agglomerative<>({.k = k.k, .linkage = l, .threads = c_.threads}).fit(v).labels();
    }
    fitted.embedder = model;
    s.embedder = std::move(model);
    detail::finish_segmentation(s, std::move(v), texts, description);
    for (std::size_t l = 0; l < s.n_segments; ++l) {
      const auto it = s.names.find(static_cast<label_type>(l));
      fitted.names.push_back(it != s.names.end() ? it->second : fmt::format("segment-{}", l));
    }
    return out;
  }

 private:
  pipeline_config c_;
};

}  // namespace segkit::pipeline
