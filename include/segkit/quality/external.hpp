#pragma once
/// @file
/// @brief External segment-quality scores, comparing a labeling with a reference (ground truth,
/// or another run): contingency table, Rand and adjusted Rand index, mutual information (plain,
/// normalized, adjusted), homogeneity / completeness / V-measure, Fowlkes-Mallows and purity.
/// Values follow scikit-learn's definitions; -1 is an ordinary label here, as it is there.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/params.hpp"
#include "segkit/core/types.hpp"
#include "segkit/quality/detail/labels.hpp"

namespace segkit::quality {

/// Non-zero cells of the contingency table of two labelings, with both margins.
struct contingency_table {
  /// One non-zero cell.
  struct cell {
    std::uint32_t truth = 0;      ///< index into truth_labels
    std::uint32_t predicted = 0;  ///< index into predicted_labels
    std::int64_t count = 0;       ///< rows with both labels (> 0)
  };
  std::vector<label_type> truth_labels;      ///< distinct reference labels, ascending
  std::vector<label_type> predicted_labels;  ///< distinct predicted labels, ascending
  std::vector<std::int64_t> truth_counts;    ///< rows per reference label (row margin)
  std::vector<std::int64_t> predicted_counts;  ///< rows per predicted label (column margin)
  std::vector<cell> cells;                   ///< sorted by (truth, predicted)
  std::int64_t n = 0;                        ///< rows

  /// The dense truth_labels.size() x predicted_labels.size() table (memory R x C).
  [[nodiscard]] xt::xtensor<std::int64_t, 2> dense() const {
    xt::xtensor<std::int64_t, 2> out = xt::zeros<std::int64_t>({truth_labels.size(), predicted_labels.size()});
    for (const cell& c : cells) out(c.truth, c.predicted) = c.count;
    return out;
  }
};

/// How the two entropies are averaged to normalize mutual information.
enum class average_method { arithmetic, geometric, min, max };
/// Names of average_method in files and on the command line.
constexpr auto enum_names(average_method) {
  using params::name_value;
  return std::array{name_value{"arithmetic", average_method::arithmetic}, name_value{"geometric", average_method::geometric},
                    name_value{"min", average_method::min}, name_value{"max", average_method::max}};
}

/// Homogeneity, completeness and their weighted harmonic mean.
struct homogeneity_completeness_v {
  double homogeneity = 0.0;   ///< each cluster holds members of a single class (1 = perfectly)
  double completeness = 0.0;  ///< all members of a class are in one cluster
  double v_measure = 0.0;     ///< (1 + beta) h c / (beta h + c)
};

namespace detail {

/// Shannon entropy (nats) of a distribution given by counts summing to n.
inline double entropy_of_counts(const std::vector<std::int64_t>& counts, std::int64_t n) {
  if (n == 0) return 1.0;
  const double logn = std::log(static_cast<double>(n));
  double h = 0.0;
  for (const std::int64_t c : counts) {
    if (c > 0) h -= static_cast<double>(c) / static_cast<double>(n) * (std::log(static_cast<double>(c)) - logn);
  }
  return h;
}

inline double generalized_average(double u, double v, average_method m) {
  switch (m) {
    case average_method::min: return std::min(u, v);
    case average_method::max: return std::max(u, v);
    case average_method::geometric: return std::sqrt(u * v);
    case average_method::arithmetic: break;
  }
  return (u + v) / 2.0;
}

/// Both labelings have one label: a partition that does not split the data (scores are 1).
inline bool trivial_agreement(const contingency_table& t) {
  return t.truth_labels.size() == 1 && t.predicted_labels.size() == 1;
}

/// Pair counts over ordered pairs of distinct rows: same class & same cluster (tp), different
/// class & same cluster (fp), same class & different cluster (fn), neither (tn).
__extension__ using int128 = __int128;  // GCC/Clang extension: exact pair counts and their products
struct pair_counts {
  int128 tn = 0, fp = 0, fn = 0, tp = 0;
};

inline pair_counts pairs_of(const contingency_table& t) {
  int128 cells2 = 0, rows2 = 0, cols2 = 0;
  for (const auto& c : t.cells) cells2 += static_cast<int128>(c.count) * c.count;
  for (const auto a : t.truth_counts) rows2 += static_cast<int128>(a) * a;
  for (const auto b : t.predicted_counts) cols2 += static_cast<int128>(b) * b;
  const int128 n = t.n;
  pair_counts p;
  p.tp = cells2 - n;
  p.fp = cols2 - cells2;
  p.fn = rows2 - cells2;
  p.tn = n * n - p.fp - p.fn - cells2;
  return p;
}

}  // namespace detail

/**
 * @brief The contingency table of two labelings of the same rows.
 * @throws segkit::invalid_argument if the lengths differ or are 0, or a labeling has more than
 *         2^32 - 1 distinct labels.
 * @par Complexity  O(n log n).
 */
inline contingency_table contingency(std::span<const label_type> truth, std::span<const label_type> predicted) {
  constexpr const char* comp = "segkit::quality::contingency";
  if (truth.size() != predicted.size()) {
    segkit::detail::throw_invalid(comp, fmt::format("{} reference labels but {} predicted labels", truth.size(), predicted.size()));
  }
  if (truth.empty()) segkit::detail::throw_invalid(comp, "no labels to compare (both labelings are empty)");
  const auto a = detail::encode_labels(truth, false);
  const auto b = detail::encode_labels(predicted, false);
  contingency_table t;
  t.truth_labels = a.values;
  t.predicted_labels = b.values;
  t.truth_counts.assign(a.counts.begin(), a.counts.end());
  t.predicted_counts.assign(b.counts.begin(), b.counts.end());
  t.n = static_cast<std::int64_t>(truth.size());
  std::vector<std::uint64_t> keys(truth.size());
  for (std::size_t i = 0; i < truth.size(); ++i) {
    keys[i] = (static_cast<std::uint64_t>(a.code[i]) << 32) | static_cast<std::uint32_t>(b.code[i]);
  }
  std::sort(keys.begin(), keys.end());
  for (std::size_t i = 0; i < keys.size();) {
    std::size_t j = i;
    while (j < keys.size() && keys[j] == keys[i]) ++j;
    t.cells.push_back({static_cast<std::uint32_t>(keys[i] >> 32), static_cast<std::uint32_t>(keys[i] & 0xFFFFFFFFu),
                       static_cast<std::int64_t>(j - i)});
    i = j;
  }
  return t;
}

/// The contingency table of two labelings given as any contiguous label ranges (vectors, xtensors).
template <class A, class B>
contingency_table contingency(const A& truth, const B& predicted) {
  return contingency(detail::label_span(truth), detail::label_span(predicted));
}

/// Rand index: the share of row pairs on which the labelings agree (1 when all agree or n = 1).
inline double rand_index(const contingency_table& t) {
  const auto p = detail::pairs_of(t);
  const detail::int128 agree = p.tp + p.tn, all = p.tp + p.tn + p.fp + p.fn;
  if (agree == all || all == 0) return 1.0;
  return static_cast<double>(agree) / static_cast<double>(all);
}

/**
 * @brief Adjusted Rand index (Hubert & Arabie 1985): the Rand index corrected for chance, 1 for
 * identical partitions, about 0 for independent ones, negative below chance. Pair counts are
 * exact 128-bit integers, so it does not overflow for any n that fits in memory.
 */
inline double adjusted_rand_index(const contingency_table& t) {
  const auto p = detail::pairs_of(t);
  if (p.fn == 0 && p.fp == 0) return 1.0;
  const double num = 2.0 * static_cast<double>(p.tp * p.tn - p.fn * p.fp);
  const double den = static_cast<double>((p.tp + p.fn) * (p.fn + p.tn) + (p.tp + p.fp) * (p.fp + p.tn));
  return num / den;
}

/// Mutual information (nats) between the two labelings; 0 when either has a single label.
inline double mutual_information(const contingency_table& t) {
  if (t.truth_labels.size() == 1 || t.predicted_labels.size() == 1) return 0.0;
  const double n = static_cast<double>(t.n), logn = std::log(n);
  double mi = 0.0;
  for (const auto& c : t.cells) {
    const double p = static_cast<double>(c.count) / n;
    const double outer = static_cast<double>(t.truth_counts[c.truth]) * static_cast<double>(t.predicted_counts[c.predicted]);
    const double term = p * (std::log(static_cast<double>(c.count)) - logn) + p * (-std::log(outer) + logn + logn);
    if (std::abs(term) >= std::numeric_limits<double>::epsilon()) mi += term;
  }
  return std::max(0.0, mi);
}

/// Entropy (nats) of the reference labeling.
inline double truth_entropy(const contingency_table& t) { return detail::entropy_of_counts(t.truth_counts, t.n); }
/// Entropy (nats) of the predicted labeling.
inline double predicted_entropy(const contingency_table& t) { return detail::entropy_of_counts(t.predicted_counts, t.n); }

/**
 * @brief Normalized mutual information: MI / average(H(truth), H(predicted)). 1 when neither
 * labeling splits the data, 0 when MI is 0.
 */
inline double normalized_mutual_information(const contingency_table& t, average_method method = average_method::arithmetic) {
  if (detail::trivial_agreement(t)) return 1.0;
  const double mi = mutual_information(t);
  if (mi == 0.0) return 0.0;
  return mi / detail::generalized_average(truth_entropy(t), predicted_entropy(t), method);
}

/**
 * @brief Expected mutual information of two random labelings with the table's margins (the
 * hypergeometric model of Vinh, Epps & Bailey 2010).
 * @par Complexity  O(sum over cells of min(a_i, b_j)) log-gamma evaluations.
 */
inline double expected_mutual_information(const contingency_table& t) {
  const auto& a = t.truth_counts;
  const auto& b = t.predicted_counts;
  if (a.size() == 1 || b.size() == 1) return 0.0;
  const std::int64_t n = t.n;
  const double dn = static_cast<double>(n);
  const double gln_n = std::lgamma(dn + 1.0);
  std::int64_t top = 0;
  for (const auto v : a) top = std::max(top, v);
  for (const auto v : b) top = std::max(top, v);
  std::vector<double> gln_nij(static_cast<std::size_t>(top) + 1), log_nnij(static_cast<std::size_t>(top) + 1);
  for (std::int64_t v = 1; v <= top; ++v) {
    gln_nij[static_cast<std::size_t>(v)] = std::lgamma(static_cast<double>(v) + 1.0);
    log_nnij[static_cast<std::size_t>(v)] = std::log(dn) + std::log(static_cast<double>(v));
  }
  double emi = 0.0;
  for (const std::int64_t ai : a) {
    const double gla = std::lgamma(static_cast<double>(ai) + 1.0) + std::lgamma(static_cast<double>(n - ai) + 1.0);
    const double log_a = std::log(static_cast<double>(ai));
    for (const std::int64_t bj : b) {
      const double glb = std::lgamma(static_cast<double>(bj) + 1.0) + std::lgamma(static_cast<double>(n - bj) + 1.0);
      const double log_b = std::log(static_cast<double>(bj));
      const std::int64_t lo = std::max<std::int64_t>(1, ai + bj - n), hi = std::min(ai, bj);
      for (std::int64_t v = lo; v <= hi; ++v) {
        const auto u = static_cast<std::size_t>(v);
        const double term2 = log_nnij[u] - log_a - log_b;
        const double gln = gla + glb - gln_n - gln_nij[u] - std::lgamma(static_cast<double>(ai - v) + 1.0) -
                           std::lgamma(static_cast<double>(bj - v) + 1.0) - std::lgamma(static_cast<double>(n - ai - bj + v) + 1.0);
        emi += static_cast<double>(v) / dn * term2 * std::exp(gln);
      }
    }
  }
  return emi;
}

/**
 * @brief Adjusted mutual information (Vinh, Epps & Bailey 2010):
 * (MI - E[MI]) / (average(H(truth), H(predicted)) - E[MI]); 1 when neither labeling splits the
 * data, about 0 for independent labelings.
 */
inline double adjusted_mutual_information(const contingency_table& t, average_method method = average_method::arithmetic) {
  if (detail::trivial_agreement(t)) return 1.0;
  const double mi = mutual_information(t);
  const double emi = expected_mutual_information(t);
  double den = detail::generalized_average(truth_entropy(t), predicted_entropy(t), method) - emi;
  constexpr double eps = std::numeric_limits<double>::epsilon();
  den = den < 0.0 ? std::min(den, -eps) : std::max(den, eps);
  return (mi - emi) / den;
}

/// Homogeneity, completeness and V-measure (Rosenberg & Hirschberg 2007); beta > 0 weighs
/// completeness against homogeneity (1 = equal weight).
inline homogeneity_completeness_v homogeneity_completeness_v_measure(const contingency_table& t, double beta = 1.0) {
  if (!(beta > 0.0) || !std::isfinite(beta)) {
    segkit::detail::throw_invalid("segkit::quality::homogeneity_completeness_v_measure", fmt::format("beta ({}) must be finite and > 0", beta));
  }
  const double hc = truth_entropy(t), hk = predicted_entropy(t), mi = mutual_information(t);
  homogeneity_completeness_v r;
  r.homogeneity = hc != 0.0 ? mi / hc : 1.0;
  r.completeness = hk != 0.0 ? mi / hk : 1.0;
  const double s = r.homogeneity + r.completeness;
  r.v_measure = s == 0.0 ? 0.0 : (1.0 + beta) * r.homogeneity * r.completeness / (beta * r.homogeneity + r.completeness);
  return r;
}

/// Fowlkes-Mallows index: geometric mean of pairwise precision and recall (0 when no pair of
/// rows shares both a class and a cluster).
inline double fowlkes_mallows(const contingency_table& t) {
  const auto p = detail::pairs_of(t);
  if (p.tp == 0) return 0.0;
  const double tk = static_cast<double>(p.tp), pk = static_cast<double>(p.tp + p.fp), qk = static_cast<double>(p.tp + p.fn);
  return std::sqrt(tk / pk) * std::sqrt(tk / qk);
}

/// Purity: the share of rows that belong to the most common reference class of their cluster.
inline double purity(const contingency_table& t) {
  std::vector<std::int64_t> best(t.predicted_labels.size(), 0);
  for (const auto& c : t.cells) best[c.predicted] = std::max(best[c.predicted], c.count);
  std::int64_t total = 0;
  for (const auto v : best) total += v;
  return static_cast<double>(total) / static_cast<double>(t.n);
}

/// @name The same scores straight from two labelings (truth first, then predicted).
/// @{
template <class A, class B>
double adjusted_rand_index(const A& truth, const B& predicted) { return adjusted_rand_index(contingency(truth, predicted)); }
template <class A, class B>
double rand_index(const A& truth, const B& predicted) { return rand_index(contingency(truth, predicted)); }
template <class A, class B>
double mutual_information(const A& truth, const B& predicted) { return mutual_information(contingency(truth, predicted)); }
template <class A, class B>
double normalized_mutual_information(const A& truth, const B& predicted, average_method method = average_method::arithmetic) {
  return normalized_mutual_information(contingency(truth, predicted), method);
}
template <class A, class B>
double adjusted_mutual_information(const A& truth, const B& predicted, average_method method = average_method::arithmetic) {
  return adjusted_mutual_information(contingency(truth, predicted), method);
}
template <class A, class B>
homogeneity_completeness_v homogeneity_completeness_v_measure(const A& truth, const B& predicted, double beta = 1.0) {
  return homogeneity_completeness_v_measure(contingency(truth, predicted), beta);
}
template <class A, class B>
double fowlkes_mallows(const A& truth, const B& predicted) { return fowlkes_mallows(contingency(truth, predicted)); }
template <class A, class B>
double purity(const A& truth, const B& predicted) { return purity(contingency(truth, predicted)); }
/// @}

}  // namespace segkit::quality
