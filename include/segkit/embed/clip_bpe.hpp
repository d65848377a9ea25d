#pragma once
/// @file
/// @brief CLIP's byte-level BPE tokenizer (vocab.json + merges.txt): NFC, white space collapsed,
/// lower-cased, split into letter runs / single numbers / other runs (and the contractions 's 't
/// 're 've 'm 'll 'd), each piece's UTF-8 bytes mapped to printable characters, merged by rank
/// with "</w>" marking word ends, framed by <|startoftext|> and <|endoftext|>.

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/file.hpp"
#include "segkit/core/unicode.hpp"

namespace segkit::embed {

namespace detail {

[[noreturn]] inline void throw_bpe(const std::string& m) { segkit::detail::throw_invalid("segkit::embed::clip_bpe", m); }

/// GPT-2's reversible byte -> printable code point map: printable Latin-1 bytes map to
/// themselves, the other 68 bytes to U+0100 upwards in byte order.
inline const std::vector<char32_t>& byte_to_char() {
  static const std::vector<char32_t> table = [] {
    std::vector<char32_t> t(256);
    char32_t next = 256;
    for (std::size_t b = 0; b < 256; ++b) {
      const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      t[b] = printable ? static_cast<char32_t>(b) : next++;
    }
    return t;
  }();
  return table;
}

/// Parses a JSON object of string keys and integer values (vocab.json); other JSON is an error.
inline std::unordered_map<std::string, std::int64_t> parse_vocab_json(std::string_view s, const std::string& source) {
  std::unordered_map<std::string, std::int64_t> out;
  std::size_t i = 0;
  const auto fail = [&](const char* what) { throw_bpe(fmt::format("{}: invalid vocab.json at byte {}: {}", source, i, what)); };
  const auto skip = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
  };
  const auto string_value = [&] {
    if (i >= s.size() || s[i] != '"') fail("expected a string");
    ++i;
    std::string v;
    while (i < s.size() && s[i] != '"') {
      if (s[i] != '\\') {
        v.push_back(s[i++]);
        continue;
      }
      if (++i >= s.size()) fail("unfinished escape");
      const char e = s[i++];
      switch (e) {
        case '"': v.push_back('"'); break;
        case '\\': v.push_back('\\'); break;
        case '/': v.push_back('/'); break;
        case 'b': v.push_back('\b'); break;
        case 'f': v.push_back('\f'); break;
        case 'n': v.push_back('\n'); break;
        case 'r': v.push_back('\r'); break;
        case 't': v.push_back('\t'); break;
        case 'u': {
          if (i + 4 > s.size()) fail("short \\u escape");
          char32_t cp = static_cast<char32_t>(std::stoul(std::string(s.substr(i, 4)), nullptr, 16));
          i += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= s.size() && s[i] == '\\' && s[i + 1] == 'u') {  // surrogate pair
            const auto lo = static_cast<char32_t>(std::stoul(std::string(s.substr(i + 2, 4)), nullptr, 16));
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          }
          unicode::append_utf8(v, cp);
          break;
        }
        default: fail("unknown escape");
      }
    }
    if (i >= s.size()) fail("unterminated string");
    ++i;
    return v;
  };
  skip();
  if (i >= s.size() || s[i] != '{') fail("expected '{'");
  ++i;
  skip();
  while (i < s.size() && s[i] != '}') {
    std::string key = string_value();
    skip();
    if (i >= s.size() || s[i] != ':') fail("expected ':'");
    ++i;
    skip();
    std::size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) != 0 || s[i] == '-')) ++i;
    if (start == i) fail("expected an integer");
    out[std::move(key)] = std::stoll(std::string(s.substr(start, i - start)));
    skip();
    if (i < s.size() && s[i] == ',') {
      ++i;
      skip();
    }
  }
  if (i >= s.size()) fail("expected '}'");
  return out;
}

}  // namespace detail

/**
 * @brief CLIP's tokenizer over a vocab.json and merges.txt (the files Hugging Face ships).
 * Text is read as Hugging Face's CLIPTokenizerFast reads it (NFC, runs of white space to one
 * space, lower case; Unicode 14 letters and numbers, unicode.hpp). OpenAI's reference tokenizer
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
      : context_(context_length) {
    const auto v = read_file_bytes(vocab_json, "segkit::embed::clip_bpe");
    vocab_ = detail::parse_vocab_json(std::string_view(v.data(), v.size()), vocab_json.string());
    const auto lines = read_file_lines(merges_txt, "segkit::embed::clip_bpe");
    std::size_t rank = 0;
    for (std::size_t k = 0; k < lines.size(); ++k) {
      const auto& line = lines[k];
      if (line.empty() || (k == 0 && line.rfind("#version", 0) == 0)) continue;
      const auto sp = line.find(' ');
      if (sp == std::string::npos) detail::throw_bpe(fmt::format("{}: line {} is not two symbols", merges_txt.string(), k + 1));
      ranks_.emplace(line.substr(0, sp) + '\x01' + line.substr(sp + 1), rank++);
    }
    const auto need = [&](const char* t) {
      const auto it = vocab_.find(t);
      if (it == vocab_.end()) detail::throw_bpe(fmt::format("{} has no {}", vocab_json.string(), t));
      return it->second;
    };
    start_ = need(start_marker);
    end_ = need(end_marker);
    if (context_ < 2) detail::throw_bpe("context_length must be at least 2");
  }

  [[nodiscard]] std::int64_t end_id() const noexcept { return end_; }
  /// Padding is <|endoftext|> (as Hugging Face's CLIP tokenizer pads; masked out anyway).
  [[nodiscard]] std::int64_t pad_id() const noexcept { return end_; }
  [[nodiscard]] std::size_t context_length() const noexcept { return context_; }

  /// The BPE symbols of a text (no markers; a literal <|startoftext|> or <|endoftext|> in the text stays one symbol).
  [[nodiscard]] std::vector<std::string> pieces(std::string_view text) const {
    std::vector<std::string> out;
    for (auto& word : words(text)) {
      if (word == start_marker || word == end_marker) {
        out.push_back(std::move(word));
        continue;
      }
      const auto p = bpe(word);
      out.insert(out.end(), p.begin(), p.end());
    }
    return out;
  }

  /**
   * @brief The pre-tokens of a text (before BPE): NFC, runs of white space to one space, trimmed,
   * lower case (unicode::lower); then, as CLIP's pattern reads it, at each position the first of: a
   * literal <|startoftext|> or <|endoftext|>; 's 't 're 've 'm 'll 'd; a run of letters (L*); one
   * number (N*); a run of anything else but white space.
   */
  [[nodiscard]] std::vector<std::string> words(std::string_view text) const {
    std::u32string collapsed;
    for (const char32_t c : unicode::nfc(unicode::decode_utf8(text))) {
      if (!unicode::is_space(c)) {
        collapsed.push_back(c);
      } else if (!collapsed.empty() && collapsed.back() != U' ') {
        collapsed.push_back(U' ');
      }
    }
    if (!collapsed.empty() && collapsed.back() == U' ') collapsed.pop_back();
    const std::u32string s = unicode::lower(collapsed);
    const std::u32string_view v(s);
    const auto other = [](char32_t c) { return !unicode::is_space(c) && !unicode::is_letter(c) && !unicode::is_number(c); };
    static constexpr std::string_view firsts[] = {start_marker, end_marker, "'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};  // ASCII
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v.size();) {
      const char32_t c = v[i];
      if (unicode::is_space(c)) {
        ++i;
        continue;
      }
      std::size_t j = i;
      for (const std::string_view f : firsts) {
        const auto rest = v.substr(i);
        if (rest.size() >= f.size() && std::equal(f.begin(), f.end(), rest.begin(), [](char a, char32_t b) { return static_cast<char32_t>(a) == b; })) {
          j = i + f.size();
          break;
        }
      }
      if (j == i) {
        j = i + 1;
        if (unicode::is_letter(c)) {
          while (j < v.size() && unicode::is_letter(v[j])) ++j;
        } else if (!unicode::is_number(c)) {
          while (j < v.size() && other(v[j])) ++j;
        }
      }
      out.push_back(unicode::encode_utf8(v.substr(i, j - i)));
      i = j;
    }
    return out;
  }

  /// <|startoftext|>, the symbols' ids (cut to context_length - 2), <|endoftext|>. Unknown symbols
  /// cannot occur with a complete byte-level vocabulary; if one does, it is an error.
  [[nodiscard]] std::vector<std::int64_t> encode(std::string_view text) const {
    std::vector<std::int64_t> ids{start_};
    for (const auto& p : pieces(text)) {
      if (ids.size() + 1 >= context_) break;
      const auto it = vocab_.find(p);
      if (it == vocab_.end()) detail::throw_bpe(fmt::format("symbol '{}' is not in the vocabulary", p));
      ids.push_back(it->second);
    }
    ids.push_back(end_);
    return ids;
  }

 private:
  /// Byte-level BPE of one pre-token: bytes to printable characters, "</w>" on the last, then the
  /// lowest-ranked adjacent pair merged until none is in merges.txt.
  [[nodiscard]] std::vector<std::string> bpe(const std::string& token) const {
    const auto& map = detail::byte_to_char();
    std::vector<std::string> sym;
    for (const char ch : token) {
      std::string one;
      unicode::append_utf8(one, map[static_cast<unsigned char>(ch)]);
      sym.push_back(std::move(one));
    }
    if (sym.empty()) return sym;
    sym.back() += "</w>";
    while (sym.size() > 1) {
      std::size_t best = std::numeric_limits<std::size_t>::max(), at = 0;
      for (std::size_t k = 0; k + 1 < sym.size(); ++k) {
        const auto it = ranks_.find(sym[k] + '\x01' + sym[k + 1]);
        if (it != ranks_.end() && it->second < best) {
          best = it->second;
          at = k;
        }
      }
      if (best == std::numeric_limits<std::size_t>::max()) break;
      // Merge every occurrence of that pair, left to right.
      const std::string a = sym[at], b = sym[at + 1];
      std::vector<std::string> next;
      for (std::size_t k = 0; k < sym.size();) {
        if (k + 1 < sym.size() && sym[k] == a && sym[k + 1] == b) {
          next.push_back(a + b);
          k += 2;
        } else {
          next.push_back(sym[k++]);
        }
      }
      sym.swap(next);
    }
    return sym;
  }

  std::size_t context_;
  std::unordered_map<std::string, std::int64_t> vocab_;
  std::unordered_map<std::string, std::size_t> ranks_;
  std::int64_t start_ = 0, end_ = 0;
};

}  // namespace segkit::embed
