#pragma once
/// @file
/// @brief Latent semantic analysis: TF-IDF rows reduced by a truncated SVD and L2-normalized —
/// segkit's default text embedder when no model is given.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/binary_format.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/params.hpp"
#include "segkit/embed/tfidf.hpp"
#include "segkit/reduce/truncated_svd.hpp"

namespace segkit::embed {

/// Parameters of lsa.
struct lsa_params {
  /// The TF-IDF stage; by default word unigrams and bigrams, English stop words, sublinear tf.
  tfidf_params tfidf{.analysis = {.ngram_max = 2, .stop_words = english_stop_words()}, .sublinear_tf = true};
  std::size_t dims = 100;            ///< output dimensions (fewer when the vocabulary or the corpus is smaller: see fit)
  std::size_t power_iterations = 5;  ///< of the randomized SVD
  bool normalize = true;             ///< scale each embedding to unit L2 norm (cosine-ready)
  std::uint64_t seed = 0;            ///< the only source of randomness
  std::size_t threads = 0;           ///< 0 = all hardware threads; results do not depend on it

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = lsa_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("tfidf", &p::tfidf, "the TF-IDF stage; by default word unigrams and bigrams, English stop words, sublinear tf"),
                      sp::field("dims", &p::dims, "output dimensions (fewer when the vocabulary or the corpus is smaller)", sp::at_least(1), "n_components"),
                      sp::field("power_iterations", &p::power_iterations, "power iterations of the randomized SVD"),
                      sp::field("normalize", &p::normalize, "scale each embedding to unit L2 norm (cosine-ready)"),
                      sp::field("seed", &p::seed, "the only source of randomness"),
                      sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it")};
  }
};

/// A fitted LSA embedder (satisfies segkit::embedder for std::string records).
struct lsa_model {
  tfidf_model tfidf;                 ///< vocabulary and idf
  reduce::truncated_svd_model svd;   ///< the latent directions
  bool normalize = true;             ///< rows scaled to unit norm
  std::size_t threads = 0;           ///< threads of embed()

  [[nodiscard]] std::size_t dim() const noexcept { return svd.n_components(); }

  /// Embeddings of texts (n x dim()); each text on its own, so batch-invariant. A text with no
  /// known term embeds as the zero vector.
  [[nodiscard]] matrix<float> embed(std::span<const std::string> docs) const { return finish(svd.transform(tfidf.transform(docs), threads)); }

  /// Scales rows to unit norm when asked (zero rows stay zero).
  [[nodiscard]] matrix<float> finish(matrix<float> y) const {
    if (!normalize) return y;
    const std::size_t d = y.shape(1);
    for (std::size_t i = 0; i < y.shape(0); ++i) {
      double s = 0.0;
      for (std::size_t j = 0; j < d; ++j) s += static_cast<double>(y(i, j)) * static_cast<double>(y(i, j));
      if (s <= 0.0) continue;
      const double f = 1.0 / std::sqrt(s);
      for (std::size_t j = 0; j < d; ++j) y(i, j) = static_cast<float>(static_cast<double>(y(i, j)) * f);
    }
    return y;
  }

  /// Kind of the container the model is stored in (segkit::storable_model).
  static constexpr std::string_view container_kind = "segkit.model.lsa";
  /// Writes the model atomically in segkit's checksummed container.
  void save(const std::filesystem::path& path) const { save_model(*this, path); }
  /// Reads a model written by save(). @throws segkit::io_error / segkit::format_error.
  [[nodiscard]] static lsa_model load(const std::filesystem::path& path) { return load_model<lsa_model>(path); }

  /// Adds the model's sections to `w`: "lsa" (the analysis settings), "vocab", "idf" and "svd"
  /// (what embed() needs; the fit-only settings are not kept).
  void write_to(container_writer& w) const {
    byte_writer meta;
    write_fields(meta, w);
    w.add_copy("lsa", meta.bytes());
  }

  /// Rebuilds a model from write_to()'s sections, checking every value. @throws segkit::format_error.
  [[nodiscard]] static lsa_model read_from(const container_reader& file) {
    byte_reader meta(file.section("lsa"), file);
    return read_fields(meta, file);
  }

  /// The settings into `meta` and the "vocab", "idf" and "svd" sections into `w` (for a model that
  /// embeds an LSA in its own metadata, as the segkit.model.segment files of segkit 0.1 did).
  void write_fields(byte_writer& meta, container_writer& w) const {
    const auto& a = tfidf.params.analysis;
    meta.put(std::uint32_t{1});
    meta.put(static_cast<std::uint8_t>(a.analyzer)).put(static_cast<std::uint64_t>(a.ngram_min)).put(static_cast<std::uint64_t>(a.ngram_max));
    meta.put(static_cast<std::uint8_t>(a.lowercase)).put(static_cast<std::uint64_t>(a.stop_words.size()));
    for (const auto& word : a.stop_words) meta.put_string(word);
    meta.put(static_cast<std::uint8_t>(tfidf.params.sublinear_tf)).put(static_cast<std::uint8_t>(tfidf.params.use_idf));
    meta.put(static_cast<std::uint8_t>(tfidf.params.smooth_idf)).put(static_cast<std::uint8_t>(tfidf.params.normalize));
    meta.put(static_cast<std::uint8_t>(normalize));
    meta.put(static_cast<std::uint64_t>(tfidf.vocabulary.size())).put(static_cast<std::uint64_t>(svd.n_components()));
    byte_writer vocab;
    for (const auto& t : tfidf.vocabulary) vocab.put_string(t);
    w.add_copy("vocab", vocab.bytes());
    w.add_array<double>("idf", std::span<const double>(tfidf.idf));
    w.add_array<double>("svd", std::span<const double>(svd.components.data(), svd.components.size()));
  }

  /// Reads what write_fields() wrote: the settings from `meta` (positioned at them), the rest from
  /// the file's sections. @throws segkit::format_error.
  [[nodiscard]] static lsa_model read_fields(byte_reader& meta, const container_reader& file) {
    if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("LSA model format version {} is not supported", v));
    lsa_model m;
    auto& tf = m.tfidf;
    auto& a = tf.params.analysis;
    const auto kind = meta.get<std::uint8_t>();
    if (kind > static_cast<std::uint8_t>(embed::analyzer::chars_wb)) file.fail(fmt::format("unknown analyzer {}", kind));
    a.analyzer = static_cast<embed::analyzer>(kind);
    a.ngram_min = meta.get<std::uint64_t>();
    a.ngram_max = meta.get<std::uint64_t>();
    if (a.ngram_min == 0 || a.ngram_min > a.ngram_max || a.ngram_max > 64) file.fail("implausible n-gram range");
    a.lowercase = meta.get<std::uint8_t>() != 0;
    const auto stops = meta.get<std::uint64_t>();
    if (stops > (std::uint64_t{1} << 24)) file.fail("implausible stop-word count");
    for (std::uint64_t i = 0; i < stops; ++i) a.stop_words.push_back(meta.get_string());
    tf.params.sublinear_tf = meta.get<std::uint8_t>() != 0;
    tf.params.use_idf = meta.get<std::uint8_t>() != 0;
    tf.params.smooth_idf = meta.get<std::uint8_t>() != 0;
    tf.params.normalize = meta.get<std::uint8_t>() != 0;
    m.normalize = meta.get<std::uint8_t>() != 0;
    const auto v = meta.get<std::uint64_t>(), dims = meta.get<std::uint64_t>();
    if (v == 0 || v > (std::uint64_t{1} << 32) || dims == 0 || dims > v) file.fail(fmt::format("implausible LSA shape ({} terms, {} dimensions)", v, dims));
    // Sizes in the file are checked against the sections before anything is allocated for them
    // (found by tests/fuzz/fuzz_container: a reserve() of a forged term count).
    const auto vocab_bytes = file.section("vocab");
    if (v > vocab_bytes.size() / sizeof(std::uint64_t)) file.fail(fmt::format("the vocabulary section is too short for {} terms", v));
    if (dims > file.section("svd").size() / sizeof(double) / v) file.fail(fmt::format("the SVD section is too short for {} x {} values", dims, v));
    byte_reader vocab(vocab_bytes, file);
    tf.vocabulary.reserve(v);
    for (std::uint64_t j = 0; j < v; ++j) {
      tf.vocabulary.push_back(vocab.get_string());
      if (!tf.column.emplace(tf.vocabulary.back(), static_cast<std::uint32_t>(j)).second) file.fail(fmt::format("term '{}' appears twice", tf.vocabulary.back()));
    }
    tf.idf = file.array<double>("idf", v);
    const auto comps = file.array<double>("svd", dims * v);
    for (const double x : tf.idf) {
      if (!std::isfinite(x)) file.fail("an idf value is not finite");
    }
    for (const double x : comps) {
      if (!std::isfinite(x)) file.fail("an SVD direction holds NaN or Inf");
    }
    m.svd.components = xt::xtensor<double, 2>::from_shape({dims, v});
    std::copy(comps.begin(), comps.end(), m.svd.components.begin());
    return m;
  }
};

static_assert(segkit::embedder<lsa_model, std::string>);
static_assert(segkit::storable_model<lsa_model>);

/**
 * @brief Fits TF-IDF then a truncated SVD (latent semantic analysis, Deerwester et al. 1990).
 *
 * @code
 * auto [model, e] = segkit::embed::lsa({.dims = 64, .seed = 1}).fit_transform(texts);
 * auto more = model.embed(new_texts);   // same space
 * @endcode
 * dims is lowered to min(dims, vocabulary - 1, documents) when the corpus is too small for it
 * (model.dim() tells the result). Deterministic for a seed, whatever the thread count.
 */
class lsa {
 public:
  /// @throws segkit::invalid_argument naming the first parameter outside its table's range.
  explicit lsa(lsa_params params = {}) : params_(std::move(params)) { segkit::params::validate(params_, "segkit::embed::lsa"); }

  /// @throws segkit::invalid_argument as tfidf does, for dims of 0, or a vocabulary of one term.
  [[nodiscard]] std::pair<lsa_model, matrix<float>> fit_transform(std::span<const std::string> docs) const {
    if (params_.dims == 0) segkit::detail::throw_invalid("segkit::embed::lsa", "dims must be at least 1");
    auto tp = params_.tfidf;
    tp.threads = params_.threads;
    auto [tf, x] = tfidf(tp).fit_transform(docs);
    if (tf.dim() < 2) segkit::detail::throw_invalid("segkit::embed::lsa", fmt::format("the vocabulary has {} term; LSA needs at least 2", tf.dim()));
    const std::size_t dims = std::min({params_.dims, tf.dim() - 1, docs.size()});
    lsa_model m;
    m.tfidf = std::move(tf);
    m.svd = reduce::truncated_svd({.n_components = dims, .power_iterations = params_.power_iterations, .seed = params_.seed, .threads = params_.threads})
                .fit(x);
    m.normalize = params_.normalize;
    m.threads = params_.threads;
    auto y = m.finish(m.svd.transform(x, params_.threads));
    return {std::move(m), std::move(y)};
  }

  /// fit_transform() without the embeddings.
  [[nodiscard]] lsa_model fit(std::span<const std::string> docs) const { return fit_transform(docs).first; }

 private:
  lsa_params params_;
};

}  // namespace segkit::embed
