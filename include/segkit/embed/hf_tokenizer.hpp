#pragma once
/// @file
/// @brief Hugging Face `tokenizer.json` files and SentencePiece `.model` files, read and run: the
/// tokenizer of nearly every published transformer model (normalizer, pre-tokenizer, WordPiece,
/// BPE or Unigram model, post-processor with special tokens, truncation).
///
/// What is implemented (anything else in a file is refused with an error naming it, never
/// skipped):
/// - normalizers: BertNormalizer, Lowercase, NFD, NFC, StripAccents, Strip, Prepend, Replace
///   (a string pattern, or the regular expressions `\s+` and `" {2,}"`), Precompiled
///   (SentencePiece's compiled rules), Sequence;
/// - pre-tokenizers: BertPreTokenizer, Whitespace, WhitespaceSplit, Punctuation (isolated),
///   Digits, Metaspace, ByteLevel (GPT-2's pattern), Split (a string pattern, or CLIP's pattern
///   with behaviour Removed and invert), Sequence;
/// - models: WordPiece, BPE (with or without byte-level input, continuing-subword prefix and
///   end-of-word suffix; `ignore_merges`), Unigram (with byte fallback);
/// - post-processors: TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel (no change
///   to ids), Sequence;
/// - added tokens (special or not), matched in the text before normalization, longest first,
///   with their lstrip and rstrip flags;
/// - truncation: the text's tokens are cut to the maximum length less the special tokens the
///   template adds (which are always kept), on the right or the left, as Hugging Face tokenizers
///   and sentence-transformers do. (transformers.js instead cuts after adding them, which drops
///   the final [SEP]; segkit follows the tokenizers library.)
///
/// Padding settings are not needed to make ids (the embedders pad each batch themselves) and
/// decoders are not needed to encode: both are read but not used.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "segkit/core/compiled.hpp"

namespace segkit::embed {

/// The ids of one encoded text and the token type of each (0 for a single text's tokens and, in
/// BERT's template, its [CLS] and [SEP]).
struct token_ids {
  std::vector<std::int64_t> ids;       ///< token ids, special tokens included
  std::vector<std::int64_t> type_ids;  ///< one per id
};

/**
 * @brief A tokenizer described by a Hugging Face `tokenizer.json` (or built from a BERT
 * vocab.txt): text to token ids exactly as the model's reference tokenizer gives them.
 *
 * Copies share the read-only tables. @par Thread safety  const members may run concurrently.
 */
class hf_tokenizer {
 public:
  /**
   * @brief Reads a `tokenizer.json` file.
   * @param path        the file.
   * @param max_length  tokens per text including special tokens; 0: the file's truncation
   *                    setting (none when the file has none).
   * @throws segkit::io_error when the file cannot be read; segkit::format_error for invalid JSON
   *         or a component segkit does not implement (named in the message).
   */
  [[nodiscard]] SEGKIT_FUNC static hf_tokenizer from_file(const std::filesystem::path& path, std::size_t max_length = 0);

  /// from_file() on a `tokenizer.json` document already in memory; `source` names it in messages.
  [[nodiscard]] SEGKIT_FUNC static hf_tokenizer from_json(std::string_view json, std::string_view source, std::size_t max_length = 0);

  /**
   * @brief BERT's tokenizer over a vocab.txt (one token per line, id = line number), as
   * tokenizer.json files of BERT models describe it: BertNormalizer (lower-casing and accent
   * stripping when `lower_case`), BertPreTokenizer, WordPiece with "##" continuations, and
   * [CLS] text [SEP].
   * @throws segkit::io_error for an unreadable file; segkit::invalid_argument when [CLS], [SEP],
   *         [PAD] or [UNK] is missing, or max_length is below 2.
   */
  [[nodiscard]] SEGKIT_FUNC static hf_tokenizer bert_vocab(const std::filesystem::path& vocab, bool lower_case, std::size_t max_length,
                                                           std::size_t max_word_chars = 100);

  /**
   * @brief CLIP's tokenizer over the vocab.json and merges.txt its Hugging Face folders ship, run
   * as those folders' tokenizer.json describes it (CLIPTokenizerFast): NFC, runs of white space
   * to one space, lower case, CLIP's pattern, byte-level BPE with "</w>" word ends,
   * `<|startoftext|> ... <|endoftext|>`, cut to `context_length` tokens.
   * @throws segkit::io_error for an unreadable file; segkit::invalid_argument for an invalid
   *         vocab.json, a malformed merges line, or a vocabulary without the two markers.
   */
  [[nodiscard]] SEGKIT_FUNC static hf_tokenizer clip_files(const std::filesystem::path& vocab_json, const std::filesystem::path& merges_txt,
                                                           std::size_t context_length = 77);

  /**
   * @brief A SentencePiece model file (`.model`, Unigram): its normalization rules and
   * white-space handling, and the segmentation of highest probability, as `spm_encode
   * --output_format=id` gives it (no `<s>`/`</s>` added: a bare model file does not say whether
   * its model wants them).
   * @throws segkit::io_error for an unreadable file; segkit::format_error for a damaged file or a
   *         model type other than Unigram (named).
   */
  [[nodiscard]] SEGKIT_FUNC static hf_tokenizer from_sentencepiece(const std::filesystem::path& path, std::size_t max_length = 0);
  /// from_sentencepiece() on a model file's bytes already in memory; `source` names it in messages.
  [[nodiscard]] SEGKIT_FUNC static hf_tokenizer from_sentencepiece_data(std::string_view bytes, std::string_view source, std::size_t max_length = 0);

  /// Token ids of a text: special tokens as the post-processor adds them, cut to max_length().
  [[nodiscard]] SEGKIT_FUNC std::vector<std::int64_t> encode(std::string_view text) const;
  /// encode() with the token type ids.
  [[nodiscard]] SEGKIT_FUNC token_ids encode_with_types(std::string_view text) const;
  /// The text's pieces after normalization and pre-tokenization (UTF-8), before the model.
  [[nodiscard]] SEGKIT_FUNC std::vector<std::string> pre_tokens(std::string_view text) const;
  /// pre_tokens() with byte-level pieces mapped back to the text's characters (the same as pre_tokens() for other tokenizers).
  [[nodiscard]] SEGKIT_FUNC std::vector<std::string> words(std::string_view text) const;
  /// The model's tokens of a text (UTF-8; byte-level tokens in their printable spelling): no
  /// special tokens from the post-processor, no truncation; added tokens as they are written.
  [[nodiscard]] SEGKIT_FUNC std::vector<std::string> tokens(std::string_view text) const;
  /// The id of a token of the vocabulary or an added token, if it has one.
  [[nodiscard]] SEGKIT_FUNC std::optional<std::int64_t> token_id(std::string_view token) const;
  /// A one-line description: model and components, e.g. "WordPiece (BertNormalizer, BertPreTokenizer, TemplateProcessing)".
  [[nodiscard]] SEGKIT_FUNC std::string describe() const;

  /// The id padding uses (the file's padding setting, else [PAD], &lt;pad&gt;, else 0).
  [[nodiscard]] std::int64_t pad_id() const noexcept { return pad_id_; }
  /// Number of ids (vocabulary and added tokens).
  [[nodiscard]] std::size_t vocabulary_size() const noexcept { return vocabulary_size_; }
  /// Tokens per text including special tokens; 0 when texts are not cut.
  [[nodiscard]] std::size_t max_length() const noexcept { return max_length_; }
  /// Sets max_length(). @throws segkit::invalid_argument when it leaves no room for the text's tokens besides the special tokens.
  SEGKIT_FUNC void set_max_length(std::size_t max_length);

  struct tables;  ///< the parsed file (defined in detail/hf_tokenizer-inl.hpp)

 private:
  /// The tokenizer of finished tables (pad id and size from them), cut at `max_length`.
  SEGKIT_FUNC hf_tokenizer(std::shared_ptr<const tables> t, std::size_t max_length);
  std::shared_ptr<const tables> t_;
  std::int64_t pad_id_ = 0;
  std::size_t vocabulary_size_ = 0;
  std::size_t max_length_ = 0;
};

}  // namespace segkit::embed

#if !defined(SEGKIT_COMPILED)
#include "segkit/embed/detail/hf_tokenizer-inl.hpp"
#endif
