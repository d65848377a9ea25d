#pragma once
/// @file
/// @brief BERT's WordPiece tokenizer (vocab.txt): basic tokenization (clean-up, CJK characters
/// apart, optional lower-casing with accent stripping, punctuation split) then greedy
/// longest-match-first word pieces with "##" continuations, [CLS] ... [SEP], truncation, [UNK].

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/file.hpp"
#include "segkit/core/unicode.hpp"
#include "segkit/core/params.hpp"

namespace segkit::embed {

/// Options of wordpiece_tokenizer.
struct wordpiece_options {
  bool lower_case = true;            ///< lower-case and strip accents (uncased models, e.g. all-MiniLM-L6-v2)
  std::size_t max_length = 128;      ///< tokens per text including [CLS] and [SEP]; longer texts are cut
  std::size_t max_word_chars = 100;  ///< longer words become [UNK]

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = wordpiece_options;
    namespace sp = segkit::params;
    return std::tuple{sp::field("lower_case", &p::lower_case, "lower-case and strip accents (uncased models, e.g. all-MiniLM-L6-v2)", {}, "do_lower_case"),
                      sp::field("max_length", &p::max_length, "tokens per text including [CLS] and [SEP]; longer texts are cut", sp::at_least(2)),
                      sp::field("max_word_chars", &p::max_word_chars, "longer words become [UNK]", sp::at_least(1))};
  }
};

namespace detail {

/// BERT's punctuation: the ASCII symbols 33-47, 58-64, 91-96, 123-126 and Unicode category P*.
inline bool is_bert_punctuation(char32_t c) noexcept {
  if (c < 0x80) return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  return unicode::is_punctuation(c);
}

/// CJK ideographs (the blocks BERT puts spaces around).
inline bool is_cjk(char32_t c) noexcept {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

}  // namespace detail

/**
 * @brief WordPiece tokenizer over a BERT vocab.txt (one token per line; line number = id).
 * @par Thread safety  const members may run concurrently.
 */
class wordpiece_tokenizer {
 public:
  /// @throws segkit::io_error / segkit::invalid_argument for an unreadable vocab or one without [CLS], [SEP], [PAD] or [UNK].
  explicit wordpiece_tokenizer(const std::filesystem::path& vocab, wordpiece_options options = {}) : options_(options) {
    std::int64_t id = 0;
    for (auto& token : read_file_lines(vocab, "segkit::embed::wordpiece")) ids_.emplace(std::move(token), id++);  // id = line number
    const auto need = [&](const char* t) {
      const auto it = ids_.find(t);
      if (it == ids_.end()) segkit::detail::throw_invalid("segkit::embed::wordpiece", fmt::format("vocabulary '{}' has no {} token", vocab.string(), t));
      return it->second;
    };
    cls_ = need("[CLS]");
    sep_ = need("[SEP]");
    pad_ = need("[PAD]");
    unk_ = need("[UNK]");
    if (options_.max_length < 2) segkit::detail::throw_invalid("segkit::embed::wordpiece", "max_length must be at least 2");
  }

  [[nodiscard]] std::int64_t pad_id() const noexcept { return pad_; }
  [[nodiscard]] std::size_t vocabulary_size() const noexcept { return ids_.size(); }

  /**
   * @brief BERT's basic tokenization, as Hugging Face's BertNormalizer + BertPreTokenizer do it:
   * U+0000, U+FFFD and category C* other than tab, LF and CR dropped; spaces around CJK
   * ideographs; uncased: lower case (unicode::lower), NFD, non-spacing marks (Mn) dropped; split at
   * white space (unicode::is_space); punctuation (is_bert_punctuation) split off one by one.
   */
  [[nodiscard]] std::vector<std::u32string> basic_tokens(std::string_view text) const {
    std::u32string s;
    for (const char32_t c : unicode::decode_utf8(text)) {
      const bool kept_control = c == U'\t' || c == U'\n' || c == U'\r';
      if (c == 0 || c == 0xFFFD || (unicode::is_other(c) && !kept_control)) continue;
      s.push_back(c);
    }
    if (options_.lower_case) {
      s = unicode::nfd(unicode::lower(s));
      std::erase_if(s, [](char32_t c) { return unicode::general_category(c) == unicode::category::Mn; });
    }
    std::vector<std::u32string> words;
    std::u32string cur;
    const auto flush = [&] {
      if (!cur.empty()) words.push_back(std::move(cur));
      cur.clear();
    };
    for (const char32_t c : s) {
      if (unicode::is_space(c)) {
        flush();
      } else if (detail::is_cjk(c) || detail::is_bert_punctuation(c)) {
        flush();
        words.emplace_back(1, c);
      } else {
        cur.push_back(c);
      }
    }
    flush();
    return words;
  }

  /// basic_tokens() as UTF-8 strings.
  [[nodiscard]] std::vector<std::string> words(std::string_view text) const {
    std::vector<std::string> out;
    for (const auto& w : basic_tokens(text)) out.push_back(unicode::encode_utf8(w));
    return out;
  }

  /// The word pieces of a text (strings; no [CLS]/[SEP], no truncation).
  [[nodiscard]] std::vector<std::string> pieces(std::string_view text) const {
    std::vector<std::string> out;
    for (const auto& word : basic_tokens(text)) {
      const auto p = word_pieces(word);
      out.insert(out.end(), p.begin(), p.end());
    }
    return out;
  }

  /// Token ids: [CLS], the pieces (cut to max_length - 2), [SEP].
  [[nodiscard]] std::vector<std::int64_t> encode(std::string_view text) const {
    std::vector<std::int64_t> ids{cls_};
    for (const auto& p : pieces(text)) {
      if (ids.size() + 1 >= options_.max_length) break;
      const auto it = ids_.find(p);
      ids.push_back(it == ids_.end() ? unk_ : it->second);
    }
    ids.push_back(sep_);
    return ids;
  }

 private:
  /// Greedy longest-match-first pieces of one word ("##" on continuations); [UNK] when stuck.
  [[nodiscard]] std::vector<std::string> word_pieces(const std::u32string& word) const {
    if (word.size() > options_.max_word_chars) return {"[UNK]"};
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < word.size()) {
      std::size_t end = word.size();
      std::string found;
      while (start < end) {
        std::string piece = (start > 0 ? "##" : "") + unicode::encode_utf8(std::u32string_view(word).substr(start, end - start));
        if (ids_.count(piece) != 0) {
          found = std::move(piece);
          break;
        }
        --end;
      }
      if (found.empty()) return {"[UNK]"};
      out.push_back(std::move(found));
      start = end;
    }
    return out;
  }

  wordpiece_options options_;
  std::unordered_map<std::string, std::int64_t> ids_;
  std::int64_t cls_ = 0, sep_ = 0, pad_ = 0, unk_ = 0;
};

}  // namespace segkit::embed
