#pragma once
// How k-means chooses its first centers: greedy k-means++, weighted random rows, and k-means||.
// Each reaches the rows through the fit's state (detail/kmeans_steps.hpp), so it runs in one
// process and over MPI ranks alike, with the same random draws.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/detail/kmeans_steps.hpp"
#include "segkit/cluster/row_group.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/random.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distance/kernels.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/distance/nearest.hpp"
#include "segkit/distance/pairwise.hpp"

namespace segkit::cluster::detail {

// Greedy k-means++: each new center is the best (lowest potential) of n_local_trials candidates
// drawn with probability proportional to weight x squared distance to the closest center so far.
template <class T>
matrix<T> kmeans_plus_plus(const lloyd_state<T>& s, std::size_t k, rng& r) {
  const std::size_t n = s.x.rows(), d = s.x.cols(), n_all = s.group->total(n);
  const std::size_t trials = 2 + static_cast<std::size_t>(std::log(static_cast<double>(k)));
  matrix<T> centers = matrix<T>::from_shape({k, d});
  const auto draw = [&](const std::vector<double>& mass, double total, std::size_t count) {  // global rows
    std::vector<double> us(count);
    for (auto& u : us) u = r.uniform() * total;
    return s.group->draw(mass, us);
  };
  std::vector<double> closest(n);
  std::vector<double> mass(s.w.begin(), s.w.end());
  const auto first = fetch_rows(s, draw(mass, s.group->sum(std::accumulate(mass.begin(), mass.end(), 0.0)), 1));
  std::copy_n(first.data(), d, &centers(0, 0));
  parallel_for(*s.ex, n, kmeans_grain, [&](std::size_t b, std::size_t e, std::size_t) {
    for (std::size_t i = b; i < e; ++i) closest[i] = distance::squared_l2(s.x.row(i), first.data(), d);
  });
  // Each step draws all its candidates first (the draws depend only on the current mass), then
  // gets their distances to every row from BLAS blocks and keeps the lowest potential.
  std::vector<T> cand_dist(n * trials);
  for (std::size_t c = 1; c < k; ++c) {
    for (std::size_t i = 0; i < n; ++i) mass[i] = s.w[i] * closest[i];
    const double potential = s.group->sum(std::accumulate(mass.begin(), mass.end(), 0.0));
    std::vector<std::size_t> rows(trials);
    if (potential > 0.0) {
      rows = draw(mass, potential, trials);
    } else {
      for (auto& row : rows) row = r.below(n_all);  // all rows on centers: any
    }
    const matrix<T> cand = fetch_rows(s, rows);
    const matrix_view<T> cv(cand.data(), trials, d);
    const auto c_terms = distance::row_norm_terms<distance::squared_l2_metric>(cv);
    auto pots = parallel_reduce(
        *s.ex, n, kmeans_grain, std::vector<double>(trials, 0.0),
        [&](std::size_t b, std::size_t e, std::size_t) {
          distance::distance_block<distance::squared_l2_metric, T>(distance::squared_l2_metric{}, s.x.slice(b, e), cv,
                                                                   s.x_terms.data() + b, c_terms.data(), cand_dist.data() + b * trials, trials, true);
          std::vector<double> acc(trials, 0.0);
          for (std::size_t i = b; i < e; ++i) {
            for (std::size_t t = 0; t < trials; ++t) acc[t] += s.w[i] * std::min<double>(closest[i], cand_dist[i * trials + t]);
          }
          return acc;
        },
        [](std::vector<double> acc, const std::vector<double>& p) {
          for (std::size_t t = 0; t < acc.size(); ++t) acc[t] += p[t];
          return acc;
        });
    s.group->sum(pots);
    const std::size_t best = static_cast<std::size_t>(std::min_element(pots.begin(), pots.end()) - pots.begin());
    std::copy_n(&cand(best, 0), d, &centers(c, 0));
    for (std::size_t i = 0; i < n; ++i) closest[i] = std::min<double>(closest[i], cand_dist[i * trials + best]);
  }
  return centers;
}

template <class T>
matrix<T> random_centers(const lloyd_state<T>& s, std::size_t k, rng& r) {
  const std::size_t n = s.x.rows(), off = s.group->offset();
  std::vector<double> mass(s.w.begin(), s.w.end());  // 0 once used: drawn without replacement
  std::vector<double> unused(n, 1.0);
  std::vector<std::size_t> picks(k);
  for (std::size_t c = 0; c < k; ++c) {
    const double total = s.group->sum(std::accumulate(mass.begin(), mass.end(), 0.0));
    const double u = r.uniform() * total;
    // No weight left on unused rows: the first unused row.
    picks[c] = total > 0.0 ? s.group->draw(mass, std::span<const double>(&u, 1))[0] : s.group->draw(unused, std::vector<double>{0.0})[0];
    if (picks[c] >= off && picks[c] - off < n) mass[picks[c] - off] = unused[picks[c] - off] = 0.0;
  }
  return fetch_rows(s, picks);
}

// k-means|| (B. Bahmani, B. Moseley, A. Vattani, R. Kumar, S. Vassilvitskii, "Scalable
// k-means++", VLDB 2012): one weighted random row, then init_rounds passes in which every row
// is sampled independently with probability min(1, l w d^2 / phi) (l = oversampling x k, phi
// the current weighted cost); each candidate is weighted by the rows closest to it, and
// weighted k-means++ with a short Lloyd on the candidates (fit_candidates(candidates, masses,
// seed), a weighted k-means of 30 iterations) gives the k centers. A pass draws its
// random numbers per block of rows (numbered globally) from its own stream, so the result does
// not depend on threads, nor on how rows are spread over processes.
template <class T, class FitCandidates>
matrix<T> kmeans_parallel(const lloyd_state<T>& s, std::size_t k, rng& r, std::size_t rounds, double oversampling, FitCandidates&& fit_candidates) {
  const std::size_t n = s.x.rows(), off = s.group->offset();
  const double u0 = r.uniform() * s.group->sum(std::accumulate(s.w.begin(), s.w.end(), 0.0));
  std::vector<std::size_t> chosen = s.group->draw(s.w, std::span<const double>(&u0, 1));  // global rows
  std::vector<double> closest(n, std::numeric_limits<double>::infinity());
  const auto update_closest = [&](std::size_t from) {  // distances to chosen[from..]
    const std::size_t m = chosen.size() - from;
    const matrix<T> cand = fetch_rows(s, std::span<const std::size_t>(chosen).subspan(from));
    const matrix_view<T> cv(cand.data(), m, s.x.cols());
    const auto c_terms = distance::row_norm_terms<distance::squared_l2_metric>(cv);
    return s.group->sum(parallel_reduce(
        *s.ex, n, kmeans_grain, 0.0,
        [&](std::size_t b, std::size_t e, std::size_t) {
          std::vector<T> block((e - b) * m);
          distance::distance_block<distance::squared_l2_metric, T>(distance::squared_l2_metric{}, s.x.slice(b, e), cv,
                                                                   s.x_terms.data() + b, c_terms.data(), block.data(), m, true);
          double cost = 0.0;
          for (std::size_t i = b; i < e; ++i) {
            for (std::size_t c = 0; c < m; ++c) closest[i] = std::min(closest[i], std::max(0.0, static_cast<double>(block[(i - b) * m + c])));
            cost += s.w[i] * closest[i];
          }
          return cost;
        },
        [](double a, double b) { return a + b; }));
  };
  double cost = update_closest(0);
  const double l = oversampling * static_cast<double>(k);
  for (std::size_t round = 0; round < rounds && cost > 0.0; ++round) {
    const std::uint64_t stream_seed = r();
    const auto picks = s.group->concat(parallel_reduce(
        *s.ex, n, kmeans_grain, std::vector<std::size_t>{},
        [&](std::size_t b, std::size_t e, std::size_t) {
          std::vector<std::size_t> out;
          rng br;
          std::size_t block = std::numeric_limits<std::size_t>::max();
          for (std::size_t i = b; i < e; ++i) {
            const std::size_t g = off + i;
            if (g / kmeans_grain != block) {  // the stream of the global block, advanced to row g
              block = g / kmeans_grain;
              br = rng(stream_seed, block);
              for (std::size_t skip = block * kmeans_grain; skip < g; ++skip) (void)br();
            }
            const double u = br.uniform();  // drawn for every row, so the stream does not depend on the data
            if (u < l * s.w[i] * closest[i] / cost) out.push_back(g);
          }
          return out;
        },
        [](std::vector<std::size_t> acc, const std::vector<std::size_t>& p) {
          acc.insert(acc.end(), p.begin(), p.end());
          return acc;
        }));
    if (picks.empty()) continue;
    const std::size_t from = chosen.size();
    chosen.insert(chosen.end(), picks.begin(), picks.end());
    cost = update_closest(from);
  }
  const std::size_t m = chosen.size();
  if (m <= k) {  // too few candidates (few distinct rows, or tiny n): plain k-means++ instead
    return kmeans_plus_plus(s, k, r);
  }
  // Weight of each candidate: the rows closest to it.
  const matrix<T> cand = fetch_rows(s, chosen);
  const matrix_view<T> cv(cand.data(), m, s.x.cols());
  const auto c_terms = distance::row_norm_terms<distance::squared_l2_metric>(cv);
  std::vector<label_type> nearest(n);
  auto mass = parallel_reduce(
      *s.ex, n, kmeans_grain, std::vector<double>(m, 0.0),
      [&](std::size_t b, std::size_t e, std::size_t) {
        std::vector<T> buffer;
        distance::nearest_centers_block(s.x, b, e, cv, s.x_terms, c_terms, nearest.data(), static_cast<T*>(nullptr), buffer, false);
        std::vector<double> acc(m, 0.0);
        for (std::size_t i = b; i < e; ++i) acc[static_cast<std::size_t>(nearest[i])] += s.w[i];
        return acc;
      },
      [](std::vector<double> acc, const std::vector<double>& p) {
        for (std::size_t c = 0; c < acc.size(); ++c) acc[c] += p[c];
        return acc;
      });
  s.group->sum(mass);
  if (static_cast<std::size_t>(std::count_if(mass.begin(), mass.end(), [](double v) { return v > 0.0; })) < k) {
    return kmeans_plus_plus(s, k, r);
  }
  return fit_candidates(cand, mass, r());
}

}  // namespace segkit::cluster::detail
