#pragma once
/// @file
/// @brief Text analysis for the built-in text embedders: lower-casing, word tokens, word and
/// character n-grams, stop words (Unicode properties from core/unicode.hpp, as Python reads them).

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_set>
#include <vector>

#include "segkit/core/unicode.hpp"
#include "segkit/core/params.hpp"

namespace segkit::embed {

/// What a term is.
enum class analyzer {
  word,     ///< tokens of two or more word characters, then word n-grams joined by one space
  chars,    ///< character n-grams over the whole text (runs of 2+ white spaces become one space)
  chars_wb, ///< character n-grams inside words, each word padded with one space on both sides
};
/// Names of analyzer in files and on the command line (scikit-learn's, char as chars).
constexpr auto enum_names(analyzer) {
  using params::name_value;
  return std::array{name_value{"word", analyzer::word}, name_value{"chars", analyzer::chars}, name_value{"chars-wb", analyzer::chars_wb},
                    name_value{"char", analyzer::chars}, name_value{"char_wb", analyzer::chars_wb}, name_value{"chars_wb", analyzer::chars_wb}};
}


/// Lower case of one code point: unicode::simple_lower (Unicode's simple mapping, all scripts).
inline char32_t to_lower(char32_t c) noexcept { return unicode::simple_lower(c); }

/// A word character as Python's `\w` on str (letters, numbers, underscore; unicode::is_word_char).
inline bool is_word_char(char32_t c) noexcept { return unicode::is_word_char(c); }

/// True for Unicode white space (as Python's str.isspace / `\s`; unicode::is_space).
inline bool is_space(char32_t c) noexcept { return unicode::is_space(c); }

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
  bool lowercase = true;                             ///< lower-case before anything else (as Python's str.lower: unicode::lower)
  std::vector<std::string> stop_words{};             ///< word analyzer: tokens dropped before n-grams (compared after lower-casing)

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = text_analysis;
    namespace sp = segkit::params;
    return std::tuple{sp::field("analyzer", &p::analyzer, "what a term is: word n-grams, character n-grams (chars), or character n-grams inside words (chars-wb)"),
                      sp::field("ngram_min", &p::ngram_min, "shortest n-gram (words or characters)", sp::at_least(1)),
                      sp::field("ngram_max", &p::ngram_max, "longest n-gram (at least ngram_min)", sp::at_least(1)),
                      sp::field("lowercase", &p::lowercase, "lower-case before anything else (as Python's str.lower)"),
                      sp::field("stop_words", &p::stop_words, "word analyzer: tokens dropped before n-grams (compared after lower-casing)")};
  }
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
  std::u32string s = unicode::decode_utf8(text);
  if (a.lowercase) s = unicode::lower(s);
  const auto add_ngrams = [&](const std::u32string& w) {
    const std::size_t len = w.size();
    for (std::size_t n = a.ngram_min; n <= a.ngram_max && n <= len; ++n) {
      for (std::size_t i = 0; i + n <= len; ++i) out.push_back(unicode::encode_utf8(std::u32string_view(w).substr(i, n)));
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
        std::string t = unicode::encode_utf8(std::u32string_view(s).substr(i, j - i));
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
        out.push_back(unicode::encode_utf8(w));
        break;
      }
      for (std::size_t k = 0; k + n <= w.size(); ++k) out.push_back(unicode::encode_utf8(std::u32string_view(w).substr(k, n)));
    }
    i = j;
  }
}

}  // namespace segkit::embed
