#pragma once
/// @file
/// @brief Quality scores that stay cheap when rows are spread across MPI ranks: inertia (one sum)
/// and the sampled silhouette estimate (sampled rows travel, every rank measures them against its
/// own rows, k sums per sampled row come back).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/types.hpp"
#include "segkit/distance/kernels.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/random.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/distributed/communicator.hpp"
#include "segkit/distributed/rows.hpp"
#include "segkit/quality/internal.hpp"

namespace segkit::distributed {

/**
 * @brief Collective: sum over all ranks' rows of the squared Euclidean distance to the center of
 * their label (k-means inertia; unweighted).
 * @throws segkit::invalid_argument on every rank if a label is outside 0..k-1 or the sizes differ.
 */
template <class T>
[[nodiscard]] double inertia(const communicator& comm, const matrix_view<T>& local_x, std::span<const label_type> local_labels,
                             const matrix<T>& centers) {
  const char* comp = "segkit::distributed::inertia";
  const double local = comm.agree([&] {
    if (local_labels.size() != local_x.rows()) {
      segkit::detail::throw_invalid(comp, fmt::format("{} labels for {} rows", local_labels.size(), local_x.rows()));
    }
    if (local_x.rows() != 0 && local_x.cols() != centers.shape(1)) {
      segkit::detail::throw_invalid(comp, fmt::format("rows have {} columns, centers {}", local_x.cols(), centers.shape(1)));
    }
    double s = 0.0;
    for (std::size_t i = 0; i < local_x.rows(); ++i) {
      const auto c = local_labels[i];
      if (c < 0 || static_cast<std::size_t>(c) >= centers.shape(0)) {
        segkit::detail::throw_invalid(comp, fmt::format("label {} of row {} is outside 0..{}", c, i, centers.shape(0) - 1));
      }
      s += static_cast<double>(distance::squared_l2(local_x.row(i), &centers(static_cast<std::size_t>(c), 0), local_x.cols()));
    }
    return s;
  });
  return comm.sum(local);
}

/**
 * @brief Collective: segkit::quality::silhouette_estimate over the rows of all ranks — the exact
 * silhouette of a uniform sample of rows, each measured against every row of every rank, with its
 * confidence interval. The same seed draws the same sample as the single-process function (global
 * row numbers), so the two agree up to summation order.
 *
 * Every label is a cluster (noise labels such as -1 count as one; the single-process function's
 * noise_handling::as_label). The result is the same on every rank.
 * @par Cost  sample_size rows (d values each) sent to every rank; sample_size x n / P distances
 * per rank; one sum of sample_size x k doubles.
 * @throws segkit::invalid_argument on every rank for NaN/Inf, label/row count mismatches, fewer
 * than 2 or more than n - 1 clusters, sample_size 0 or a confidence outside (0, 1).
 */
template <class M = distance::l2_metric, class T>
  requires segkit::metric<M, T>
[[nodiscard]] quality::silhouette_estimate_result silhouette_estimate(const communicator& comm, const matrix_view<T>& local_x,
                                                                      std::span<const label_type> local_labels,
                                                                      const quality::silhouette_estimate_params& params = {},
                                                                      const M& metric = {}) {
  const char* comp = "segkit::distributed::silhouette_estimate";
  comm.agree([&] {
    if (local_labels.size() != local_x.rows()) {
      segkit::detail::throw_invalid(comp, fmt::format("{} labels for {} rows", local_labels.size(), local_x.rows()));
    }
    if (params.sample_size == 0) segkit::detail::throw_invalid(comp, "sample_size must be at least 1");
    if (!(params.confidence > 0.0 && params.confidence < 1.0)) {
      segkit::detail::throw_invalid(comp, fmt::format("confidence ({}) must lie in (0, 1)", params.confidence));
    }
    require_finite<T>(comp, "x", local_x);
  });
  // Dense cluster codes from the sorted distinct labels of all ranks, and the cluster sizes.
  std::vector<label_type> mine(local_labels.begin(), local_labels.end());
  std::sort(mine.begin(), mine.end());
  mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
  auto distinct = comm.all_gather_v(std::span<const label_type>(mine));
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  const std::size_t k = distinct.size();
  std::unordered_map<label_type, std::size_t> code_of;
  for (std::size_t c = 0; c < k; ++c) code_of[distinct[c]] = c;
  std::vector<std::size_t> code(local_x.rows());
  std::vector<std::uint64_t> local_sizes(k, 0);
  std::vector<std::vector<std::size_t>> members(k);  // this rank's rows of each cluster, in order
  for (std::size_t i = 0; i < code.size(); ++i) {
    code[i] = code_of.at(local_labels[i]);
    ++local_sizes[code[i]];
    members[code[i]].push_back(i);
  }
  const auto rank_sizes = comm.all_gather_v(std::span<const std::uint64_t>(local_sizes));  // ranks x k
  std::vector<std::uint64_t> sizes(k, 0);
  for (std::size_t i = 0; i < rank_sizes.size(); ++i) sizes[i % k] += rank_sizes[i];
  const mpi_row_group group(comm, local_x.rows());
  const auto widths = comm.all_gather(static_cast<std::uint64_t>(local_x.cols()));
  const std::size_t n = group.slice().total, d = static_cast<std::size_t>(*std::max_element(widths.begin(), widths.end()));
  if (k < 2 || k > n - 1) {
    segkit::detail::throw_invalid(comp, fmt::format("silhouette needs 2 to n - 1 = {} clusters, the labels hold {}", n - 1, k));
  }
  // The sample, as the single-process function draws it: the first m positions of a seeded
  // partial Fisher-Yates shuffle (kept sparse) of the rows ordered by cluster, then by row.
  const std::size_t m = std::min(params.sample_size, n);
  std::vector<std::size_t> pos(m);
  {
    std::unordered_map<std::size_t, std::size_t> moved;
    const auto at = [&](std::size_t i) {
      const auto it = moved.find(i);
      return it == moved.end() ? i : it->second;
    };
    segkit::rng gen(params.seed);
    for (std::size_t i = 0; i < m; ++i) {
      const std::size_t j = i + static_cast<std::size_t>(gen.below(n - i)), vi = at(i);
      pos[i] = at(j);
      moved[j] = vi;
    }
  }
  std::sort(pos.begin(), pos.end());
  // Position -> (cluster, index within it) -> the rank holding that row and its global number.
  std::vector<std::uint64_t> start(k + 1, 0);
  for (std::size_t c = 0; c < k; ++c) start[c + 1] = start[c] + sizes[c];
  std::vector<std::uint64_t> sampled(m, 0);
  const auto me = static_cast<std::size_t>(comm.rank());
  for (std::size_t i = 0; i < m; ++i) {
    const auto c = static_cast<std::size_t>(std::upper_bound(start.begin(), start.end(), pos[i]) - start.begin() - 1);
    std::uint64_t j = pos[i] - start[c];
    for (std::size_t r = 0; r < static_cast<std::size_t>(comm.size()); ++r) {
      if (j < rank_sizes[r * k + c]) {
        if (r == me) sampled[i] = group.offset() + members[c][static_cast<std::size_t>(j)];
        break;
      }
      j -= rank_sizes[r * k + c];
    }
  }
  comm.sum_exact(sampled);
  const std::size_t off = group.offset();
  const std::vector<std::size_t> sample_rows(sampled.begin(), sampled.end());
  const auto sample = group.fetch(sample_rows, d + 1, [&](std::size_t row, double* o) {
    o[0] = static_cast<double>(code[row - off]);
    for (std::size_t j = 0; j < d; ++j) o[1 + j] = static_cast<double>(local_x(row - off, j));
  });
  std::vector<T> srows(m * d);
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < d; ++j) srows[i * d + j] = static_cast<T>(sample[i * (d + 1) + 1 + j]);
  }
  // Sums of distances from each sampled row to this rank's rows of each cluster.
  executor ex(params.silhouette.threads);
  constexpr std::size_t grain = 1024;
  auto sums = parallel_reduce(
      ex, local_x.rows(), grain, std::vector<double>(m * k, 0.0),
      [&](std::size_t b, std::size_t e, std::size_t) {
        std::vector<double> acc(m * k, 0.0);
        for (std::size_t i = b; i < e; ++i) {
          for (std::size_t s = 0; s < m; ++s) acc[s * k + code[i]] += static_cast<double>(metric(srows.data() + s * d, local_x.row(i), d));
        }
        return acc;
      },
      [](std::vector<double> acc, const std::vector<double>& p) {
        for (std::size_t i = 0; i < acc.size(); ++i) acc[i] += p[i];
        return acc;
      });
  comm.ordered_sum(sums);
  const std::vector<std::size_t> counts(sizes.begin(), sizes.end());
  std::vector<double> s(m);
  for (std::size_t i = 0; i < m; ++i) s[i] = quality::silhouette_value(sums.data() + i * k, static_cast<std::size_t>(sample[i * (d + 1)]), counts);
  quality::silhouette_estimate_result r;
  r.sample_size = m;
  r.value = std::accumulate(s.begin(), s.end(), 0.0) / static_cast<double>(m);
  if (m > 1 && m < n) {
    double ss = 0.0;
    for (const double v : s) ss += (v - r.value) * (v - r.value);
    const double fpc = static_cast<double>(n - m) / static_cast<double>(n - 1);
    r.standard_error = std::sqrt(ss / static_cast<double>(m - 1) / static_cast<double>(m) * fpc);
  }
  const double z = quality::normal_quantile_two_sided(params.confidence);
  r.low = r.value - z * r.standard_error;
  r.high = r.value + z * r.standard_error;
  return r;
}

}  // namespace segkit::distributed
