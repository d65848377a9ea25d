#pragma once
/// @file
/// @brief Sentence-transformer text models (all-MiniLM-L6-v2 and the like) exported to ONNX, run
/// through ONNX Runtime: the model's tokenizer (tokenizer.json or vocab.txt), dynamic padding,
/// attention masks, mean, CLS, max or mean-sqrt-len pooling, L2 normalization.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/concepts.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/params.hpp"
#include "segkit/core/progress.hpp"
#include "segkit/embed/clip_bpe.hpp"
#include "segkit/embed/hf_tokenizer.hpp"
#include "segkit/embed/onnx.hpp"
#include "segkit/embed/wordpiece.hpp"

namespace segkit::embed {

/// How token vectors become one text vector (sentence-transformers' pooling modes).
enum class pooling {
  mean,           ///< mean over the real tokens (attention mask 1)
  cls,            ///< the first token's vector
  max,            ///< largest value of each dimension over the real tokens
  mean_sqrt_len,  ///< sum over the real tokens divided by the square root of their number
};
/// Names of pooling in files and on the command line.
constexpr auto enum_names(pooling) {
  using params::name_value;
  return std::array{name_value{"mean", pooling::mean}, name_value{"cls", pooling::cls}, name_value{"max", pooling::max},
                    name_value{"mean-sqrt-len", pooling::mean_sqrt_len}};
}

/// Parameters of onnx_text_embedder.
struct onnx_text_params {
  std::filesystem::path model;           ///< the .onnx file
  std::filesystem::path vocab;           ///< the model's WordPiece vocab.txt (when tokenizer_json is empty)
  std::filesystem::path tokenizer_json;  ///< the model's tokenizer.json (any tokenizer hf_tokenizer runs); used instead of vocab
  wordpiece_options tokenizer{};         ///< max_length (0: the model's own); lower-casing for a vocab.txt
  embed::pooling pooling = embed::pooling::mean;  ///< mean, cls, max or mean-sqrt-len
  bool normalize = true;               ///< unit-length vectors
  std::size_t batch_size = 32;         ///< texts per run (padded to the longest in the batch)
  onnx_session_options session{};      ///< runtime path, threads, graph optimization

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = onnx_text_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("model", &p::model, "the .onnx file"),
                      sp::field("vocab", &p::vocab, "the model's WordPiece vocab.txt (when tokenizer_json is empty)"),
                      sp::field("tokenizer_json", &p::tokenizer_json, "the model's tokenizer.json, used instead of vocab"),
                      sp::field("tokenizer", &p::tokenizer, "max_length (0: the model's own); lower-casing for a vocab.txt"),
                      sp::field("pooling", &p::pooling, "mean, max or mean-sqrt-len over the real tokens, or the first token (cls)"),
                      sp::field("normalize", &p::normalize, "unit-length vectors"),
                      sp::field("batch_size", &p::batch_size, "texts per run (padded to the longest in the batch)", sp::at_least(1)),
                      sp::field("session", &p::session, "runtime path, threads, graph optimization")};
  }
};

/**
 * @brief Text embeddings from an ONNX text model with any tokenizer that offers `encode(text)`
 * (ids with the model's markers) and `pad_id()`: the machinery of onnx_text_embedder and
 * clip_text_embedder (satisfies segkit::embedder for std::string records).
 *
 * The model's inputs are read from it: `input_ids` is required; `attention_mask` and
 * `token_type_ids` are fed when the model declares them (masks 1 on real tokens, 0 on padding;
 * token types 0). The vectors come from the output `text_embeds` (CLIP's text tower) as they
 * are, else the token vectors of `last_hidden_state` or, failing that, of the first output of
 * rank 3, pooled; else a rank-2 output (an already pooled sentence vector) as it is.
 * @par Thread safety  embed() may run concurrently.
 */
template <class Tokenizer>
class basic_onnx_text_embedder {
 public:
  /// @throws segkit::error / segkit::invalid_argument for a missing runtime or model, or a model without input_ids or a float output.
  basic_onnx_text_embedder(const onnx_text_params& p, Tokenizer tokenizer) : p_(p), tokenizer_(std::move(tokenizer)), session_(p.model, p.session) {
    if (p_.batch_size == 0) segkit::detail::throw_invalid("segkit::embed::onnx_text", "batch_size must be at least 1");
    bool ids = false;
    for (const auto& in : session_.inputs()) {
      if (in.name == "input_ids") {
        ids = true;
      } else if (in.name != "attention_mask" && in.name != "token_type_ids") {
        onnx_runtime::fail(fmt::format("the model has an input '{}' that a text model should not need", in.name));
      }
    }
    if (!ids) onnx_runtime::fail("the model has no input 'input_ids'");
    const onnx_port* chosen = nullptr;
    for (const auto& out : session_.outputs()) {
      if (out.name == "text_embeds") chosen = &out;  // CLIP's text tower: its own pooled, projected vector
    }
    for (const auto& out : session_.outputs()) {
      if (chosen == nullptr && out.name == "last_hidden_state") chosen = &out;
    }
    for (const auto& out : session_.outputs()) {
      if (chosen == nullptr && out.shape.size() == 3) chosen = &out;
    }
    for (const auto& out : session_.outputs()) {
      if (chosen == nullptr && out.shape.size() == 2) chosen = &out;
    }
    if (chosen == nullptr) onnx_runtime::fail("the model has no output of rank 2 or 3 (token or sentence vectors)");
    output_ = chosen->name;
    pooled_ = chosen->shape.size() == 2;
    const std::vector<std::vector<std::int64_t>> probe{tokenizer_.encode("")};
    const std::size_t first = 0;
    dim_ = run_ids(probe, std::span<const std::size_t>(&first, 1)).shape(1);
  }

  [[nodiscard]] std::size_t dim() const noexcept { return dim_; }
  [[nodiscard]] const Tokenizer& tokenizer() const noexcept { return tokenizer_; }
  [[nodiscard]] const onnx_session& session() const noexcept { return session_; }

  /**
   * @brief One row per text, in the order given.
   *
   * The texts are tokenized in parallel (`session.intra_op_threads` threads; 0: all hardware
   * threads), then run through the model in batches of `batch_size` texts of similar length (the
   * texts ordered by token count), so that little of a batch is padding. Padding is masked, so a
   * text's vector does not depend on the texts that share its call beyond float rounding (ONNX
   * Runtime may round differently for another padded length: below 1e-6 in the tests); the same
   * texts give the same bits whatever the thread count. `progress` hears stage "embed" with the
   * texts done after each batch (returning false cancels: segkit::cancelled).
   */
  template <progress_callback P = no_progress>
  [[nodiscard]] matrix<float> embed(std::span<const std::string> texts, P&& progress = {}) const {
    const std::size_t n = texts.size();
    matrix<float> out = matrix<float>::from_shape({n, dim_});
    std::vector<std::vector<std::int64_t>> ids(n);
    const auto tokenize = [&](std::size_t b, std::size_t e, std::size_t) {
      for (std::size_t i = b; i < e; ++i) ids[i] = tokenizer_.encode(texts[i]);
    };
    constexpr std::size_t grain = 64;  // texts per tokenizing task
    if (n > grain) {
      executor ex(static_cast<std::size_t>(std::max(p_.session.intra_op_threads, 0)));
      parallel_for(ex, n, grain, tokenize);
    } else {
      tokenize(0, n, 0);
    }
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return ids[a].size() < ids[b].size(); });
    for (std::size_t b = 0; b < n; b += p_.batch_size) {
      const std::size_t e = std::min(n, b + p_.batch_size);
      const std::span<const std::size_t> batch(order.data() + b, e - b);
      const auto part = run_ids(ids, batch);
      if (part.shape(1) != dim_)
        onnx_runtime::fail(fmt::format("output '{}' has {} dimensions in one batch and {} in another", output_, part.shape(1), dim_));
      for (std::size_t k = 0; k < batch.size(); ++k) std::copy_n(part.data() + k * dim_, dim_, out.data() + batch[k] * dim_);
      report_progress(progress, "embed", e, n);
    }
    return out;
  }

 private:
  /// The vectors of the texts `batch` indexes in `ids` (one row each, in that order).
  [[nodiscard]] matrix<float> run_ids(const std::vector<std::vector<std::int64_t>>& ids, std::span<const std::size_t> batch) const {
    const std::size_t n = batch.size();
    std::size_t longest = 1;  // a tokenizer without special tokens can give none: one masked pad
    for (const auto i : batch) longest = std::max(longest, ids[i].size());
    onnx_tensor<std::int64_t> input{{static_cast<std::int64_t>(n), static_cast<std::int64_t>(longest)}, std::vector<std::int64_t>(n * longest, tokenizer_.pad_id())};
    onnx_tensor<std::int64_t> mask{input.shape, std::vector<std::int64_t>(n * longest, 0)};
    for (std::size_t k = 0; k < n; ++k) {
      const auto& t = ids[batch[k]];
      std::copy(t.begin(), t.end(), input.data.begin() + static_cast<std::ptrdiff_t>(k * longest));
      std::fill_n(mask.data.begin() + static_cast<std::ptrdiff_t>(k * longest), t.size(), 1);
    }
    std::unordered_map<std::string, onnx_tensor<std::int64_t>> feeds;
    for (const auto& in : session_.inputs()) {
      if (in.name == "input_ids") feeds.emplace(in.name, input);
      if (in.name == "attention_mask") feeds.emplace(in.name, mask);
      if (in.name == "token_type_ids") feeds.emplace(in.name, onnx_tensor<std::int64_t>{input.shape, std::vector<std::int64_t>(n * longest, 0)});
    }
    const auto result = session_.run(feeds, output_);
    const auto fail_shape = [&] {
      onnx_runtime::fail(fmt::format("output '{}' has shape [{}] for {} texts of {} tokens", output_, fmt::join(result.shape, ", "), n, longest));
    };
    std::size_t d = 0;
    matrix<float> out;
    if (pooled_) {
      if (result.shape.size() != 2 || result.shape[0] != static_cast<std::int64_t>(n)) fail_shape();
      d = static_cast<std::size_t>(result.shape[1]);
      out = matrix<float>::from_shape({n, d});
      std::copy(result.data.begin(), result.data.end(), out.begin());
    } else {
      if (result.shape.size() != 3 || result.shape[0] != static_cast<std::int64_t>(n) || result.shape[1] != static_cast<std::int64_t>(longest)) fail_shape();
      d = static_cast<std::size_t>(result.shape[2]);
      out = matrix<float>::from_shape({n, d});
      for (std::size_t k = 0; k < n; ++k) pool(result.data.data() + k * longest * d, ids[batch[k]].size(), d, out.data() + k * d);
    }
    if (p_.normalize) {
      for (std::size_t i = 0; i < n; ++i) {
        double s = 0.0;
        for (std::size_t j = 0; j < d; ++j) s += static_cast<double>(out(i, j)) * out(i, j);
        const double f = s > 0.0 ? 1.0 / std::sqrt(s) : 0.0;
        for (std::size_t j = 0; j < d; ++j) out(i, j) = static_cast<float>(out(i, j) * f);
      }
    }
    return out;
  }

  /// Pools the `used` real token vectors of one text (`tokens`: [used..., d]) into `row`.
  void pool(const float* tokens, std::size_t used, std::size_t d, float* row) const {
    if (p_.pooling == embed::pooling::cls) used = std::min<std::size_t>(used, 1);
    for (std::size_t j = 0; j < d; ++j) {
      double s = p_.pooling == embed::pooling::max ? -std::numeric_limits<double>::infinity() : 0.0;
      for (std::size_t t = 0; t < used; ++t) {
        const double x = tokens[t * d + j];
        s = p_.pooling == embed::pooling::max ? std::max(s, x) : s + x;
      }
      if (used == 0) s = 0.0;  // no real token: a zero vector
      else if (p_.pooling == embed::pooling::mean || p_.pooling == embed::pooling::cls) s /= static_cast<double>(used);
      else if (p_.pooling == embed::pooling::mean_sqrt_len) s /= std::sqrt(static_cast<double>(used));
      row[j] = static_cast<float>(s);
    }
  }

  onnx_text_params p_;
  Tokenizer tokenizer_;
  onnx_session session_;
  std::string output_;
  bool pooled_ = false;
  std::size_t dim_ = 0;
};

/**
 * @brief The tokenizer `p` names: its tokenizer.json when given (max_length 0: the file's
 * truncation), else BERT's WordPiece over its vocab.txt (max_length 0: 512).
 * @throws as hf_tokenizer::from_file and hf_tokenizer::bert_vocab.
 */
inline hf_tokenizer text_tokenizer_of(const onnx_text_params& p) {
  if (!p.tokenizer_json.empty()) return hf_tokenizer::from_file(p.tokenizer_json, p.tokenizer.max_length);
  return wordpiece_tokenizer(p.vocab, p.tokenizer).tokenizer();
}

/// Sentence-transformer models: their tokenizer.json (`params.tokenizer_json`) or BERT WordPiece over `params.vocab`.
class onnx_text_embedder : public basic_onnx_text_embedder<hf_tokenizer> {
 public:
  explicit onnx_text_embedder(const onnx_text_params& p) : basic_onnx_text_embedder(p, text_tokenizer_of(p)) {}
};

/**
 * @brief CLIP's text tower (input_ids [, attention_mask] -> text_embeds) with CLIP's byte-level
 * BPE tokenizer: texts in the same space as onnx_image_embedder's pictures. `params.vocab` and
 * `params.tokenizer` are unused; pass vocab.json, merges.txt and the context length (77).
 */
class clip_text_embedder : public basic_onnx_text_embedder<clip_bpe_tokenizer> {
 public:
  clip_text_embedder(const onnx_text_params& p, const std::filesystem::path& vocab_json, const std::filesystem::path& merges_txt,
                     std::size_t context_length = 77)
      : basic_onnx_text_embedder(p, clip_bpe_tokenizer(vocab_json, merges_txt, context_length)) {}
};

static_assert(segkit::embedder<onnx_text_embedder, std::string>);
static_assert(segkit::embedder<clip_text_embedder, std::string>);

}  // namespace segkit::embed
