#pragma once
/// @file
/// @brief Fusion behind the `embedder` concept: several modalities read from each record of one
/// type (any of them may be missing), each embedded by its own embedder (ready, or fitted on the
/// training records' parts), then fused (fusion.hpp: normalization, weights, missing modalities,
/// PCA or CCA). A pipeline takes it as its first stage like any other embedder.

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/embed/fusion.hpp"

namespace segkit::embed {

/**
 * @brief One modality of a record type: its name (for messages), how to read it from a record and
 * the stage that embeds it.
 *
 * `read(record)` returns the part (any type) or a `std::optional` of it, empty when the record
 * lacks the modality. `stage` is an embedder of the part type (`embed(span<const Part>)`,
 * `dim()`) or something whose `fit(span<const Part>)` returns one (embed::lsa, item2vec's session
 * embedding, feature_scaling).
 */
template <class Read, class Stage>
struct modality {
  std::string name;  ///< for messages
  Read read;         ///< record -> part, or record -> std::optional<part>
  Stage stage;       ///< embedder of parts, or a fitter of one
};
template <class Read, class Stage>
modality(std::string, Read, Stage) -> modality<Read, Stage>;

/**
 * @brief The embedder an embedding stage gives for records of type Part: the stage itself when it
 * is a segkit::embedder of Part (an ONNX model), else what its fit(parts) returns (LSA, item2vec).
 * A fused modality's stage and a pipeline's first stage are read this way.
 */
template <class Part, class Stage>
auto embedder_of(const Stage& stage, std::span<const Part> parts) {
  if constexpr (segkit::embedder<Stage, Part>) {
    return stage;
  } else {
    static_assert(requires { { stage.fit(parts) } -> segkit::embedder<Part>; },
                  "segkit::embed::embedder_of: the stage must embed its record type (embed(span<const Part>), dim()) or fit an "
                  "embedder of it (fit(span<const Part>))");
    return stage.fit(parts);
  }
}

namespace detail {

template <class T>
struct optional_part {
  using type = T;
  static constexpr bool may_be_missing = false;
};
template <class T>
struct optional_part<std::optional<T>> {
  using type = T;
  static constexpr bool may_be_missing = true;
};

template <class Record, class Read>
using read_result_t = std::remove_cvref_t<std::invoke_result_t<const Read&, const Record&>>;

/// The part type a modality reads from a Record.
template <class Record, class Read>
using part_t = typename optional_part<read_result_t<Record, Read>>::type;

/// The present parts of `records` in order, and which records have one.
template <class Record, class Read>
std::pair<std::vector<part_t<Record, Read>>, std::vector<bool>> read_parts(const Read& read, std::span<const Record> records) {
  std::vector<part_t<Record, Read>> parts;
  std::vector<bool> present;
  parts.reserve(records.size());
  present.reserve(records.size());
  for (const Record& r : records) {
    if constexpr (optional_part<read_result_t<Record, Read>>::may_be_missing) {
      auto p = std::invoke(read, r);
      present.push_back(p.has_value());
      if (p) parts.push_back(std::move(*p));
    } else {
      parts.push_back(std::invoke(read, r));
      present.push_back(true);
    }
  }
  return {std::move(parts), std::move(present)};
}

/// The embeddings of the present parts spread over one row per record (absent rows zero).
template <class E, class Part>
matrix<float> spread_rows(const E& e, const std::vector<Part>& parts, const std::vector<bool>& present, const std::string& name) {
  const std::size_t n = present.size(), d = e.dim();
  matrix<float> block = matrix<float>::from_shape({n, d});
  block.fill(0.0f);
  if (parts.empty()) return block;
  const matrix<float> got = e.embed(std::span<const Part>(parts));
  if (got.shape(0) != parts.size() || got.shape(1) != d) {
    segkit::detail::throw_invalid("segkit::embed::fused_embedding",
                                  fmt::format("modality '{}': its embedder returned {} x {} for {} parts of dimension {}", name, got.shape(0), got.shape(1), parts.size(), d));
  }
  for (std::size_t i = 0, k = 0; i < n; ++i) {
    if (!present[i]) continue;
    std::copy_n(got.data() + k * d, d, block.data() + i * d);
    ++k;
  }
  return block;
}

}  // namespace detail

/**
 * @brief A fitted fused embedder of Record: each modality's embedder and the fusion model.
 * Satisfies segkit::embedder<Record>; a record's vector does not depend on its batch when its
 * modalities' embedders are batch-invariant.
 * @par Thread safety  embed() is const and may run concurrently when the modalities' embedders allow it.
 */
template <class Record, class... M>
class fused_embedder {
 public:
  fused_embedder(std::tuple<M...> modalities, fusion_model model) : modalities_(std::move(modalities)), model_(std::move(model)) {}

  /// Output dimensions (the fusion model's).
  [[nodiscard]] std::size_t dim() const noexcept { return model_.dim(); }

  /**
   * @brief Fused vectors of `records` (n x dim()).
   * @throws segkit::invalid_argument where a modality's embedder or the fusion throws (a record
   *         with neither modality under CCA, NaN in a modality's embedding, ...).
   */
  [[nodiscard]] matrix<float> embed(std::span<const Record> records) const {
    if (records.empty()) return matrix<float>::from_shape({0, dim()});
    std::vector<matrix<float>> blocks;
    modality_presence present;
    std::apply([&](const auto&... m) { (add_block(m, records, blocks, present), ...); }, modalities_);
    return model_.transform(blocks, present);
  }

  /// The modalities with their fitted embedders.
  [[nodiscard]] const std::tuple<M...>& modalities() const noexcept { return modalities_; }
  /// The fitted fusion (weights, fill rows, projection).
  [[nodiscard]] const fusion_model& fusion() const noexcept { return model_; }

 private:
  template <class One>
  static void add_block(const One& m, std::span<const Record> records, std::vector<matrix<float>>& blocks, modality_presence& present) {
    auto [parts, has] = detail::read_parts(m.read, records);
    blocks.push_back(detail::spread_rows(m.stage, parts, has, m.name));
    present.push_back(std::move(has));
  }

  std::tuple<M...> modalities_;
  fusion_model model_;
};

/**
 * @brief Learns a fused embedder of Record: fits each modality's stage on the parts the training
 * records have, embeds them, and fits the fusion (fusion_params) on the blocks.
 *
 * @code
 * struct customer { std::string notes; std::optional<std::vector<double>> spend; };
 * auto f = segkit::embed::fuse<customer>(
 *     {.projection = segkit::embed::fusion_projection::pca, .dims = 16},
 *     segkit::embed::modality{"notes", [](const customer& c) { return c.notes; }, segkit::embed::lsa({.dims = 32})},
 *     segkit::embed::modality{"spend", [](const customer& c) { return c.spend; }, segkit::embed::feature_scaling{}});
 * auto p = segkit::pipeline::make_pipeline<customer>(f, segkit::cluster::kmeans<float>({.k = 8}));
 * @endcode
 */
template <class Record, class... M>
class fused_embedding {
  static_assert(sizeof...(M) >= 1, "segkit::embed::fused_embedding: needs at least one modality");

 public:
  explicit fused_embedding(fusion_params params, M... modalities) : params_(std::move(params)), modalities_(std::move(modalities)...) {}

  /**
   * @throws segkit::invalid_argument for no records, a modality no training record has (named),
   *         and whatever a modality's stage or the fusion throws.
   */
  [[nodiscard]] auto fit(std::span<const Record> records) const {
    if (records.empty()) segkit::detail::throw_invalid("segkit::embed::fused_embedding", "fit: no records");
    std::vector<matrix<float>> blocks;
    modality_presence present;
    auto fitted = std::apply([&](const auto&... m) { return std::tuple{fit_one(m, records, blocks, present)...}; }, modalities_);
    auto model = fusion(params_).fit(blocks, present);
    return std::apply([&](auto&... f) { return fused_embedder<Record, std::remove_cvref_t<decltype(f)>...>(std::tuple{std::move(f)...}, std::move(model)); },
                      fitted);
  }

 private:
  template <class One>
  static auto fit_one(const One& m, std::span<const Record> records, std::vector<matrix<float>>& blocks, modality_presence& present) {
    using part = detail::part_t<Record, decltype(m.read)>;
    auto [parts, has] = detail::read_parts(m.read, records);
    if (parts.empty()) segkit::detail::throw_invalid("segkit::embed::fused_embedding", fmt::format("fit: no record has modality '{}'", m.name));
    auto e = embedder_of<part>(m.stage, std::span<const part>(parts));
    blocks.push_back(detail::spread_rows(e, parts, has, m.name));
    present.push_back(std::move(has));
    return modality<decltype(m.read), decltype(e)>{m.name, m.read, std::move(e)};
  }

  fusion_params params_;
  std::tuple<M...> modalities_;
};

/// Builds a fused_embedding<Record, ...> from fusion parameters and modalities, deducing their types.
template <class Record, class... M>
fused_embedding<Record, M...> fuse(fusion_params params, M... modalities) {
  return fused_embedding<Record, M...>(std::move(params), std::move(modalities)...);
}

}  // namespace segkit::embed
