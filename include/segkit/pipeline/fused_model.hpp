#pragma once
/// @file
/// @brief A fused embedder as a segmentation model stores it: per modality its name and fitted
/// embedder (LSA, item2vec, an ONNX text model by reference, a scaler, or none: the modality's
/// vectors are given), then the fusion (embed/fusion.hpp). embed::fused_embedder reads each
/// modality from a record with a function, which is code, not data: the stored model takes each
/// modality's inputs side by side instead (fused_model::modality_records).

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/binary_format.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/types.hpp"
#include "segkit/embed/fused_embedder.hpp"
#include "segkit/embed/fusion.hpp"
#include "segkit/embed/item2vec.hpp"
#include "segkit/embed/lsa.hpp"
#include "segkit/embed/onnx_reference.hpp"
#include "segkit/embed/tabular.hpp"

namespace segkit::pipeline {

namespace detail {

/// True if T is one of the alternatives of the std::variant V.
template <class T, class V>
struct is_alternative : std::false_type {};
template <class T, class... A>
struct is_alternative<T, std::variant<A...>> : std::bool_constant<(std::is_same_v<T, A> || ...)> {};

/// The alternative of V whose kind name is `kind` (names: V's alternatives in order), read from
/// the nested section `tag`. @throws segkit::format_error for an unknown kind.
template <class V, std::size_t I = 0, std::size_t N>
V read_alternative(const container_reader& file, std::string_view tag, std::string_view kind, const std::array<std::string_view, N>& names) {
  if constexpr (I < std::variant_size_v<V>) {
    using A = std::variant_alternative_t<I, V>;
    if (kind != names[I]) return read_alternative<V, I + 1>(file, tag, kind, names);
    if constexpr (std::is_same_v<A, std::monostate>) {
      return V{};
    } else {
      return V(std::in_place_index<I>, read_nested<A>(file, tag));
    }
  } else {
    file.fail(fmt::format("[{}] is a '{}', which this version of segkit does not know", tag, kind));
  }
}

/// The embedders a segmentation model keeps as they are (std::monostate: vectors were given).
using stored_embedder = std::variant<std::monostate, embed::lsa_model, embed::item2vec_model, embed::onnx_text_reference, embed::scaler_model>;

/// The width of the vectors a stored embedder makes (0 for given vectors, whose width the
/// embedder does not know).
template <class E>
std::size_t embedder_dim(const E& e) {
  if constexpr (std::is_same_v<E, std::monostate>) {
    return 0;
  } else if constexpr (std::is_same_v<E, embed::onnx_text_reference>) {
    return e.dim;
  } else {
    return e.dim();
  }
}

/// The stored form of a fused modality's fitted embedder E (void when it has none): itself when
/// it is a stored embedder, the scaler of scaled features.
template <class E>
struct stored_part {
  using type = void;
};
template <class E>
  requires(is_alternative<E, stored_embedder>::value && !std::is_same_v<E, std::monostate>)
struct stored_part<E> {
  using type = E;
  static const E& of(const E& e) { return e; }
};
template <>
struct stored_part<embed::scaled_features> {
  using type = embed::scaler_model;
  static const embed::scaler_model& of(const embed::scaled_features& e) { return e.model; }
};

/// True for a fitted embed::fused_embedder whose modalities' embedders all have a stored form.
template <class F>
struct storable_fusion : std::false_type {};
template <class Record, class... M>
struct storable_fusion<embed::fused_embedder<Record, M...>>
    : std::bool_constant<(!std::is_void_v<typename stored_part<std::remove_cvref_t<decltype(std::declval<const M&>().stage)>>::type> && ...)> {};

}  // namespace detail

/**
 * @brief A fitted fused embedder in stored form: one named part per modality and the fusion.
 *
 * @code
 * auto fitted = segkit::embed::fuse<customer>(params, notes_modality, spend_modality).fit(train);
 * auto stored = segkit::pipeline::fused_model::from(fitted);     // LSA and a scaler: storable
 * using records = segkit::pipeline::fused_model::modality_records;
 * std::vector<records> parts{std::vector<std::string>{...notes...}, segkit::matrix<double>{...spend...}};
 * auto vectors = stored.embed(parts, presence);                    // = fitted.embed(customers)
 * @endcode
 * A modality's input holds one entry per record (a text, an item sequence, a row of numbers or
 * a ready vector); where `present[m][i]` is false the entry is not read and the fusion's fill row
 * stands in, as in embed::fusion_model::transform.
 * @par Thread safety  const members may run concurrently.
 */
struct fused_model {
  /// A modality's fitted embedder; std::monostate: its vectors are given.
  using part_model = detail::stored_embedder;
  /// Names of part_model's alternatives, in order, as stored in the file.
  static constexpr std::array<std::string_view, 5> part_kinds{"vectors", "lsa", "item2vec", "onnx_text", "scaler"};
  /// One modality's records: texts (LSA, ONNX), item sequences (item2vec), numeric rows (scaler)
  /// or ready vectors (a part of kind "vectors"), one entry or row per record.
  using modality_records = std::variant<std::vector<std::string>, std::vector<std::vector<id_type>>, matrix<double>, matrix<float>>;

  std::vector<std::string> names;  ///< per modality (for messages)
  std::vector<part_model> parts;   ///< per modality
  embed::fusion_model fusion;      ///< weights, fill rows, projection

  /// Output dimensions (the fusion's).
  [[nodiscard]] std::size_t dim() const noexcept { return fusion.dim(); }

  /// True if F is a fitted embed::fused_embedder whose every modality has an embedder this model stores.
  template <class F>
  static constexpr bool can_store = detail::storable_fusion<F>::value;

  /// The stored form of a fitted fused embedder (its modalities' names, embedders and fusion).
  template <class Record, class... M>
    requires can_store<embed::fused_embedder<Record, M...>>
  [[nodiscard]] static fused_model from(const embed::fused_embedder<Record, M...>& fitted) {
    fused_model out;
    std::apply(
        [&](const auto&... m) {
          ((out.names.push_back(m.name), out.parts.emplace_back(detail::stored_part<std::remove_cvref_t<decltype(m.stage)>>::of(m.stage))), ...);
        },
        fitted.modalities());
    out.fusion = fitted.fusion();
    return out;
  }

  /**
   * @brief Fused vectors of n records (n x dim()) from each modality's inputs.
   * @throws segkit::invalid_argument for another modality count, an input of the wrong type for
   *         its part (named), unequal record counts, a ready vector of another width, and what
   *         the parts' embedders and the fusion throw.
   */
  [[nodiscard]] matrix<float> embed(std::span<const modality_records> inputs, const embed::modality_presence& present = {},
                                    const embed::onnx_session_options& session = {}) const {
    if (parts.empty()) fail("the model fuses no modality");
    if (inputs.size() != parts.size()) fail(fmt::format("{} modalities given, the model fuses {}", inputs.size(), parts.size()));
    if (!present.empty() && present.size() != parts.size()) fail(fmt::format("presence for {} modalities, the model fuses {}", present.size(), parts.size()));
    const std::size_t n = std::visit([](const auto& r) { return count(r); }, inputs.front());
    for (std::size_t m = 0; m < parts.size(); ++m) {
      const std::size_t got = std::visit([](const auto& r) { return count(r); }, inputs[m]);
      if (got != n) fail(fmt::format("modality '{}' has {} records, modality '{}' {}", names[m], got, names[0], n));
      if (!present.empty() && present[m].size() != n) fail(fmt::format("the presence of modality '{}' lists {} records, {} given", names[m], present[m].size(), n));
    }
    const std::vector<bool> everyone(present.empty() ? n : 0, true);
    std::vector<matrix<float>> blocks;
    for (std::size_t m = 0; m < parts.size(); ++m) blocks.push_back(block(m, inputs[m], present.empty() ? everyone : present[m], session));
    return fusion.transform(blocks, present);
  }

  /// Kind of the container the model is stored in (segkit::storable_model).
  static constexpr std::string_view container_kind = "segkit.model.fused";
  /// Writes the model atomically in segkit's checksummed container.
  void save(const std::filesystem::path& path) const { save_model(*this, path); }
  /// Reads a model written by save(). @throws segkit::format_error if damaged or of another kind.
  [[nodiscard]] static fused_model load(const std::filesystem::path& path) { return load_model<fused_model>(path); }
  /// Adds "meta" (names and part kinds), "part0".. (each a nested model; none for given vectors)
  /// and "fusion" to `w`.
  void write_to(container_writer& w) const {
    check();
    byte_writer meta;
    meta.put(std::uint32_t{1}).put(static_cast<std::uint64_t>(parts.size()));
    for (std::size_t m = 0; m < parts.size(); ++m) meta.put_string(names[m]).put_string(part_kinds[parts[m].index()]);
    w.add_copy("meta", meta.bytes());
    for (std::size_t m = 0; m < parts.size(); ++m) {
      std::visit(
          [&](const auto& p) {
            if constexpr (!std::is_same_v<std::decay_t<decltype(p)>, std::monostate>) add_nested(w, fmt::format("part{}", m), p);
          },
          parts[m]);
    }
    add_nested(w, "fusion", fusion);
  }
  /// Rebuilds a model from write_to()'s sections; each part's width must be its modality's in
  /// the fusion. @throws segkit::format_error.
  [[nodiscard]] static fused_model read_from(const container_reader& file) {
    byte_reader meta(file.section("meta"), file);
    if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("fused model format version {} is not supported", v));
    const auto count = meta.get<std::uint64_t>();
    if (count == 0 || count > 1024) file.fail(fmt::format("implausible modality count {}", count));
    fused_model m;
    std::vector<std::string> kinds;
    for (std::uint64_t i = 0; i < count; ++i) {
      m.names.push_back(meta.get_string());
      kinds.push_back(meta.get_string());
    }
    for (std::size_t i = 0; i < kinds.size(); ++i) m.parts.push_back(detail::read_alternative<part_model>(file, fmt::format("part{}", i), kinds[i], part_kinds));
    m.fusion = read_nested<embed::fusion_model>(file, "fusion");
    try {
      m.check();
    } catch (const segkit::invalid_argument& e) {
      file.fail(e.what());
    }
    return m;
  }

  /// Checks that names, parts and the fusion's modalities agree in number and width. @throws segkit::invalid_argument.
  void check() const {
    if (names.size() != parts.size()) fail(fmt::format("{} names for {} parts", names.size(), parts.size()));
    if (fusion.widths.size() != parts.size()) fail(fmt::format("the fusion fuses {} modalities, the model has {} parts", fusion.widths.size(), parts.size()));
    for (std::size_t m = 0; m < parts.size(); ++m) {
      const std::size_t w = std::visit([](const auto& e) { return detail::embedder_dim(e); }, parts[m]);
      if (w != 0 && w != fusion.widths[m]) fail(fmt::format("modality '{}' makes {} columns, the fusion expects {}", names[m], w, fusion.widths[m]));
    }
  }

 private:
  [[noreturn]] static void fail(const std::string& what) { segkit::detail::throw_invalid("segkit::pipeline::fused_model", what); }

  [[noreturn]] void wrong_input(std::size_t m, const modality_records& input) const {
    static constexpr std::array<std::string_view, 4> input_kinds{"texts", "item sequences", "numeric rows", "vectors"};
    fail(fmt::format("modality '{}' ({}) was given {}", names[m], part_kinds[parts[m].index()], input_kinds[input.index()]));
  }
  template <class R>
  static std::size_t count(const R& r) {
    if constexpr (requires { r.shape(0); }) {
      return r.shape(0);
    } else {
      return r.size();
    }
  }
  // Modality m's block: its present entries embedded and spread over n rows (absent rows zero).
  matrix<float> block(std::size_t m, const modality_records& input, const std::vector<bool>& has, const embed::onnx_session_options& session) const {
    const std::size_t n = has.size(), d = fusion.widths[m];
    matrix<float> out = matrix<float>::from_shape({n, d});
    out.fill(0.0f);
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < n; ++i) {
      if (has[i]) rows.push_back(i);
    }
    if (rows.empty()) return out;
    const auto gather = [&](const auto& all) {
      std::remove_cvref_t<decltype(all)> some;
      for (const auto i : rows) some.push_back(all[i]);
      return some;
    };
    const auto gather_rows = [&](const auto& all) {
      using T = typename std::remove_cvref_t<decltype(all)>::value_type;
      matrix<T> some = matrix<T>::from_shape({rows.size(), all.shape(1)});
      for (std::size_t r = 0; r < rows.size(); ++r) std::copy_n(all.data() + rows[r] * all.shape(1), all.shape(1), some.data() + r * all.shape(1));
      return some;
    };
    matrix<float> got;
    const auto& p = parts[m];
    if (std::holds_alternative<std::monostate>(p)) {
      const auto* v = std::get_if<matrix<float>>(&input);
      if (v == nullptr) wrong_input(m, input);
      if (v->shape(1) != d) fail(fmt::format("modality '{}': vectors of {} columns, the fusion expects {}", names[m], v->shape(1), d));
      got = gather_rows(*v);
    } else if (std::holds_alternative<embed::lsa_model>(p) || std::holds_alternative<embed::onnx_text_reference>(p)) {
      const auto* t = std::get_if<std::vector<std::string>>(&input);
      if (t == nullptr) wrong_input(m, input);
      const auto texts = gather(*t);
      const auto* l = std::get_if<embed::lsa_model>(&p);
      got = l != nullptr ? l->embed(texts) : std::get<embed::onnx_text_reference>(p).embed(texts, session);
    } else if (const auto* i2v = std::get_if<embed::item2vec_model>(&p)) {
      const auto* s = std::get_if<std::vector<std::vector<id_type>>>(&input);
      if (s == nullptr) wrong_input(m, input);
      const auto sessions = gather(*s);
      got = i2v->embed(sessions);
    } else {
      const auto* x = std::get_if<matrix<double>>(&input);
      if (x == nullptr) wrong_input(m, input);
      got = std::get<embed::scaler_model>(p).embed(gather_rows(*x));
    }
    if (got.shape(1) != d) fail(fmt::format("modality '{}' made {} columns, the fusion expects {}", names[m], got.shape(1), d));
    for (std::size_t r = 0; r < rows.size(); ++r) std::copy_n(got.data() + r * d, d, out.data() + rows[r] * d);
    return out;
  }
};

}  // namespace segkit::pipeline
