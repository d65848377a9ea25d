#pragma once
/// @file
/// @brief Composable pipelines: an embedder, any number of reducers and a clusterer, checked at
/// compile time through segkit's concepts; fit(records) returns the fitted stages and a
/// segmentation, and the fitted pipeline assigns new records (embed -> reduce -> predict).

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/binary_format.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/embed/fused_embedder.hpp"
#include "segkit/pipeline/segment.hpp"
#include "segkit/pipeline/segmentation_model.hpp"
#include "segkit/reduce/pca.hpp"

namespace segkit::pipeline {

/// Something that learns an embedder from records: `f.fit(records)` returns a segkit::embedder
/// (segkit::embed::lsa, whose fit returns an lsa_model).
template <class F, class Record>
concept embedder_fitter = requires(const F& f, std::span<const Record> records) {
  { f.fit(records) } -> segkit::embedder<Record>;
};

/// The first stage of a pipeline: a ready embedder (an ONNX model) or one to fit (LSA).
template <class E, class Record>
concept embedding_stage = segkit::embedder<E, Record> || embedder_fitter<E, Record>;

/// Options of pipeline::fit().
struct pipeline_params {
  bool layout = true;          ///< compute 2-D coordinates for plots: the reduced vectors if they have 2 columns, else their PCA
  std::size_t score_rows = 3000;  ///< silhouette on a seeded sample of this many rows
  keyword_params keywords{};   ///< names and keywords (records that are strings)
  std::uint64_t seed = 0;      ///< of the silhouette sample and the layout
  std::size_t threads = 0;     ///< of the scores and the layout; each stage has its own
};

namespace detail {

// Each check is its own template so that a failing static_assert names the stage's position and
// type in the compiler's "required from" line.
template <std::size_t Position, class Stage, class Record>
constexpr bool check_embedding_stage() {
  static_assert(embedding_stage<Stage, Record>,
                "segkit::pipeline: the first stage must be an embedder for the record type (embed(std::span<const Record>) -> matrix<float>, "
                "dim()) or fit an embedder (fit(std::span<const Record>) returning one)");
  return true;
}

template <std::size_t Position, class Stage>
constexpr bool check_reducer_stage() {
  static_assert(segkit::inductive_reducer<Stage, float>,
                "segkit::pipeline: a middle stage must be an inductive reducer: fit(rows) returning a model with transform(rows) "
                "(reduce::pca, reduce::umap, reduce::tsne); see Position in this function's template arguments");
  return true;
}

template <std::size_t Position, class Stage>
constexpr bool check_clusterer_stage() {
  static_assert(segkit::clusterer<Stage, float>,
                "segkit::pipeline: the last stage must be a clusterer: fit(rows) returning labels and n_clusters (cluster::kmeans, "
                "gaussian_mixture, hdbscan, dbscan, agglomerative)");
  return true;
}

/// A fitted reducer's output on its own training rows: the stored embedding when the model keeps
/// one (UMAP, t-SNE: transform() of training rows would re-place them), else transform().
template <class M>
matrix<float> training_output(const M& model, const matrix<float>& x) {
  if constexpr (requires { model.embedding; }) {
    return xt::cast<float>(model.embedding);
  } else {
    return xt::cast<float>(model.transform(x));
  }
}

/// The common end of every pipeline's fit: the 2-D layout (the vectors themselves when they have 2
/// columns, else their PCA), then sizes, names, keywords (when `texts` are given) and scores.
inline void finish_segmentation(segmentation& s, matrix<float> v, std::span<const std::string> texts, const pipeline_params& params) {
  if (params.layout) {
    s.coordinates = v.shape(1) == 2 ? v
                                     : reduce::pca<float>({.n_components = std::min<std::size_t>(2, v.shape(1)), .seed = params.seed, .threads = params.threads})
                                           .fit_transform(v);
  }
  s.vectors = std::move(v);
  describe(s, texts, {.score_rows = params.score_rows, .keywords = params.keywords, .seed = params.seed, .threads = params.threads});
}

}  // namespace detail

namespace detail {

template <class Tuple, class V>
struct all_alternatives : std::false_type {};
template <class... M, class V>
struct all_alternatives<std::tuple<M...>, V> : std::bool_constant<(is_alternative<M, V>::value && ...)> {};

/// Index of T among the alternatives of V (T must be one).
template <class T, class V, std::size_t I = 0>
constexpr std::size_t alternative_index() {
  if constexpr (std::is_same_v<T, std::variant_alternative_t<I, V>>) {
    return I;
  } else {
    return alternative_index<T, V, I + 1>();
  }
}

/// The alternative T of a stage read from a segmentation model; the message names the stage.
template <class T, class V, std::size_t N>
T take_stage(V&& v, const std::array<std::string_view, N>& kinds, const std::string& stage, const container_reader& file) {
  constexpr std::size_t want = alternative_index<T, std::decay_t<V>>();
  if (v.index() != want) file.fail(fmt::format("{} is a {}, this pipeline type expects a {}", stage, kinds[v.index()], kinds[want]));
  return std::get<want>(std::forward<V>(v));
}

}  // namespace detail

/**
 * @brief A fitted pipeline: the embedder, the reducers' models and the clusterer's model.
 *
 * Saved to and loaded from the one segmentation model file (segmentation_model) when every stage
 * is one it holds (LSA or item2vec; PCA, UMAP; k-means, GMM, HDBSCAN, DBSCAN, agglomerative; a
 * fused embedder of those embedders and scalers is saved, and read back by segmentation_model):
 * `segkit assign` and segmentation_model::load() read what save() writes, and load() reads a
 * segmentation model whose stages are of this type's kinds (and the typed files of earlier segkit).
 */
template <class Record, class EmbedModel, class ReducerModels, class ClusterModel>
struct fitted_pipeline {
  EmbedModel embedder;     ///< embeds records
  ReducerModels reducers;  ///< std::tuple of the reducers' fitted models, in order
  ClusterModel clusterer;  ///< what the clusterer's fit returned

  /// True when the reducers and the clusterer are stages a segmentation_model holds.
  static constexpr bool stages_storable = detail::all_alternatives<ReducerModels, segmentation_model::reducer_model>::value &&
                                          detail::is_alternative<ClusterModel, segmentation_model::cluster_model>::value;
  /// True when every stage is one a segmentation_model holds as it is (then save(), load() and to_model() exist).
  static constexpr bool storable = detail::is_alternative<EmbedModel, segmentation_model::embedder_model>::value && stages_storable;
  /// True when to_model() and save() exist: storable, or a fused embedder (embed::fused_embedder)
  /// whose modalities' embedders a segmentation model stores. A file cannot hold the functions
  /// that read a fused embedder's modalities from a record, so such a pipeline has no load():
  /// segmentation_model::load() reads the file, and assigns from each modality's inputs.
  static constexpr bool convertible = (storable || (fused_model::can_store<EmbedModel> && stages_storable));
  /// Kind of the container a fitted pipeline is stored in (segkit::storable_model): a segmentation model's.
  static constexpr std::string_view container_kind = segmentation_model::container_kind;

  /// The stages as the run-time segmentation_model (segments named "segment-L" and sized by the training labels).
  [[nodiscard]] segmentation_model to_model() const
    requires convertible
  {
    segmentation_model m;
    if constexpr (storable) {
      m.embedder = embedder;
    } else {
      m.embedder = fused_model::from(embedder);
    }
    std::apply([&](const auto&... r) { (m.reducers.emplace_back(r), ...); }, reducers);
    m.clusterer = clusterer;
    m.sizes = clusterer.sizes();
    for (std::size_t l = 0; l < clusterer.n_clusters(); ++l) m.names.push_back(fmt::format("segment-{}", l));
    return m;
  }

  /// Writes every stage atomically into one checksummed segmentation model file.
  void save(const std::filesystem::path& path) const
    requires convertible
  {
    to_model().save(path);
  }
  /**
   * @brief Reads a pipeline written by save() (or any segmentation model of the same stages).
   * @throws segkit::io_error / segkit::format_error for a damaged file, or one whose stages are
   *         of other kinds or number than this type's (the message names the stage).
   */
  [[nodiscard]] static fitted_pipeline load(const std::filesystem::path& path)
    requires storable
  {
    return read_from(container_reader(path, "segkit.model."));
  }

  /// Adds the stages to `w` as segmentation_model::write_to() does.
  void write_to(container_writer& w) const
    requires convertible
  {
    to_model().write_to(w);
  }

  /// Rebuilds the pipeline from a segmentation model's sections. @throws segkit::format_error.
  [[nodiscard]] static fitted_pipeline read_from(const container_reader& file)
    requires storable
  {
    auto m = segmentation_model::read_from(file);
    constexpr std::size_t n = std::tuple_size_v<ReducerModels>;
    if (m.reducers.size() != n) file.fail(fmt::format("the file holds a pipeline of {} stages, this type has {}", m.reducers.size() + 2, n + 2));
    return read_stages(m, file, std::make_index_sequence<n>{});
  }

  /// The records' vectors after the embedder and every reducer.
  [[nodiscard]] matrix<float> transform(std::span<const Record> records) const {
    matrix<float> v = embedder.embed(records);
    std::apply([&](const auto&... m) { ((v = xt::cast<float>(m.transform(v))), ...); }, reducers);
    return v;
  }

  /// Segments of new records (embed -> reduce -> predict). Needs a clusterer whose model predicts.
  [[nodiscard]] xt::xtensor<label_type, 1> assign(std::span<const Record> records) const
    requires requires(const ClusterModel& c, const matrix<float>& x) { c.predict(x); }
  {
    return clusterer.predict(transform(records));
  }

 private:
  template <std::size_t... I>
  static fitted_pipeline read_stages(segmentation_model& m, const container_reader& file, std::index_sequence<I...>) {
    using S = segmentation_model;
    return fitted_pipeline{
        detail::take_stage<EmbedModel>(std::move(m.embedder), S::embedder_kinds, "stage 0 (the embedder)", file),
        ReducerModels{detail::take_stage<std::tuple_element_t<I, ReducerModels>>(std::move(m.reducers[I]), S::reducer_kinds, fmt::format("stage {}", I + 1), file)...},
        detail::take_stage<ClusterModel>(std::move(m.clusterer), S::clusterer_kinds, fmt::format("stage {} (the clusterer)", sizeof...(I) + 1), file)};
  }
};

/// What pipeline::fit() returns: the fitted stages and the segmentation of the training records.
template <class Record, class EmbedModel, class ReducerModels, class ClusterModel>
struct pipeline_fit {
  fitted_pipeline<Record, EmbedModel, ReducerModels, ClusterModel> model;  ///< for assign() and transform()
  segmentation result;  ///< labels, vectors (reduced), 2-D coordinates, sizes, names, keywords, scores; result.model is model.to_model() when storable
};

/**
 * @brief An embedder, reducers and a clusterer composed at compile time.
 *
 * @code
 * using namespace segkit;
 * auto p = pipeline::make_pipeline<std::string>(embed::lsa({.dims = 64}),
 *                                               reduce::pca<float>({.n_components = 16}),
 *                                               cluster::kmeans<float>({.k = 12, .spherical = true}));
 * auto fit = p.fit(texts);                       // fit.result: labels, names, scores, coordinates
 * auto labels = fit.model.assign(new_texts);     // embed -> reduce -> predict
 * @endcode
 * Each stage is checked where the pipeline is declared: the first must be an embedder of Record
 * (or fit one), the middle ones inductive reducers, the last a clusterer; a static_assert names
 * the offending stage. fit() runs the stages in order, each on the previous stage's output, then
 * scores, names (c-TF-IDF, when records are strings) and lays out the segments.
 * @par Thread safety  fit() is const; the fitted pipeline's assign() is const and safe to call concurrently when its stages' are.
 */
template <class Record, class Embed, class... Rest>
class pipeline {
  static_assert(sizeof...(Rest) >= 1, "segkit::pipeline: needs at least an embedder and a clusterer");
  static constexpr std::size_t n_reducers = sizeof...(Rest) - 1;
  using rest_tuple = std::tuple<Rest...>;
  using cluster_type = std::tuple_element_t<n_reducers, rest_tuple>;

  template <std::size_t... I>
  static constexpr bool check_all(std::index_sequence<I...>) {
    return detail::check_embedding_stage<0, Embed, Record>() && (detail::check_reducer_stage<I + 1, std::tuple_element_t<I, rest_tuple>>() && ... && true) &&
           detail::check_clusterer_stage<n_reducers + 1, cluster_type>();
  }
  static_assert(check_all(std::make_index_sequence<n_reducers>{}));

 public:
  /// The stages, in order.
  explicit pipeline(Embed embed, Rest... rest) : embed_(std::move(embed)), rest_(std::move(rest)...) {}

  /**
   * @brief Fits every stage on `records` and describes the segments.
   * @throws segkit::invalid_argument for fewer than 3 records, or whatever a stage throws (its
   *         message names the stage's component).
   */
  [[nodiscard]] auto fit(std::span<const Record> records, const pipeline_params& params = {}) const {
    if (records.size() < 3) segkit::detail::throw_invalid("segkit::pipeline::fit", fmt::format("needs at least 3 records (got {})", records.size()));
    auto em = embed::embedder_of<Record>(embed_, records);
    matrix<float> v = em.embed(records);
    auto reducers = fit_reducers(v, std::make_index_sequence<n_reducers>{});
    auto cm = std::get<n_reducers>(rest_).fit(v);
    using result_type = pipeline_fit<Record, decltype(em), decltype(reducers), decltype(cm)>;
    result_type out{{std::move(em), std::move(reducers), std::move(cm)}, {}};
    segmentation& s = out.result;
    s.labels = xt::xtensor<label_type, 1>::from_shape({records.size()});
    for (std::size_t i = 0; i < records.size(); ++i) s.labels(i) = static_cast<label_type>(out.model.clusterer.labels()(i));
    if constexpr (decltype(out.model)::convertible) s.model = out.model.to_model();
    if constexpr (std::is_convertible_v<const Record&, std::string>) {
      const std::vector<std::string> texts(records.begin(), records.end());
      detail::finish_segmentation(s, std::move(v), texts, params);
    } else {
      detail::finish_segmentation(s, std::move(v), {}, params);
    }
    return out;
  }

 private:
  template <std::size_t... I>
  auto fit_reducers(matrix<float>& v, std::index_sequence<I...>) const {
    // Fit each reducer on the output of the previous one, in order.
    return std::tuple{fit_one<I>(v)...};
  }

  template <std::size_t I>
  auto fit_one(matrix<float>& v) const {
    auto m = std::get<I>(rest_).fit(v);
    v = detail::training_output(m, v);
    return m;
  }

  Embed embed_;
  rest_tuple rest_;
};

/// Builds a pipeline<Record, ...> from its stages, deducing their types.
template <class Record, class Embed, class... Rest>
pipeline<Record, Embed, Rest...> make_pipeline(Embed embed, Rest... rest) {
  return pipeline<Record, Embed, Rest...>(std::move(embed), std::move(rest)...);
}

}  // namespace segkit::pipeline
