#pragma once
/// @file
/// @brief K-Means and mini-batch k-means over rows spread across MPI ranks: the same algorithms as
/// segkit::cluster::kmeans and minibatch_kmeans (one implementation, reaching other ranks'
/// rows through segkit::distributed::mpi_row_group), with the same parameters and results.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/kmeans.hpp"
#include "segkit/cluster/minibatch_kmeans.hpp"
#include "segkit/distributed/communicator.hpp"
#include "segkit/distributed/rows.hpp"

namespace segkit::distributed {

namespace detail {

// This rank's rows and weights, checked on every rank with one agreed outcome: finite values,
// weights of the right length, finite and >= 0, the same number of columns on every rank that has
// rows, at least one row and k at most the total, a positive total weight. Returns the weights
// (1 if none given) and the column count.
template <class T>
std::vector<double> checked_local_input(const communicator& comm, matrix_view<T>& x, std::size_t k, std::span<const double> weights,
                                        const char* comp) {
  auto w = comm.agree([&] {
    if (x.rows() != 0 && x.cols() == 0) segkit::detail::throw_invalid(comp, "samples have 0 features");
    require_finite<T>(comp, "x", x);
    return sample_weights(comp, weights, x.rows(), false);
  });
  struct shape {
    std::uint64_t rows, cols;
  };
  const auto shapes = comm.all_gather(shape{x.rows(), x.cols()});
  std::uint64_t total = 0, d = 0;
  int first = -1;
  for (std::size_t r = 0; r < shapes.size(); ++r) {
    total += shapes[r].rows;
    if (shapes[r].rows == 0) continue;
    if (first < 0) {
      first = static_cast<int>(r);
      d = shapes[r].cols;
    } else if (shapes[r].cols != d) {
      segkit::detail::throw_invalid(comp, fmt::format("rank {} holds rows of {} columns, rank {} of {}", r, shapes[r].cols, first, d));
    }
  }
  if (total == 0) segkit::detail::throw_invalid(comp, "no samples (x has 0 rows on every rank)");
  if (k > total) segkit::detail::throw_invalid(comp, fmt::format("k ({}) exceeds the number of samples ({}, over {} ranks)", k, total, comm.size()));
  if (!(comm.sum(std::accumulate(w.begin(), w.end(), 0.0)) > 0.0)) segkit::detail::throw_invalid(comp, "all sample weights are zero");
  if (x.rows() == 0) x = matrix_view<T>(x.data(), 0, static_cast<std::size_t>(d));  // an empty rank takes the others' width
  return w;
}

}  // namespace detail

/**
 * @brief K-Means over rows spread across the ranks of a communicator.
 *
 * Every rank holds a contiguous slice of the rows, in rank order (as read_npy_slice gives). All
 * of segkit::cluster::kmeans is there: k-means++, k-means|| (its sampling passes run where the
 * rows are; only candidates travel) and random initialization, Lloyd, Hamerly or Elkan
 * iterations, restarts, weights, spherical k-means, empty-cluster relocation. Per iteration each
 * rank assigns its rows with its threads, then the k x d weighted sums, k weights and the inertia
 * (one message) are summed over ranks in a fixed order (communicator::ordered_sum).
 *
 * Same seed, same rows ⇒ the same centers as the single-process cluster::kmeans up to the
 * summation order of those sums (relative differences ~1e-7 in float; the labels agree unless a
 * row is within rounding of two centers), and the same bits on every rank, whatever the thread
 * count, for a given number of ranks.
 * @par Cost per Lloyd iteration  n/P x k x d distance work per rank; log2(P) messages of
 * (k d + k + 1) doubles up a tree, one broadcast back (docs/distributed.md has measured constants).
 */
template <class T = float>
class kmeans {
 public:
  using value_type = T;

  /// @throws segkit::invalid_argument for bad parameters (as cluster::kmeans).
  explicit kmeans(cluster::kmeans_params params = {}) : impl_(std::move(params)) {}

  /// The parameters.
  [[nodiscard]] const cluster::kmeans_params& params() const noexcept { return impl_.params(); }

  /**
   * @brief Collective: clusters the rows of all ranks; `local_x` and `local_weights` are this rank's.
   * @return the model, the same on every rank except `labels`, which are this rank's rows'.
   * @throws segkit::invalid_argument on every rank (naming the rank) if any rank's rows hold
   * NaN/Inf, column counts differ, weights are wrong, there are no rows at all or k exceeds them.
   */
  template <class E>
  [[nodiscard]] cluster::kmeans_model<T> fit(const communicator& comm, const E& local_x, std::span<const double> local_weights = {}) const {
    const auto rows = as_rows<T>(local_x);
    matrix_view<T> x = rows.view();
    auto w = detail::checked_local_input(comm, x, impl_.params().k, local_weights, "segkit::distributed::kmeans");
    comm.agree([&] { impl_.check_initial_centers(x.cols()); });
    const mpi_row_group group(comm, x.rows());
    return impl_.fit_group(x, std::move(w), group);
  }

 private:
  cluster::kmeans<T> impl_;
};

/**
 * @brief Mini-batch k-means over rows spread across ranks: segkit::cluster::minibatch_kmeans with
 * the same draws.
 *
 * Every rank draws the same global batch (row numbers from the shared seed) and handles the rows
 * it holds; the batch's sums go through one ordered sum per step. The initial subsample and
 * reassigned rows are fetched from their owners. Same seed ⇒ the same centers as the
 * single-process version up to summation order. Each step is one message of k x d doubles, so
 * ranks pay off when a batch is large compared with k x d.
 */
template <class T = float>
class minibatch_kmeans {
 public:
  using value_type = T;

  /// @throws segkit::invalid_argument for bad parameters (as cluster::minibatch_kmeans).
  explicit minibatch_kmeans(cluster::minibatch_kmeans_params params = {}) : impl_(params) {}

  /// The parameters.
  [[nodiscard]] const cluster::minibatch_kmeans_params& params() const noexcept { return impl_.params(); }

  /// Collective: as kmeans::fit (labels are this rank's rows').
  template <class E>
  [[nodiscard]] cluster::kmeans_model<T> fit(const communicator& comm, const E& local_x, std::span<const double> local_weights = {}) const {
    const auto rows = as_rows<T>(local_x);
    matrix_view<T> x = rows.view();
    auto w = detail::checked_local_input(comm, x, impl_.params().k, local_weights, "segkit::cluster::minibatch_kmeans");
    const mpi_row_group group(comm, x.rows());
    return impl_.fit_group(x, std::move(w), group);
  }

 private:
  cluster::minibatch_kmeans<T> impl_;
};

}  // namespace segkit::distributed
