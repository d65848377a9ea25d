#pragma once
/// @file
/// @brief BERT's WordPiece tokenizer (vocab.txt): basic tokenisation (clean-up, CJK characters
/// apart, optional lower-casing with accent stripping, punctuation split) then greedy
/// longest-match-first word pieces with "##" continuations, [CLS] ... [SEP], truncation, [UNK].

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/file.hpp"
#include "segkit/embed/text_analysis.hpp"

namespace segkit::embed {

/// Options of wordpiece_tokenizer.
struct wordpiece_options {
  bool lower_case = true;            ///< lower-case and strip accents (uncased models, e.g. all-MiniLM-L6-v2)
  std::size_t max_length = 128;      ///< tokens per text including [CLS] and [SEP]; longer texts are cut
  std::size_t max_word_chars = 100;  ///< longer words become [UNK]
};

namespace detail {

/// Base letter of an accented Latin letter (Latin-1 Supplement and Latin Extended-A), else c:
/// what NFD decomposition followed by dropping combining marks gives for these code points.
inline char32_t strip_accent(char32_t c) noexcept {
  static constexpr char32_t latin1[64] = {
      U'A', U'A', U'A', U'A', U'A', U'A', 0xC6, U'C', U'E', U'E', U'E', U'E', U'I', U'I', U'I', U'I',  // C0-CF
      0xD0, U'N', U'O', U'O', U'O', U'O', U'O', 0xD7, 0xD8, U'U', U'U', U'U', U'U', U'Y', 0xDE, 0xDF,  // D0-DF
      U'a', U'a', U'a', U'a', U'a', U'a', 0xE6, U'c', U'e', U'e', U'e', U'e', U'i', U'i', U'i', U'i',  // E0-EF
      0xF0, U'n', U'o', U'o', U'o', U'o', U'o', 0xF7, 0xF8, U'u', U'u', U'u', U'u', U'y', 0xFE, U'y'}; // F0-FF
  if (c >= 0xC0 && c <= 0xFF) return latin1[c - 0xC0];
  if (c >= 0x100 && c <= 0x17F) {
    // Latin Extended-A: the first code point of each letter's canonical decomposition (itself when it has none).
    static constexpr char32_t latin_a[128] = {
        U'A', U'a', U'A', U'a', U'A', U'a', U'C', U'c', U'C', U'c', U'C', U'c', U'C', U'c', U'D', U'd',
        0x110, 0x111, U'E', U'e', U'E', U'e', U'E', U'e', U'E', U'e', U'E', U'e', U'G', U'g', U'G', U'g',
        U'G', U'g', U'G', U'g', U'H', U'h', 0x126, 0x127, U'I', U'i', U'I', U'i', U'I', U'i', U'I', U'i',
        U'I', 0x131, 0x132, 0x133, U'J', U'j', U'K', U'k', 0x138, U'L', U'l', U'L', U'l', U'L', U'l', 0x13F,
        0x140, 0x141, 0x142, U'N', U'n', U'N', U'n', U'N', U'n', 0x149, 0x14A, 0x14B, U'O', U'o', U'O', U'o',
        U'O', U'o', 0x152, 0x153, U'R', U'r', U'R', U'r', U'R', U'r', U'S', U's', U'S', U's', U'S', U's',
        U'S', U's', U'T', U't', U'T', U't', 0x166, 0x167, U'U', U'u', U'U', U'u', U'U', U'u', U'U', U'u',
        U'U', U'u', U'U', U'u', U'W', U'w', U'Y', U'y', U'Y', U'Z', U'z', U'Z', U'z', U'Z', U'z', 0x17F,
    };
    return latin_a[c - 0x100];
  }
  if (c >= 0x300 && c <= 0x36F) return 0;  // a combining mark on its own: dropped
  return c;
}

/// BERT's punctuation: ASCII symbols 33-47, 58-64, 91-96, 123-126, and the code points of Unicode
/// general category P* from U+0080 to U+30FF and U+FE10 to U+FF6F (ranges from the Unicode
/// Character Database); beyond those blocks nothing counts as punctuation here.
inline bool is_bert_punctuation(char32_t c) noexcept {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  static constexpr char32_t ranges[][2] = {
      {0xA1, 0xA1}, {0xA7, 0xA7}, {0xAB, 0xAB}, {0xB6, 0xB7}, {0xBB, 0xBB}, {0xBF, 0xBF}, {0x37E, 0x37E}, {0x387, 0x387},
      {0x55A, 0x55F}, {0x589, 0x58A}, {0x5BE, 0x5BE}, {0x5C0, 0x5C0}, {0x5C3, 0x5C3}, {0x5C6, 0x5C6}, {0x5F3, 0x5F4}, {0x609, 0x60A},
      {0x60C, 0x60D}, {0x61B, 0x61B}, {0x61D, 0x61F}, {0x66A, 0x66D}, {0x6D4, 0x6D4}, {0x700, 0x70D}, {0x7F7, 0x7F9}, {0x830, 0x83E},
      {0x85E, 0x85E}, {0x964, 0x965}, {0x970, 0x970}, {0x9FD, 0x9FD}, {0xA76, 0xA76}, {0xAF0, 0xAF0}, {0xC77, 0xC77}, {0xC84, 0xC84},
      {0xDF4, 0xDF4}, {0xE4F, 0xE4F}, {0xE5A, 0xE5B}, {0xF04, 0xF12}, {0xF14, 0xF14}, {0xF3A, 0xF3D}, {0xF85, 0xF85}, {0xFD0, 0xFD4},
      {0xFD9, 0xFDA}, {0x104A, 0x104F}, {0x10FB, 0x10FB}, {0x1360, 0x1368}, {0x1400, 0x1400}, {0x166E, 0x166E}, {0x169B, 0x169C}, {0x16EB, 0x16ED},
      {0x1735, 0x1736}, {0x17D4, 0x17D6}, {0x17D8, 0x17DA}, {0x1800, 0x180A}, {0x1944, 0x1945}, {0x1A1E, 0x1A1F}, {0x1AA0, 0x1AA6}, {0x1AA8, 0x1AAD},
      {0x1B5A, 0x1B60}, {0x1B7D, 0x1B7E}, {0x1BFC, 0x1BFF}, {0x1C3B, 0x1C3F}, {0x1C7E, 0x1C7F}, {0x1CC0, 0x1CC7}, {0x1CD3, 0x1CD3}, {0x2010, 0x2027},
      {0x2030, 0x2043}, {0x2045, 0x2051}, {0x2053, 0x205E}, {0x207D, 0x207E}, {0x208D, 0x208E}, {0x2308, 0x230B}, {0x2329, 0x232A}, {0x2768, 0x2775},
      {0x27C5, 0x27C6}, {0x27E6, 0x27EF}, {0x2983, 0x2998}, {0x29D8, 0x29DB}, {0x29FC, 0x29FD}, {0x2CF9, 0x2CFC}, {0x2CFE, 0x2CFF}, {0x2D70, 0x2D70},
      {0x2E00, 0x2E2E}, {0x2E30, 0x2E4F}, {0x2E52, 0x2E5D}, {0x3001, 0x3003}, {0x3008, 0x3011}, {0x3014, 0x301F}, {0x3030, 0x3030}, {0x303D, 0x303D},
      {0x30A0, 0x30A0}, {0x30FB, 0x30FB}, {0xFE10, 0xFE19}, {0xFE30, 0xFE52}, {0xFE54, 0xFE61}, {0xFE63, 0xFE63}, {0xFE68, 0xFE68}, {0xFE6A, 0xFE6B},
      {0xFF01, 0xFF03}, {0xFF05, 0xFF0A}, {0xFF0C, 0xFF0F}, {0xFF1A, 0xFF1B}, {0xFF1F, 0xFF20}, {0xFF3B, 0xFF3D}, {0xFF3F, 0xFF3F}, {0xFF5B, 0xFF5B},
      {0xFF5D, 0xFF5D}, {0xFF5F, 0xFF65},
  };
  std::size_t lo = 0, hi = sizeof(ranges) / sizeof(ranges[0]);
  while (lo < hi) {  // first range ending at or after c
    const std::size_t mid = (lo + hi) / 2;
    if (ranges[mid][1] < c) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < sizeof(ranges) / sizeof(ranges[0]) && ranges[lo][0] <= c;
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
  /// Clean-up, CJK spacing, lower case + accents, white-space split, punctuation split.
  [[nodiscard]] std::vector<std::u32string> basic_tokens(std::string_view text) const {
    const std::u32string s = detail::decode_utf8(text);
    std::vector<std::u32string> words;
    std::u32string cur;
    const auto flush = [&] {
      if (!cur.empty()) words.push_back(std::move(cur));
      cur.clear();
    };
    for (char32_t c : s) {
      if (c == 0 || c == 0xFFFD || (c < 0x20 && c != U'\t' && c != U'\n' && c != U'\r') || (c >= 0x7F && c < 0xA0)) continue;  // control
      if (is_space(c)) {
        flush();
        continue;
      }
      if (options_.lower_case) {
        c = detail::strip_accent(to_lower(c));
        if (c == 0) continue;
      }
      if (detail::is_cjk(c) || detail::is_bert_punctuation(c)) {
        flush();
        words.emplace_back(1, c);
        continue;
      }
      cur.push_back(c);
    }
    flush();
    return words;
  }

  /// Greedy longest-match-first pieces of one word ("##" on continuations); [UNK] when stuck.
  [[nodiscard]] std::vector<std::string> word_pieces(const std::u32string& word) const {
    if (word.size() > options_.max_word_chars) return {"[UNK]"};
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < word.size()) {
      std::size_t end = word.size();
      std::string found;
      while (start < end) {
        std::string piece = (start > 0 ? "##" : "") + detail::encode_utf8(word, start, end);
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
