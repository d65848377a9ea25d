#pragma once
/// @file
/// @brief Text analysis for the built-in text embedders: UTF-8 decoding, lower-casing, word
/// tokens, word and character n-grams, stop words.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace segkit::embed {

/// What a term is.
enum class analyzer {
  word,     ///< tokens of two or more word characters, then word n-grams joined by one space
  chars,    ///< character n-grams over the whole text (runs of 2+ white spaces become one space)
  chars_wb, ///< character n-grams inside words, each word padded with one space on both sides
};

namespace detail {

/// Decodes UTF-8 into code points; a malformed byte becomes U+FFFD (and is skipped over).
inline std::u32string decode_utf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
    bool ok = len != 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc >> 6) == 0x2;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if (!ok) {
      out.push_back(U'\uFFFD');
      ++i;
      continue;
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

/// Appends code point c as UTF-8.
inline void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

/// UTF-8 of code points [b, e) of s.
inline std::string encode_utf8(const std::u32string& s, std::size_t b, std::size_t e) {
  std::string out;
  out.reserve(e - b);
  for (std::size_t i = b; i < e; ++i) append_utf8(out, s[i]);
  return out;
}

}  // namespace detail

/**
 * @brief Lower-case of one code point for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic
 * (the simple one-to-one Unicode mappings); other code points are returned unchanged.
 */
inline char32_t to_lower(char32_t c) noexcept {
  if (c < 0x80) return (c >= U'A' && c <= U'Z') ? c + 32 : c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;                     // Latin-1 capitals
  if (c >= 0x100 && c <= 0x137 && c != 0x130) return (c % 2 == 0) ? c + 1 : c;  // pairs: capital even
  if (c == 0x130) return U'i';                                                 // capital I with dot (simple mapping)
  if (c >= 0x139 && c <= 0x148) return (c % 2 == 1) ? c + 1 : c;              // pairs: capital odd
  if (c >= 0x14A && c <= 0x177) return (c % 2 == 0) ? c + 1 : c;
  if (c == 0x178) return 0xFF;
  if (c >= 0x179 && c <= 0x17E) return (c % 2 == 1) ? c + 1 : c;
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;                   // Greek capitals
  if (c >= 0x410 && c <= 0x42F) return c + 32;                                 // Cyrillic capitals
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

/**
 * @brief True for a word character: ASCII letters, digits and underscore, and every code point
 * from U+0080 up except white space, Latin-1 punctuation and symbols (U+00A0-U+00BF other than
 * ª, ², ³, µ, ¹, º, ¼-¾), × and ÷, General Punctuation (U+2000-U+206F), currency and other symbol
 * blocks U+20A0-U+2BFF, CJK symbols and punctuation (U+3000-U+303F), and full-width punctuation.
 * An approximation of Python's Unicode `\w`, exact on ASCII and Latin-1.
 */
inline bool is_word_char(char32_t c) noexcept {
  if (c < 0x80) return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z') || (c >= U'0' && c <= U'9') || c == U'_';
  if (c <= 0xBF) {
    return c == 0xAA || c == 0xB2 || c == 0xB3 || c == 0xB5 || c == 0xB9 || c == 0xBA || (c >= 0xBC && c <= 0xBE);
  }
  if (c == 0xD7 || c == 0xF7) return false;
  if (c >= 0x2000 && c <= 0x206F) return false;
  if (c >= 0x20A0 && c <= 0x2BFF) return false;
  if (c >= 0x3000 && c <= 0x303F) return false;
  if ((c >= 0xFF01 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40 && c != 0xFF3F) || (c >= 0xFF5B && c <= 0xFF65)) {
    return false;
  }
  return c != 0x85 && c != 0xFEFF && c != U'\uFFFD';
}

/// True for Unicode white space (as Python's str.isspace / `\s`).
inline bool is_space(char32_t c) noexcept {
  return c == U' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F) || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/// A short English stop-word list written for segkit: articles, pronouns, auxiliaries,
/// prepositions, conjunctions and other function words (lower case).
inline const std::vector<std::string>& english_stop_words() {
  static const std::vector<std::string> words = {
      "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been",
      "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each",
      "either", "else", "ever", "every", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers",
      "herself", "him", "himself", "his", "how", "however", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "may", "me",
      "might", "mine", "more", "most", "much", "must", "my", "myself", "neither", "no", "nor", "not", "now", "of", "off", "on", "once",
      "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "per", "same", "shall", "she", "should", "since", "so",
      "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those",
      "though", "through", "thus", "to", "too", "under", "until", "up", "upon", "us", "very", "via", "was", "we", "were", "what", "when",
      "where", "whether", "which", "while", "who", "whom", "whose", "why", "will", "with", "within", "without", "would", "yet", "you",
      "your", "yours", "yourself", "yourselves"};
  return words;
}

/// How text becomes terms (see text_terms()).
struct text_analysis {
  embed::analyzer analyzer = embed::analyzer::word;  ///< word, chars or chars_wb
  std::size_t ngram_min = 1;                         ///< shortest n-gram (words or characters)
  std::size_t ngram_max = 1;                         ///< longest n-gram
  bool lowercase = true;                             ///< lower-case before anything else (to_lower)
  std::vector<std::string> stop_words{};             ///< word analyzer: tokens dropped before n-grams (compared after lower-casing)
};

/**
 * @brief The terms of one text, in order of appearance (repeats kept), as scikit-learn's
 * CountVectorizer analyzers produce them: `word` finds maximal runs of two or more word
 * characters (the pattern `\b\w\w+\b`), drops stop words, then forms n-grams of consecutive
 * tokens joined by one space; `chars` collapses runs of two or more white-space characters into
 * one space and takes every character n-gram; `chars_wb` splits at white space, pads each word
 * with one space on both sides and takes its n-grams (a padded word no longer than n counts once,
 * whole, and ends that word's n-grams).
 */
inline void text_terms(std::string_view text, const text_analysis& a, const std::unordered_set<std::string>& stop,
                       std::vector<std::string>& out) {
  out.clear();
  std::u32string s = detail::decode_utf8(text);
  if (a.lowercase) {
    for (char32_t& c : s) c = to_lower(c);
  }
  const auto add_ngrams = [&](const std::u32string& w) {
    const std::size_t len = w.size();
    for (std::size_t n = a.ngram_min; n <= a.ngram_max && n <= len; ++n) {
      for (std::size_t i = 0; i + n <= len; ++i) out.push_back(detail::encode_utf8(w, i, i + n));
    }
  };
  if (a.analyzer == analyzer::word) {
    std::vector<std::string> tokens;
    for (std::size_t i = 0; i < s.size();) {
      if (!is_word_char(s[i])) {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < s.size() && is_word_char(s[j])) ++j;
      if (j - i >= 2) {
        std::string t = detail::encode_utf8(s, i, j);
        if (stop.count(t) == 0) tokens.push_back(std::move(t));
      }
      i = j;
    }
    for (std::size_t n = a.ngram_min; n <= a.ngram_max; ++n) {
      for (std::size_t i = 0; i + n <= tokens.size(); ++i) {
        std::string g = tokens[i];
        for (std::size_t k = 1; k < n; ++k) g.append(" ").append(tokens[i + k]);
        out.push_back(std::move(g));
      }
    }
    return;
  }
  // Runs of two or more white-space characters become one space (single ones stay as they are).
  std::u32string t;
  t.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (is_space(s[i]) && i + 1 < s.size() && is_space(s[i + 1])) {
      while (i < s.size() && is_space(s[i])) ++i;
      t.push_back(U' ');
      continue;
    }
    t.push_back(s[i++]);
  }
  if (a.analyzer == analyzer::chars) {
    add_ngrams(t);
    return;
  }
  for (std::size_t i = 0; i < t.size();) {
    if (is_space(t[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < t.size() && !is_space(t[j])) ++j;
    std::u32string w;
    w.reserve(j - i + 2);
    w.push_back(U' ');
    w.append(t, i, j - i);
    w.push_back(U' ');
    for (std::size_t n = a.ngram_min; n <= a.ngram_max; ++n) {
      if (w.size() <= n) {  // the whole padded word, once, and no longer n-grams
        out.push_back(detail::encode_utf8(w, 0, w.size()));
        break;
      }
      for (std::size_t k = 0; k + n <= w.size(); ++k) out.push_back(detail::encode_utf8(w, k, k + n));
    }
    i = j;
  }
}

}  // namespace segkit::embed
