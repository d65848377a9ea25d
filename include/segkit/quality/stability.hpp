#pragma once
/// @file
/// @brief How stable a clustering is under resampling, for any clusterer: per-cluster Jaccard
/// stability (Hennig's clusterboot), agreement between runs (adjusted Rand index) and, on request,
/// the consensus (co-assignment) matrix.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/random.hpp"
#include "segkit/core/types.hpp"
#include "segkit/core/params.hpp"
#include "segkit/quality/external.hpp"

namespace segkit::quality {

/// How each run draws its rows.
enum class resampling {
  subsample,  ///< `fraction` of the rows without replacement (the default)
  bootstrap,  ///< n rows with replacement; a row drawn twice counts once when comparing
};
/// Names of resampling in files and on the command line.
constexpr auto enum_names(resampling) {
  using params::name_value;
  return std::array{name_value{"subsample", resampling::subsample}, name_value{"bootstrap", resampling::bootstrap}};
}

/// Parameters of cluster_stability().
struct stability_params {
  std::size_t runs = 20;                      ///< resampled fits (>= 2)
  resampling scheme = resampling::subsample;  ///< see resampling
  double fraction = 0.8;                      ///< subsample share, in (0, 1]
  std::uint64_t seed = 0;                     ///< the only source of randomness
  bool consensus = false;                     ///< also build the n x n co-assignment matrix
  std::size_t max_consensus_rows = 5000;      ///< refuse a consensus matrix beyond this n (memory 8 n^2 bytes)
  std::size_t threads = 1;                    ///< runs fitted at once; the fit itself may use more. Results do not depend on it

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = stability_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("runs", &p::runs, "resampled fits", sp::at_least(2)),
                      sp::field("scheme", &p::scheme, "subsample (fraction of the rows without replacement) or bootstrap (n rows with replacement)"),
                      sp::field("fraction", &p::fraction, "subsample share", sp::above_up_to(0, 1)),
                      sp::field("seed", &p::seed, "the only source of randomness"),
                      sp::field("consensus", &p::consensus, "also build the n x n co-assignment matrix"),
                      sp::field("max_consensus_rows", &p::max_consensus_rows, "refuse a consensus matrix beyond this n (memory 8 n^2 bytes)"),
                      sp::field("threads", &p::threads, "runs fitted at once (the fit itself may use more); results do not depend on it")};
  }
};

/// Result of cluster_stability().
struct stability_result {
  xt::xtensor<label_type, 1> reference_labels;  ///< the fit on all rows
  std::vector<label_type> clusters;           ///< reference clusters (noise -1 excluded), ascending
  std::vector<double> jaccard;                ///< per cluster: mean best Jaccard similarity over the runs that sampled it
  std::vector<double> recovered;              ///< per cluster: share of those runs with Jaccard >= 0.75 (Hennig's "stable")
  std::vector<double> dissolved;              ///< per cluster: share of runs with Jaccard <= 0.5
  double mean_jaccard = 0.0;                  ///< mean over clusters
  std::vector<double> ari_to_reference;       ///< per run, on the rows it drew
  double mean_pairwise_ari = 0.0;             ///< over all pairs of runs, on the rows both drew
  xt::xtensor<double, 2> consensus;           ///< n x n share of co-sampled runs putting i and j together (if asked)
};

namespace detail {

/// The labels of whatever a fit returns: a container of labels, or a fitted model (labels()).
template <class R>
std::vector<label_type> labels_of_fit(const R& r) {
  if constexpr (requires { r.labels(); }) {
    return labels_of_fit(r.labels());
  } else {
    static_assert(requires { r.data(); r.size(); }, "segkit::quality: a fit must return labels or a fitted model with labels()");
    return std::vector<label_type>(r.data(), r.data() + r.size());
  }
}

/// Rows [indices] of x as an owned matrix.
template <class T>
matrix<T> gather_rows(const matrix_view<T>& x, const std::vector<std::size_t>& indices) {
  matrix<T> out = matrix<T>::from_shape({indices.size(), x.cols()});
  for (std::size_t r = 0; r < indices.size(); ++r) std::copy_n(x.row(indices[r]), x.cols(), out.data() + r * x.cols());
  return out;
}

/// Marks the rows a run did not draw.
inline constexpr label_type not_drawn = -2;

}  // namespace detail

/**
 * @brief Resamples the rows `runs` times, fits each sample with `fit(rows, seed)` and measures
 * how well each cluster of the full-data fit is recovered (Hennig 2007, "Cluster-wise assessment
 * of cluster stability"): the best Jaccard similarity between the cluster's drawn members and a
 * cluster of the run. Also the adjusted Rand index of every run against the reference and of
 * every pair of runs on their common rows.
 *
 * `fit` is any callable `(matrix_view<T> rows, std::uint64_t seed)` returning labels (a vector,
 * span or xtensor of label_type) or a fitted model with `labels()` — so any segkit clusterer fits:
 * `[](auto rows, auto seed) { return segkit::cluster::kmeans<>({.k = 5, .seed = seed}).fit(rows); }`.
 * The reference fit uses `seed`, run r uses a seed derived from (seed, r); -1 labels (noise) never
 * form a cluster. With threads > 1, fit must be safe to call concurrently.
 *
 * @throws segkit::invalid_argument for fewer than 3 rows, runs < 2, fraction outside (0, 1],
 *         NaN/Inf, a fit returning the wrong number of labels, or a consensus matrix beyond
 *         max_consensus_rows.
 * @par Complexity  runs fits of fraction x n rows, plus O(runs^2 n) for the pairwise ARI.
 */
template <class Fit, class E, class T = typename std::decay_t<E>::value_type>
stability_result cluster_stability(const E& x_in, Fit&& fit, const stability_params& params = {}) {
  constexpr const char* comp = "segkit::quality::cluster_stability";
  const auto x = as_rows<T>(x_in);
  const std::size_t n = x->rows();
  if (n < 3) segkit::detail::throw_invalid(comp, fmt::format("needs at least 3 rows (got {})", n));
  if (params.runs < 2) segkit::detail::throw_invalid(comp, fmt::format("runs ({}) must be at least 2", params.runs));
  if (!(params.fraction > 0.0 && params.fraction <= 1.0)) segkit::detail::throw_invalid(comp, fmt::format("fraction ({}) must lie in (0, 1]", params.fraction));
  if (params.consensus && n > params.max_consensus_rows) {
    segkit::detail::throw_invalid(comp, fmt::format("a consensus matrix of {} rows needs {} MB; max_consensus_rows is {}", n,
                                                    8 * n * n / 1000000, params.max_consensus_rows));
  }
  require_finite<T>(comp, "x", x.view());
  const auto checked = [&](std::vector<label_type> l, std::size_t want) {
    if (l.size() != want) segkit::detail::throw_invalid(comp, fmt::format("the fit returned {} labels for {} rows", l.size(), want));
    return l;
  };

  stability_result res;
  const auto ref = checked(detail::labels_of_fit(fit(x.view(), params.seed)), n);
  res.reference_labels = xt::xtensor<label_type, 1>::from_shape({n});
  std::copy(ref.begin(), ref.end(), res.reference_labels.begin());

  // Each run: the label every drawn row received (not_drawn otherwise).
  std::vector<std::vector<label_type>> runs(params.runs);
  executor ex(params.threads);
  parallel_for(ex, params.runs, 1, [&](std::size_t b, std::size_t e, std::size_t) {
    for (std::size_t r = b; r < e; ++r) {
      segkit::rng gen(params.seed, 0x5EED0000ULL + r);
      std::vector<std::size_t> idx;
      if (params.scheme == resampling::bootstrap) {
        idx.resize(n);
        for (auto& v : idx) v = static_cast<std::size_t>(gen.below(n));
      } else {
        const auto m = std::max<std::size_t>(2, static_cast<std::size_t>(std::llround(params.fraction * static_cast<double>(n))));
        idx.resize(n);
        std::iota(idx.begin(), idx.end(), std::size_t{0});
        for (std::size_t i = 0; i < std::min(m, n - 1); ++i) std::swap(idx[i], idx[i + static_cast<std::size_t>(gen.below(n - i))]);
        idx.resize(std::min(m, n));
      }
      std::sort(idx.begin(), idx.end());
      const auto rows = detail::gather_rows(x.view(), idx);
      const auto l = checked(detail::labels_of_fit(fit(matrix_view<T>(rows.data(), idx.size(), x->cols(), x->cols()), gen())), idx.size());
      std::vector<label_type> out(n, detail::not_drawn);
      for (std::size_t i = idx.size(); i-- > 0;) out[idx[i]] = l[i];  // a row drawn twice keeps its first label
      runs[r] = std::move(out);
    }
  });

  // Clusterwise Jaccard.
  for (const label_type l : ref) {
    if (l != noise_label) res.clusters.push_back(l);
  }
  std::sort(res.clusters.begin(), res.clusters.end());
  res.clusters.erase(std::unique(res.clusters.begin(), res.clusters.end()), res.clusters.end());
  const std::size_t k = res.clusters.size();
  std::vector<double> jsum(k, 0.0), rec(k, 0.0), dis(k, 0.0);
  std::vector<std::size_t> seen(k, 0);
  for (const auto& run : runs) {
    // Pairs (reference cluster, run cluster) over drawn rows.
    std::vector<label_type> run_labels;
    for (std::size_t i = 0; i < n; ++i) {
      if (run[i] != detail::not_drawn && run[i] != noise_label) run_labels.push_back(run[i]);
    }
    std::sort(run_labels.begin(), run_labels.end());
    run_labels.erase(std::unique(run_labels.begin(), run_labels.end()), run_labels.end());
    const std::size_t kr = run_labels.size();
    std::vector<std::size_t> inter(k * kr, 0), ref_size(k, 0), run_size(kr, 0);
    for (std::size_t i = 0; i < n; ++i) {
      if (run[i] == detail::not_drawn) continue;
      const auto ci = std::lower_bound(res.clusters.begin(), res.clusters.end(), ref[i]);
      const bool in_ref = ci != res.clusters.end() && *ci == ref[i];
      const auto cj = std::lower_bound(run_labels.begin(), run_labels.end(), run[i]);
      const bool in_run = cj != run_labels.end() && *cj == run[i];
      const auto a = static_cast<std::size_t>(ci - res.clusters.begin()), c = static_cast<std::size_t>(cj - run_labels.begin());
      if (in_ref) ++ref_size[a];
      if (in_run) ++run_size[c];
      if (in_ref && in_run) ++inter[a * kr + c];
    }
    for (std::size_t a = 0; a < k; ++a) {
      if (ref_size[a] == 0) continue;
      double best = 0.0;
      for (std::size_t c = 0; c < kr; ++c) {
        const double in = static_cast<double>(inter[a * kr + c]);
        best = std::max(best, in / (static_cast<double>(ref_size[a] + run_size[c]) - in));
      }
      jsum[a] += best;
      rec[a] += best >= 0.75 ? 1.0 : 0.0;
      dis[a] += best <= 0.5 ? 1.0 : 0.0;
      ++seen[a];
    }
  }
  res.jaccard.resize(k);
  res.recovered.resize(k);
  res.dissolved.resize(k);
  for (std::size_t a = 0; a < k; ++a) {
    const double s = static_cast<double>(std::max<std::size_t>(seen[a], 1));
    res.jaccard[a] = jsum[a] / s;
    res.recovered[a] = rec[a] / s;
    res.dissolved[a] = dis[a] / s;
  }
  res.mean_jaccard = k ? std::accumulate(res.jaccard.begin(), res.jaccard.end(), 0.0) / static_cast<double>(k) : 0.0;

  // Agreement with the reference and between runs, on common rows.
  const auto ari_on_common = [&](const std::vector<label_type>& a, const std::vector<label_type>& b) {
    std::vector<label_type> u, v;
    for (std::size_t i = 0; i < n; ++i) {
      if (a[i] != detail::not_drawn && b[i] != detail::not_drawn) {
        u.push_back(a[i]);
        v.push_back(b[i]);
      }
    }
    return u.empty() ? 0.0 : adjusted_rand_index(u, v);
  };
  res.ari_to_reference.resize(params.runs);
  for (std::size_t r = 0; r < params.runs; ++r) res.ari_to_reference[r] = ari_on_common(ref, runs[r]);
  std::vector<double> pair_ari(params.runs * params.runs, 0.0);
  parallel_for(ex, params.runs, 1, [&](std::size_t b, std::size_t e, std::size_t) {
    for (std::size_t r = b; r < e; ++r) {
      for (std::size_t s = r + 1; s < params.runs; ++s) pair_ari[r * params.runs + s] = ari_on_common(runs[r], runs[s]);
    }
  });
  double total = 0.0;
  for (std::size_t r = 0; r < params.runs; ++r) {
    for (std::size_t s = r + 1; s < params.runs; ++s) total += pair_ari[r * params.runs + s];
  }
  res.mean_pairwise_ari = total / (0.5 * static_cast<double>(params.runs) * static_cast<double>(params.runs - 1));

  if (params.consensus) {
    xt::xtensor<double, 2> together = xt::zeros<double>({n, n}), both = xt::zeros<double>({n, n});
    for (const auto& run : runs) {
      for (std::size_t i = 0; i < n; ++i) {
        if (run[i] == detail::not_drawn) continue;
        for (std::size_t j = 0; j < n; ++j) {
          if (run[j] == detail::not_drawn) continue;
          both(i, j) += 1.0;
          if (run[i] == run[j] && run[i] != noise_label) together(i, j) += 1.0;
        }
      }
    }
    res.consensus = xt::zeros<double>({n, n});
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) res.consensus(i, j) = both(i, j) > 0.0 ? together(i, j) / both(i, j) : 0.0;
    }
  }
  return res;
}

}  // namespace segkit::quality
