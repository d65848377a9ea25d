// Definitions of segkit/embed/hf_tokenizer.hpp's functions: included by that header in header-only
// mode, compiled once into segkit_compiled in compiled mode.
//
// The behaviour of each component follows the Hugging Face tokenizers library's documentation and
// its reference behaviour as transformers.js reproduces it (tests/embed/test_hf_tokenizer.cpp
// compares token ids on 10,300 real texts).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/file.hpp"
#include "segkit/core/json.hpp"
#include "segkit/core/unicode.hpp"

namespace segkit::embed {

namespace detail::hf {

inline constexpr std::string_view component = "segkit::embed::hf_tokenizer";

/// BERT's punctuation: the ASCII symbols 33-47, 58-64, 91-96, 123-126 and Unicode category P*.
constexpr bool is_bert_punctuation(char32_t c) noexcept {
  if (c < 0x80) return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  return unicode::is_punctuation(c);
}

/// The CJK ideograph blocks BERT puts spaces around.
constexpr bool is_cjk(char32_t c) noexcept {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/// GPT-2's reversible byte -> printable code point map (byte-level BPE): printable Latin-1 bytes
/// map to themselves, the other 68 bytes to U+0100 upwards in byte order.
inline const std::array<char32_t, 256>& byte_to_char() {
  static const std::array<char32_t, 256> table = [] {
    std::array<char32_t, 256> t{};
    char32_t next = 256;
    for (std::size_t b = 0; b < 256; ++b) {
      const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      t[b] = printable ? static_cast<char32_t>(b) : next++;
    }
    return t;
  }();
  return table;
}

// ---- the parsed pipeline -------------------------------------------------------------------

struct bert_normalizer {
  bool clean_text = true, chinese = true, strip_accents = true, lowercase = true;
};
struct lowercase {};
struct nfd {};
struct nfc {};
struct strip_accents {};
struct strip {
  bool left = true, right = true;
};
struct replace {
  std::u32string pattern, content;
  enum class kind { string, white_space_runs, space_runs } what = kind::string;  ///< a string, or the expressions \s+ or " {2,}"
};
struct prepend {
  std::u32string text;
};
/// SentencePiece's compiled normalization rules (a Darts double-array trie over UTF-8 bytes and
/// the pool of replacement strings its leaves point to): the longest rule matching at each point
/// replaces what it matched.
struct char_map {
  std::vector<std::uint32_t> trie;
  std::string pool;
};
/// tokenizer.json's Precompiled normalizer: the rules alone.
struct precompiled {
  char_map rules;
};
/// A SentencePiece model's own normalizer: the rules, then white space handled as its
/// NormalizerSpec says (leading, trailing and repeated spaces dropped, a space in front, spaces
/// written as U+2581).
struct sentencepiece_normalizer {
  char_map rules;
  bool add_dummy_prefix = true, remove_extra_whitespaces = true, escape_whitespaces = true;
};
using normalizer = std::variant<bert_normalizer, lowercase, nfd, nfc, strip_accents, strip, replace, prepend, precompiled, sentencepiece_normalizer>;

enum class split_behavior { removed, isolated, merged_with_previous, merged_with_next };

struct bert_pre {};
struct whitespace_pre {};        ///< \w+|[^\w\s]+
struct whitespace_split_pre {};  ///< split at white space
struct punctuation_pre {};       ///< each punctuation character apart
struct digits_pre {
  bool individual = false;
};
struct metaspace_pre {
  std::u32string replacement = U"\u2581";
  int prepend = 0;  ///< 0 always, 1 first piece of the text only, 2 never
  bool split = true;
};
struct byte_level_pre {
  bool add_prefix_space = false, use_regex = true;
};
struct split_pre {
  std::u32string pattern;  ///< a string pattern, or empty for CLIP's expression
  split_behavior behavior = split_behavior::removed;
  bool clip_pattern = false;
};
using pre_tokenizer = std::variant<bert_pre, whitespace_pre, whitespace_split_pre, punctuation_pre, digits_pre, metaspace_pre, byte_level_pre, split_pre>;

struct added_token {
  std::u32string content;
  std::int64_t id = 0;
  bool lstrip = false, rstrip = false;
};

struct template_item {
  bool special = false;       ///< a special token (else the text's tokens)
  std::vector<std::int64_t> ids;  ///< the special token's ids
  std::int64_t type_id = 0;
};

}  // namespace detail::hf

struct hf_tokenizer::tables {
  std::string source;
  std::vector<detail::hf::normalizer> normalizers;
  std::vector<detail::hf::pre_tokenizer> pre_tokenizers;
  std::vector<std::string> component_names;

  enum class model_kind { wordpiece, bpe, unigram } model = model_kind::wordpiece;
  std::vector<float> scores;           ///< Unigram: log probability of each id's piece
  float unk_score = 0.0F;              ///< Unigram: the lowest piece score less 10 (SentencePiece's unknown penalty)
  std::size_t longest_piece_bytes = 0;  ///< Unigram: bytes of the longest piece
  bool byte_fallback = false;          ///< Unigram: unknown characters as their UTF-8 bytes' <0xXX> pieces
  bool sentencepiece_arithmetic = false;  ///< Unigram: path scores added as SentencePiece adds them (a .model file)
  std::array<std::int64_t, 256> byte_ids{};  ///< Unigram with byte fallback: the id of each byte's piece
  std::unordered_map<std::string, std::int64_t> vocab;
  std::vector<std::string> id_to_token;
  std::optional<std::int64_t> unk;
  std::string prefix;                  ///< WordPiece / BPE continuing-subword prefix
  std::string suffix;                  ///< BPE end-of-word suffix
  std::size_t max_word_chars = 100;    ///< WordPiece
  std::size_t longest_token = 0;       ///< code points of the longest vocabulary entry
  bool byte_level = false;             ///< BPE input is byte-level (a ByteLevel pre-tokenizer)
  bool fuse_unk = false, ignore_merges = false;
  std::unordered_map<std::uint64_t, std::pair<std::uint32_t, std::int64_t>> merges;  ///< (left id, right id) -> (rank, merged id)

  std::vector<detail::hf::added_token> added;  ///< longest first
  std::vector<detail::hf::template_item> single{{false, {}, 0}};
  std::size_t specials = 0;        ///< ids the template adds
  std::size_t file_max_length = 0;  ///< the file's truncation (0: none)
  bool truncate_left = false;
  std::int64_t pad_id = 0;
};

namespace detail::hf {

using tables = hf_tokenizer::tables;

[[noreturn]] inline void fail(const tables& t, std::string_view what) { segkit::detail::throw_format(component, fmt::format("{}: {}", t.source, what)); }

inline std::u32string u32(std::string_view s) { return unicode::decode_utf8(s); }

// ---- reading JSON --------------------------------------------------------------------------

inline const json_value* member(const json_value& v, std::string_view key) {
  if (!v.is_object()) return nullptr;
  const auto& o = v.as_object();
  const auto it = o.find(std::string(key));
  return it == o.end() || it->second.is_null() ? nullptr : &it->second;
}
inline std::string string_of(const tables& t, const json_value& v, std::string_view key, std::string fallback = {}) {
  const auto* m = member(v, key);
  if (m == nullptr) return fallback;
  if (!m->is_string()) fail(t, fmt::format("'{}' is a {}, not a string", key, m->type_name()));
  return m->as_string();
}
inline bool bool_of(const tables& t, const json_value& v, std::string_view key, bool fallback) {
  const auto* m = member(v, key);
  if (m == nullptr) return fallback;
  if (!m->is_bool()) fail(t, fmt::format("'{}' is a {}, not true or false", key, m->type_name()));
  return m->as_bool();
}
inline std::int64_t int_of(const tables& t, const json_value& v, std::string_view key, std::int64_t fallback) {
  const auto* m = member(v, key);
  if (m == nullptr) return fallback;
  if (!m->is_number() || m->as_number() != static_cast<double>(static_cast<std::int64_t>(m->as_number())) || m->as_number() < 0)
    fail(t, fmt::format("'{}' is not a non-negative integer", key));
  return static_cast<std::int64_t>(m->as_number());
}
inline std::string type_of(const tables& t, const json_value& v, std::string_view part) {
  if (!v.is_object()) fail(t, fmt::format("the {} is a {}, not an object", part, v.type_name()));
  const auto type = string_of(t, v, "type");
  if (type.empty()) fail(t, fmt::format("the {} has no 'type'", part));
  return type;
}
[[noreturn]] inline void unsupported(const tables& t, std::string_view part, std::string_view what) {
  fail(t, fmt::format("{} '{}' is not supported by segkit", part, what));
}

/// A Replace or Split pattern: {"String": s} or {"Regex": r}; returns (text, is_regex).
inline std::pair<std::string, bool> pattern_of(const tables& t, const json_value& v, std::string_view part) {
  const auto* p = member(v, "pattern");
  if (p == nullptr) fail(t, fmt::format("{} has no 'pattern'", part));
  if (const auto* s = member(*p, "String"); s != nullptr && s->is_string()) return {s->as_string(), false};
  if (const auto* r = member(*p, "Regex"); r != nullptr && r->is_string()) return {r->as_string(), true};
  fail(t, fmt::format("{} has a pattern that is neither String nor Regex", part));
}

// CLIP's pre-tokenizer expression (as its tokenizer.json writes it): implemented by hand.
inline constexpr std::string_view clip_expression =
    "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

/// Standard base64 (RFC 4648, padding optional), as tokenizer.json stores binary fields.
inline std::string base64_decode(const tables& t, std::string_view text) {
  const auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
  };
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '=') {
      if (text.find_first_not_of('=', i) != std::string_view::npos) fail(t, "invalid base64: '=' before the end");
      break;
    }
    const int v = value(text[i]);
    if (v < 0) fail(t, fmt::format("invalid base64: character {} is not base64", i));
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFFU));
    }
  }
  return out;
}

/// SentencePiece's compiled rules: a 4-byte little-endian trie size, the trie (32-bit units), then
/// the pool of NUL-terminated replacement strings.
inline char_map char_map_of(const tables& t, std::string_view blob) {
  char_map m;
  if (blob.empty()) return m;
  const auto u32_at = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(blob[at + k])) << (8 * k);
    return v;
  };
  if (blob.size() < 4) fail(t, "the normalization rules are shorter than their header");
  const std::uint32_t trie_bytes = u32_at(0);
  if (trie_bytes % 4 != 0 || trie_bytes == 0 || trie_bytes > blob.size() - 4) fail(t, "the normalization rules' trie does not fit the data");
  m.trie.resize(trie_bytes / 4);
  for (std::size_t k = 0; k < m.trie.size(); ++k) m.trie[k] = u32_at(4 + 4 * k);
  m.pool.assign(blob.substr(4 + trie_bytes));
  return m;
}

/// A Sequence of components: reads each with `read` and returns true; false for any other type
/// (whose name is then recorded for describe()).
template <class Read>
bool sequence_of(tables& t, const json_value& v, const std::string& type, std::string_view part, std::string_view list_key, Read read) {
  if (type != "Sequence") {
    t.component_names.push_back(type);
    return false;
  }
  const auto* list = member(v, list_key);
  if (list == nullptr || !list->is_array()) fail(t, fmt::format("{} Sequence has no '{}' list", part, list_key));
  for (const auto& n : list->as_array()) read(t, n);
  return true;
}

inline void read_normalizer(tables& t, const json_value& v) {
  const auto type = type_of(t, v, "normalizer");
  if (sequence_of(t, v, type, "normalizer", "normalizers", read_normalizer)) return;
  if (type == "BertNormalizer") {
    bert_normalizer b;
    b.clean_text = bool_of(t, v, "clean_text", true);
    b.chinese = bool_of(t, v, "handle_chinese_chars", true);
    b.lowercase = bool_of(t, v, "lowercase", true);
    b.strip_accents = bool_of(t, v, "strip_accents", b.lowercase);  // null: as lowercase
    t.normalizers.emplace_back(b);
  } else if (type == "Lowercase") {
    t.normalizers.emplace_back(lowercase{});
  } else if (type == "NFD") {
    t.normalizers.emplace_back(nfd{});
  } else if (type == "NFC") {
    t.normalizers.emplace_back(nfc{});
  } else if (type == "StripAccents") {
    t.normalizers.emplace_back(strip_accents{});
  } else if (type == "Strip") {
    t.normalizers.emplace_back(strip{bool_of(t, v, "strip_left", true), bool_of(t, v, "strip_right", true)});
  } else if (type == "Prepend") {
    t.normalizers.emplace_back(prepend{u32(string_of(t, v, "prepend"))});
  } else if (type == "Replace") {
    const auto [pattern, regex] = pattern_of(t, v, "normalizer Replace");
    if (regex && pattern != "\\s+" && pattern != " {2,}") unsupported(t, "normalizer Replace with the regular expression", pattern);
    if (!regex && pattern.empty()) fail(t, "normalizer Replace has an empty pattern");
    const auto what = !regex ? replace::kind::string : pattern == " {2,}" ? replace::kind::space_runs : replace::kind::white_space_runs;
    t.normalizers.emplace_back(replace{u32(pattern), u32(string_of(t, v, "content")), what});
  } else if (type == "Precompiled") {
    const auto* map = member(v, "precompiled_charsmap");
    if (map != nullptr && !map->is_string()) fail(t, "normalizer Precompiled's precompiled_charsmap is not a string");
    precompiled pc;
    if (map != nullptr) pc.rules = char_map_of(t, base64_decode(t, map->as_string()));
    t.normalizers.emplace_back(std::move(pc));
  } else {
    unsupported(t, "normalizer", type);
  }
}

inline split_behavior behavior_of(const tables& t, const json_value& v, std::string_view part, std::string_view fallback) {
  const auto b = string_of(t, v, "behavior", std::string(fallback));
  if (b == "Removed") return split_behavior::removed;
  if (b == "Isolated") return split_behavior::isolated;
  if (b == "MergedWithPrevious") return split_behavior::merged_with_previous;
  if (b == "MergedWithNext") return split_behavior::merged_with_next;
  unsupported(t, fmt::format("{} behavior", part), b);
}

inline void read_pre_tokenizer(tables& t, const json_value& v) {
  const auto type = type_of(t, v, "pre-tokenizer");
  if (sequence_of(t, v, type, "pre-tokenizer", "pretokenizers", read_pre_tokenizer)) return;
  if (type == "BertPreTokenizer") {
    t.pre_tokenizers.emplace_back(bert_pre{});
  } else if (type == "Whitespace") {
    t.pre_tokenizers.emplace_back(whitespace_pre{});
  } else if (type == "WhitespaceSplit") {
    t.pre_tokenizers.emplace_back(whitespace_split_pre{});
  } else if (type == "Punctuation") {
    if (behavior_of(t, v, "pre-tokenizer Punctuation", "Isolated") != split_behavior::isolated)
      unsupported(t, "pre-tokenizer Punctuation behavior", string_of(t, v, "behavior"));
    t.pre_tokenizers.emplace_back(punctuation_pre{});
  } else if (type == "Digits") {
    t.pre_tokenizers.emplace_back(digits_pre{bool_of(t, v, "individual_digits", false)});
  } else if (type == "Metaspace") {
    metaspace_pre m;
    m.replacement = u32(string_of(t, v, "replacement", "\u2581"));
    if (m.replacement.size() != 1) fail(t, "pre-tokenizer Metaspace's replacement must be one character");
    const auto scheme = string_of(t, v, "prepend_scheme", bool_of(t, v, "add_prefix_space", true) ? "always" : "never");
    if (scheme == "always") m.prepend = 0;
    else if (scheme == "first") m.prepend = 1;
    else if (scheme == "never") m.prepend = 2;
    else unsupported(t, "pre-tokenizer Metaspace prepend_scheme", scheme);
    m.split = bool_of(t, v, "split", true);
    t.pre_tokenizers.emplace_back(m);
  } else if (type == "ByteLevel") {
    t.byte_level = true;
    t.pre_tokenizers.emplace_back(byte_level_pre{bool_of(t, v, "add_prefix_space", true), bool_of(t, v, "use_regex", true)});
  } else if (type == "Split") {
    const auto [pattern, regex] = pattern_of(t, v, "pre-tokenizer Split");
    const auto behavior = behavior_of(t, v, "pre-tokenizer Split", "Removed");
    const bool invert = bool_of(t, v, "invert", false);
    if (regex) {
      if (pattern != clip_expression || behavior != split_behavior::removed || !invert)
        unsupported(t, fmt::format("pre-tokenizer Split (behavior {}, invert {}) with the regular expression", string_of(t, v, "behavior", "Removed"), invert),
                    pattern);
      t.pre_tokenizers.emplace_back(split_pre{{}, behavior, true});
    } else {
      if (invert) unsupported(t, "pre-tokenizer Split", "invert with a string pattern");
      if (pattern.empty()) fail(t, "pre-tokenizer Split has an empty pattern");
      t.pre_tokenizers.emplace_back(split_pre{u32(pattern), behavior, false});
    }
  } else {
    unsupported(t, "pre-tokenizer", type);
  }
}

inline std::int64_t vocab_id(const tables& t, const std::string& token, std::string_view what) {
  const auto it = t.vocab.find(token);
  if (it == t.vocab.end()) fail(t, fmt::format("the {} '{}' is not in the vocabulary", what, token));
  return it->second;
}

inline std::uint64_t pair_key(std::int64_t a, std::int64_t b) { return (static_cast<std::uint64_t>(a) << 32) | static_cast<std::uint64_t>(b); }

/// Unigram's tables once its pieces and scores are in: the unknown score and the longest piece.
inline void finish_unigram(tables& t, float min_score) {
  t.unk_score = min_score - 10.0F;  // SentencePiece's kUnkPenalty
  t.longest_piece_bytes = 0;
  for (const auto& [piece, id] : t.vocab) t.longest_piece_bytes = std::max(t.longest_piece_bytes, piece.size());
}

inline void read_unigram(tables& t, const json_value& v) {
  const auto* vocab = member(v, "vocab");
  if (vocab == nullptr || !vocab->is_array()) fail(t, "model Unigram has no 'vocab' list");
  t.model = tables::model_kind::unigram;
  float min_score = std::numeric_limits<float>::max();
  for (const auto& entry : vocab->as_array()) {
    if (!entry.is_array() || entry.as_array().size() != 2 || !entry.as_array()[0].is_string() || !entry.as_array()[1].is_number())
      fail(t, fmt::format("Unigram vocabulary entry {} is not [piece, score]", t.scores.size()));
    const auto score = static_cast<float>(entry.as_array()[1].as_number());
    t.vocab.emplace(entry.as_array()[0].as_string(), static_cast<std::int64_t>(t.scores.size()));
    t.scores.push_back(score);
    min_score = std::min(min_score, score);
  }
  if (t.scores.empty()) fail(t, "model Unigram has an empty vocabulary");
  const auto unk = int_of(t, v, "unk_id", -1);
  if (unk < 0 || unk >= static_cast<std::int64_t>(t.scores.size())) fail(t, "model Unigram has no valid unk_id");
  t.unk = unk;
  if (bool_of(t, v, "byte_fallback", false)) {
    t.byte_fallback = true;
    for (std::size_t b = 0; b < 256; ++b) t.byte_ids[b] = vocab_id(t, fmt::format("<0x{:02X}>", b), "byte-fallback piece");
  }
  finish_unigram(t, min_score);
}

inline void read_model(tables& t, const json_value& v) {
  const auto type = type_of(t, v, "model");
  if (type == "Unigram") return read_unigram(t, v);
  const auto* vocab = member(v, "vocab");
  if (vocab == nullptr || !vocab->is_object()) {
    if (type == "WordPiece" || type == "BPE") fail(t, fmt::format("model {} has no 'vocab' object", type));
    unsupported(t, "model", type);
  }
  for (const auto& [token, id] : vocab->as_object()) {
    if (!id.is_number() || id.as_number() < 0 || id.as_number() >= 4.0e9 || id.as_number() != static_cast<double>(static_cast<std::int64_t>(id.as_number())))
      fail(t, fmt::format("vocabulary entry '{}' has no valid id", token));
    t.vocab.emplace(token, static_cast<std::int64_t>(id.as_number()));
  }
  const auto unk = string_of(t, v, "unk_token");
  if (type == "WordPiece") {
    t.model = tables::model_kind::wordpiece;
    t.prefix = string_of(t, v, "continuing_subword_prefix", "##");
    t.max_word_chars = static_cast<std::size_t>(int_of(t, v, "max_input_chars_per_word", 100));
    if (unk.empty()) fail(t, "model WordPiece has no unk_token");
    t.unk = vocab_id(t, unk, "unk_token");
  } else if (type == "BPE") {
    t.model = tables::model_kind::bpe;
    t.prefix = string_of(t, v, "continuing_subword_prefix");
    t.suffix = string_of(t, v, "end_of_word_suffix");
    t.fuse_unk = bool_of(t, v, "fuse_unk", false);
    t.ignore_merges = bool_of(t, v, "ignore_merges", false);
    if (bool_of(t, v, "byte_fallback", false)) unsupported(t, "model BPE option", "byte_fallback");
    if (const auto* d = member(v, "dropout"); d != nullptr && d->is_number() && d->as_number() > 0.0) unsupported(t, "model BPE option", "dropout");
    if (!unk.empty() && t.vocab.count(unk) != 0) t.unk = t.vocab.at(unk);
    const auto* merges = member(v, "merges");
    if (merges == nullptr || !merges->is_array()) fail(t, "model BPE has no 'merges' list");
    std::uint32_t rank = 0;
    for (const auto& m : merges->as_array()) {
      std::string a, b;
      if (m.is_string()) {  // "a b"
        const auto& s = m.as_string();
        const auto sp = s.find(' ', 1);
        if (sp == std::string::npos) fail(t, fmt::format("merge {} ('{}') is not two symbols", rank + 1, s));
        a = s.substr(0, sp);
        b = s.substr(sp + 1);
      } else if (m.is_array() && m.as_array().size() == 2 && m.as_array()[0].is_string() && m.as_array()[1].is_string()) {  // ["a", "b"]
        a = m.as_array()[0].as_string();
        b = m.as_array()[1].as_string();
      } else {
        fail(t, fmt::format("merge {} is neither \"a b\" nor [\"a\", \"b\"]", rank + 1));
      }
      // The merged token: a, then b without its continuing-subword prefix.
      const bool prefixed = !t.prefix.empty() && b.rfind(t.prefix, 0) == 0;
      const auto ia = t.vocab.find(a), ib = t.vocab.find(b), iab = t.vocab.find(a + b.substr(prefixed ? t.prefix.size() : 0));
      if (ia == t.vocab.end() || ib == t.vocab.end() || iab == t.vocab.end())
        fail(t, fmt::format("merge {} ('{}' '{}') uses or makes a token that is not in the vocabulary", rank + 1, a, b));
      t.merges.emplace(pair_key(ia->second, ib->second), std::pair{rank, iab->second});
      ++rank;
    }
  } else {
    unsupported(t, "model", type);
  }
}

/// The ids of a special token given as [token, id] (BertProcessing, RobertaProcessing).
inline std::int64_t special_pair(const tables& t, const json_value& v, std::string_view key, std::string_view part) {
  const auto* p = member(v, key);
  if (p == nullptr || !p->is_array() || p->as_array().size() != 2 || !p->as_array()[1].is_number())
    fail(t, fmt::format("post-processor {} has no valid '{}' pair", part, key));
  return static_cast<std::int64_t>(p->as_array()[1].as_number());
}

inline void read_post_processor(tables& t, const json_value& v) {
  const auto type = type_of(t, v, "post-processor");
  if (sequence_of(t, v, type, "post-processor", "processors", read_post_processor)) return;
  if (type == "ByteLevel") return;  // trims offsets only; ids unchanged
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    const auto cls = special_pair(t, v, "cls", type), sep = special_pair(t, v, "sep", type);
    t.single = {{true, {cls}, 0}, {false, {}, 0}, {true, {sep}, 0}};
  } else if (type == "TemplateProcessing") {
    const auto* single = member(v, "single");
    if (single == nullptr || !single->is_array()) fail(t, "post-processor TemplateProcessing has no 'single' template");
    std::map<std::string, std::vector<std::int64_t>> specials;
    if (const auto* st = member(v, "special_tokens"); st != nullptr && st->is_object()) {
      for (const auto& [name, s] : st->as_object()) {
        const auto* ids = member(s, "ids");
        if (ids == nullptr || !ids->is_array()) fail(t, fmt::format("special token '{}' of the template has no ids", name));
        for (const auto& id : ids->as_array()) {
          if (!id.is_number()) fail(t, fmt::format("special token '{}' of the template has a non-numeric id", name));
          specials[name].push_back(static_cast<std::int64_t>(id.as_number()));
        }
      }
    }
    t.single.clear();
    bool sequence = false;
    for (const auto& item : single->as_array()) {
      if (const auto* s = member(item, "SpecialToken")) {
        const auto id = string_of(t, *s, "id");
        const auto it = specials.find(id);
        if (it == specials.end()) fail(t, fmt::format("the template uses special token '{}', which its special_tokens do not define", id));
        t.single.push_back({true, it->second, int_of(t, *s, "type_id", 0)});
      } else if (const auto* q = member(item, "Sequence")) {
        if (string_of(t, *q, "id") != "A") fail(t, "the single-text template uses a sequence other than A");
        t.single.push_back({false, {}, int_of(t, *q, "type_id", 0)});
        sequence = true;
      } else {
        fail(t, "a template item is neither SpecialToken nor Sequence");
      }
    }
    if (!sequence) fail(t, "the single-text template has no sequence A");
  } else {
    unsupported(t, "post-processor", type);
  }
}

// ---- running it ----------------------------------------------------------------------------

inline void apply(const bert_normalizer& b, std::u32string& s) {
  std::u32string out;
  out.reserve(s.size());
  for (const char32_t c : s) {
    if (b.clean_text) {
      const bool kept_control = c == U'\t' || c == U'\n' || c == U'\r';
      if (c == 0 || c == 0xFFFD || (unicode::is_other(c) && !kept_control)) continue;
      if (unicode::is_space(c)) {
        out.push_back(U' ');
        continue;
      }
    }
    if (b.chinese && is_cjk(c)) {
      out.push_back(U' ');
      out.push_back(c);
      out.push_back(U' ');
      continue;
    }
    out.push_back(c);
  }
  if (b.lowercase) out = unicode::lower(out);
  if (b.strip_accents) {
    out = unicode::nfd(out);
    std::erase_if(out, [](char32_t c) { return unicode::general_category(c) == unicode::category::Mn; });
  }
  s = std::move(out);
}
inline void apply(lowercase, std::u32string& s) { s = unicode::lower(s); }
inline void apply(nfd, std::u32string& s) { s = unicode::nfd(s); }
inline void apply(nfc, std::u32string& s) { s = unicode::nfc(s); }
inline void apply(strip_accents, std::u32string& s) {
  std::erase_if(s, [](char32_t c) { return unicode::general_category(c) == unicode::category::Mn; });
}
inline void apply(const strip& p, std::u32string& s) {
  std::size_t b = 0, e = s.size();
  if (p.left) while (b < e && unicode::is_space(s[b])) ++b;
  if (p.right) while (e > b && unicode::is_space(s[e - 1])) --e;
  s = s.substr(b, e - b);
}
inline void apply(const prepend& p, std::u32string& s) {
  if (!s.empty()) s.insert(0, p.text);
}
inline void apply(const replace& r, std::u32string& s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (r.what == replace::kind::white_space_runs && unicode::is_space(s[i])) {
      while (i < s.size() && unicode::is_space(s[i])) ++i;
      out += r.content;
    } else if (r.what == replace::kind::space_runs && s[i] == U' ' && i + 1 < s.size() && s[i + 1] == U' ') {
      while (i < s.size() && s[i] == U' ') ++i;
      out += r.content;
    } else if (r.what == replace::kind::string && s.compare(i, r.pattern.size(), r.pattern) == 0) {
      out += r.content;
      i += r.pattern.size();
    } else {
      out.push_back(s[i++]);
    }
  }
  s = std::move(out);
}

/// Bytes of the UTF-8 sequence a lead byte starts (0 for a byte that cannot start one).
constexpr std::size_t utf8_length(unsigned char c) noexcept {
  return c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
}

/// The longest rule of `m` matching the start of `in` (Darts-clone's common-prefix search over
/// the double array: a unit's label is its low byte plus bit 31, its offset bits 10-30 shifted
/// left by 8 when bit 9 is set, a leaf flag at bit 8, a value in bits 0-30): the replacement and
/// the bytes it replaces. Without a match, the first UTF-8 character unchanged (or U+FFFD for an
/// invalid byte), as SentencePiece's NormalizePrefix does.
inline std::pair<std::string_view, std::size_t> normalize_prefix(const char_map& m, std::string_view in) {
  std::size_t longest = 0, value = 0;
  if (!m.trie.empty()) {
    const auto offset = [](std::uint32_t u) { return static_cast<std::size_t>((u >> 10) << ((u & (1U << 9)) >> 6)); };
    std::size_t node = offset(m.trie[0]);
    for (std::size_t i = 0; i < in.size(); ++i) {
      const auto byte = static_cast<unsigned char>(in[i]);
      node ^= byte;
      if (node >= m.trie.size()) break;
      const std::uint32_t unit = m.trie[node];
      if ((unit & ((1U << 31) | 0xFFU)) != byte) break;
      node ^= offset(unit);
      if (node >= m.trie.size()) break;
      if (((unit >> 8) & 1U) != 0) {
        longest = i + 1;
        value = m.trie[node] & ((1U << 31) - 1);
      }
    }
  }
  if (longest > 0 && value < m.pool.size()) {
    const std::size_t end = m.pool.find('\0', value);
    return {std::string_view(m.pool).substr(value, (end == std::string::npos ? m.pool.size() : end) - value), longest};
  }
  const std::size_t len = utf8_length(static_cast<unsigned char>(in[0]));
  bool ok = len != 0 && len <= in.size();
  for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(in[k]) >> 6) == 0x2;
  if (!ok) return {"\xEF\xBF\xBD", 1};
  return {in.substr(0, len), len};
}

inline void apply(const precompiled& p, std::u32string& s) {
  const std::string in = unicode::encode_utf8(s);
  std::string out;
  for (std::string_view rest(in); !rest.empty();) {
    const auto [text, used] = normalize_prefix(p.rules, rest);
    out += text;
    rest.remove_prefix(used);
  }
  s = unicode::decode_utf8(out);
}

/// SentencePiece's Normalizer::Normalize (its NormalizerSpec flags), on one text.
inline void apply(const sentencepiece_normalizer& n, std::u32string& s) {
  const std::string in = unicode::encode_utf8(s);
  std::string_view rest(in);
  const std::string_view space = n.escape_whitespaces ? "\u2581" : " ";
  std::string out;
  if (n.remove_extra_whitespaces) {  // leading white space
    while (!rest.empty()) {
      const auto [text, used] = normalize_prefix(n.rules, rest);
      if (text != " ") break;
      rest.remove_prefix(used);
    }
  }
  if (!rest.empty() && n.add_dummy_prefix) out += space;
  bool previous_space = n.remove_extra_whitespaces;
  while (!rest.empty()) {
    auto [text, used] = normalize_prefix(n.rules, rest);
    if (previous_space) {
      while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    }
    if (!text.empty()) {
      for (const char c : text) {
        if (c == ' ' && n.escape_whitespaces) out += space;
        else out.push_back(c);
      }
      previous_space = n.remove_extra_whitespaces && text.back() == ' ';
    }
    rest.remove_prefix(used);
  }
  if (n.remove_extra_whitespaces) {  // trailing white space
    while (out.size() >= space.size() && std::string_view(out).substr(out.size() - space.size()) == space) out.resize(out.size() - space.size());
  }
  s = unicode::decode_utf8(out);
}

using pieces = std::vector<std::u32string>;

/// Splits every piece where `is_delimiter` holds: a delimiter run is dropped (removed), or each
/// delimiter character becomes a piece (isolated).
template <class Pred>
void split_chars(pieces& in, Pred is_delimiter, bool isolate) {
  pieces out;
  for (const auto& p : in) {
    std::u32string cur;
    for (const char32_t c : p) {
      if (!is_delimiter(c)) {
        cur.push_back(c);
        continue;
      }
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      if (isolate) out.emplace_back(1, c);
    }
    if (!cur.empty()) out.push_back(std::move(cur));
  }
  in.swap(out);
}

/// Splits every piece into runs of characters of the same class (class 0 = dropped).
template <class ClassOf>
void split_runs(pieces& in, ClassOf class_of) {
  pieces out;
  for (const auto& p : in) {
    for (std::size_t i = 0; i < p.size();) {
      const int k = class_of(p[i]);
      std::size_t j = i + 1;
      while (j < p.size() && class_of(p[j]) == k) ++j;
      if (k != 0) out.push_back(p.substr(i, j - i));
      i = j;
    }
  }
  in.swap(out);
}

inline void apply(bert_pre, pieces& p, std::size_t) {
  split_chars(p, [](char32_t c) { return unicode::is_space(c); }, false);
  split_chars(p, is_bert_punctuation, true);
}
inline void apply(whitespace_pre, pieces& p, std::size_t) {
  split_runs(p, [](char32_t c) { return unicode::is_word_char(c) ? 1 : unicode::is_space(c) ? 0 : 2; });
}
inline void apply(whitespace_split_pre, pieces& p, std::size_t) { split_chars(p, [](char32_t c) { return unicode::is_space(c); }, false); }
inline void apply(punctuation_pre, pieces& p, std::size_t) { split_chars(p, is_bert_punctuation, true); }
inline void apply(const digits_pre& d, pieces& p, std::size_t) {
  const auto digit = [](char32_t c) { return unicode::general_category(c) == unicode::category::Nd; };
  if (d.individual) {
    split_chars(p, digit, true);
    return;
  }
  pieces out;
  for (const auto& s : p) {
    for (std::size_t i = 0; i < s.size();) {
      std::size_t j = i + 1;
      while (j < s.size() && digit(s[j]) == digit(s[i])) ++j;
      out.push_back(s.substr(i, j - i));
      i = j;
    }
  }
  p.swap(out);
}
inline void apply(const metaspace_pre& m, pieces& p, std::size_t section) {
  pieces out;
  for (std::size_t k = 0; k < p.size(); ++k) {
    std::u32string s = p[k];
    std::replace(s.begin(), s.end(), U' ', m.replacement[0]);
    const bool add = m.prepend == 0 || (m.prepend == 1 && section == 0 && k == 0);
    if (add && (s.empty() || s[0] != m.replacement[0])) s.insert(s.begin(), m.replacement[0]);
    if (!m.split) {
      out.push_back(std::move(s));
      continue;
    }
    std::u32string cur;  // merged with next: each replacement character starts a piece
    for (const char32_t c : s) {
      if (c == m.replacement[0] && !cur.empty()) out.push_back(std::exchange(cur, {}));
      cur.push_back(c);
    }
    if (!cur.empty()) out.push_back(std::move(cur));
  }
  p.swap(out);
}

/// The end of the English contraction ('s 't 're 've 'm 'll 'd) that starts at v[i], or i.
inline std::size_t contraction_end(std::u32string_view v, std::size_t i) {
  static constexpr std::u32string_view contractions[] = {U"'s", U"'t", U"'re", U"'ve", U"'m", U"'ll", U"'d"};
  for (const auto c : contractions) {
    if (v.substr(i, c.size()) == c) return i + c.size();
  }
  return i;
}

/// GPT-2's pattern 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ on one piece.
inline void gpt2_split(const std::u32string& s, pieces& out) {
  const auto cls = [](char32_t c) { return unicode::is_letter(c) ? 1 : unicode::is_number(c) ? 2 : unicode::is_space(c) ? 0 : 3; };
  const std::u32string_view v(s);
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = contraction_end(v, i);
    if (j == i) {
      const std::size_t start = (v[i] == U' ' && i + 1 < v.size() && cls(v[i + 1]) != 0) ? i + 1 : i;
      const int k = cls(v[start]);
      if (k != 0) {
        j = start + 1;
        while (j < v.size() && cls(v[j]) == k) ++j;
      } else {  // white space: \s+(?!\S) leaves the last one to the next piece; else \s+
        j = i;
        while (j < v.size() && cls(v[j]) == 0) ++j;
        if (j < v.size() && j - i > 1) --j;
      }
    }
    out.emplace_back(v.substr(i, j - i));
    i = j;
  }
}

inline void apply(const byte_level_pre& b, pieces& p, std::size_t) {
  const auto& map = byte_to_char();
  pieces split;
  for (auto& s : p) {
    if (b.add_prefix_space && !s.empty() && s[0] != U' ') s.insert(s.begin(), U' ');
    if (b.use_regex) gpt2_split(s, split);
    else split.push_back(std::move(s));
  }
  p.clear();
  for (const auto& s : split) {
    std::u32string mapped;
    for (const unsigned char byte : unicode::encode_utf8(s)) mapped.push_back(map[byte]);
    p.push_back(std::move(mapped));
  }
}

/// CLIP's expression, matches kept (behaviour Removed, inverted): the contractions, letter runs,
/// single numbers, runs of anything else but white space. (The markers are added tokens, split
/// off before this runs.)
inline void clip_split(const std::u32string& s, pieces& out) {
  const auto other = [](char32_t c) { return !unicode::is_space(c) && !unicode::is_letter(c) && !unicode::is_number(c); };
  const std::u32string_view v(s);
  for (std::size_t i = 0; i < v.size();) {
    if (unicode::is_space(v[i])) {
      ++i;
      continue;
    }
    std::size_t j = contraction_end(v, i);
    if (j == i) {
      j = i + 1;
      if (unicode::is_letter(v[i])) {
        while (j < v.size() && unicode::is_letter(v[j])) ++j;
      } else if (!unicode::is_number(v[i])) {
        while (j < v.size() && other(v[j])) ++j;
      }
    }
    out.emplace_back(v.substr(i, j - i));
    i = j;
  }
}

inline void apply(const split_pre& sp, pieces& p, std::size_t) {
  pieces out;
  for (const auto& s : p) {
    if (sp.clip_pattern) {
      clip_split(s, out);
      continue;
    }
    std::size_t start = 0;
    std::u32string carry;  // merged with next: the delimiter waiting for its piece
    for (std::size_t i = 0; i <= s.size();) {
      const bool at_end = i == s.size();
      if (!at_end && s.compare(i, sp.pattern.size(), sp.pattern) != 0) {
        ++i;
        continue;
      }
      std::u32string before = carry + s.substr(start, i - start);
      carry.clear();
      if (at_end) {
        if (!before.empty()) out.push_back(std::move(before));
        break;
      }
      switch (sp.behavior) {
        case split_behavior::removed: break;
        case split_behavior::isolated:
          if (!before.empty()) out.push_back(std::move(before));
          before.clear();
          out.push_back(sp.pattern);
          break;
        case split_behavior::merged_with_previous: before += sp.pattern; break;
        case split_behavior::merged_with_next: carry = sp.pattern; break;
      }
      if (!before.empty()) out.push_back(std::move(before));
      i += sp.pattern.size();
      start = i;
    }
  }
  p.swap(out);
}

/// WordPiece: greedy longest match first, continuations with the prefix; [UNK] for a word that
/// cannot be covered or is longer than max_word_chars.
inline void wordpiece(const tables& t, const std::u32string& word, std::vector<std::int64_t>& ids, std::vector<std::string>* tokens) {
  const auto unk = [&] {
    ids.push_back(*t.unk);
    if (tokens != nullptr) tokens->push_back(t.id_to_token[static_cast<std::size_t>(*t.unk)]);
  };
  if (word.size() > t.max_word_chars) return unk();
  const std::size_t first = ids.size(), first_token = tokens != nullptr ? tokens->size() : 0;
  std::string piece;
  for (std::size_t start = 0; start < word.size();) {
    // No piece is longer than the longest vocabulary entry (bounds the search on long words).
    std::size_t end = std::min(word.size(), start + t.longest_token);
    std::int64_t found = -1;
    for (; end > start; --end) {
      piece = start > 0 ? t.prefix : std::string();
      for (std::size_t k = start; k < end; ++k) unicode::append_utf8(piece, word[k]);
      if (const auto it = t.vocab.find(piece); it != t.vocab.end()) {
        found = it->second;
        break;
      }
    }
    if (found < 0) {
      ids.resize(first);
      if (tokens != nullptr) tokens->resize(first_token);
      return unk();
    }
    ids.push_back(found);
    if (tokens != nullptr) tokens->push_back(piece);
    start = end;
  }
}

/// BPE: symbols (characters, with prefix and suffix) merged lowest rank first, leftmost first
/// among equal ranks.
inline void bpe(const tables& t, const std::u32string& word, std::vector<std::int64_t>& ids, std::vector<std::string>* tokens) {
  if (t.ignore_merges) {
    if (const auto it = t.vocab.find(unicode::encode_utf8(word)); it != t.vocab.end()) {
      ids.push_back(it->second);
      if (tokens != nullptr) tokens->push_back(it->first);
      return;
    }
  }
  std::vector<std::int64_t> sym;
  sym.reserve(word.size());
  for (std::size_t k = 0; k < word.size(); ++k) {
    std::string s = k > 0 ? t.prefix : std::string();
    unicode::append_utf8(s, word[k]);
    if (k + 1 == word.size()) s += t.suffix;
    if (const auto it = t.vocab.find(s); it != t.vocab.end()) {
      sym.push_back(it->second);
    } else if (t.unk) {
      if (!(t.fuse_unk && !sym.empty() && sym.back() == *t.unk)) sym.push_back(*t.unk);
    } else if (t.byte_level) {
      fail(t, fmt::format("the byte-level symbol '{}' is not in the vocabulary", s));
    }  // else: dropped, as the tokenizers library does without an unknown token
  }
  // Merges lowest rank first, leftmost first among equal ranks (Sennrich et al. 2016, as the
  // tokenizers library applies them): a heap of candidate pairs over a linked list of symbols,
  // O(n log n) in the word's length (a long run of letters must not take quadratic time).
  if (sym.size() > 1) {
    const std::size_t n = sym.size();
    std::vector<std::size_t> prev(n), next(n);
    for (std::size_t k = 0; k < n; ++k) {
      prev[k] = k - 1;  // wraps to SIZE_MAX for the first
      next[k] = k + 1;
    }
    using candidate = std::tuple<std::uint32_t, std::size_t, std::int64_t, std::int64_t>;  // rank, left position, left id, right id
    std::priority_queue<candidate, std::vector<candidate>, std::greater<>> heap;
    const auto push = [&](std::size_t left) {
      if (left >= n || next[left] >= n) return;
      if (const auto it = t.merges.find(pair_key(sym[left], sym[next[left]])); it != t.merges.end())
        heap.emplace(it->second.first, left, sym[left], sym[next[left]]);
    };
    for (std::size_t k = 0; k + 1 < n; ++k) push(k);
    std::vector<bool> alive(n, true);
    while (!heap.empty()) {
      const auto [rank, left, a, b] = heap.top();
      heap.pop();
      const std::size_t right = next[left];
      if (!alive[left] || right >= n || sym[left] != a || sym[right] != b) continue;  // stale
      sym[left] = t.merges.find(pair_key(a, b))->second.second;
      alive[right] = false;
      next[left] = next[right];
      if (next[left] < n) prev[next[left]] = left;
      if (prev[left] < n) push(prev[left]);
      push(left);
    }
    std::vector<std::int64_t> kept;
    for (std::size_t k = 0; k < n; k = next[k]) kept.push_back(sym[k]);
    sym.swap(kept);
  }
  for (const auto id : sym) {
    ids.push_back(id);
    if (tokens != nullptr) tokens->push_back(t.id_to_token[static_cast<std::size_t>(id)]);
  }
}

/// Unigram (Kudo 2018): the segmentation of highest total log probability (Viterbi over the
/// text's characters); a character no piece covers becomes the unknown piece with the lowest
/// score less 10, consecutive unknown characters one unknown piece (or, with byte fallback, the
/// <0xXX> pieces of their bytes). Among paths of equal score the one whose last piece starts
/// first wins. Scores add in double (the tokenizers library's and transformers.js's lattice),
/// or, for a SentencePiece model file, as SentencePiece's optimized encoder adds them: path
/// scores kept in float, a piece's candidate formed and compared in double, an unknown one's in
/// float (which decides between paths that tie in exact arithmetic).
inline void unigram(const tables& t, const std::u32string& word, std::vector<std::int64_t>& ids, std::vector<std::string>* tokens) {
  const std::string text = unicode::encode_utf8(word);
  const std::size_t n = text.size();
  struct node {
    double score = 0.0;
    std::size_t from = 0;
    std::int64_t id = -1;  // -1: the unknown piece
    bool reached = false;
  };
  std::vector<node> best(n + 1);
  best[0].reached = true;
  const auto char_len = [&](std::size_t i) {  // the text is valid UTF-8 (it was encoded from code points)
    return std::min(std::max<std::size_t>(utf8_length(static_cast<unsigned char>(text[i])), 1), n - i);
  };
  const bool spm = t.sentencepiece_arithmetic;
  const auto offer = [&](std::size_t from, std::size_t to, double score, std::int64_t id) {
    auto& b = best[to];
    if (!b.reached || score > b.score) b = node{spm ? static_cast<double>(static_cast<float>(score)) : score, from, id, true};
  };
  std::string piece;
  for (std::size_t i = 0; i < n; i += char_len(i)) {
    if (!best[i].reached) continue;
    const std::size_t one = char_len(i);
    bool single = false;
    for (std::size_t len = 1; len <= std::min(t.longest_piece_bytes, n - i); ++len) {
      piece.assign(text, i, len);
      const auto it = t.vocab.find(piece);
      if (it == t.vocab.end()) continue;
      single = single || len == one;
      offer(i, i + len, static_cast<double>(t.scores[static_cast<std::size_t>(it->second)]) + static_cast<double>(best[i].score), it->second);
    }
    if (!single) {
      offer(i, i + one, spm ? static_cast<double>(t.unk_score + static_cast<float>(best[i].score)) : static_cast<double>(t.unk_score) + best[i].score, -1);
    }
  }
  std::vector<std::pair<std::size_t, std::int64_t>> path;  // (start, id) from the end
  for (std::size_t at = n; at > 0; at = best[at].from) path.emplace_back(best[at].from, best[at].id);
  std::reverse(path.begin(), path.end());
  for (std::size_t k = 0; k < path.size(); ++k) {
    const auto [start, id] = path[k];
    const std::size_t end = k + 1 < path.size() ? path[k + 1].first : n;
    if (id >= 0) {
      ids.push_back(id);
      if (tokens != nullptr) tokens->push_back(text.substr(start, end - start));
    } else if (t.byte_fallback) {
      for (std::size_t b = start; b < end; ++b) {
        ids.push_back(t.byte_ids[static_cast<unsigned char>(text[b])]);
        if (tokens != nullptr) tokens->push_back(t.id_to_token[static_cast<std::size_t>(ids.back())]);
      }
    } else if (k > 0 && path[k - 1].second < 0) {  // continues an unknown run
      if (tokens != nullptr) tokens->back() += text.substr(start, end - start);
    } else {
      ids.push_back(*t.unk);
      if (tokens != nullptr) tokens->push_back(text.substr(start, end - start));
    }
  }
}

/// A text's sections: (text, -1) to tokenize, or (token text, id) for an added token found in it.
inline std::vector<std::pair<std::u32string, std::int64_t>> sections(const tables& t, std::string_view text) {
  const std::u32string s = unicode::decode_utf8(text);
  std::vector<std::pair<std::u32string, std::int64_t>> out;
  std::size_t start = 0;
  bool strip_next = false;
  for (std::size_t i = 0; i < s.size();) {
    const added_token* hit = nullptr;
    for (const auto& a : t.added) {
      if (s.compare(i, a.content.size(), a.content) == 0) {
        hit = &a;
        break;
      }
    }
    if (hit == nullptr) {
      ++i;
      continue;
    }
    std::u32string before = s.substr(start, i - start);
    if (strip_next) while (!before.empty() && unicode::is_space(before.front())) before.erase(before.begin());
    if (hit->lstrip) while (!before.empty() && unicode::is_space(before.back())) before.pop_back();
    if (!before.empty()) out.emplace_back(std::move(before), -1);
    out.emplace_back(hit->content, hit->id);
    strip_next = hit->rstrip;
    i += hit->content.size();
    start = i;
  }
  std::u32string rest = s.substr(start);
  if (strip_next) while (!rest.empty() && unicode::is_space(rest.front())) rest.erase(rest.begin());
  if (!rest.empty()) out.emplace_back(std::move(rest), -1);
  return out;
}

/// The pre-tokens of one section of text.
inline pieces pre_tokenize(const tables& t, std::u32string s, std::size_t section) {
  for (const auto& n : t.normalizers) std::visit([&](const auto& step) { apply(step, s); }, n);
  pieces p;
  if (!s.empty()) p.push_back(std::move(s));
  for (const auto& pre : t.pre_tokenizers) std::visit([&](const auto& step) { apply(step, p, section); }, pre);
  std::erase_if(p, [](const std::u32string& x) { return x.empty(); });
  return p;
}

/// The model's ids (and optionally tokens) of a whole text, added tokens included.
inline void model_ids(const tables& t, std::string_view text, std::vector<std::int64_t>& ids, std::vector<std::string>* tokens) {
  std::size_t index = 0;
  for (auto& [part, id] : sections(t, text)) {
    if (id >= 0) {
      ids.push_back(id);
      if (tokens != nullptr) tokens->push_back(unicode::encode_utf8(part));
      continue;
    }
    for (const auto& word : pre_tokenize(t, std::move(part), index++)) {
      if (t.model == tables::model_kind::wordpiece) wordpiece(t, word, ids, tokens);
      else if (t.model == tables::model_kind::bpe) bpe(t, word, ids, tokens);
      else unigram(t, word, ids, tokens);
    }
  }
}

inline void finish(tables& t) {
  std::int64_t top = -1;
  for (const auto& [token, id] : t.vocab) top = std::max(top, id);
  for (const auto& a : t.added) top = std::max(top, a.id);
  if (top < 0) fail(t, "the vocabulary is empty");
  // Ids index a table: allow gaps, not a table out of proportion to the entries.
  const auto entries = static_cast<std::int64_t>(t.vocab.size() + t.added.size());
  if (top >= entries + (std::int64_t{1} << 20)) fail(t, fmt::format("token id {} is out of proportion to the {} entries", top, entries));
  t.longest_token = 0;
  for (const auto& [token, id] : t.vocab) t.longest_token = std::max(t.longest_token, unicode::decode_utf8(token).size());
  // Entries already named (a SentencePiece model's control and byte pieces) keep their names.
  t.id_to_token.resize(std::max(t.id_to_token.size(), static_cast<std::size_t>(top) + 1));
  for (const auto& [token, id] : t.vocab) t.id_to_token[static_cast<std::size_t>(id)] = token;
  for (const auto& a : t.added) t.id_to_token[static_cast<std::size_t>(a.id)] = unicode::encode_utf8(a.content);
  std::stable_sort(t.added.begin(), t.added.end(), [](const added_token& a, const added_token& b) { return a.content.size() > b.content.size(); });
  t.specials = 0;
  for (const auto& item : t.single) t.specials += item.ids.size();
  for (const auto& item : t.single) {
    for (const auto id : item.ids) {
      if (id < 0 || id > top) fail(t, fmt::format("the template's special token id {} is outside the vocabulary", id));
    }
  }
}

}  // namespace detail::hf

SEGKIT_FUNC hf_tokenizer hf_tokenizer::from_json(std::string_view json, std::string_view source, std::size_t max_length) {
  using namespace detail::hf;
  auto t = std::make_shared<tables>();
  t->source = std::string(source);
  const json_value doc = parse_json(json, source);
  if (!doc.is_object()) fail(*t, "not a tokenizer.json document (expected an object)");
  const auto* model = member(doc, "model");
  if (model == nullptr) fail(*t, "no 'model' (is this a tokenizer.json file?)");
  if (const auto* n = member(doc, "normalizer")) read_normalizer(*t, *n);
  if (const auto* p = member(doc, "pre_tokenizer")) read_pre_tokenizer(*t, *p);
  read_model(*t, *model);
  t->component_names.insert(t->component_names.begin(), type_of(*t, *model, "model"));
  if (const auto* p = member(doc, "post_processor")) read_post_processor(*t, *p);  // else the text alone (the tables' default)
  if (const auto* added = member(doc, "added_tokens")) {
    if (!added->is_array()) fail(*t, "'added_tokens' is not a list");
    for (const auto& a : added->as_array()) {
      added_token tok{u32(string_of(*t, a, "content")), int_of(*t, a, "id", -1), bool_of(*t, a, "lstrip", false), bool_of(*t, a, "rstrip", false)};
      if (tok.content.empty() || tok.id < 0) fail(*t, "an added token has no content or id");
      if (bool_of(*t, a, "single_word", false)) unsupported(*t, "added token option", "single_word");
      t->added.push_back(std::move(tok));
    }
  }
  if (const auto* tr = member(doc, "truncation")) {
    t->file_max_length = static_cast<std::size_t>(int_of(*t, *tr, "max_length", 0));
    const auto direction = string_of(*t, *tr, "direction", "Right");
    if (direction != "Right" && direction != "Left") unsupported(*t, "truncation direction", direction);
    t->truncate_left = direction == "Left";
    if (int_of(*t, *tr, "stride", 0) != 0) unsupported(*t, "truncation option", "stride");
  }
  finish(*t);
  t->pad_id = 0;
  if (const auto* pad = member(doc, "padding"); pad != nullptr && member(*pad, "pad_id") != nullptr) {
    t->pad_id = int_of(*t, *pad, "pad_id", 0);
  } else {
    for (const char* name : {"[PAD]", "<pad>", "<|endoftext|>"}) {
      if (const auto it = t->vocab.find(name); it != t->vocab.end()) {
        t->pad_id = it->second;
        break;
      }
      const auto content = u32(name);
      if (const auto it = std::find_if(t->added.begin(), t->added.end(), [&](const added_token& a) { return a.content == content; }); it != t->added.end()) {
        t->pad_id = it->id;
        break;
      }
    }
  }
  return hf_tokenizer(t, max_length != 0 ? max_length : t->file_max_length);
}

SEGKIT_FUNC hf_tokenizer hf_tokenizer::from_file(const std::filesystem::path& path, std::size_t max_length) {
  const auto bytes = read_file_bytes(path, detail::hf::component);
  return from_json(std::string_view(bytes.data(), bytes.size()), path.string(), max_length);
}

SEGKIT_FUNC hf_tokenizer hf_tokenizer::bert_vocab(const std::filesystem::path& vocab, bool lower_case, std::size_t max_length, std::size_t max_word_chars) {
  using namespace detail::hf;
  auto t = std::make_shared<tables>();
  t->source = vocab.string();
  std::int64_t id = 0;
  for (auto& token : read_file_lines(vocab, component)) t->vocab.emplace(std::move(token), id++);  // id = line number
  const auto need = [&](const char* name) {
    const auto it = t->vocab.find(name);
    if (it == t->vocab.end()) segkit::detail::throw_invalid(component, fmt::format("vocabulary '{}' has no {} token", vocab.string(), name));
    return it->second;
  };
  const auto cls = need("[CLS]"), sep = need("[SEP]");
  t->pad_id = need("[PAD]");
  t->normalizers.emplace_back(bert_normalizer{true, true, lower_case, lower_case});
  t->pre_tokenizers.emplace_back(bert_pre{});
  t->component_names = {"WordPiece", "BertNormalizer", "BertPreTokenizer", "BertProcessing"};
  t->model = tables::model_kind::wordpiece;
  t->prefix = "##";
  t->max_word_chars = max_word_chars;
  t->unk = need("[UNK]");
  t->single = {{true, {cls}, 0}, {false, {}, 0}, {true, {sep}, 0}};
  for (const char* special : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
    if (const auto it = t->vocab.find(special); it != t->vocab.end()) t->added.push_back({u32(special), it->second, false, false});
  }
  finish(*t);
  if (max_length < 2) segkit::detail::throw_invalid(component, "max_length must be at least 2");
  return hf_tokenizer(t, max_length);
}

namespace detail::hf {

/// A protocol-buffer message's fields, read one at a time (the wire format: varint keys; varint,
/// 64-bit, length-delimited and 32-bit values). Enough for SentencePiece's ModelProto.
class proto_reader {
 public:
  proto_reader(const tables& t, std::string_view data) : t_(t), data_(data) {}
  /// The next field's number and wire type, or false at the end.
  bool next(std::uint32_t& field, std::uint32_t& wire) {
    if (at_ >= data_.size()) return false;
    const auto key = varint();
    field = static_cast<std::uint32_t>(key >> 3);
    wire = static_cast<std::uint32_t>(key & 7U);
    return true;
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ >= data_.size()) fail(t_, "the SentencePiece model ends inside a number");
      const auto b = static_cast<unsigned char>(data_[at_++]);
      v |= static_cast<std::uint64_t>(b & 0x7FU) << shift;
      if ((b & 0x80U) == 0) return v;
    }
    fail(t_, "the SentencePiece model has an overlong number");
  }
  std::string_view bytes() {
    const auto n = varint();
    if (n > data_.size() - at_) fail(t_, "the SentencePiece model ends inside a field");
    const auto out = data_.substr(at_, static_cast<std::size_t>(n));
    at_ += static_cast<std::size_t>(n);
    return out;
  }
  float fixed32_float() {
    if (data_.size() - at_ < 4) fail(t_, "the SentencePiece model ends inside a number");
    std::uint32_t u = 0;
    for (std::size_t k = 0; k < 4; ++k) u |= static_cast<std::uint32_t>(static_cast<unsigned char>(data_[at_ + k])) << (8 * k);
    at_ += 4;
    float f = 0.0F;
    std::memcpy(&f, &u, sizeof f);
    return f;
  }
  void skip(std::uint32_t wire) {
    if (wire == 0) (void)varint();
    else if (wire == 1) at_ = data_.size() - at_ < 8 ? fail_skip() : at_ + 8;
    else if (wire == 2) (void)bytes();
    else if (wire == 5) (void)fixed32_float();
    else fail(t_, fmt::format("the SentencePiece model has a field of wire type {}", wire));
  }

 private:
  std::size_t fail_skip() { fail(t_, "the SentencePiece model ends inside a number"); }
  const tables& t_;
  std::string_view data_;
  std::size_t at_ = 0;
};

}  // namespace detail::hf

SEGKIT_FUNC hf_tokenizer hf_tokenizer::from_sentencepiece(const std::filesystem::path& path, std::size_t max_length) {
  const auto bytes = read_file_bytes(path, detail::hf::component);
  return from_sentencepiece_data(std::string_view(bytes.data(), bytes.size()), path.string(), max_length);
}

SEGKIT_FUNC hf_tokenizer hf_tokenizer::from_sentencepiece_data(std::string_view bytes, std::string_view source, std::size_t max_length) {
  using namespace detail::hf;
  auto t = std::make_shared<tables>();
  t->source = std::string(source);
  struct piece {
    std::string text;
    float score = 0.0F;
    std::uint64_t type = 1;  // NORMAL
  };
  std::vector<piece> pieces;
  std::uint64_t model_type = 1;  // UNIGRAM
  bool byte_fallback = false, whitespace_suffix = false;
  std::int64_t pad = -1;
  sentencepiece_normalizer norm;
  std::uint32_t field = 0, wire = 0;
  proto_reader model(*t, bytes);
  while (model.next(field, wire)) {
    if (field == 1 && wire == 2) {  // ModelProto.pieces
      proto_reader r(*t, model.bytes());
      piece p;
      while (r.next(field, wire)) {
        if (field == 1 && wire == 2) p.text = std::string(r.bytes());
        else if (field == 2 && wire == 5) p.score = r.fixed32_float();
        else if (field == 3 && wire == 0) p.type = r.varint();
        else r.skip(wire);
      }
      pieces.push_back(std::move(p));
    } else if (field == 2 && wire == 2) {  // TrainerSpec
      proto_reader r(*t, model.bytes());
      while (r.next(field, wire)) {
        if (field == 3 && wire == 0) model_type = r.varint();
        else if (field == 24 && wire == 0) whitespace_suffix = r.varint() != 0;
        else if (field == 35 && wire == 0) byte_fallback = r.varint() != 0;
        else if (field == 43 && wire == 0) pad = static_cast<std::int32_t>(r.varint());
        else r.skip(wire);
      }
    } else if (field == 3 && wire == 2) {  // NormalizerSpec
      proto_reader r(*t, model.bytes());
      while (r.next(field, wire)) {
        if (field == 2 && wire == 2) norm.rules = char_map_of(*t, r.bytes());
        else if (field == 3 && wire == 0) norm.add_dummy_prefix = r.varint() != 0;
        else if (field == 4 && wire == 0) norm.remove_extra_whitespaces = r.varint() != 0;
        else if (field == 5 && wire == 0) norm.escape_whitespaces = r.varint() != 0;
        else r.skip(wire);
      }
    } else {
      model.skip(wire);
    }
  }
  if (pieces.empty()) fail(*t, "not a SentencePiece model (no pieces)");
  if (model_type != 1) unsupported(*t, "SentencePiece model type", model_type == 2 ? "BPE" : model_type == 3 ? "WORD" : model_type == 4 ? "CHAR" : "?");
  if (whitespace_suffix) unsupported(*t, "SentencePiece option", "treat_whitespace_as_suffix");
  t->model = tables::model_kind::unigram;
  t->sentencepiece_arithmetic = true;
  t->component_names = {"Unigram", "SentencePiece normalizer"};
  t->normalizers.emplace_back(std::move(norm));
  t->scores.resize(pieces.size());
  float min_score = std::numeric_limits<float>::max(), max_score = std::numeric_limits<float>::lowest();
  for (const auto& p : pieces) {
    if (p.type == 1) {
      min_score = std::min(min_score, p.score);
      max_score = std::max(max_score, p.score);
    }
  }
  std::size_t bytes_found = 0;
  for (std::size_t id = 0; id < pieces.size(); ++id) {
    const auto& p = pieces[id];
    const auto i = static_cast<std::int64_t>(id);
    t->scores[id] = p.score;
    switch (p.type) {
      case 1: t->vocab.emplace(p.text, i); break;  // NORMAL
      case 2: t->unk = i; break;                   // UNKNOWN
      case 4:                                      // USER_DEFINED: whole, ahead of any segmentation
        t->vocab.emplace(p.text, i);
        t->scores[id] = static_cast<float>(unicode::decode_utf8(p.text).size()) * max_score - 0.1F;
        break;
      case 6:  // BYTE <0xXX>
        if (p.text.size() == 6 && p.text.starts_with("<0x") && p.text.back() == '>') {
          t->byte_ids[static_cast<std::size_t>(std::stoul(p.text.substr(3, 2), nullptr, 16))] = i;
          ++bytes_found;
        }
        break;
      default: break;  // CONTROL (<s>, </s>) and UNUSED pieces are never read from text
    }
    t->id_to_token.push_back(p.text);
  }
  if (!t->unk) fail(*t, "the SentencePiece model has no unknown piece");
  t->byte_fallback = byte_fallback;
  if (byte_fallback && bytes_found != 256) fail(*t, "the SentencePiece model falls back to bytes but lacks byte pieces");
  if (min_score > max_score) fail(*t, "the SentencePiece model has no normal pieces");
  finish_unigram(*t, min_score);
  finish(*t);  // no template: a bare model file adds no special tokens
  t->pad_id = pad >= 0 && pad < static_cast<std::int64_t>(pieces.size()) ? pad : 0;
  return hf_tokenizer(t, max_length);
}

SEGKIT_FUNC hf_tokenizer hf_tokenizer::clip_files(const std::filesystem::path& vocab_json, const std::filesystem::path& merges_txt,
                                                   std::size_t context_length) {
  constexpr std::string_view who = "segkit::embed::clip_bpe";
  const auto bytes = read_file_bytes(vocab_json, who);
  const std::string_view vocab(bytes.data(), bytes.size());
  json_value parsed;
  try {
    parsed = parse_json(vocab, vocab_json.string());
  } catch (const segkit::format_error& e) {
    segkit::detail::throw_invalid(who, fmt::format("invalid vocab.json '{}': {}", vocab_json.string(), e.what()));
  }
  if (!parsed.is_object()) segkit::detail::throw_invalid(who, fmt::format("invalid vocab.json '{}': not an object", vocab_json.string()));
  const auto marker = [&](const char* name) {
    const auto* id = detail::hf::member(parsed, name);
    if (id == nullptr || !id->is_number()) segkit::detail::throw_invalid(who, fmt::format("{} has no {}", vocab_json.string(), name));
    return static_cast<std::int64_t>(id->as_number());
  };
  const auto start = marker("<|startoftext|>"), end = marker("<|endoftext|>");
  std::string merges;
  const auto lines = read_file_lines(merges_txt, who);
  for (std::size_t k = 0; k < lines.size(); ++k) {
    if (lines[k].empty() || (k == 0 && lines[k].rfind("#version", 0) == 0)) continue;
    if (lines[k].find(' ') == std::string::npos) segkit::detail::throw_invalid(who, fmt::format("{}: line {} is not two symbols", merges_txt.string(), k + 1));
    merges += (merges.empty() ? "" : ",") + json_quote(lines[k]);
  }
  // The document CLIP's Hugging Face folders ship as tokenizer.json, around these two files.
  const std::string document = fmt::format(
      R"({{"added_tokens": [{{"id": {0}, "content": "<|startoftext|>"}}, {{"id": {1}, "content": "<|endoftext|>"}}],
 "normalizer": {{"type": "Sequence", "normalizers": [{{"type": "NFC"}}, {{"type": "Replace", "pattern": {{"Regex": "\\s+"}}, "content": " "}}, {{"type": "Lowercase"}}]}},
 "pre_tokenizer": {{"type": "Sequence", "pretokenizers": [{{"type": "Split", "pattern": {{"Regex": {2}}}, "behavior": "Removed", "invert": true}},
   {{"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}}]}},
 "post_processor": {{"type": "RobertaProcessing", "sep": ["<|endoftext|>", {1}], "cls": ["<|startoftext|>", {0}]}},
 "padding": {{"pad_id": {1}}},
 "model": {{"type": "BPE", "unk_token": "<|endoftext|>", "continuing_subword_prefix": "", "end_of_word_suffix": "</w>", "vocab": {3}, "merges": [{4}]}}}})",
      start, end, json_quote(detail::hf::clip_expression), vocab, merges);
  if (context_length < 3) segkit::detail::throw_invalid(who, "context_length must be at least 3");
  return from_json(document, fmt::format("{} + {}", vocab_json.string(), merges_txt.string()), context_length);
}

SEGKIT_FUNC hf_tokenizer::hf_tokenizer(std::shared_ptr<const tables> t, std::size_t max_length)
    : t_(std::move(t)), pad_id_(t_->pad_id), vocabulary_size_(t_->id_to_token.size()) {
  set_max_length(max_length);
}

SEGKIT_FUNC void hf_tokenizer::set_max_length(std::size_t max_length) {
  if (max_length != 0 && max_length <= t_->specials)
    segkit::detail::throw_invalid(detail::hf::component,
                                  fmt::format("max_length {} leaves no room for text: the template adds {} special tokens", max_length, t_->specials));
  max_length_ = max_length;
}

SEGKIT_FUNC token_ids hf_tokenizer::encode_with_types(std::string_view text) const {
  std::vector<std::int64_t> body;
  detail::hf::model_ids(*t_, text, body, nullptr);
  if (max_length_ != 0 && body.size() + t_->specials > max_length_) {
    const std::size_t keep = max_length_ - t_->specials;
    if (t_->truncate_left) body.erase(body.begin(), body.end() - static_cast<std::ptrdiff_t>(keep));
    else body.resize(keep);
  }
  token_ids out;
  out.ids.reserve(body.size() + t_->specials);
  out.type_ids.reserve(body.size() + t_->specials);
  for (const auto& item : t_->single) {
    const auto& ids = item.special ? item.ids : body;
    out.ids.insert(out.ids.end(), ids.begin(), ids.end());
    out.type_ids.insert(out.type_ids.end(), ids.size(), item.type_id);
  }
  return out;
}

SEGKIT_FUNC std::vector<std::int64_t> hf_tokenizer::encode(std::string_view text) const { return encode_with_types(text).ids; }

SEGKIT_FUNC std::vector<std::string> hf_tokenizer::pre_tokens(std::string_view text) const {
  std::vector<std::string> out;
  std::size_t index = 0;
  for (auto& [part, id] : detail::hf::sections(*t_, text)) {
    if (id >= 0) {
      out.push_back(unicode::encode_utf8(part));
      continue;
    }
    for (const auto& p : detail::hf::pre_tokenize(*t_, std::move(part), index++)) out.push_back(unicode::encode_utf8(p));
  }
  return out;
}

SEGKIT_FUNC std::vector<std::string> hf_tokenizer::words(std::string_view text) const {
  auto out = pre_tokens(text);
  if (!t_->byte_level) return out;
  static const std::array<int, 512> byte_of = [] {  // byte_to_char() inverted
    std::array<int, 512> inverse{};
    inverse.fill(-1);
    const auto& map = detail::hf::byte_to_char();
    for (std::size_t b = 0; b < 256; ++b) inverse[map[b]] = static_cast<int>(b);
    return inverse;
  }();
  for (auto& w : out) {
    std::string bytes;
    for (const char32_t c : unicode::decode_utf8(w)) {
      if (c < byte_of.size() && byte_of[c] >= 0) bytes.push_back(static_cast<char>(byte_of[c]));
      else unicode::append_utf8(bytes, c);  // an added token's own characters
    }
    w = std::move(bytes);
  }
  return out;
}

SEGKIT_FUNC std::vector<std::string> hf_tokenizer::tokens(std::string_view text) const {
  std::vector<std::int64_t> ids;
  std::vector<std::string> out;
  detail::hf::model_ids(*t_, text, ids, &out);
  return out;
}

SEGKIT_FUNC std::optional<std::int64_t> hf_tokenizer::token_id(std::string_view token) const {
  if (const auto it = t_->vocab.find(std::string(token)); it != t_->vocab.end()) return it->second;
  const auto u = unicode::decode_utf8(token);
  for (const auto& a : t_->added) {
    if (a.content == u) return a.id;
  }
  return std::nullopt;
}

SEGKIT_FUNC std::string hf_tokenizer::describe() const {
  const auto& n = t_->component_names;
  return n.size() <= 1 ? n.front() : fmt::format("{} ({})", n.front(), fmt::join(n.begin() + 1, n.end(), ", "));
}

}  // namespace segkit::embed
