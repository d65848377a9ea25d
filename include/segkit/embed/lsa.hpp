#pragma once
/// @file
/// @brief Latent semantic analysis: TF-IDF rows reduced by a truncated SVD and L2-normalised —
/// segkit's default text embedder when no model is given.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "segkit/core/concepts.hpp"
#include "segkit/embed/tfidf.hpp"
#include "segkit/reduce/truncated_svd.hpp"

namespace segkit::embed {

/// Parameters of lsa.
struct lsa_params {
  /// The TF-IDF stage; by default word unigrams and bigrams, English stop words, sublinear tf.
  tfidf_params tfidf{.analysis = {.ngram_max = 2, .stop_words = english_stop_words()}, .sublinear_tf = true};
  std::size_t dims = 100;            ///< output dimensions (fewer when the vocabulary or the corpus is smaller: see fit)
  std::size_t power_iterations = 5;  ///< of the randomized SVD
  bool normalize = true;             ///< scale each embedding to unit L2 norm (cosine-ready)
  std::uint64_t seed = 0;            ///< the only source of randomness
  std::size_t threads = 0;           ///< 0 = all hardware threads; results do not depend on it
};

/// A fitted LSA embedder (satisfies segkit::embedder for std::string records).
struct lsa_model {
  tfidf_model tfidf;                 ///< vocabulary and idf
  reduce::truncated_svd_model svd;   ///< the latent directions
  bool normalize = true;             ///< rows scaled to unit norm
  std::size_t threads = 0;           ///< threads of embed()

  [[nodiscard]] std::size_t dim() const noexcept { return svd.n_components(); }

  /// Embeddings of texts (n x dim()); each text on its own, so batch-invariant. A text with no
  /// known term embeds as the zero vector.
  [[nodiscard]] matrix<float> embed(std::span<const std::string> docs) const { return finish(svd.transform(tfidf.transform(docs), threads)); }

  /// Scales rows to unit norm when asked (zero rows stay zero).
  [[nodiscard]] matrix<float> finish(matrix<float> y) const {
    if (!normalize) return y;
    const std::size_t d = y.shape(1);
    for (std::size_t i = 0; i < y.shape(0); ++i) {
      double s = 0.0;
      for (std::size_t j = 0; j < d; ++j) s += static_cast<double>(y(i, j)) * static_cast<double>(y(i, j));
      if (s <= 0.0) continue;
      const double f = 1.0 / std::sqrt(s);
      for (std::size_t j = 0; j < d; ++j) y(i, j) = static_cast<float>(static_cast<double>(y(i, j)) * f);
    }
    return y;
  }
};

static_assert(segkit::embedder<lsa_model, std::string>);

/**
 * @brief Fits TF-IDF then a truncated SVD (latent semantic analysis, Deerwester et al. 1990).
 *
 * @code
 * auto [model, e] = segkit::embed::lsa({.dims = 64, .seed = 1}).fit_transform(texts);
 * auto more = model.embed(new_texts);   // same space
 * @endcode
 * dims is lowered to min(dims, vocabulary - 1, documents) when the corpus is too small for it
 * (model.dim() tells the result). Deterministic for a seed, whatever the thread count.
 */
class lsa {
 public:
  explicit lsa(lsa_params params = {}) : params_(std::move(params)) {}

  /// @throws segkit::invalid_argument as tfidf does, for dims of 0, or a vocabulary of one term.
  [[nodiscard]] std::pair<lsa_model, matrix<float>> fit_transform(std::span<const std::string> docs) const {
    if (params_.dims == 0) segkit::detail::throw_invalid("segkit::embed::lsa", "dims must be at least 1");
    auto tp = params_.tfidf;
    tp.threads = params_.threads;
    auto [tf, x] = tfidf(tp).fit_transform(docs);
    if (tf.dim() < 2) segkit::detail::throw_invalid("segkit::embed::lsa", fmt::format("the vocabulary has {} term; LSA needs at least 2", tf.dim()));
    const std::size_t dims = std::min({params_.dims, tf.dim() - 1, docs.size()});
    lsa_model m;
    m.tfidf = std::move(tf);
    m.svd = reduce::truncated_svd({.n_components = dims, .power_iterations = params_.power_iterations, .seed = params_.seed, .threads = params_.threads})
                .fit(x);
    m.normalize = params_.normalize;
    m.threads = params_.threads;
    auto y = m.finish(m.svd.transform(x, params_.threads));
    return {std::move(m), std::move(y)};
  }

  /// fit_transform() without the embeddings.
  [[nodiscard]] lsa_model fit(std::span<const std::string> docs) const { return fit_transform(docs).first; }

 private:
  lsa_params params_;
};

}  // namespace segkit::embed
