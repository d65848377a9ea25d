#pragma once
/// @file
/// @brief BERT's WordPiece tokenizer over a vocab.txt: basic tokenization (clean-up, CJK
/// characters apart, optional lower-casing with accent stripping, punctuation split) then greedy
/// longest-match-first word pieces with "##" continuations, [CLS] ... [SEP], truncation, [UNK].
/// The same tokenizer as a BERT model's tokenizer.json describes (segkit/embed/hf_tokenizer.hpp,
/// which runs it).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "segkit/core/params.hpp"
#include "segkit/embed/hf_tokenizer.hpp"

namespace segkit::embed {

/// Options of wordpiece_tokenizer (and of the tokenizer of onnx_text_params).
struct wordpiece_options {
  bool lower_case = true;            ///< lower-case and strip accents (uncased models, e.g. all-MiniLM-L6-v2); vocab.txt only
  std::size_t max_length = 0;        ///< tokens per text including [CLS] and [SEP]; longer texts are cut; 0: the model's own (512 for a bare vocab.txt)
  std::size_t max_word_chars = 100;  ///< longer words become [UNK]; vocab.txt only

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = wordpiece_options;
    namespace sp = segkit::params;
    return std::tuple{sp::field("lower_case", &p::lower_case, "lower-case and strip accents (uncased models, e.g. all-MiniLM-L6-v2)", {}, "do_lower_case"),
                      sp::field("max_length", &p::max_length, "tokens per text including [CLS] and [SEP]; longer texts are cut; 0: the model's own"),
                      sp::field("max_word_chars", &p::max_word_chars, "longer words become [UNK]", sp::at_least(1))};
  }
};

/// Tokens per text a bare BERT vocab.txt gets when max_length is 0 (BERT's 512 positions).
inline constexpr std::size_t bert_default_max_length = 512;

/**
 * @brief WordPiece tokenizer over a BERT vocab.txt (one token per line; line number = id): an
 * hf_tokenizer built with hf_tokenizer::bert_vocab(), with BERT's names for its stages.
 * @par Thread safety  const members may run concurrently.
 */
class wordpiece_tokenizer {
 public:
  /// @throws segkit::io_error / segkit::invalid_argument for an unreadable vocab or one without [CLS], [SEP], [PAD] or [UNK].
  explicit wordpiece_tokenizer(const std::filesystem::path& vocab, wordpiece_options options = {})
      : t_(hf_tokenizer::bert_vocab(vocab, options.lower_case, options.max_length != 0 ? options.max_length : bert_default_max_length,
                                    options.max_word_chars)) {}

  [[nodiscard]] std::int64_t pad_id() const noexcept { return t_.pad_id(); }
  [[nodiscard]] std::size_t vocabulary_size() const noexcept { return t_.vocabulary_size(); }
  /// The tokenizer it runs.
  [[nodiscard]] const hf_tokenizer& tokenizer() const noexcept { return t_; }

  /**
   * @brief BERT's basic tokenization, as Hugging Face's BertNormalizer + BertPreTokenizer do it:
   * U+0000, U+FFFD and category C* other than tab, LF and CR dropped; spaces around CJK
   * ideographs; uncased: lower case (unicode::lower), NFD, non-spacing marks (Mn) dropped; split at
   * white space (unicode::is_space); punctuation split off one by one. The vocabulary's special
   * tokens ([CLS], [SEP], [PAD], [UNK], [MASK]) written in the text stay whole.
   */
  [[nodiscard]] std::vector<std::string> words(std::string_view text) const { return t_.pre_tokens(text); }
  /// The word pieces of a text (strings; no [CLS]/[SEP] added, no truncation).
  [[nodiscard]] std::vector<std::string> pieces(std::string_view text) const { return t_.tokens(text); }
  /// Token ids: [CLS], the pieces (cut to max_length - 2), [SEP].
  [[nodiscard]] std::vector<std::int64_t> encode(std::string_view text) const { return t_.encode(text); }

 private:
  hf_tokenizer t_;
};

}  // namespace segkit::embed
