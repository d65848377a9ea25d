#pragma once
/// @file
/// @brief Rows spread over MPI ranks: reading each rank's slice of a shared .npy file (or its own
/// file), gathering per-row results on one rank, and the row group through which the k-means
/// family runs over ranks.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <numeric>
#include <span>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/row_group.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/npy.hpp"
#include "segkit/distributed/communicator.hpp"

namespace segkit::distributed {

/// This rank's rows of a distributed data set and where they sit among all rows.
template <class T>
struct local_rows {
  matrix<T> rows;   ///< this rank's rows (slice.count x d)
  row_slice slice;  ///< global position of rows(0) and the total over ranks
};

/**
 * @brief Each rank reads its balanced slice of one 2-D .npy file that every rank can see (a shared
 * file system): rows [begin, begin + count) only, at the offset computed from the header.
 *
 * Collective. Errors (missing file, bad header, wrong dtype) are agreed: every rank throws the
 * first failing rank's error.
 */
template <class T>
[[nodiscard]] local_rows<T> read_npy_slice(const communicator& comm, const std::filesystem::path& path) {
  return comm.agree([&] {
    const auto header = read_npy_header(path);
    if (header.shape.size() != 2) {
      segkit::detail::throw_invalid("segkit::npy", fmt::format("'{}' has {} dimensions; a 2-D matrix was expected", path.string(), header.shape.size()));
    }
    const row_slice s = balanced_slice(header.shape[0], comm.rank(), comm.size());
    return local_rows<T>{load_npy_rows<T>(path, s.begin, s.count), s};
  });
}

/**
 * @brief Each rank reads its own 2-D .npy file (any number of rows, the same number of columns);
 * global rows are numbered rank by rank.
 *
 * Collective. @throws segkit::invalid_argument on every rank if the column counts differ.
 */
template <class T>
[[nodiscard]] local_rows<T> read_npy_own(const communicator& comm, const std::filesystem::path& path) {
  auto m = comm.agree([&] { return load_npy_matrix<T>(path); });
  const auto cols = comm.all_gather(static_cast<std::uint64_t>(m.shape(1)));
  for (std::size_t r = 1; r < cols.size(); ++r) {
    if (cols[r] != cols[0]) {
      segkit::detail::throw_invalid(detail::component, fmt::format("rank {} holds {} columns, rank 0 holds {}", r, cols[r], cols[0]));
    }
  }
  const row_slice s = comm.slice_of(m.shape(0));
  return local_rows<T>{std::move(m), s};
}

/// Every rank's per-row values concatenated in rank order (= global row order) on `root`, empty
/// elsewhere (e.g. labels, to write one file). Collective.
template <class V>
[[nodiscard]] std::vector<V> gather_rows(const communicator& comm, std::span<const V> local, int root = 0) {
  return comm.gather_v(local, root);
}

/**
 * @brief The rows of a k-means fit spread over the ranks of a communicator, each rank holding a
 * contiguous slice in rank order (segkit::cluster's row-group interface).
 *
 * Sums use communicator::ordered_sum (a fixed order, the same bits everywhere); a row wanted by
 * every rank (a drawn center, a candidate) travels from its owner in a sum where every other rank
 * adds zeros, which is exact.
 */
class mpi_row_group final : public cluster::row_group {
 public:
  /// Collective: learns the slices of all ranks from their row counts.
  mpi_row_group(const communicator& comm, std::size_t local_rows)
      : comm_(&comm), slice_(comm.slice_of(local_rows)), counts_(comm.all_gather(static_cast<std::uint64_t>(local_rows))) {}

  /// This rank's slice.
  [[nodiscard]] const row_slice& slice() const noexcept { return slice_; }

  [[nodiscard]] bool local() const override { return comm_->size() == 1; }
  [[nodiscard]] std::size_t offset() const override { return slice_.begin; }
  [[nodiscard]] std::size_t total(std::size_t) const override { return slice_.total; }
  void sum(std::span<double> values) const override { comm_->ordered_sum(values); }
  [[nodiscard]] bool any(bool flag) const override { return comm_->any(flag); }

  [[nodiscard]] std::vector<std::size_t> draw(std::span<const double> mass, std::span<const double> us) const override {
    // Each rank's mass total; the rank whose share of the running sum holds u scans its rows.
    const auto totals = comm_->all_gather(std::accumulate(mass.begin(), mass.end(), 0.0));
    std::size_t last_with_mass = totals.size();
    for (std::size_t r = 0; r < totals.size(); ++r) {
      if (totals[r] > 0.0) last_with_mass = r;
    }
    std::vector<std::uint64_t> picks(us.size(), 0);
    const auto me = static_cast<std::size_t>(comm_->rank());
    for (std::size_t j = 0; j < us.size(); ++j) {
      double u = us[j];
      std::size_t owner = totals.size();
      for (std::size_t r = 0; r < totals.size() && owner == totals.size(); ++r) {
        if (totals[r] > 0.0 && u < totals[r]) owner = r;
        else u -= totals[r];
      }
      bool overrun = false;
      if (owner == totals.size()) {  // rounding (or no mass anywhere): the last row with mass, else the last row
        owner = last_with_mass != totals.size() ? last_with_mass : last_rank_with_rows();
        overrun = true;
      }
      if (owner == me) picks[j] = slice_.begin + (overrun ? scan(mass, std::numeric_limits<double>::infinity()) : scan(mass, u));
    }
    comm_->sum_exact(std::span<std::uint64_t>(picks));  // one owner per pick, zeros elsewhere
    return {picks.begin(), picks.end()};
  }

  [[nodiscard]] std::vector<double> fetch(std::span<const std::size_t> ids, std::size_t width,
                                          const std::function<void(std::size_t, double*)>& fill) const override {
    std::vector<double> out(ids.size() * width, 0.0);
    for (std::size_t j = 0; j < ids.size(); ++j) {
      if (ids[j] >= slice_.begin && ids[j] - slice_.begin < slice_.count) fill(ids[j], out.data() + j * width);
    }
    comm_->sum_owned(out);
    return out;
  }

  [[nodiscard]] std::vector<std::size_t> largest(std::span<const double> key, std::size_t m) const override {
    struct keyed {
      double key;
      std::uint64_t row;
    };
    std::vector<keyed> local;
    for (auto row : top_rows(key, m, slice_.begin)) local.push_back({key[row - slice_.begin], row});
    auto all = comm_->all_gather_v(std::span<const keyed>(local));
    m = std::min(m, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(m), all.end(),
                      [](const keyed& a, const keyed& b) { return a.key > b.key || (a.key == b.key && a.row < b.row); });
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < m; ++i) out.push_back(static_cast<std::size_t>(all[i].row));
    return out;
  }

  [[nodiscard]] std::vector<std::size_t> concat(std::vector<std::size_t> rows) const override {
    std::vector<std::uint64_t> mine(rows.begin(), rows.end());
    const auto all = comm_->all_gather_v(std::span<const std::uint64_t>(mine));
    return {all.begin(), all.end()};
  }

 private:
  [[nodiscard]] std::size_t last_rank_with_rows() const {
    for (std::size_t r = counts_.size(); r-- > 0;) {
      if (counts_[r] > 0) return r;
    }
    return 0;
  }

  const communicator* comm_;
  row_slice slice_;
  std::vector<std::uint64_t> counts_;
};

}  // namespace segkit::distributed
