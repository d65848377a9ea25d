#pragma once
/// @file
/// @brief Keywords and short names for text segments: class-based TF-IDF (c-TF-IDF, Grootendorst
/// 2022, as BERTopic defines it) over the documents of each segment.

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/types.hpp"
#include "segkit/core/params.hpp"

namespace segkit::pipeline {

/// Parameters of segment_keywords().
struct keyword_params {
  std::size_t top = 10;          ///< keywords kept per segment
  std::size_t name_terms = 3;    ///< keywords joined into the segment's short name ("premium-travel-card")
  std::size_t min_count = 2;     ///< terms seen fewer times in the whole corpus are ignored
  std::size_t min_length = 2;    ///< shorter tokens are ignored
  bool stop_words = true;        ///< drop common English function words

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = keyword_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("top", &p::top, "keywords kept per segment", sp::at_least(1)),
                      sp::field("name_terms", &p::name_terms, "keywords joined into the segment's short name (\"premium-travel-card\")", sp::at_least(1)),
                      sp::field("min_count", &p::min_count, "terms seen fewer times in the whole corpus are ignored"),
                      sp::field("min_length", &p::min_length, "shorter tokens are ignored"),
                      sp::field("stop_words", &p::stop_words, "drop common English function words")};
  }
};

/// The keywords of one segment.
struct segment_keywords {
  label_type segment = 0;                              ///< the segment's label
  std::size_t documents = 0;                           ///< documents in it
  std::vector<std::pair<std::string, double>> terms;   ///< (term, c-TF-IDF weight), best first
  std::string name;                                    ///< the first name_terms terms joined by '-'
};

namespace detail {

inline bool is_stop_word(std::string_view w) {
  static constexpr std::string_view words[] = {
      "a",    "about", "after", "all",   "also",  "an",   "and",   "any",  "are",  "as",    "at",   "be",   "been", "but",
      "by",   "can",   "could", "do",    "does",  "for",  "from",  "had",  "has",  "have",  "he",   "her",  "his",  "how",
      "i",    "if",    "in",    "into",  "is",    "it",   "its",   "may",  "more", "most",  "no",   "not",  "of",   "on",
      "one",  "or",    "other", "our",   "out",   "over", "she",   "so",   "some", "such",  "than", "that", "the",  "their",
      "them", "then",  "there", "these", "they",  "this", "those", "to",   "up",   "use",   "used", "very", "was",  "we",
      "were", "what",  "when",  "which", "while", "who",  "will",  "with", "would", "you",  "your"};
  return std::binary_search(std::begin(words), std::end(words), w);
}

}  // namespace detail

/**
 * @brief Lower-cased alphanumeric tokens of `text` (ASCII letters and digits; anything else
 * separates), without tokens of only digits, shorter than min_length, or stop words.
 */
inline std::vector<std::string> tokenize(std::string_view text, const keyword_params& params = {}) {
  std::vector<std::string> out;
  std::string cur;
  const auto flush = [&] {
    const bool digits = !cur.empty() && std::all_of(cur.begin(), cur.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
    if (cur.size() >= params.min_length && !digits && !(params.stop_words && detail::is_stop_word(cur))) out.push_back(cur);
    cur.clear();
  };
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 && c < 128) {
      cur.push_back(static_cast<char>(std::tolower(c)));
    } else {
      flush();
    }
  }
  flush();
  return out;
}

/**
 * @brief c-TF-IDF keywords of each segment: the documents of a segment form one class document;
 * a term's weight is its L1-normalized frequency in the class times log(1 + A / f), with A the
 * average number of tokens per class and f the term's frequency over all classes (BERTopic's
 * ClassTfidfTransformer). Noise (-1) is skipped. Ties are broken alphabetically.
 * @throws segkit::invalid_argument if the counts of documents and labels differ.
 */
inline std::vector<segment_keywords> keywords_by_segment(std::span<const std::string> documents, std::span<const label_type> labels,
                                                         const keyword_params& params = {}) {
  if (documents.size() != labels.size()) {
    segkit::detail::throw_invalid("segkit::pipeline::keywords_by_segment", fmt::format("{} documents but {} labels", documents.size(), labels.size()));
  }
  std::map<label_type, std::size_t> class_of;
  for (const label_type l : labels) {
    if (l != noise_label) class_of.emplace(l, 0);
  }
  std::size_t k = 0;
  for (auto& [label, c] : class_of) c = k++;
  std::vector<std::unordered_map<std::string, double>> counts(k);
  std::vector<std::size_t> docs(k, 0);
  std::unordered_map<std::string, double> total;
  for (std::size_t i = 0; i < documents.size(); ++i) {
    if (labels[i] == noise_label) continue;
    const std::size_t c = class_of[labels[i]];
    ++docs[c];
    for (auto& t : tokenize(documents[i], params)) {
      counts[c][t] += 1.0;
      total[t] += 1.0;
    }
  }
  double tokens = 0.0;
  for (const auto& [t, f] : total) tokens += f;
  const double average = k ? tokens / static_cast<double>(k) : 0.0;
  std::vector<segment_keywords> out;
  for (const auto& [label, c] : class_of) {
    segment_keywords sk;
    sk.segment = label;
    sk.documents = docs[c];
    double class_tokens = 0.0;
    for (const auto& [t, f] : counts[c]) {
      if (total[t] >= static_cast<double>(params.min_count)) class_tokens += f;
    }
    std::vector<std::pair<std::string, double>> w;
    for (const auto& [t, f] : counts[c]) {
      const double ft = total[t];
      if (ft < static_cast<double>(params.min_count)) continue;
      w.emplace_back(t, f / class_tokens * std::log(1.0 + average / ft));
    }
    std::sort(w.begin(), w.end(), [](const auto& x, const auto& y) { return x.second != y.second ? x.second > y.second : x.first < y.first; });
    if (w.size() > params.top) w.resize(params.top);
    for (std::size_t i = 0; i < std::min(params.name_terms, w.size()); ++i) sk.name += (i ? "-" : "") + w[i].first;
    if (sk.name.empty()) sk.name = fmt::format("segment-{}", label);
    sk.terms = std::move(w);
    out.push_back(std::move(sk));
  }
  return out;
}

}  // namespace segkit::pipeline
