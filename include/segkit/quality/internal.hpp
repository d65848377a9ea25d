#pragma once
/// @file
/// @brief Internal segment-quality scores, judged from the data and the labels alone:
/// silhouette (per sample, mean, and a sampled estimate with a confidence interval),
/// Davies-Bouldin, Calinski-Harabasz and inertia. Values follow scikit-learn's definitions.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <tuple>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/random.hpp"
#include "segkit/core/types.hpp"
#include "segkit/core/params.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/distance/pairwise.hpp"
#include "segkit/quality/detail/labels.hpp"

namespace segkit::quality {

/// What the internal scores do with rows labeled segkit::noise_label (-1).
enum class noise_handling {
  as_label,  ///< -1 is one more cluster, as scikit-learn treats it (the default)
  exclude,   ///< noise rows are left out entirely: neither scored nor used as neighbors
};
/// Names of noise_handling in files and on the command line ("label", as the tool has always
/// spelt it; "as_label", the enumerator's name, also accepted).
constexpr auto enum_names(noise_handling) {
  using params::name_value;
  return std::array{name_value{"label", noise_handling::as_label}, name_value{"as_label", noise_handling::as_label},
                    name_value{"exclude", noise_handling::exclude}};
}

/// Parameters of the silhouette functions.
struct silhouette_params {
  noise_handling noise = noise_handling::as_label;  ///< see noise_handling
  std::size_t threads = 0;                          ///< 0 = all hardware threads; results do not depend on it
  std::size_t block_rows = 256;                     ///< rows per distance tile (>= 8)
  /// Bytes the symmetric scan may use for partial sums (bands x n x k doubles); below two
  /// bands' worth it computes every pair twice instead, in O(threads x block_rows x k) memory.
  std::size_t memory_budget = std::size_t{256} << 20;

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = silhouette_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("noise", &p::noise, "label (-1 is one more cluster, as scikit-learn) or exclude (noise rows neither scored nor used)"),
                      sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it"),
                      sp::internal_field("block_rows", &p::block_rows, "rows per distance tile", sp::at_least(8)),
                      sp::internal_field("memory_budget", &p::memory_budget, "bytes of distance tiles held at once")};
  }
};

/// Parameters of silhouette_estimate().
struct silhouette_estimate_params {
  std::size_t sample_size = 2000;  ///< rows whose exact silhouette is computed (all rows if n is smaller)
  double confidence = 0.95;        ///< level of the reported interval, in (0, 1)
  std::uint64_t seed = 0;          ///< the only source of randomness
  silhouette_params silhouette{};  ///< noise handling, threads, tiles

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = silhouette_estimate_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("sample_size", &p::sample_size, "rows whose exact silhouette is computed (all rows if n is smaller)", sp::at_least(1)),
                      sp::field("confidence", &p::confidence, "level of the reported interval", {0, 1, true, true}),
                      sp::field("seed", &p::seed, "the only source of randomness"),
                      sp::field("silhouette", &p::silhouette, "noise handling, threads, tiles")};
  }
};

/// A sampled silhouette score: the mean of exact per-sample values of a uniform sample of rows.
struct silhouette_estimate_result {
  double value = 0.0;        ///< estimated mean silhouette
  double standard_error = 0.0;  ///< with the finite-population correction
  double low = 0.0;          ///< lower end of the confidence interval (normal approximation)
  double high = 0.0;         ///< upper end
  std::size_t sample_size = 0;  ///< rows actually sampled
};

namespace detail {

inline void check_label_count(const char* comp, std::size_t rows, std::size_t labels) {
  if (rows == 0) segkit::detail::throw_invalid(comp, "no samples (x has 0 rows)");
  if (labels != rows) segkit::detail::throw_invalid(comp, fmt::format("{} labels for {} rows", labels, rows));
}

/// The rule scikit-learn applies to the internal scores: 2 <= clusters <= scored rows - 1.
inline void check_cluster_count(const char* comp, std::size_t k, std::size_t scored) {
  if (k < 2 || k + 1 > scored) {
    segkit::detail::throw_invalid(
        comp, fmt::format("{} distinct label(s) among {} scored rows; the score needs 2 to n - 1 clusters", k, scored));
  }
}

/// Sum of `n` floats or doubles in double, in a fixed order (eight interleaved partial sums).
template <class T>
double row_sum(const T* p, std::size_t n) noexcept {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    for (std::size_t u = 0; u < 8; ++u) s[u] += static_cast<double>(p[j + u]);
  }
  for (; j < n; ++j) s[0] += static_cast<double>(p[j]);
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

/**
 * Rows grouped by cluster (positions start[c]..start[c+1]), translated to their mean for the
 * Euclidean forms (the distances are unchanged and the matrix-product expansion loses less).
 */
template <class M, class T>
struct grouped_rows {
  matrix<T> rows;
  std::vector<T> terms;
  std::vector<std::size_t> start;     // k + 1 entries
  std::vector<std::size_t> original;  // position -> input row
  std::vector<std::int32_t> cluster;  // position -> code

  grouped_rows(const matrix_view<T>& x, const label_codes& codes) {
    const std::size_t k = codes.k(), d = x.cols();
    start.assign(k + 1, 0);
    for (std::size_t c = 0; c < k; ++c) start[c + 1] = start[c] + codes.counts[c];
    original.resize(codes.included);
    cluster.resize(codes.included);
    std::vector<std::size_t> next(start.begin(), start.end() - 1);
    for (std::size_t i = 0; i < x.rows(); ++i) {
      if (codes.code[i] < 0) continue;
      const auto c = static_cast<std::size_t>(codes.code[i]);
      original[next[c]] = i;
      cluster[next[c]++] = codes.code[i];
    }
    std::vector<double> mean(d, 0.0);
    constexpr auto form = distance::gemm_form_of<M>();
    if constexpr (form == distance::gemm_form::squared_l2) {
      for (const std::size_t i : original) {
        for (std::size_t j = 0; j < d; ++j) mean[j] += static_cast<double>(x.row(i)[j]);
      }
      for (double& v : mean) v /= static_cast<double>(original.size());
    }
    rows = matrix<T>::from_shape({original.size(), d});
    for (std::size_t p = 0; p < original.size(); ++p) {
      const T* src = x.row(original[p]);
      T* dst = rows.data() + p * d;
      for (std::size_t j = 0; j < d; ++j) dst[j] = static_cast<T>(static_cast<double>(src[j]) - mean[j]);
    }
    terms = distance::row_norm_terms<M>(view());
  }

  [[nodiscard]] matrix_view<T> view() const { return matrix_view<T>(rows.data(), rows.shape(0), rows.shape(1)); }
  [[nodiscard]] const T* terms_at(std::size_t p) const { return terms.empty() ? nullptr : terms.data() + p; }
  /// First cluster whose range contains position p.
  [[nodiscard]] std::size_t cluster_of(std::size_t p) const { return static_cast<std::size_t>(cluster[p]); }
};

/// Adds row sums of the tile D (rows [ib,ie) x columns [jb,je), leading dimension ld) per cluster
/// segment of the columns into acc (row r's k sums at acc + (r - ib) * k).
template <class M, class T>
void add_row_segments(const grouped_rows<M, T>& g, const T* dist, std::size_t ld, std::size_t rows, std::size_t jb,
                      std::size_t je, double* acc, std::size_t k) {
  for (std::size_t c = g.cluster_of(jb); c < k && g.start[c] < je; ++c) {
    const std::size_t sb = std::max(jb, g.start[c]), se = std::min(je, g.start[c + 1]);
    if (sb >= se) continue;
    for (std::size_t r = 0; r < rows; ++r) acc[r * k + c] += row_sum(dist + r * ld + (sb - jb), se - sb);
  }
}

/// Per-position sums of distances to every cluster (n x k, row-major), each pair's distance
/// computed once: tiles of the upper triangle, grouped into band pairs that each own their slots.
template <class M, class T>
std::vector<double> cluster_sums_symmetric(const M& m, const grouped_rows<M, T>& g, std::size_t block, std::size_t bands,
                                           executor& ex) {
  const std::size_t n = g.rows.shape(0), k = g.start.size() - 1;
  const std::size_t nb = (n + block - 1) / block;
  const auto band_begin = [&](std::size_t p) { return p * nb / bands; };
  std::vector<double> acc(bands * n * k, 0.0);
  std::vector<std::pair<std::size_t, std::size_t>> tasks;
  for (std::size_t p = 0; p < bands; ++p) {
    for (std::size_t q = p; q < bands; ++q) tasks.emplace_back(p, q);
  }
  const auto v = g.view();
  parallel_for(ex, tasks.size(), 1, [&](std::size_t tb, std::size_t te, std::size_t) {
    std::vector<T> tile(block * block);
    std::vector<double> col(block);
    for (std::size_t t = tb; t < te; ++t) {
      const auto [p, q] = tasks[t];
      for (std::size_t bi = band_begin(p); bi < band_begin(p + 1); ++bi) {
        const std::size_t ib = bi * block, ie = std::min(n, ib + block);
        for (std::size_t bj = std::max(bi, band_begin(q)); bj < band_begin(q + 1); ++bj) {
          const std::size_t jb = bj * block, je = std::min(n, jb + block), w = je - jb;
          distance::distance_block(m, v.slice(ib, ie), v.slice(jb, je), g.terms_at(ib), g.terms_at(jb), tile.data(), w);
          if (bi == bj) {
            for (std::size_t r = 0; r < ie - ib; ++r) tile[r * w + r] = T{0};
          }
          // Rows of block bi against the columns of bj: slots of band q.
          add_row_segments(g, tile.data(), w, ie - ib, jb, je, acc.data() + (q * n + ib) * k, k);
          if (bi == bj) continue;
          // Rows of block bj against the rows of bi (the tile's columns summed): slots of band p.
          for (std::size_t c = g.cluster_of(ib); c < k && g.start[c] < ie; ++c) {
            const std::size_t sb = std::max(ib, g.start[c]), se = std::min(ie, g.start[c + 1]);
            if (sb >= se) continue;
            std::fill_n(col.begin(), w, 0.0);
            for (std::size_t r = sb; r < se; ++r) {
              const T* drow = tile.data() + (r - ib) * w;
              for (std::size_t j = 0; j < w; ++j) col[j] += static_cast<double>(drow[j]);
            }
            double* out = acc.data() + (p * n + jb) * k + c;
            for (std::size_t j = 0; j < w; ++j) out[j * k] += col[j];
          }
        }
      }
    }
  });
  std::vector<double> sums(n * k, 0.0);
  for (std::size_t b = 0; b < bands; ++b) {
    const double* a = acc.data() + b * n * k;
    for (std::size_t i = 0; i < n * k; ++i) sums[i] += a[i];
  }
  return sums;
}

/// Sums of distances from the given positions to every cluster (|queries| x k), every tile
/// computed in full: O(block x k) memory per work item.
template <class M, class T>
std::vector<double> cluster_sums_rows(const M& m, const grouped_rows<M, T>& g, std::span<const std::size_t> queries,
                                      std::size_t block, executor& ex) {
  const std::size_t n = g.rows.shape(0), k = g.start.size() - 1, d = g.rows.shape(1);
  std::vector<double> sums(queries.size() * k, 0.0);
  const auto v = g.view();
  parallel_for(ex, queries.size(), block, [&](std::size_t qb, std::size_t qe, std::size_t) {
    const std::size_t rows = qe - qb;
    matrix<T> q = matrix<T>::from_shape({rows, d});
    std::vector<T> qterms(g.terms.empty() ? 0 : rows);
    for (std::size_t r = 0; r < rows; ++r) {
      std::copy_n(g.rows.data() + queries[qb + r] * d, d, q.data() + r * d);
      if (!qterms.empty()) qterms[r] = g.terms[queries[qb + r]];
    }
    const matrix_view<T> qv(q.data(), rows, d, d);
    std::vector<T> tile(rows * block);
    for (std::size_t jb = 0; jb < n; jb += block) {
      const std::size_t je = std::min(n, jb + block), w = je - jb;
      distance::distance_block(m, qv, v.slice(jb, je), qterms.empty() ? nullptr : qterms.data(), g.terms_at(jb),
                               tile.data(), w);
      for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t self = queries[qb + r];
        if (self >= jb && self < je) tile[r * w + (self - jb)] = T{0};
      }
      add_row_segments(g, tile.data(), w, rows, jb, je, sums.data() + qb * k, k);
    }
  });
  return sums;
}

}  // namespace detail

/// The silhouette s = (b - a) / max(a, b) of one row from its summed distances to each cluster
/// (`sums[c]`, itself excluded) and the cluster sizes; 0 for a cluster of one, as scikit-learn.
inline double silhouette_value(const double* sums, std::size_t own, const std::vector<std::size_t>& counts) {
  if (counts[own] <= 1) return 0.0;
  const double a = sums[own] / static_cast<double>(counts[own] - 1);
  double b = std::numeric_limits<double>::infinity();
  for (std::size_t c = 0; c < counts.size(); ++c) {
    if (c != own) b = std::min(b, sums[c] / static_cast<double>(counts[c]));
  }
  const double den = std::max(a, b);
  return den > 0.0 ? (b - a) / den : 0.0;
}

/// The two-sided standard normal quantile z of a confidence level (P(|Z| <= z) = confidence), by Newton on erfc.
inline double normal_quantile_two_sided(double confidence) {
  const double tail = (1.0 - confidence) / 2.0;  // P(Z > z)
  double z = 1.0;
  for (int it = 0; it < 60; ++it) {
    const double f = 0.5 * std::erfc(z / std::sqrt(2.0)) - tail;
    const double dens = std::exp(-0.5 * z * z) / std::sqrt(2.0 * 3.14159265358979323846);
    const double step = f / dens;
    z += step;
    if (std::abs(step) < 1e-14) break;
  }
  return z;
}

/**
 * @brief Silhouette value of every row (Rousseeuw 1987): s = (b - a) / max(a, b), with a the
 * mean distance to the other members of its cluster and b the smallest mean distance to another
 * cluster; 0 for a member of a cluster of one.
 *
 * Exact and never O(n^2) in memory: the rows are grouped by cluster and distance tiles
 * (BLAS products for l2, sqeuclidean, ip and cosine; SIMD kernels otherwise) are reduced to
 * per-cluster sums as they are produced, each pair once when memory_budget allows. Float input is
 * computed in float (rows are first centered, which keeps the expansion accurate); double in double.
 *
 * @return n values in input row order; NaN for rows left out by noise_handling::exclude.
 * @throws segkit::invalid_argument for no rows, a label count other than n, NaN/Inf, fewer than 2
 *         or more than n - 1 clusters (after exclusion), or block_rows < 8.
 * @par Complexity  O(n^2 d / 2) time, O(bands n k) or O(threads block_rows k) extra memory.
 */
template <class M = distance::l2_metric, class E, class L, class T = typename std::decay_t<E>::value_type>
  requires segkit::metric<M, T>
xt::xtensor<double, 1> silhouette_samples(const E& x_in, const L& labels_in, const silhouette_params& params = {},
                                          const M& metric = {}) {
  constexpr const char* comp = "segkit::quality::silhouette_samples";
  const auto x = as_rows<T>(x_in);
  const auto labels = detail::label_span(labels_in);
  detail::check_label_count(comp, x->rows(), labels.size());
  if (params.block_rows < 8) segkit::detail::throw_invalid(comp, fmt::format("block_rows ({}) must be at least 8", params.block_rows));
  require_finite<T>(comp, "x", x.view());
  const auto codes = detail::encode_labels(labels, params.noise == noise_handling::exclude);
  detail::check_cluster_count(comp, codes.k(), codes.included);

  const detail::grouped_rows<M, T> g(x.view(), codes);
  const std::size_t n = codes.included, k = codes.k(), block = params.block_rows;
  const std::size_t nb = (n + block - 1) / block;
  const std::size_t per_band = n * k * sizeof(double);
  const std::size_t bands = std::min<std::size_t>({16, nb, params.memory_budget / std::max<std::size_t>(per_band, 1)});
  executor ex(params.threads);
  std::vector<double> sums;
  if (bands >= 2) {
    sums = detail::cluster_sums_symmetric(metric, g, block, bands, ex);
  } else {
    std::vector<std::size_t> all(n);
    std::iota(all.begin(), all.end(), std::size_t{0});
    sums = detail::cluster_sums_rows(metric, g, all, block, ex);
  }
  xt::xtensor<double, 1> out = xt::xtensor<double, 1>::from_shape({x->rows()});
  std::fill(out.begin(), out.end(), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t p = 0; p < n; ++p) out(g.original[p]) = silhouette_value(sums.data() + p * k, g.cluster_of(p), codes.counts);
  return out;
}

/**
 * @brief Mean silhouette over the scored rows (scikit-learn's silhouette_score without
 * sample_size). See silhouette_samples() for the computation, cost and errors.
 */
template <class M = distance::l2_metric, class E, class L, class T = typename std::decay_t<E>::value_type>
  requires segkit::metric<M, T>
double silhouette_score(const E& x, const L& labels, const silhouette_params& params = {}, const M& metric = {}) {
  const auto s = silhouette_samples<M>(x, labels, params, metric);
  double sum = 0.0;
  std::size_t count = 0;
  for (const double v : s) {
    if (std::isnan(v)) continue;
    sum += v;
    ++count;
  }
  return sum / static_cast<double>(count);
}

/**
 * @brief Silhouette score of a very large set, estimated from the exact silhouettes of a uniform
 * sample of rows (each measured against all rows, so the estimate is unbiased), with a normal
 * confidence interval. Unlike scikit-learn's `sample_size`, which scores a subsample against
 * itself, the interval here covers the full-data score.
 * @throws segkit::invalid_argument as silhouette_samples(), and for sample_size 0 or confidence
 *         outside (0, 1).
 * @par Complexity  O(sample_size n d) time, O(threads block_rows k) extra memory.
 */
template <class M = distance::l2_metric, class E, class L, class T = typename std::decay_t<E>::value_type>
  requires segkit::metric<M, T>
silhouette_estimate_result silhouette_estimate(const E& x_in, const L& labels_in, const silhouette_estimate_params& params = {},
                                               const M& metric = {}) {
  constexpr const char* comp = "segkit::quality::silhouette_estimate";
  const auto x = as_rows<T>(x_in);
  const auto labels = detail::label_span(labels_in);
  detail::check_label_count(comp, x->rows(), labels.size());
  if (params.sample_size == 0) segkit::detail::throw_invalid(comp, "sample_size must be at least 1");
  if (!(params.confidence > 0.0 && params.confidence < 1.0)) {
    segkit::detail::throw_invalid(comp, fmt::format("confidence ({}) must lie in (0, 1)", params.confidence));
  }
  if (params.silhouette.block_rows < 8) {
    segkit::detail::throw_invalid(comp, fmt::format("block_rows ({}) must be at least 8", params.silhouette.block_rows));
  }
  require_finite<T>(comp, "x", x.view());
  const auto codes = detail::encode_labels(labels, params.silhouette.noise == noise_handling::exclude);
  detail::check_cluster_count(comp, codes.k(), codes.included);
  const detail::grouped_rows<M, T> g(x.view(), codes);
  const std::size_t n = codes.included, k = codes.k();
  const std::size_t m = std::min(params.sample_size, n);
  // Partial Fisher-Yates: the first m positions of a seeded shuffle, then sorted for locality.
  std::vector<std::size_t> pos(n);
  std::iota(pos.begin(), pos.end(), std::size_t{0});
  segkit::rng gen(params.seed);
  for (std::size_t i = 0; i < m; ++i) {
    const std::size_t j = i + static_cast<std::size_t>(gen.below(n - i));
    std::swap(pos[i], pos[j]);
  }
  pos.resize(m);
  std::sort(pos.begin(), pos.end());
  executor ex(params.silhouette.threads);
  const auto sums = detail::cluster_sums_rows(metric, g, pos, params.silhouette.block_rows, ex);
  std::vector<double> s(m);
  for (std::size_t i = 0; i < m; ++i) s[i] = silhouette_value(sums.data() + i * k, g.cluster_of(pos[i]), codes.counts);
  silhouette_estimate_result r;
  r.sample_size = m;
  r.value = std::accumulate(s.begin(), s.end(), 0.0) / static_cast<double>(m);
  if (m > 1 && m < n) {
    double ss = 0.0;
    for (const double v : s) ss += (v - r.value) * (v - r.value);
    const double var = ss / static_cast<double>(m - 1);
    const double fpc = static_cast<double>(n - m) / static_cast<double>(n - 1);
    r.standard_error = std::sqrt(var / static_cast<double>(m) * fpc);
  }
  const double z = normal_quantile_two_sided(params.confidence);
  r.low = r.value - z * r.standard_error;
  r.high = r.value + z * r.standard_error;
  return r;
}

namespace detail {

/// Cluster means in double (k x d) of the coded rows.
template <class T>
std::vector<double> cluster_means(const matrix_view<T>& x, const label_codes& codes) {
  const std::size_t k = codes.k(), d = x.cols();
  std::vector<double> mean(k * d, 0.0);
  for (std::size_t i = 0; i < x.rows(); ++i) {
    if (codes.code[i] < 0) continue;
    double* mu = mean.data() + static_cast<std::size_t>(codes.code[i]) * d;
    const T* r = x.row(i);
    for (std::size_t j = 0; j < d; ++j) mu[j] += static_cast<double>(r[j]);
  }
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t j = 0; j < d; ++j) mean[c * d + j] /= static_cast<double>(codes.counts[c]);
  }
  return mean;
}

template <class T>
double squared_distance(const T* a, const double* b, std::size_t d) {
  double s = 0.0;
  for (std::size_t j = 0; j < d; ++j) {
    const double t = static_cast<double>(a[j]) - b[j];
    s += t * t;
  }
  return s;
}

/// Checked input of the centroid-based scores: rows, codes.
template <class T>
label_codes checked_codes(const char* comp, const matrix_view<T>& x, std::span<const label_type> labels, noise_handling noise,
                          bool need_two_to_n_minus_one) {
  check_label_count(comp, x.rows(), labels.size());
  require_finite<T>(comp, "x", x);
  auto codes = encode_labels(labels, noise == noise_handling::exclude);
  if (need_two_to_n_minus_one) {
    check_cluster_count(comp, codes.k(), codes.included);
  } else if (codes.included == 0) {
    segkit::detail::throw_invalid(comp, "every row is noise; nothing to score");
  }
  return codes;
}

}  // namespace detail

/**
 * @brief Davies-Bouldin index (Davies & Bouldin 1979), Euclidean as scikit-learn defines it: the
 * mean over clusters of max_j (S_i + S_j) / |c_i - c_j|, with S_i the mean distance of cluster i's
 * members to its centroid. Lower is better; 0 when every S_i or every centroid gap is 0.
 * @throws segkit::invalid_argument as silhouette_samples().
 * @par Complexity  O(n d + k^2 d).
 */
template <class E, class L, class T = typename std::decay_t<E>::value_type>
double davies_bouldin(const E& x_in, const L& labels, noise_handling noise = noise_handling::as_label) {
  constexpr const char* comp = "segkit::quality::davies_bouldin";
  const auto x = as_rows<T>(x_in);
  const auto codes = detail::checked_codes(comp, x.view(), detail::label_span(labels), noise, true);
  const std::size_t k = codes.k(), d = x->cols();
  const auto mean = detail::cluster_means(x.view(), codes);
  std::vector<double> spread(k, 0.0);
  for (std::size_t i = 0; i < x->rows(); ++i) {
    if (codes.code[i] < 0) continue;
    const auto c = static_cast<std::size_t>(codes.code[i]);
    spread[c] += std::sqrt(detail::squared_distance(x->row(i), mean.data() + c * d, d));
  }
  for (std::size_t c = 0; c < k; ++c) spread[c] /= static_cast<double>(codes.counts[c]);
  std::vector<double> gap(k * k, 0.0);
  bool any_gap = false;
  for (std::size_t a = 0; a < k; ++a) {
    for (std::size_t b = 0; b < k; ++b) {
      gap[a * k + b] = std::sqrt(detail::squared_distance(mean.data() + a * d, mean.data() + b * d, d));
      any_gap |= gap[a * k + b] > 1e-8;  // scikit-learn: np.allclose(centroid_distances, 0), atol 1e-8
    }
  }
  const bool any_spread = std::any_of(spread.begin(), spread.end(), [](double s) { return s > 1e-8; });
  if (!any_spread || !any_gap) return 0.0;
  double total = 0.0;
  for (std::size_t a = 0; a < k; ++a) {
    double worst = 0.0;
    for (std::size_t b = 0; b < k; ++b) {
      if (b == a) continue;
      const double g = gap[a * k + b];
      if (g == 0.0) continue;  // coincident centroids count as infinitely far (scikit-learn)
      worst = std::max(worst, (spread[a] + spread[b]) / g);
    }
    total += worst;
  }
  return total / static_cast<double>(k);
}

/**
 * @brief Calinski-Harabasz index (variance ratio criterion, Calinski & Harabasz 1974):
 * [B / (k - 1)] / [W / (n - k)] with B the between-cluster and W the within-cluster sum of
 * squares. Higher is better; 1 when W is 0 (scikit-learn's convention).
 * @throws segkit::invalid_argument as silhouette_samples().
 * @par Complexity  O(n d).
 */
template <class E, class L, class T = typename std::decay_t<E>::value_type>
double calinski_harabasz(const E& x_in, const L& labels, noise_handling noise = noise_handling::as_label) {
  constexpr const char* comp = "segkit::quality::calinski_harabasz";
  const auto x = as_rows<T>(x_in);
  const auto codes = detail::checked_codes(comp, x.view(), detail::label_span(labels), noise, true);
  const std::size_t k = codes.k(), d = x->cols(), n = codes.included;
  const auto mean = detail::cluster_means(x.view(), codes);
  std::vector<double> overall(d, 0.0);
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t j = 0; j < d; ++j) overall[j] += mean[c * d + j] * static_cast<double>(codes.counts[c]);
  }
  for (double& v : overall) v /= static_cast<double>(n);
  double between = 0.0, within = 0.0;
  for (std::size_t c = 0; c < k; ++c) {
    between += static_cast<double>(codes.counts[c]) * detail::squared_distance(mean.data() + c * d, overall.data(), d);
  }
  for (std::size_t i = 0; i < x->rows(); ++i) {
    if (codes.code[i] >= 0) within += detail::squared_distance(x->row(i), mean.data() + static_cast<std::size_t>(codes.code[i]) * d, d);
  }
  if (within == 0.0) return 1.0;
  return between * static_cast<double>(n - k) / (within * static_cast<double>(k - 1));
}

/**
 * @brief Within-cluster sum of squared Euclidean distances to each cluster's mean (k-means'
 * objective, for any labeling; 1 <= k allowed).
 * @throws segkit::invalid_argument for no rows, a label count other than n, NaN/Inf, or all rows noise.
 */
template <class E, class L, class T = typename std::decay_t<E>::value_type>
double inertia(const E& x_in, const L& labels, noise_handling noise = noise_handling::as_label) {
  constexpr const char* comp = "segkit::quality::inertia";
  const auto x = as_rows<T>(x_in);
  const auto codes = detail::checked_codes(comp, x.view(), detail::label_span(labels), noise, false);
  const auto mean = detail::cluster_means(x.view(), codes);
  double within = 0.0;
  for (std::size_t i = 0; i < x->rows(); ++i) {
    if (codes.code[i] >= 0) within += detail::squared_distance(x->row(i), mean.data() + static_cast<std::size_t>(codes.code[i]) * x->cols(), x->cols());
  }
  return within;
}

}  // namespace segkit::quality
