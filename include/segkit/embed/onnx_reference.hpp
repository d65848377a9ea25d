#pragma once
/// @file
/// @brief An ONNX text model kept by reference in a saved segmentation: the paths of its files
/// (model, tokenizer) with their SHA-256, so that a model file replaced after the segmentation
/// was saved is refused instead of silently giving vectors in another space.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/binary_format.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/json.hpp"
#include "segkit/core/params.hpp"
#include "segkit/core/sha256.hpp"
#include "segkit/embed/onnx_text.hpp"

namespace segkit::embed {

/**
 * @brief A sentence-transformer (WordPiece) or CLIP text model named by its files and their
 * SHA-256: what a saved segmentation keeps instead of the model's weights.
 *
 * @code
 * segkit::embed::onnx_text_params p{.model = "minilm/model.onnx", .vocab = "minilm/vocab.txt"};
 * auto ref = segkit::embed::onnx_text_reference::of(p);   // hashes the files now
 * auto v = ref.embed(texts);                              // checks the hashes, then embeds
 * @endcode
 * The ONNX Runtime session options are not part of it (they belong to the machine that embeds);
 * pass them to embed().
 * @par Thread safety  const members may run concurrently.
 */
struct onnx_text_reference {
  onnx_text_params params;            ///< model, tokenizer file, tokenizer options, pooling, normalize, batch size (absolute paths)
  std::filesystem::path clip_vocab;   ///< CLIP's vocab.json (empty: a WordPiece model over params.vocab)
  std::filesystem::path clip_merges;  ///< CLIP's merges.txt
  std::vector<std::string> sha256;    ///< of files(), in order, as 64 hexadecimal digits
  std::size_t dim = 0;                ///< the model's output width

  /// True for a CLIP text tower (byte-level BPE), false for a WordPiece sentence model.
  [[nodiscard]] bool clip() const noexcept { return !clip_vocab.empty(); }

  /// The files the model is made of: the .onnx file, then tokenizer.json or vocab.txt (sentence models) or vocab.json and merges.txt (CLIP).
  [[nodiscard]] std::vector<std::filesystem::path> files() const {
    if (clip()) return {params.model, clip_vocab, clip_merges};
    return {params.model, params.tokenizer_json.empty() ? params.vocab : params.tokenizer_json};
  }

  /**
   * @brief A reference to the model `p` describes (and, for CLIP, its BPE files): absolute paths,
   * the files' SHA-256, and the output width `dim` (0: opened once here to read it).
   * @throws segkit::io_error for a file that cannot be read; as the embedder for a model that cannot be opened.
   */
  [[nodiscard]] static onnx_text_reference of(const onnx_text_params& p, const std::filesystem::path& clip_vocab = {},
                                              const std::filesystem::path& clip_merges = {}, std::size_t dim = 0) {
    onnx_text_reference r;
    r.params = p;
    r.params.session = {};
    r.params.model = std::filesystem::absolute(p.model);
    if (!p.vocab.empty()) r.params.vocab = std::filesystem::absolute(p.vocab);
    if (!p.tokenizer_json.empty()) r.params.tokenizer_json = std::filesystem::absolute(p.tokenizer_json);
    if (!clip_vocab.empty()) r.clip_vocab = std::filesystem::absolute(clip_vocab);
    if (!clip_merges.empty()) r.clip_merges = std::filesystem::absolute(clip_merges);
    if (r.clip() != !r.clip_merges.empty()) segkit::detail::throw_invalid("segkit::embed::onnx_text_reference", "CLIP needs both vocab.json and merges.txt");
    for (const auto& f : r.files()) r.sha256.push_back(sha256_file(f));
    if (dim == 0) dim = r.clip() ? clip_text_embedder(p, r.clip_vocab, r.clip_merges).dim() : onnx_text_embedder(p).dim();
    r.dim = dim;
    return r;
  }

  /**
   * @brief Checks that every file still has the SHA-256 it had when the reference was made.
   * @throws segkit::io_error for a file that is gone; segkit::format_error naming a file whose
   *         content changed (both hashes in the message).
   */
  void verify() const {
    const auto f = files();
    for (std::size_t i = 0; i < f.size(); ++i) {
      const auto now = sha256_file(f[i]);
      if (now != sha256[i]) {
        throw segkit::format_error(fmt::format("segkit::embed::onnx_text_reference: '{}' changed since the segmentation was saved (sha256 {} then, {} now); "
                                               "embed with the original file or fit the segmentation again",
                                               f[i].string(), sha256[i], now));
      }
    }
  }

  /**
   * @brief The model, its files verified once and its session opened: for a service that embeds
   * many batches (embed() verifies and opens the model on every call).
   * @throws as verify() and the embedder.
   */
  class opened_model {
   public:
    /// The texts' vectors (one row each). @throws segkit::format_error when the model's width differs from the reference's.
    [[nodiscard]] matrix<float> embed(std::span<const std::string> texts) const {
      matrix<float> v = clip_ ? clip_->embed(texts) : wordpiece_->embed(texts);
      if (v.shape(1) != dim_) {
        throw segkit::format_error(
            fmt::format("segkit::embed::onnx_text_reference: the model gives {} dimensions, the segmentation was made with {}", v.shape(1), dim_));
      }
      return v;
    }

   private:
    friend struct onnx_text_reference;
    explicit opened_model(std::size_t dim) : dim_(dim) {}
    std::unique_ptr<onnx_text_embedder> wordpiece_;  // one of the two (the embedders do not move)
    std::unique_ptr<clip_text_embedder> clip_;
    std::size_t dim_;
  };

  /// verify(), then the opened model (see opened_model).
  [[nodiscard]] opened_model open_verified(const onnx_session_options& session = {}) const {
    verify();
    auto p = params;
    p.session = session;
    opened_model m(dim);
    if (clip()) {
      m.clip_ = std::make_unique<clip_text_embedder>(p, clip_vocab, clip_merges);
    } else {
      m.wordpiece_ = std::make_unique<onnx_text_embedder>(p);
    }
    return m;
  }

  /// The texts' vectors (one row each), after verify() (open_verified() once, then embed). @throws as verify() and the embedder.
  [[nodiscard]] matrix<float> embed(std::span<const std::string> texts, const onnx_session_options& session = {}) const {
    return open_verified(session).embed(texts);
  }

  /// Kind of the container the reference is stored in (segkit::storable_model).
  static constexpr std::string_view container_kind = "segkit.model.onnx_text";

  /// Adds the parameters (as JSON), the CLIP paths, the hashes and the width to `w`.
  void write_to(container_writer& w) const {
    byte_writer meta;
    meta.put(std::uint32_t{1}).put_string(segkit::params::to_json(params)).put_string(clip_vocab.string()).put_string(clip_merges.string());
    meta.put(static_cast<std::uint64_t>(dim)).put(static_cast<std::uint64_t>(sha256.size()));
    for (const auto& h : sha256) meta.put_string(h);
    w.add_copy("meta", meta.bytes());
  }

  /// Rebuilds a reference written by write_to(); the files are not read here (embed() checks them).
  /// @throws segkit::format_error for a damaged or implausible section.
  [[nodiscard]] static onnx_text_reference read_from(const container_reader& file) {
    byte_reader meta(file.section("meta"), file);
    if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("onnx_text_reference format version {} is not supported", v));
    onnx_text_reference r;
    try {
      r.params = segkit::params::from_json<onnx_text_params>(parse_json(meta.get_string(), "the stored ONNX parameters"), "the stored ONNX parameters");
    } catch (const segkit::error& e) {
      file.fail(e.what());
    }
    r.clip_vocab = meta.get_string();
    r.clip_merges = meta.get_string();
    r.dim = static_cast<std::size_t>(meta.get<std::uint64_t>());
    const auto n = meta.get<std::uint64_t>();
    if (n != r.files().size() || r.dim == 0 || r.dim > (std::uint64_t{1} << 20) || r.clip() == r.clip_merges.empty()) file.fail("implausible ONNX model reference");
    for (std::uint64_t i = 0; i < n; ++i) {
      r.sha256.push_back(meta.get_string());
      if (r.sha256.back().size() != 64) file.fail("a stored sha256 is not 64 hexadecimal digits");
    }
    return r;
  }
};

}  // namespace segkit::embed
