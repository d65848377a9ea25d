#pragma once
/// @file
/// @brief Stable segment ids across refits: match the segments of a new fit to the previous ones
/// (optimal assignment on member overlap or on centroid distance), keep the old ids for matched
/// segments, give new ids to the rest, and report continuations, splits, merges, births and deaths.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/types.hpp"
#include "segkit/core/params.hpp"

namespace segkit::monitor {

/**
 * @brief Minimum-cost assignment of the rows of a rows x cols cost matrix (row-major) to distinct
 * columns, rows <= cols: the Hungarian method with potentials (Kuhn 1955, Munkres 1957; the
 * O(rows^2 cols) shortest-augmenting-path form). Returns the column of each row.
 * @throws segkit::invalid_argument if rows > cols or a cost is NaN or infinite.
 */
inline std::vector<std::size_t> min_cost_assignment(std::span<const double> cost, std::size_t rows, std::size_t cols) {
  constexpr const char* comp = "segkit::monitor::min_cost_assignment";
  if (rows > cols) segkit::detail::throw_invalid(comp, fmt::format("{} rows but only {} columns", rows, cols));
  if (cost.size() != rows * cols) segkit::detail::throw_invalid(comp, fmt::format("{} costs for a {} x {} matrix", cost.size(), rows, cols));
  for (std::size_t i = 0; i < cost.size(); ++i) {
    if (!std::isfinite(cost[i])) segkit::detail::throw_invalid(comp, fmt::format("cost {} is {}", i, cost[i]));
  }
  constexpr double inf = std::numeric_limits<double>::infinity();
  constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
  // Potentials u (rows) and v (columns); column c is matched to row owner[c]. Column `cols` is a
  // virtual start column.
  std::vector<double> u(rows, 0.0), v(cols + 1, 0.0);
  std::vector<std::size_t> owner(cols + 1, none), previous(cols + 1, none);
  for (std::size_t r = 0; r < rows; ++r) {
    owner[cols] = r;
    std::size_t at = cols;  // current column on the alternating path
    std::vector<double> best(cols + 1, inf);
    std::vector<char> used(cols + 1, 0);
    do {
      used[at] = 1;
      const std::size_t row = owner[at];
      double delta = inf;
      std::size_t next = none;
      for (std::size_t c = 0; c < cols; ++c) {
        if (used[c]) continue;
        const double reduced = cost[row * cols + c] - u[row] - v[c];
        if (reduced < best[c]) {
          best[c] = reduced;
          previous[c] = at;
        }
        if (best[c] < delta) {
          delta = best[c];
          next = c;
        }
      }
      for (std::size_t c = 0; c <= cols; ++c) {
        if (used[c]) {
          u[owner[c]] += delta;
          v[c] -= delta;
        } else {
          best[c] -= delta;
        }
      }
      at = next;
    } while (owner[at] != none);
    // Flip the alternating path back to the start column.
    while (at != cols) {
      const std::size_t back = previous[at];
      owner[at] = owner[back];
      at = back;
    }
  }
  std::vector<std::size_t> assignment(rows, none);
  for (std::size_t c = 0; c < cols; ++c) {
    if (owner[c] != none) assignment[owner[c]] = c;
  }
  return assignment;
}

/// Parameters of the segment matchers.
struct segment_match_params {
  double min_jaccard = 0.2;     ///< overlap matching: a pair matches only from this Jaccard similarity of members
  double max_distance = std::numeric_limits<double>::infinity();  ///< centroid matching: only centroids this close match
  double split_share = 0.2;     ///< a share of a segment's members that counts as a part of a split or merge
  label_type next_id = -1;      ///< first id for new segments; -1 = one above the largest previous id

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = segment_match_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("min_jaccard", &p::min_jaccard, "overlap matching: a pair matches only from this Jaccard similarity of members", sp::between(0, 1)),
                      sp::field("max_distance", &p::max_distance, "centroid matching: only centroids this close match", sp::at_least(0)),
                      sp::field("split_share", &p::split_share, "a share of a segment's members that counts as a part of a split or merge", sp::between(0, 1)),
                      sp::field("next_id", &p::next_id, "first id for new segments; -1 = one above the largest previous id", sp::at_least(-1))};
  }
};

/// How the segments of a refit relate to the previous ones.
struct segment_matching {
  std::vector<label_type> new_labels;  ///< the refit's labels (ascending; noise -1 is never matched)
  std::vector<label_type> stable_ids;  ///< stable id of each of new_labels (an old id, or a fresh one)
  std::vector<std::pair<label_type, label_type>> continued;  ///< (old id, new label) pairs that matched
  std::vector<std::pair<label_type, std::vector<label_type>>> splits;  ///< old id -> the new labels it split into
  std::vector<std::pair<std::vector<label_type>, label_type>> merges;  ///< old ids -> the new label they merged into
  std::vector<label_type> births;      ///< stable ids given to new segments that match none
  std::vector<label_type> deaths;      ///< old ids that no new segment continues

  /// The stable id of a refit label (-1 stays -1).
  [[nodiscard]] label_type stable_id(label_type new_label) const {
    if (new_label == noise_label) return noise_label;
    const auto it = std::lower_bound(new_labels.begin(), new_labels.end(), new_label);
    if (it == new_labels.end() || *it != new_label) {
      segkit::detail::throw_invalid("segkit::monitor::segment_matching", fmt::format("label {} is not one of the refit's labels", new_label));
    }
    return stable_ids[static_cast<std::size_t>(it - new_labels.begin())];
  }

  /// A labeling of the refit, rewritten with stable ids.
  [[nodiscard]] std::vector<label_type> relabel(std::span<const label_type> labels) const {
    std::vector<label_type> out(labels.size());
    for (std::size_t i = 0; i < labels.size(); ++i) out[i] = stable_id(labels[i]);
    return out;
  }
};

namespace detail {

inline std::vector<label_type> distinct_segments(std::span<const label_type> labels) {
  std::vector<label_type> v;
  for (const label_type l : labels) {
    if (l != noise_label) v.push_back(l);
  }
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

/// Optimal one-to-one matching on a score matrix (old x new, higher is better); pairs with
/// `ok(score)` false stay unmatched. Returns the new index matched to each old one (or none).
template <class Ok>
std::vector<std::size_t> best_pairs(const std::vector<double>& score, std::size_t n_old, std::size_t n_new, Ok ok) {
  constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
  std::vector<std::size_t> match(n_old, none);
  if (n_old == 0 || n_new == 0) return match;
  const bool transpose = n_old > n_new;
  const std::size_t r = transpose ? n_new : n_old, c = transpose ? n_old : n_new;
  std::vector<double> cost(r * c);
  for (std::size_t i = 0; i < r; ++i) {
    for (std::size_t j = 0; j < c; ++j) {
      const double s = transpose ? score[j * n_new + i] : score[i * n_new + j];
      cost[i * c + j] = ok(s) ? -s : 0.0;  // unacceptable pairs cost what leaving both unmatched costs
    }
  }
  const auto a = min_cost_assignment(cost, r, c);
  for (std::size_t i = 0; i < r; ++i) {
    const std::size_t o = transpose ? a[i] : i, w = transpose ? i : a[i];
    if (ok(score[o * n_new + w])) match[o] = w;
  }
  return match;
}

inline void finish(segment_matching& m, const std::vector<label_type>& old_ids, const std::vector<std::size_t>& match, label_type next_id) {
  constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
  m.stable_ids.assign(m.new_labels.size(), noise_label);
  std::vector<char> taken(m.new_labels.size(), 0);
  for (std::size_t o = 0; o < old_ids.size(); ++o) {
    if (match[o] == none) {
      m.deaths.push_back(old_ids[o]);
      continue;
    }
    m.stable_ids[match[o]] = old_ids[o];
    taken[match[o]] = 1;
    m.continued.emplace_back(old_ids[o], m.new_labels[match[o]]);
  }
  label_type next = next_id;
  if (next < 0) next = old_ids.empty() ? 0 : *std::max_element(old_ids.begin(), old_ids.end()) + 1;
  for (std::size_t j = 0; j < m.new_labels.size(); ++j) {
    if (taken[j]) continue;
    m.stable_ids[j] = next;
    m.births.push_back(next++);
  }
}

}  // namespace detail

/**
 * @brief Matches a refit's segments to the previous ones by their members: `old_ids[i]` and
 * `new_labels[i]` are row i's previous stable id and its label in the refit (rows both labelings
 * share, e.g. the new period's rows assigned by the old model and by the new one). Pairs are
 * chosen to maximize the total Jaccard similarity of members (optimal assignment); a pair below
 * `min_jaccard` does not match.
 *
 * Splits: an old segment with at least split_share of its members in each of two or more new
 * segments. Merges: a new segment with at least split_share of its members from each of two or
 * more old segments. Births and deaths: the unmatched new and old segments.
 * @throws segkit::invalid_argument if the lengths differ or are 0, or a parameter is out of range.
 */
inline segment_matching match_segments(std::span<const label_type> old_ids, std::span<const label_type> new_labels,
                                       const segment_match_params& params = {}) {
  constexpr const char* comp = "segkit::monitor::match_segments";
  if (old_ids.size() != new_labels.size() || old_ids.empty()) {
    segkit::detail::throw_invalid(comp, fmt::format("needs both labelings of the same rows (got {} and {} labels)", old_ids.size(), new_labels.size()));
  }
  if (!(params.min_jaccard >= 0.0 && params.min_jaccard <= 1.0)) segkit::detail::throw_invalid(comp, fmt::format("min_jaccard ({}) must lie in [0, 1]", params.min_jaccard));
  if (!(params.split_share > 0.0 && params.split_share <= 0.5)) segkit::detail::throw_invalid(comp, fmt::format("split_share ({}) must lie in (0, 0.5]", params.split_share));
  segment_matching m;
  const auto olds = detail::distinct_segments(old_ids);
  m.new_labels = detail::distinct_segments(new_labels);
  const std::size_t a = olds.size(), b = m.new_labels.size();
  std::vector<double> inter(a * b, 0.0), old_size(a, 0.0), new_size(b, 0.0);
  for (std::size_t i = 0; i < old_ids.size(); ++i) {
    const auto io = std::lower_bound(olds.begin(), olds.end(), old_ids[i]);
    const auto in = std::lower_bound(m.new_labels.begin(), m.new_labels.end(), new_labels[i]);
    const bool ho = io != olds.end() && *io == old_ids[i], hn = in != m.new_labels.end() && *in == new_labels[i];
    const auto o = static_cast<std::size_t>(io - olds.begin()), w = static_cast<std::size_t>(in - m.new_labels.begin());
    if (ho) old_size[o] += 1.0;
    if (hn) new_size[w] += 1.0;
    if (ho && hn) inter[o * b + w] += 1.0;
  }
  std::vector<double> jac(a * b, 0.0);
  for (std::size_t o = 0; o < a; ++o) {
    for (std::size_t w = 0; w < b; ++w) {
      const double in = inter[o * b + w];
      jac[o * b + w] = in > 0.0 ? in / (old_size[o] + new_size[w] - in) : 0.0;
    }
  }
  const double min_j = params.min_jaccard;
  const auto match = detail::best_pairs(jac, a, b, [min_j](double s) { return s > 0.0 && s >= min_j; });
  detail::finish(m, olds, match, params.next_id);
  for (std::size_t o = 0; o < a; ++o) {
    std::vector<label_type> parts;
    for (std::size_t w = 0; w < b; ++w) {
      if (old_size[o] > 0.0 && inter[o * b + w] >= params.split_share * old_size[o]) parts.push_back(m.new_labels[w]);
    }
    if (parts.size() >= 2) m.splits.emplace_back(olds[o], std::move(parts));
  }
  for (std::size_t w = 0; w < b; ++w) {
    std::vector<label_type> parts;
    for (std::size_t o = 0; o < a; ++o) {
      if (new_size[w] > 0.0 && inter[o * b + w] >= params.split_share * new_size[w]) parts.push_back(olds[o]);
    }
    if (parts.size() >= 2) m.merges.emplace_back(std::move(parts), m.new_labels[w]);
  }
  return m;
}

/**
 * @brief Matches a refit's segments to the previous ones by centroid distance (when no rows are
 * shared): optimal assignment minimizing the total Euclidean distance, pairs farther than
 * `max_distance` unmatched. `old_ids[c]` is the stable id of old centroid row c; new centroid row
 * c is refit label c. Splits: an old segment that is the nearest old centroid of a matched and an
 * unmatched new segment. Merges: an unmatched old segment whose nearest new centroid continues
 * another old one.
 * @throws segkit::invalid_argument for mismatched widths, an id count other than the old rows, or NaN/Inf.
 */
template <class E1, class E2, class T = typename std::decay_t<E1>::value_type>
segment_matching match_segments_by_centroids(const E1& old_centroids, std::span<const label_type> old_ids, const E2& new_centroids,
                                             const segment_match_params& params = {}) {
  constexpr const char* comp = "segkit::monitor::match_segments_by_centroids";
  const auto oc = as_rows<T>(old_centroids);
  const auto nc = as_rows<T>(new_centroids);
  if (oc->cols() != nc->cols()) segkit::detail::throw_invalid(comp, fmt::format("old centroids have {} columns, new ones {}", oc->cols(), nc->cols()));
  if (old_ids.size() != oc->rows()) segkit::detail::throw_invalid(comp, fmt::format("{} ids for {} old centroids", old_ids.size(), oc->rows()));
  require_finite<T>(comp, "old centroids", oc.view());
  require_finite<T>(comp, "new centroids", nc.view());
  const std::size_t a = oc->rows(), b = nc->rows(), d = oc->cols();
  std::vector<double> dist(a * b);
  for (std::size_t o = 0; o < a; ++o) {
    for (std::size_t w = 0; w < b; ++w) {
      double s = 0.0;
      for (std::size_t j = 0; j < d; ++j) {
        const double t = static_cast<double>(oc->row(o)[j]) - static_cast<double>(nc->row(w)[j]);
        s += t * t;
      }
      dist[o * b + w] = std::sqrt(s);
    }
  }
  // Maximize (big - distance) so that every acceptable pair scores above 0.
  double big = 1.0;
  for (const double v : dist) big = std::max(big, 2.0 * v + 1.0);
  std::vector<double> score(a * b);
  for (std::size_t i = 0; i < a * b; ++i) score[i] = dist[i] <= params.max_distance ? big - dist[i] : 0.0;
  segment_matching m;
  for (std::size_t w = 0; w < b; ++w) m.new_labels.push_back(static_cast<label_type>(w));
  const std::vector<label_type> olds(old_ids.begin(), old_ids.end());
  const auto match = detail::best_pairs(score, a, b, [](double s) { return s > 0.0; });
  detail::finish(m, olds, match, params.next_id);
  constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
  std::vector<std::size_t> matched_old_of_new(b, none);
  for (std::size_t o = 0; o < a; ++o) {
    if (match[o] != none) matched_old_of_new[match[o]] = o;
  }
  const auto nearest_old = [&](std::size_t w) {
    std::size_t best = 0;
    for (std::size_t o = 1; o < a; ++o) best = dist[o * b + w] < dist[best * b + w] ? o : best;
    return best;
  };
  const auto nearest_new = [&](std::size_t o) {
    std::size_t best = 0;
    for (std::size_t w = 1; w < b; ++w) best = dist[o * b + w] < dist[o * b + best] ? w : best;
    return best;
  };
  if (a > 0) {
    for (std::size_t o = 0; o < a; ++o) {
      if (match[o] == none) continue;
      std::vector<label_type> parts{static_cast<label_type>(match[o])};
      for (std::size_t w = 0; w < b; ++w) {
        if (matched_old_of_new[w] == none && nearest_old(w) == o) parts.push_back(static_cast<label_type>(w));
      }
      if (parts.size() >= 2) m.splits.emplace_back(olds[o], std::move(parts));
    }
  }
  if (b > 0) {
    for (std::size_t w = 0; w < b; ++w) {
      if (matched_old_of_new[w] == none) continue;
      std::vector<label_type> parts{olds[matched_old_of_new[w]]};
      for (std::size_t o = 0; o < a; ++o) {
        if (match[o] == none && nearest_new(o) == w) parts.push_back(olds[o]);
      }
      if (parts.size() >= 2) m.merges.emplace_back(std::move(parts), static_cast<label_type>(w));
    }
  }
  return m;
}

}  // namespace segkit::monitor
