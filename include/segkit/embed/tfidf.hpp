#pragma once
/// @file
/// @brief TF-IDF features of texts (word or character n-grams, sublinear tf, document-frequency
/// bounds, stop words) as a sparse matrix, with scikit-learn's TfidfVectorizer semantics.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/sparse.hpp"
#include "segkit/core/params.hpp"
#include "segkit/embed/text_analysis.hpp"

namespace segkit::embed {

/// Parameters of tfidf.
struct tfidf_params {
  text_analysis analysis{};       ///< analyzer, n-gram range, lower-casing, stop words
  std::size_t min_df = 1;         ///< drop terms found in fewer documents
  double max_df = 1.0;            ///< drop terms found in more than this share of the documents, (0, 1]
  std::size_t max_features = 0;   ///< keep only the terms most frequent over the corpus (ties: term order); 0 = all
  bool sublinear_tf = false;      ///< tf = 1 + ln(count) instead of count
  bool use_idf = true;            ///< weight by inverse document frequency
  bool smooth_idf = true;         ///< idf = ln((1 + n) / (1 + df)) + 1 (else ln(n / df) + 1)
  bool normalize = true;          ///< scale each row to unit L2 norm (rows without terms stay zero)
  std::size_t threads = 0;        ///< 0 = all hardware threads; results do not depend on it

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = tfidf_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("analysis", &p::analysis, "analyzer, n-gram range, lower-casing, stop words"),
                      sp::field("min_df", &p::min_df, "drop terms found in fewer documents"),
                      sp::field("max_df", &p::max_df, "drop terms found in more than this share of the documents", sp::above_up_to(0, 1)),
                      sp::field("max_features", &p::max_features, "keep only the terms most frequent over the corpus (ties: term order); 0 = all"),
                      sp::field("sublinear_tf", &p::sublinear_tf, "tf = 1 + ln(count) instead of count"),
                      sp::field("use_idf", &p::use_idf, "weight by inverse document frequency"),
                      sp::field("smooth_idf", &p::smooth_idf, "idf = ln((1 + n) / (1 + df)) + 1 (else ln(n / df) + 1)"),
                      sp::field("normalize", &p::normalize, "scale each row to unit L2 norm (rows without terms stay zero)"),
                      sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it")};
  }
};

namespace detail {

[[noreturn]] inline void throw_tfidf(const std::string& m) { segkit::detail::throw_invalid("segkit::embed::tfidf", m); }

/// One chunk of documents analyzed: its own term dictionary and per-document (term, count) lists.
struct analysed_chunk {
  std::unordered_map<std::string, std::uint32_t> ids;
  std::vector<std::string> terms;                                 // by local id
  std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> docs;  // (local id, count), by document
};

inline analysed_chunk analyze(std::span<const std::string> docs, std::size_t b, std::size_t e, const text_analysis& a,
                              const std::unordered_set<std::string>& stop) {
  analysed_chunk c;
  std::vector<std::string> terms;
  std::unordered_map<std::uint32_t, std::uint32_t> counts;
  for (std::size_t i = b; i < e; ++i) {
    text_terms(docs[i], a, stop, terms);
    counts.clear();
    for (auto& t : terms) {
      auto [it, fresh] = c.ids.try_emplace(t, static_cast<std::uint32_t>(c.terms.size()));
      if (fresh) c.terms.push_back(std::move(t));
      ++counts[it->second];
    }
    c.docs.emplace_back(counts.begin(), counts.end());
  }
  return c;
}

}  // namespace detail

/**
 * @brief A fitted TF-IDF vocabulary: terms (sorted by their UTF-8 bytes, which is code-point
 * order) and their idf weights.
 */
struct tfidf_model {
  std::vector<std::string> vocabulary;                    ///< column j's term
  std::unordered_map<std::string, std::uint32_t> column;  ///< term -> column
  std::vector<double> idf;                                ///< per column (all 1 without use_idf)
  tfidf_params params;                                    ///< the parameters fitted with

  [[nodiscard]] std::size_t dim() const noexcept { return vocabulary.size(); }

  /// TF-IDF rows of texts (terms outside the vocabulary are ignored); each row on its own.
  [[nodiscard]] csr_matrix<float> transform(std::span<const std::string> docs) const {
    executor ex(params.threads);
    const std::unordered_set<std::string> stop(params.analysis.stop_words.begin(), params.analysis.stop_words.end());
    csr_matrix<float> out;
    out.rows = docs.size();
    out.cols = dim();
    std::vector<std::vector<std::pair<std::uint32_t, double>>> rows(docs.size());
    parallel_for(ex, docs.size(), 256, [&](std::size_t b, std::size_t e, std::size_t) {
      std::vector<std::string> terms;
      std::unordered_map<std::uint32_t, std::uint32_t> counts;
      for (std::size_t i = b; i < e; ++i) {
        text_terms(docs[i], params.analysis, stop, terms);
        counts.clear();
        for (const auto& t : terms) {
          const auto it = column.find(t);
          if (it != column.end()) ++counts[it->second];
        }
        for (const auto& [j, cnt] : counts) rows[i].emplace_back(j, static_cast<double>(cnt));
        weigh(rows[i]);
      }
    });
    assemble(rows, out);
    return out;
  }

  /// Column order, tf transform, idf and the row norm applied to one row's (column, count) pairs.
  void weigh(std::vector<std::pair<std::uint32_t, double>>& row) const {
    std::sort(row.begin(), row.end());
    double norm = 0.0;
    for (auto& [j, v] : row) {
      v = (params.sublinear_tf ? 1.0 + std::log(v) : v) * idf[j];
      norm += v * v;
    }
    if (params.normalize && norm > 0.0) {
      const double s = 1.0 / std::sqrt(norm);
      for (auto& [j, v] : row) v *= s;
    }
  }

  /// Rows of (column, value) into CSR.
  static void assemble(const std::vector<std::vector<std::pair<std::uint32_t, double>>>& rows, csr_matrix<float>& out) {
    out.indptr.assign(1, 0);
    std::size_t nnz = 0;
    for (const auto& r : rows) nnz += r.size();
    out.indices.reserve(nnz);
    out.values.reserve(nnz);
    for (const auto& r : rows) {
      for (const auto& [j, v] : r) {
        out.indices.push_back(j);
        out.values.push_back(static_cast<float>(v));
      }
      out.indptr.push_back(out.values.size());
    }
  }
};

/**
 * @brief TF-IDF vectorizer (scikit-learn's TfidfVectorizer semantics: terms from
 * text_terms(), document frequencies, min_df / max_df / max_features pruning, smooth idf,
 * optional sublinear tf, L2 rows).
 *
 * @code
 * std::vector<std::string> docs = ...;
 * auto [model, x] = segkit::embed::tfidf({.analysis = {.ngram_max = 2}, .min_df = 2}).fit_transform(docs);
 * x.rows == docs.size();  x.cols == model.dim();      // csr_matrix<float>
 * @endcode
 * Documents are analyzed in fixed chunks, each with its own dictionary, merged in chunk order;
 * the vocabulary is sorted: the same matrix for any thread count.
 * @par Thread safety  fit is const and may run concurrently.
 */
class tfidf {
 public:
  /// @throws segkit::invalid_argument naming the first parameter outside its table's range.
  explicit tfidf(tfidf_params params = {}) : params_(std::move(params)) { segkit::params::validate(params_, "segkit::embed::tfidf"); }

  /**
   * @brief Learns the vocabulary and idf and returns the TF-IDF rows of the same texts.
   * @throws segkit::invalid_argument for no documents, an empty n-gram range, max_df outside
   *         (0, 1], or no term left after pruning.
   */
  [[nodiscard]] std::pair<tfidf_model, csr_matrix<float>> fit_transform(std::span<const std::string> docs) const {
    check(docs.size());
    const std::size_t n = docs.size();
    executor ex(params_.threads);
    const std::unordered_set<std::string> stop(params_.analysis.stop_words.begin(), params_.analysis.stop_words.end());
    constexpr std::size_t chunk = 512;
    std::vector<detail::analysed_chunk> chunks((n + chunk - 1) / chunk);
    parallel_for(ex, n, chunk, [&](std::size_t b, std::size_t e, std::size_t c) { chunks[c] = detail::analyze(docs, b, e, params_.analysis, stop); });
    // Merge the dictionaries in chunk order: global id, document frequency, corpus count.
    std::unordered_map<std::string, std::uint32_t> global;
    std::vector<std::string> terms;
    std::vector<std::size_t> df, total;
    std::vector<std::vector<std::uint32_t>> remap(chunks.size());
    for (std::size_t c = 0; c < chunks.size(); ++c) {
      auto& ch = chunks[c];
      remap[c].resize(ch.terms.size());
      for (std::size_t t = 0; t < ch.terms.size(); ++t) {
        auto [it, fresh] = global.try_emplace(ch.terms[t], static_cast<std::uint32_t>(terms.size()));
        if (fresh) {
          terms.push_back(ch.terms[t]);
          df.push_back(0);
          total.push_back(0);
        }
        remap[c][t] = it->second;
      }
      for (const auto& d : ch.docs) {
        for (const auto& [t, cnt] : d) {
          ++df[remap[c][t]];
          total[remap[c][t]] += cnt;
        }
      }
    }
    // Prune by document frequency, then by corpus count.
    const double max_docs = params_.max_df * static_cast<double>(n);
    std::vector<std::uint32_t> keep;
    for (std::size_t g = 0; g < terms.size(); ++g) {
      if (df[g] >= params_.min_df && static_cast<double>(df[g]) <= max_docs) keep.push_back(static_cast<std::uint32_t>(g));
    }
    if (params_.max_features != 0 && keep.size() > params_.max_features) {
      std::sort(keep.begin(), keep.end(), [&](std::uint32_t a, std::uint32_t b) { return total[a] != total[b] ? total[a] > total[b] : terms[a] < terms[b]; });
      keep.resize(params_.max_features);
    }
    if (keep.empty()) {
      detail::throw_tfidf(fmt::format("no term remains after pruning ({} terms, min_df {}, max_df {}); loosen them", terms.size(), params_.min_df,
                                      params_.max_df));
    }
    std::sort(keep.begin(), keep.end(), [&](std::uint32_t a, std::uint32_t b) { return terms[a] < terms[b]; });
    tfidf_model m;
    m.params = params_;
    std::vector<std::uint32_t> final_column(terms.size(), std::numeric_limits<std::uint32_t>::max());
    m.vocabulary.reserve(keep.size());
    m.idf.reserve(keep.size());
    for (const std::uint32_t g : keep) {
      final_column[g] = static_cast<std::uint32_t>(m.vocabulary.size());
      m.column.emplace(terms[g], static_cast<std::uint32_t>(m.vocabulary.size()));
      m.vocabulary.push_back(terms[g]);
      const double dn = static_cast<double>(n), dd = static_cast<double>(df[g]);
      m.idf.push_back(!params_.use_idf ? 1.0 : params_.smooth_idf ? std::log((1.0 + dn) / (1.0 + dd)) + 1.0 : std::log(dn / dd) + 1.0);
    }
    // Rows from the chunks' counts.
    std::vector<std::vector<std::pair<std::uint32_t, double>>> rows(n);
    parallel_for(ex, n, chunk, [&](std::size_t b, std::size_t e, std::size_t c) {
      for (std::size_t i = b; i < e; ++i) {
        for (const auto& [t, cnt] : chunks[c].docs[i - b]) {
          const std::uint32_t j = final_column[remap[c][t]];
          if (j != std::numeric_limits<std::uint32_t>::max()) rows[i].emplace_back(j, static_cast<double>(cnt));
        }
        m.weigh(rows[i]);
      }
    });
    csr_matrix<float> x;
    x.rows = n;
    x.cols = m.dim();
    tfidf_model::assemble(rows, x);
    return {std::move(m), std::move(x)};
  }

  /// fit_transform() without the matrix.
  [[nodiscard]] tfidf_model fit(std::span<const std::string> docs) const { return fit_transform(docs).first; }

 private:
  void check(std::size_t n) const {
    const auto& a = params_.analysis;
    if (n == 0) detail::throw_tfidf("no documents");
    if (a.ngram_min == 0 || a.ngram_max < a.ngram_min) detail::throw_tfidf(fmt::format("ngram range [{}, {}] is empty or starts at 0", a.ngram_min, a.ngram_max));
    if (!(params_.max_df > 0.0 && params_.max_df <= 1.0)) detail::throw_tfidf(fmt::format("max_df ({}) must lie in (0, 1]", params_.max_df));
  }

  tfidf_params params_;
};

}  // namespace segkit::embed
