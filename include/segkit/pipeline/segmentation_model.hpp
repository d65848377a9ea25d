#pragma once
/// @file
/// @brief The one fitted segmentation model and its file: embedder (LSA, item2vec, an ONNX text
/// model by reference, a tabular scaler, a fusion of those (fused_model.hpp), or none for given
/// vectors), reducers (PCA, UMAP), clusterer (k-means, GMM,
/// HDBSCAN, DBSCAN, agglomerative), segment names, sizes and keywords. Every segmentation
/// (segment_texts(), segment_vectors(), any_pipeline, the typed pipeline) makes one; it assigns
/// new records and is saved to one versioned, checksummed file (`segkit segment --model-out`,
/// `segkit assign`).

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
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
#include "segkit/cluster/hdbscan_predict.hpp"
#include "segkit/cluster/kmeans.hpp"
#include "segkit/core/binary_format.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/json.hpp"
#include "segkit/embed/item2vec.hpp"
#include "segkit/embed/lsa.hpp"
#include "segkit/embed/onnx_reference.hpp"
#include "segkit/embed/tabular.hpp"
#include "segkit/pipeline/fused_model.hpp"
#include "segkit/reduce/pca.hpp"
#include "segkit/reduce/umap.hpp"

namespace segkit::pipeline {

/**
 * @brief A fitted segmentation: embedder -> reducers -> clusterer, with the segments' names,
 * sizes and keywords. Assigns new records to the segments and is saved to one file.
 *
 * @code
 * auto s = segkit::pipeline::segment_texts(texts, {.seed = 1});   // or any_pipeline, pipeline, segment_vectors
 * s.model.save("products.segmodel");                               // atomic, checksummed, versioned
 * auto model = segkit::pipeline::segmentation_model::load("products.segmodel");
 * auto labels = model.assign(new_texts);   // embed -> reduce -> predict; -1: noise or no known term
 * @endcode
 * Every clusterer predicts: k-means and agglomerative by the nearest center / linkage rule, GMM
 * by the most probable component, HDBSCAN by approximate_predict (noise allowed), DBSCAN by the
 * nearest core point within eps. A record whose embedding is all zeros under LSA or item2vec (no
 * known term or item) is -1. An ONNX model is kept by reference (paths and SHA-256); assigning
 * refuses a model file that changed since.
 * @par Thread safety  const members may run concurrently.
 */
struct segmentation_model {
  /// The fitted embedder; std::monostate: the segmentation was of given vectors (assign_vectors()).
  using embedder_model = std::variant<std::monostate, embed::lsa_model, embed::item2vec_model, embed::onnx_text_reference, embed::scaler_model, fused_model>;
  /// A fitted reducer.
  using reducer_model = std::variant<reduce::pca_model<float>, reduce::umap_model<>, reduce::umap_model<distance::cosine_metric>>;
  /// The fitted clusterer.
  using cluster_model = std::variant<cluster::kmeans_model<float>, cluster::gmm_model, cluster::hdbscan_model<>, cluster::dbscan_model<>,
                                     cluster::agglomerative_model<>>;

  /// Names of embedder_model's alternatives, in order, as stored in the file.
  static constexpr std::array<std::string_view, 6> embedder_kinds{"none", "lsa", "item2vec", "onnx_text", "scaler", "fused"};
  /// Names of reducer_model's alternatives.
  static constexpr std::array<std::string_view, 3> reducer_kinds{"pca", "umap", "umap_cosine"};
  /// Names of cluster_model's alternatives.
  static constexpr std::array<std::string_view, 5> clusterer_kinds{"kmeans", "gmm", "hdbscan", "dbscan", "agglomerative"};

  embedder_model embedder;                     ///< records -> vectors
  std::vector<reducer_model> reducers;         ///< in order
  cluster_model clusterer;                     ///< vectors -> segments
  std::vector<std::string> names;              ///< per segment, by label
  std::vector<std::size_t> sizes;              ///< training records per segment, by label
  std::vector<std::vector<std::string>> keywords;  ///< per segment, best first (empty without texts)
  std::string config;                          ///< the pipeline_config (JSON) that made it, if one did

  /// Segments the model assigns to (labels 0..n_segments()-1).
  [[nodiscard]] std::size_t n_segments() const noexcept {
    return std::visit([](const auto& c) { return c.n_clusters(); }, clusterer);
  }
  /// "none", "lsa", "item2vec", "onnx_text", "scaler" or "fused".
  [[nodiscard]] std::string_view embedder_kind() const noexcept { return embedder_kinds[embedder.index()]; }
  /// "kmeans", "gmm", "hdbscan", "dbscan" or "agglomerative".
  [[nodiscard]] std::string_view clusterer_kind() const noexcept { return clusterer_kinds[clusterer.index()]; }
  /// True if assign() takes texts (an LSA or ONNX text embedder).
  [[nodiscard]] bool embeds_texts() const noexcept {
    return std::holds_alternative<embed::lsa_model>(embedder) || std::holds_alternative<embed::onnx_text_reference>(embedder);
  }
  /// The width of the vectors the embedder makes (0 without one).
  [[nodiscard]] std::size_t input_dim() const {
    return std::visit([](const auto& e) { return detail::embedder_dim(e); }, embedder);
  }

  /// The texts' embeddings. An ONNX model is verified (its files hashed) and opened on each call:
  /// a service assigning many batches opens it once (`std::get<embed::onnx_text_reference>(embedder)
  /// .open_verified()`) and calls assign_vectors() on its vectors.
  /// @throws segkit::invalid_argument unless the embedder takes texts; as the embedder.
  [[nodiscard]] matrix<float> embed(std::span<const std::string> texts, const embed::onnx_session_options& session = {}) const {
    if (const auto* l = std::get_if<embed::lsa_model>(&embedder)) return l->embed(texts);
    if (const auto* o = std::get_if<embed::onnx_text_reference>(&embedder)) return o->embed(texts, session);
    fail(fmt::format("the segmentation's embedder ({}) does not take texts", embedder_kind()));
  }
  /// The sessions' embeddings (item2vec). @throws segkit::invalid_argument for another embedder.
  [[nodiscard]] matrix<float> embed(std::span<const std::vector<id_type>> sessions) const {
    if (const auto* m = std::get_if<embed::item2vec_model>(&embedder)) return m->embed(sessions);
    fail(fmt::format("the segmentation's embedder ({}) does not take item sequences", embedder_kind()));
  }

  /// Scaled numeric rows (a scaler embedder: tabular records). @throws segkit::invalid_argument for another embedder.
  [[nodiscard]] matrix<float> embed(const matrix<double>& rows) const {
    if (const auto* m = std::get_if<embed::scaler_model>(&embedder)) return m->embed(rows);
    fail(fmt::format("the segmentation's embedder ({}) does not take numeric rows", embedder_kind()));
  }

  /// Fused records' embeddings from each modality's inputs (a fused embedder; fused_model::embed()).
  /// @throws segkit::invalid_argument for another embedder; as fused_model::embed().
  [[nodiscard]] matrix<float> embed(std::span<const fused_model::modality_records> inputs, const embed::modality_presence& present = {},
                                    const embed::onnx_session_options& session = {}) const {
    if (const auto* f = std::get_if<fused_model>(&embedder)) return f->embed(inputs, present, session);
    fail(fmt::format("the segmentation's embedder ({}) does not fuse modalities", embedder_kind()));
  }

  /// Embeddings after every reducer, in order.
  [[nodiscard]] matrix<float> reduce(matrix<float> v, std::size_t threads = 0) const {
    for (const auto& r : reducers) {
      v = std::visit([&](const auto& m) { return matrix<float>(xt::cast<float>(m.transform(v, threads))); }, r);
    }
    return v;
  }

  /// The texts' vectors after the embedder and every reducer.
  [[nodiscard]] matrix<float> transform(std::span<const std::string> texts, std::size_t threads = 0, const embed::onnx_session_options& session = {}) const {
    return reduce(embed(texts, session), threads);
  }

  /**
   * @brief Segments of embedded records (the embedder's output, one row each): reduce, then the
   * clusterer's predict. An all-zero row is -1 when the embedder is LSA or item2vec.
   * @throws segkit::invalid_argument for a width other than input_dim() (when known), or NaN/Inf.
   */
  [[nodiscard]] label_vector assign_vectors(const matrix<float>& embeddings, std::size_t threads = 0) const {
    if (const auto d = input_dim(); d != 0 && embeddings.shape(1) != d) {
      fail(fmt::format("the records have {} dimensions, the segmentation's embedder makes {}", embeddings.shape(1), d));
    }
    auto labels = std::visit([&](const auto& c) { return label_vector(c.predict(reduce(embeddings, threads), threads)); }, clusterer);
    if (std::holds_alternative<embed::lsa_model>(embedder) || std::holds_alternative<embed::item2vec_model>(embedder)) {
      for (std::size_t i = 0; i < embeddings.shape(0); ++i) {
        bool known = false;
        for (std::size_t j = 0; j < embeddings.shape(1) && !known; ++j) known = embeddings(i, j) != 0.0f;
        if (!known) labels(i) = noise_label;
      }
    }
    return labels;
  }
  /// Segments of new texts (embed -> reduce -> predict); -1: noise, or no known term (LSA).
  [[nodiscard]] label_vector assign(std::span<const std::string> texts, std::size_t threads = 0, const embed::onnx_session_options& session = {}) const {
    return assign_vectors(embed(texts, session), threads);
  }
  /// Segments of new item sequences (item2vec); -1: noise, or no known item.
  [[nodiscard]] label_vector assign(std::span<const std::vector<id_type>> sessions, std::size_t threads = 0) const {
    return assign_vectors(embed(sessions), threads);
  }

  /// Segments of new fused records, from each modality's inputs (fused_model::embed()).
  [[nodiscard]] label_vector assign(std::span<const fused_model::modality_records> inputs, const embed::modality_presence& present = {},
                                    std::size_t threads = 0, const embed::onnx_session_options& session = {}) const {
    return assign_vectors(embed(inputs, present, session), threads);
  }

  /// Segments of new tabular records (numeric rows, a scaler embedder).
  [[nodiscard]] label_vector assign(const matrix<double>& rows, std::size_t threads = 0) const { return assign_vectors(embed(rows), threads); }

  /// Kind of the container the model is stored in (segkit::storable_model).
  static constexpr std::string_view container_kind = "segkit.model.segmentation";
  /// The container kinds of earlier segkit versions that load() still reads.
  static constexpr std::array<std::string_view, 3> older_kinds{"segkit.model.segment", "segkit.model.any_pipeline", "segkit.model.pipeline"};

  /// Writes the model atomically (temporary file, fsync, rename) with per-section checksums.
  void save(const std::filesystem::path& path) const { save_model(*this, path); }
  /**
   * @brief Reads a model written by save(), or by an earlier segkit (`segkit segment --model-out`
   * files of kind segkit.model.segment and segkit.model.any_pipeline; typed pipelines of kind
   * segkit.model.pipeline whose stages this model holds).
   * @throws segkit::io_error / segkit::format_error for a missing, damaged or foreign file (the message names it).
   */
  [[nodiscard]] static segmentation_model load(const std::filesystem::path& path) { return read_from(container_reader(path, "segkit.model.")); }

  /// Adds the model's sections to `w`: "meta" (format version, stage kinds, names, sizes,
  /// keywords, config), "embed", "reduce0".., "cluster" (each stage a nested container).
  void write_to(container_writer& w) const;
  /// Rebuilds a model from write_to()'s sections or an older kind's. @throws segkit::format_error.
  [[nodiscard]] static segmentation_model read_from(const container_reader& file);

  /// Checks that names, sizes and keywords describe n_segments() segments. @throws segkit::invalid_argument.
  void check() const {
    const std::size_t k = n_segments();
    if (names.size() != k) fail(fmt::format("{} segment names for {} segments", names.size(), k));
    if (!sizes.empty() && sizes.size() != k) fail(fmt::format("{} segment sizes for {} segments", sizes.size(), k));
    if (!keywords.empty() && keywords.size() != k) fail(fmt::format("{} keyword lists for {} segments", keywords.size(), k));
  }

 private:
  [[noreturn]] static void fail(const std::string& what) { segkit::detail::throw_invalid("segkit::pipeline::segmentation_model", what); }
  static segmentation_model read_segment_v0(const container_reader& file);
  static segmentation_model read_any_pipeline_v1(const container_reader& file);
  static segmentation_model read_pipeline_v1(const container_reader& file);
  // Reads the reducers ("reduce0"..) and the clusterer ("cluster") of the given kinds into m, then check()s it.
  static void read_stages(const container_reader& file, segmentation_model& m, const std::vector<std::string>& reducer_kind, const std::string& cluster_kind);
};

inline void segmentation_model::write_to(container_writer& w) const {
  check();
  byte_writer meta;
  meta.put(std::uint32_t{1}).put_string(embedder_kind()).put(static_cast<std::uint64_t>(reducers.size()));
  for (const auto& r : reducers) meta.put_string(reducer_kinds[r.index()]);
  meta.put_string(clusterer_kind()).put(static_cast<std::uint64_t>(names.size()));
  for (const auto& n : names) meta.put_string(n);
  meta.put(static_cast<std::uint64_t>(sizes.size()));
  for (const auto s : sizes) meta.put(static_cast<std::uint64_t>(s));
  meta.put(static_cast<std::uint64_t>(keywords.size()));
  for (const auto& list : keywords) {
    meta.put(static_cast<std::uint64_t>(list.size()));
    for (const auto& t : list) meta.put_string(t);
  }
  meta.put_string(config);
  w.add_copy("meta", meta.bytes());
  std::visit(
      [&](const auto& e) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(e)>, std::monostate>) add_nested(w, "embed", e);
      },
      embedder);
  for (std::size_t i = 0; i < reducers.size(); ++i) std::visit([&](const auto& m) { add_nested(w, fmt::format("reduce{}", i), m); }, reducers[i]);
  std::visit([&](const auto& c) { add_nested(w, "cluster", c); }, clusterer);
}

inline segmentation_model segmentation_model::read_from(const container_reader& file) {
  if (file.kind() == older_kinds[0]) return read_segment_v0(file);
  if (file.kind() == older_kinds[1]) return read_any_pipeline_v1(file);
  if (file.kind() == older_kinds[2]) return read_pipeline_v1(file);
  if (file.kind() != container_kind) file.fail(fmt::format("holds '{}', expected a segmentation model ('{}')", file.kind(), container_kind));
  byte_reader meta(file.section("meta"), file);
  if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("segmentation model format version {} is not supported (this segkit reads 1)", v));
  constexpr std::uint64_t limit = std::uint64_t{1} << 24;
  segmentation_model m;
  const auto embed_kind = meta.get_string();
  const auto n_reducers = meta.get<std::uint64_t>();
  if (n_reducers > 64) file.fail(fmt::format("implausible reducer count {}", n_reducers));
  std::vector<std::string> reducer_kind(static_cast<std::size_t>(n_reducers));
  for (auto& k : reducer_kind) k = meta.get_string();
  const auto cluster_kind = meta.get_string();
  const auto read_count = [&](std::string_view what) {
    const auto n = meta.get<std::uint64_t>();
    if (n > limit) file.fail(fmt::format("implausible {} count {}", what, n));
    return static_cast<std::size_t>(n);
  };
  m.names.resize(read_count("segment name"));
  for (auto& n : m.names) n = meta.get_string();
  m.sizes.resize(read_count("segment size"));
  for (auto& s : m.sizes) s = static_cast<std::size_t>(meta.get<std::uint64_t>());
  m.keywords.resize(read_count("keyword list"));
  for (auto& list : m.keywords) {
    list.resize(read_count("keyword"));
    for (auto& t : list) t = meta.get_string();
  }
  m.config = meta.get_string();
  m.embedder = detail::read_alternative<embedder_model>(file, "embed", embed_kind, embedder_kinds);
  read_stages(file, m, reducer_kind, cluster_kind);
  return m;
}

inline void segmentation_model::read_stages(const container_reader& file, segmentation_model& m, const std::vector<std::string>& reducer_kind,
                                            const std::string& cluster_kind) {
  for (std::size_t i = 0; i < reducer_kind.size(); ++i) {
    m.reducers.push_back(detail::read_alternative<reducer_model>(file, fmt::format("reduce{}", i), reducer_kind[i], reducer_kinds));
  }
  m.clusterer = detail::read_alternative<cluster_model>(file, "cluster", cluster_kind, clusterer_kinds);
  try {
    m.check();
  } catch (const segkit::invalid_argument& e) {
    file.fail(e.what());
  }
}

// Kind segkit.model.segment (segkit 0.x before the one model): the default segmentation's LSA
// model, k spherical k-means centers ("centres") and k names.
inline segmentation_model segmentation_model::read_segment_v0(const container_reader& file) {
  byte_reader meta(file.section("meta"), file);
  auto lsa = embed::lsa_model::read_fields(meta, file);
  const auto k = meta.get<std::uint64_t>(), d = meta.get<std::uint64_t>();
  if (k == 0 || k > (std::uint64_t{1} << 24) || d != lsa.dim()) file.fail("implausible model shape");
  cluster::kmeans_model<float> km;
  const auto c = file.array<float>("centres", k * d);
  km.centers = matrix<float>::from_shape({k, d});
  std::copy(c.begin(), c.end(), km.centers.begin());
  for (const float x : c) {
    if (!std::isfinite(x)) file.fail("a center holds NaN or Inf");
  }
  km.spherical = true;
  static_cast<clustering&>(km) = clustering(label_vector::from_shape({0}), static_cast<std::size_t>(k));
  segmentation_model m;
  m.embedder = std::move(lsa);
  m.clusterer = std::move(km);
  byte_reader labels(file.section("names"), file);
  for (std::uint64_t l = 0; l < k; ++l) m.names.push_back(labels.get_string());
  return m;
}

// Kind segkit.model.any_pipeline (version 1): the configuration as JSON, names, LSA, reducers
// named by the configuration, and a k-means or GMM clusterer.
inline segmentation_model segmentation_model::read_any_pipeline_v1(const container_reader& file) {
  byte_reader meta(file.section("meta"), file);
  if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("any_pipeline model format version {} is not supported", v));
  segmentation_model m;
  m.config = meta.get_string();
  std::vector<std::string> reducer_kind;
  std::string cluster_kind = "kmeans";
  try {
    const auto doc = parse_json(m.config, "the stored configuration");
    if (!doc.is_object()) file.fail("the stored configuration is not an object");
    const auto& top = doc.as_object();
    if (const auto r = top.find("reduce"); r != top.end() && r->second.is_array()) {
      for (const auto& stage : r->second.as_array()) {
        const auto k = stage.is_object() ? stage.as_object().find("kind") : json_value::object::const_iterator{};
        reducer_kind.push_back(stage.is_object() && k != stage.as_object().end() && k->second.is_string() ? k->second.as_string() : "pca");
      }
    }
    if (const auto c = top.find("cluster"); c != top.end() && c->second.is_object()) {
      const auto& o = c->second.as_object();
      if (const auto k = o.find("kind"); k != o.end() && k->second.is_string()) cluster_kind = k->second.as_string();
    }
  } catch (const segkit::format_error& e) {
    file.fail(e.what());
  }
  const auto n = meta.get<std::uint64_t>();
  if (n > (std::uint64_t{1} << 24)) file.fail(fmt::format("implausible segment count {}", n));
  for (std::uint64_t i = 0; i < n; ++i) m.names.push_back(meta.get_string());
  m.embedder = read_nested<embed::lsa_model>(file, "embed");
  if (cluster_kind != "kmeans" && cluster_kind != "gmm") {
    file.fail(fmt::format("this older any_pipeline model of a {} clusterer holds no clusterer to assign with; fit the pipeline again", cluster_kind));
  }
  read_stages(file, m, reducer_kind, cluster_kind);
  return m;
}

// Kind segkit.model.pipeline (version 1): a typed pipeline's stages "stage0" (embedder) ..
// "stageN" (clusterer), each a nested container recognized by its kind; no names.
inline segmentation_model segmentation_model::read_pipeline_v1(const container_reader& file) {
  byte_reader meta(file.section("meta"), file);
  if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("pipeline format version {} is not supported", v));
  const auto stages = meta.get<std::uint64_t>();
  if (stages < 2 || stages > 66) file.fail(fmt::format("implausible stage count {}", stages));
  const auto nested = [&](const std::string& tag) {
    const auto s = file.section(tag);
    return container_reader(std::vector<char>(s.begin(), s.end()), fmt::format("{} [{}]", file.name(), tag), "segkit.model.");
  };
  const auto kind_of = [&](const std::string& tag) { return nested(tag).kind(); };
  const auto short_kind = [](const std::string& kind) { return kind.substr(std::string_view("segkit.model.").size()); };
  segmentation_model m;
  const auto embed_kind = short_kind(kind_of("stage0"));
  if (embed_kind != "lsa" && embed_kind != "item2vec") file.fail(fmt::format("[stage0] holds a '{}' embedder, which a segmentation model cannot hold", embed_kind));
  m.embedder = detail::read_alternative<embedder_model>(file, "stage0", embed_kind, embedder_kinds);
  for (std::uint64_t i = 1; i + 1 < stages; ++i) {
    const std::string tag = fmt::format("stage{}", i);
    auto kind = short_kind(kind_of(tag));
    // The metric is inside the UMAP section.
    if (kind == "umap" && reduce::umap_model<>::stored_metric(nested(tag)) == distance::cosine_metric::name) kind = "umap_cosine";
    m.reducers.push_back(detail::read_alternative<reducer_model>(file, tag, kind, reducer_kinds));
  }
  const std::string last = fmt::format("stage{}", stages - 1);
  m.clusterer = detail::read_alternative<cluster_model>(file, last, short_kind(kind_of(last)), clusterer_kinds);
  m.sizes = std::visit([](const auto& c) { return c.sizes(); }, m.clusterer);
  for (std::size_t l = 0; l < m.n_segments(); ++l) m.names.push_back(fmt::format("segment-{}", l));
  return m;
}

}  // namespace segkit::pipeline
