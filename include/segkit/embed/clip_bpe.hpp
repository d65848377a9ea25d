#pragma once
/// @file
/// @brief CLIP's byte-level BPE tokenizer (vocab.json + merges.txt): NFC, white space collapsed,
/// lower-cased, split into letter runs / single numbers / other runs (and the contractions 's 't
/// 're 've 'm 'll 'd), each piece's UTF-8 bytes mapped to printable characters, merged by rank
/// with "</w>" marking word ends, framed by <|startoftext|> and <|endoftext|>.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "segkit/embed/hf_tokenizer.hpp"

namespace segkit::embed {

/**
 * @brief CLIP's tokenizer over a vocab.json and merges.txt (the files Hugging Face ships): an
 * hf_tokenizer built by hf_tokenizer::clip_files(), so that it reads text exactly as those
 * folders' tokenizer.json does (Hugging Face's CLIPTokenizerFast, and transformers.js: equal
 * ids on 10,300 real texts, tests/embed/test_hf_tokenizer.cpp). OpenAI's reference tokenizer
 * first runs ftfy (mojibake repair, HTML entities, quotes, ligatures, full-width forms), which is
 * not reproduced: on text that needs no repair both give the same tokens.
 * @par Thread safety  const members may run concurrently.
 */
class clip_bpe_tokenizer {
 public:
  static constexpr const char* start_marker = "<|startoftext|>";  ///< the text-start marker (vocabulary entry)
  static constexpr const char* end_marker = "<|endoftext|>";      ///< the text-end marker (and padding)

  /// @throws segkit::io_error / segkit::invalid_argument for unreadable or malformed files, or a vocabulary without the markers.
  clip_bpe_tokenizer(const std::filesystem::path& vocab_json, const std::filesystem::path& merges_txt, std::size_t context_length = 77)
      : t_(hf_tokenizer::clip_files(vocab_json, merges_txt, context_length)) {}

  [[nodiscard]] std::int64_t end_id() const noexcept { return t_.pad_id(); }
  /// Padding is <|endoftext|> (as Hugging Face's CLIP tokenizer pads; masked out anyway).
  [[nodiscard]] std::int64_t pad_id() const noexcept { return t_.pad_id(); }
  [[nodiscard]] std::size_t context_length() const noexcept { return t_.max_length(); }
  /// The tokenizer it runs.
  [[nodiscard]] const hf_tokenizer& tokenizer() const noexcept { return t_; }

  /// The BPE symbols of a text (no markers added; a literal <|startoftext|> or <|endoftext|> in the text stays one symbol).
  [[nodiscard]] std::vector<std::string> pieces(std::string_view text) const { return t_.tokens(text); }

  /**
   * @brief The pre-tokens of a text (before BPE): NFC, runs of white space to one space, lower
   * case (unicode::lower); a literal <|startoftext|> or <|endoftext|> split off first; then, as
   * CLIP's pattern reads it, at each position the first of: 's 't 're 've 'm 'll 'd; a run of
   * letters (L*); one number (N*); a run of anything else but white space.
   */
  [[nodiscard]] std::vector<std::string> words(std::string_view text) const { return t_.words(text); }

  /// <|startoftext|>, the symbols' ids (cut to context_length - 2), <|endoftext|>.
  [[nodiscard]] std::vector<std::int64_t> encode(std::string_view text) const { return t_.encode(text); }

 private:
  hf_tokenizer t_;
};

}  // namespace segkit::embed
