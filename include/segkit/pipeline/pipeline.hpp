#pragma once
/// @file
/// @brief Composable pipelines: an embedder, any number of reducers and a clusterer, checked at
/// compile time through segkit's concepts; fit(records) returns the fitted stages and a
/// segmentation, and the fitted pipeline assigns new records (embed -> reduce -> predict).

#include <algorithm>
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
#include <vector>

#include <fmt/format.h>

#include "segkit/core/binary_format.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/embed/fused_embedder.hpp"
#include "segkit/pipeline/segment.hpp"
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

template <class Tuple>
struct all_storable : std::false_type {};
template <class... M>
struct all_storable<std::tuple<M...>> : std::bool_constant<(segkit::storable_model<M> && ...)> {};

}  // namespace detail

/// A fitted pipeline: the embedder, the reducers' models and the clusterer's model.
/// Saved to and loaded from one file when every stage is a segkit::storable_model (LSA, PCA,
/// UMAP, k-means, GMM): each stage is a nested, checksummed container in it.
template <class Record, class EmbedModel, class ReducerModels, class ClusterModel>
struct fitted_pipeline {
  EmbedModel embedder;     ///< embeds records
  ReducerModels reducers;  ///< std::tuple of the reducers' fitted models, in order
  ClusterModel clusterer;  ///< what the clusterer's fit returned

  /// True when every stage can be saved.
  static constexpr bool storable =
      segkit::storable_model<EmbedModel> && detail::all_storable<ReducerModels>::value && segkit::storable_model<ClusterModel>;
  /// Kind of the container a fitted pipeline is stored in (segkit::storable_model).
  static constexpr std::string_view container_kind = "segkit.model.pipeline";

  /// Writes every stage atomically into one checksummed file.
  void save(const std::filesystem::path& path) const
    requires storable
  {
    save_model(*this, path);
  }
  /**
   * @brief Reads a pipeline written by save() from a fitted_pipeline of the same type.
   * @throws segkit::io_error / segkit::format_error for a damaged file, or one whose stages are
   *         of other kinds or number than this type's (the message names the stage).
   */
  [[nodiscard]] static fitted_pipeline load(const std::filesystem::path& path)
    requires storable
  {
    return load_model<fitted_pipeline>(path);
  }

  /// Adds the stage count and one nested section per stage ("stage0" the embedder, then the
  /// reducers, then the clusterer) to `w`.
  void write_to(container_writer& w) const
    requires storable
  {
    byte_writer meta;
    meta.put(std::uint32_t{1}).put(static_cast<std::uint64_t>(std::tuple_size_v<ReducerModels> + 2));
    w.add_copy("meta", meta.bytes());
    add_nested(w, "stage0", embedder);
    std::apply([&](const auto&... m) {
      std::size_t i = 1;
      (add_nested(w, fmt::format("stage{}", i++), m), ...);
    }, reducers);
    add_nested(w, fmt::format("stage{}", std::tuple_size_v<ReducerModels> + 1), clusterer);
  }

  /// Rebuilds the pipeline from write_to()'s sections. @throws segkit::format_error.
  [[nodiscard]] static fitted_pipeline read_from(const container_reader& file)
    requires storable
  {
    byte_reader meta(file.section("meta"), file);
    if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("pipeline format version {} is not supported", v));
    constexpr std::size_t stages = std::tuple_size_v<ReducerModels> + 2;
    if (const auto n = meta.get<std::uint64_t>(); n != stages) file.fail(fmt::format("the file holds a pipeline of {} stages, this type has {}", n, stages));
    return read_stages(file, std::make_index_sequence<std::tuple_size_v<ReducerModels>>{});
  }

  /// The records' vectors after the embedder and every reducer.
  [[nodiscard]] matrix<float> transform(std::span<const Record> records) const {
    matrix<float> v = embedder.embed(records);
    std::apply([&](const auto&... m) { ((v = xt::cast<float>(m.transform(v))), ...); }, reducers);
    return v;
  }

  /// Segments of new records (embed -> reduce -> predict). Needs an inductive clusterer (k-means, GMM).
  [[nodiscard]] xt::xtensor<label_type, 1> assign(std::span<const Record> records) const
    requires requires(const ClusterModel& c, const matrix<float>& x) { c.predict(x); }
  {
    return clusterer.predict(transform(records));
  }

 private:
  template <std::size_t... I>
  static fitted_pipeline read_stages(const container_reader& file, std::index_sequence<I...>) {
    return fitted_pipeline{read_nested<EmbedModel>(file, "stage0"),
                           ReducerModels{read_nested<std::tuple_element_t<I, ReducerModels>>(file, fmt::format("stage{}", I + 1))...},
                           read_nested<ClusterModel>(file, fmt::format("stage{}", sizeof...(I) + 1))};
  }
};

/// What pipeline::fit() returns: the fitted stages and the segmentation of the training records.
template <class Record, class EmbedModel, class ReducerModels, class ClusterModel>
struct pipeline_fit {
  fitted_pipeline<Record, EmbedModel, ReducerModels, ClusterModel> model;  ///< for assign() and transform()
  segmentation result;  ///< labels, vectors (reduced), 2-D coordinates, sizes, names, keywords, scores
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
