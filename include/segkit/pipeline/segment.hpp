#pragma once
/// @file
/// @brief The default segmentation of records that have text: embed (LSA unless vectors are
/// given), choose k by a sweep, cluster (spherical k-means or UMAP + HDBSCAN), name the segments
/// from their keywords, score them, and lay them out in 2-D for plots. What `segkit segment` and
/// `segkit demo` run.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/hdbscan.hpp"
#include "segkit/cluster/kmeans.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/params.hpp"
#include "segkit/core/progress.hpp"
#include "segkit/core/random.hpp"
#include "segkit/embed/lsa.hpp"
#include "segkit/embed/onnx_reference.hpp"
#include "segkit/pipeline/keywords.hpp"
#include "segkit/pipeline/segmentation_model.hpp"
#include "segkit/quality/internal.hpp"
#include "segkit/quality/sweep.hpp"
#include "segkit/reduce/umap.hpp"

namespace segkit::pipeline {

/// The clustering step of segment_vectors().
enum class segment_algorithm {
  kmeans,   ///< spherical k-means (cosine) with k given or chosen by a sweep
  hdbscan,  ///< UMAP to cluster_dims dimensions, then HDBSCAN (noise allowed)
};

/// Names of segment_algorithm in files and on the command line.
constexpr auto enum_names(segment_algorithm) {
  using params::name_value;
  return std::array{name_value{"kmeans", segment_algorithm::kmeans}, name_value{"hdbscan", segment_algorithm::hdbscan}};
}

/// Parameters of segment_vectors() and segment_texts().
struct segment_params {
  segment_algorithm algorithm = segment_algorithm::kmeans;  ///< see segment_algorithm
  std::size_t k = 0;                 ///< k-means: number of segments; 0 = chosen by quality::sweep_k over [k_min, k_max]
  std::size_t k_min = 2;             ///< first k of the sweep (>= 2)
  std::size_t k_max = 30;            ///< last k of the sweep (lowered to n - 1)
  std::size_t min_cluster_size = 0;  ///< HDBSCAN: smallest segment; 0 = max(10, n / 100)
  std::size_t cluster_dims = 5;      ///< HDBSCAN: UMAP dimensions it clusters in (>= 2)
  bool coordinates = true;           ///< compute a 2-D UMAP layout for plots
  std::size_t score_rows = 3000;     ///< silhouette (sweep and final) on a seeded sample of this many rows
  embed::lsa_params lsa{};           ///< segment_texts(): the text embedder
  keyword_params keywords{};         ///< segment names and keyword lists
  std::uint64_t seed = 0;            ///< the only source of randomness
  std::size_t threads = 0;           ///< 0 = all hardware threads; results do not depend on it

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = segment_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("algorithm", &p::algorithm, "kmeans (spherical, k given or chosen by a sweep) or hdbscan (on a UMAP of cluster_dims dimensions; noise allowed)"),
                      sp::field("k", &p::k, "k-means: number of segments; 0 = chosen by a sweep over [k_min, k_max]"),
                      sp::field("k_min", &p::k_min, "first k of the sweep", sp::at_least(2)),
                      sp::field("k_max", &p::k_max, "last k of the sweep (lowered to n - 1)", sp::at_least(2)),
                      sp::field("min_cluster_size", &p::min_cluster_size, "hdbscan: smallest segment; 0 = max(10, n / 100)"),
                      sp::field("cluster_dims", &p::cluster_dims, "hdbscan: UMAP dimensions it clusters in", sp::at_least(2)),
                      sp::internal_field("coordinates", &p::coordinates, "compute a 2-D UMAP layout for plots"),
                      sp::field("score_rows", &p::score_rows, "silhouette (sweep and final) on a seeded sample of this many rows", sp::at_least(2)),
                      sp::field("lsa", &p::lsa, "segment_texts(): the text embedder (TF-IDF + LSA)"),
                      sp::field("keywords", &p::keywords, "segment names and keyword lists"),
                      sp::field("seed", &p::seed, "the only source of randomness"),
                      sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it")};
  }
};

/// The result of a segmentation.
struct segmentation {
  xt::xtensor<label_type, 1> labels;            ///< segment of each record, 0..n_segments-1, or -1 (HDBSCAN noise)
  std::size_t n_segments = 0;                   ///< segments found
  double noise_fraction = 0.0;                  ///< share of records labeled -1
  matrix<float> vectors;                        ///< the embeddings that were clustered (n x d)
  matrix<float> coordinates;                    ///< n x 2 layout for plots (empty without `coordinates`)
  matrix<float> centers;                        ///< k-means: k x d unit centers (assign new records by the nearest); empty for HDBSCAN
  std::vector<segment_keywords> keywords;       ///< c-TF-IDF keywords per segment (empty without texts)
  std::map<label_type, std::string> names;      ///< a short name per segment (from keywords, else "segment-L"); noise is "noise"
  std::vector<std::size_t> sizes;               ///< records per segment, by label
  double silhouette = 0.0;                      ///< mean silhouette (Euclidean on the vectors; noise excluded; sampled above score_rows)
  double davies_bouldin = 0.0;                  ///< noise excluded
  double calinski_harabasz = 0.0;               ///< noise excluded
  std::vector<std::size_t> score_sample;        ///< rows whose silhouette values were computed
  std::vector<double> silhouette_values;        ///< their silhouette values (for the silhouette plot)
  std::optional<quality::sweep_result> sweep;   ///< the k sweep, when k was chosen
  segmentation_model model;                     ///< the fitted stages, names and sizes: assigns new records, saved with model.save()

  /// The fitted HDBSCAN model (its condensed tree and the selected clusters, drawn by the report),
  /// or null when the clusterer is another one. A view into `model`, not a copy.
  [[nodiscard]] const cluster::hdbscan_model<>* hdbscan() const noexcept { return std::get_if<cluster::hdbscan_model<>>(&model.clusterer); }
};

namespace detail {

[[noreturn]] inline void throw_segment(const std::string& m) { segkit::detail::throw_invalid("segkit::pipeline::segment", m); }

/// `count` distinct rows of [0, n), seeded, ascending (all rows when n <= count).
inline std::vector<std::size_t> sample_rows(std::size_t n, std::size_t count, std::uint64_t seed) {
  std::vector<std::size_t> rows(n);
  for (std::size_t i = 0; i < n; ++i) rows[i] = i;
  if (n <= count) return rows;
  rng r(seed, 0x5C02EULL);
  for (std::size_t i = 0; i < count; ++i) std::swap(rows[i], rows[i + r.below(n - i)]);
  rows.resize(count);
  std::sort(rows.begin(), rows.end());
  return rows;
}

/// Copies the segments' names, sizes and keywords into the fitted model (by label).
inline void describe_model(segmentation& s) {
  auto& m = s.model;
  // The clusterer may know more segments than the labels use (a k-means center no record is
  // nearest to): those are named by number and have size 0.
  const std::size_t k = std::max(s.n_segments, m.n_segments());
  m.names.clear();
  m.keywords.clear();
  for (std::size_t l = 0; l < k; ++l) {
    const auto it = s.names.find(static_cast<label_type>(l));
    m.names.push_back(it != s.names.end() ? it->second : fmt::format("segment-{}", l));
  }
  m.sizes = s.sizes;
  m.sizes.resize(k, 0);
  if (!s.keywords.empty()) {
    m.keywords.resize(k);
    for (const auto& kw : s.keywords) {
      if (kw.segment < 0 || static_cast<std::size_t>(kw.segment) >= k) continue;
      for (const auto& t : kw.terms) m.keywords[static_cast<std::size_t>(kw.segment)].push_back(t.first);
    }
  }
}

/// Scores, sizes and names of a labeling.
inline void describe(segmentation& s, std::span<const std::string> texts, const segment_params& p) {
  const std::size_t n = s.labels.size();
  std::size_t noise = 0;
  label_type top = -1;
  for (const label_type l : s.labels) {
    noise += l == noise_label ? 1 : 0;
    top = std::max(top, l);
  }
  s.n_segments = static_cast<std::size_t>(top + 1);
  s.noise_fraction = static_cast<double>(noise) / static_cast<double>(n);
  s.sizes.assign(s.n_segments, 0);
  for (const label_type l : s.labels) {
    if (l >= 0) ++s.sizes[static_cast<std::size_t>(l)];
  }
  for (std::size_t l = 0; l < s.n_segments; ++l) s.names[static_cast<label_type>(l)] = fmt::format("segment-{}", l);
  if (noise > 0) s.names[noise_label] = "noise";
  if (!texts.empty()) {
    const std::vector<label_type> labels(s.labels.begin(), s.labels.end());
    s.keywords = keywords_by_segment(texts, labels, p.keywords);
    for (const auto& kw : s.keywords) {
      if (!kw.name.empty()) s.names[kw.segment] = kw.name;
    }
  }
  describe_model(s);
  // Scores without noise, the silhouette on a sample.
  std::vector<std::size_t> kept;
  for (std::size_t i = 0; i < n; ++i) {
    if (s.labels(i) != noise_label) kept.push_back(i);
  }
  if (s.n_segments < 2 || kept.size() <= s.n_segments) return;
  const std::size_t d = s.vectors.shape(1);
  matrix<float> xk = matrix<float>::from_shape({kept.size(), d});
  std::vector<label_type> lk(kept.size());
  for (std::size_t r = 0; r < kept.size(); ++r) {
    std::copy_n(&s.vectors(kept[r], 0), d, &xk(r, 0));
    lk[r] = s.labels(kept[r]);
  }
  s.davies_bouldin = quality::davies_bouldin(xk, lk);
  s.calinski_harabasz = quality::calinski_harabasz(xk, lk);
  const auto pick = sample_rows(kept.size(), p.score_rows, p.seed);
  matrix<float> xs = matrix<float>::from_shape({pick.size(), d});
  std::vector<label_type> ls(pick.size());
  for (std::size_t r = 0; r < pick.size(); ++r) {
    std::copy_n(&xk(pick[r], 0), d, &xs(r, 0));
    ls[r] = lk[pick[r]];
  }
  std::vector<label_type> distinct(ls);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  if (distinct.size() < 2 || distinct.size() >= pick.size()) return;
  const auto values = quality::silhouette_samples(xs, ls, {.threads = p.threads});
  s.silhouette_values.assign(values.begin(), values.end());
  double sum = 0.0;
  for (const double v : s.silhouette_values) sum += v;
  s.silhouette = sum / static_cast<double>(s.silhouette_values.size());
  s.score_sample.resize(pick.size());
  for (std::size_t r = 0; r < pick.size(); ++r) s.score_sample[r] = kept[pick[r]];
}

}  // namespace detail

/**
 * @brief Segments embedded records: clusters `vectors` (one row per record), names the segments
 * from `texts` (optional: one text per record, for keywords), scores them and lays them out.
 * The result's `model` holds the fitted reducer and clusterer (no embedder: new records are
 * assigned with model.assign_vectors() on vectors made as these were).
 *
 * - **k-means** (default): spherical k-means (cosine), so embeddings of any norm work. With k = 0
 *   the sweep fits every k in [k_min, k_max] and scores silhouette (on score_rows rows),
 *   Davies-Bouldin and Calinski-Harabasz; the k most of them choose wins (quality::sweep_k).
 *   The final fit keeps the best of 3 restarts.
 * - **HDBSCAN**: UMAP (cosine, 15 neighbors, min_dist 0) to cluster_dims dimensions, then
 *   HDBSCAN with min_cluster_size; records in no dense region are noise (-1).
 * - **Coordinates**: UMAP (cosine) to 2-D, for scatter plots.
 * Deterministic for a seed, whatever the thread count. `progress` (optional) hears the stages
 * "sweep" (one event per k), "cluster", "layout" and "score"; returning false cancels
 * (segkit::cancelled).
 * @throws segkit::invalid_argument for fewer than 3 records, NaN/Inf, a text count other than n,
 *         k >= n, k_min < 2, k_min > k_max, or cluster_dims < 2.
 * @par Complexity  sweep: (k_max - k_min + 1) k-means fits plus O(score_rows^2 d) each; UMAP O(n k log n) with HNSW neighbors above 20,000 rows.
 */
template <class E, progress_callback P = no_progress>
segmentation segment_vectors(const E& vectors, std::span<const std::string> texts = {}, const segment_params& p = {}, P&& progress = {}) {
  const auto x = as_rows<float>(vectors);
  const std::size_t n = x->rows(), d = x->cols();
  if (n < 3) detail::throw_segment(fmt::format("needs at least 3 records (got {})", n));
  if (d == 0) detail::throw_segment("the vectors have 0 columns");
  if (!texts.empty() && texts.size() != n) detail::throw_segment(fmt::format("{} texts for {} records", texts.size(), n));
  require_finite<float>("segkit::pipeline::segment", "vectors", x.view());
  if (p.k >= n) detail::throw_segment(fmt::format("k ({}) must be below the number of records ({})", p.k, n));
  if (p.k_min < 2 || p.k_min > p.k_max) detail::throw_segment(fmt::format("needs 2 <= k_min <= k_max (got {} and {})", p.k_min, p.k_max));
  if (p.cluster_dims < 2) detail::throw_segment(fmt::format("cluster_dims must be at least 2 (got {})", p.cluster_dims));

  segmentation s;
  s.vectors = matrix<float>::from_shape({n, d});
  for (std::size_t i = 0; i < n; ++i) std::copy_n(x->row(i), d, &s.vectors(i, 0));
  const std::size_t neighbors = std::min<std::size_t>(15, n - 1);
  if (p.algorithm == segment_algorithm::kmeans) {
    std::size_t k = p.k;
    if (k == 0) {
      const std::size_t k_max = std::min(p.k_max, n - 1);
      const std::size_t k_min = std::min(p.k_min, k_max);
      std::size_t fits = 0;
      const auto fit = [&](const auto& rows, std::size_t kk, std::uint64_t seed) {
        report_progress(progress, "sweep", fits++, k_max - k_min + 1);
        return cluster::kmeans<float>({.k = kk, .spherical = true, .seed = seed, .threads = p.threads}).fit(rows).labels();
      };
      s.sweep = quality::sweep_k(s.vectors, fit,
                                 {.k_min = k_min, .k_max = k_max, .gap_references = 0, .stability_runs = 0, .exact_silhouette_rows = p.score_rows,
                                  .seed = p.seed, .threads = p.threads});
      k = s.sweep->chosen_k;
    }
    report_progress(progress, "cluster", 0, 1);
    auto model = cluster::kmeans<float>({.k = k, .n_init = 3, .spherical = true, .seed = p.seed, .threads = p.threads}).fit(s.vectors);
    s.labels = model.labels();
    s.centers = model.centers;
    s.model.clusterer = std::move(model);
  } else {
    report_progress(progress, "cluster", 0, 1);
    const std::size_t mcs = p.min_cluster_size != 0 ? p.min_cluster_size : std::max<std::size_t>(10, n / 100);
    auto reducer = reduce::umap<distance::cosine_metric>({.n_components = std::min(p.cluster_dims, n - 2), .n_neighbors = std::max<std::size_t>(2, neighbors),
                                                           .min_dist = 0.0, .seed = p.seed, .threads = p.threads})
                       .fit(s.vectors);
    const matrix<float> low = reducer.embedding;
    auto h = cluster::hdbscan<>({.min_cluster_size = std::min(mcs, n), .threads = p.threads}).fit(low);
    s.labels = h.labels();
    s.model.reducers.emplace_back(std::move(reducer));
    s.model.clusterer = std::move(h);
  }
  if (p.coordinates) {
    report_progress(progress, "layout", 0, 1);
    s.coordinates = reduce::umap<distance::cosine_metric>({.n_components = 2, .n_neighbors = std::max<std::size_t>(2, neighbors), .seed = p.seed, .threads = p.threads})
                        .fit_transform(s.vectors);
  }
  report_progress(progress, "score", 0, 1);
  detail::describe(s, texts, p);
  report_progress(progress, "score", 1, 1);
  return s;
}

/**
 * @brief segment_vectors() on LSA embeddings of `texts` (TF-IDF with bigrams and English stop
 * words, truncated SVD, unit rows); the fitted embedder is kept in the result's `model`, which
 * then assigns new texts (model.assign(texts)) and is saved whole (model.save(path)).
 * `progress` hears "embed" first, then what segment_vectors() reports.
 * @throws segkit::invalid_argument as lsa and segment_vectors() do.
 */
template <progress_callback P = no_progress>
segmentation segment_texts(std::span<const std::string> texts, const segment_params& p = {}, P&& progress = {}) {
  auto lp = p.lsa;
  lp.seed = p.seed;
  lp.threads = p.threads;
  report_progress(progress, "embed", 0, 1);
  auto [model, e] = embed::lsa(lp).fit_transform(texts);
  auto s = segment_vectors(e, texts, p, progress);
  s.model.embedder = std::move(model);
  return s;
}

/**
 * @brief segment_vectors() on the vectors of an ONNX text model (`model`: its files and settings,
 * e.g. `embed::read_text_model_folder(dir).params`); the result's `model` keeps it by reference
 * (paths and SHA-256, embed::onnx_text_reference), so it assigns new texts
 * (model.assign(texts)) and is saved with model.save(path) without copying the weights.
 * `progress` hears "embed" with the texts done, then what segment_vectors() reports.
 * @throws as embed::onnx_text_embedder and segment_vectors() do.
 */
template <progress_callback P = no_progress>
segmentation segment_texts(std::span<const std::string> texts, const embed::onnx_text_params& model, const segment_params& p = {}, P&& progress = {}) {
  const embed::onnx_text_embedder embedder(model);
  const auto e = embedder.embed(texts, progress);
  auto s = segment_vectors(e, texts, p, progress);
  s.model.embedder = embed::onnx_text_reference::of(model, {}, {}, embedder.dim());
  return s;
}

}  // namespace segkit::pipeline
