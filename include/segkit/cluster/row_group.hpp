#pragma once
/// @file
/// @brief Where the rows of a k-means fit live: the one seam between the k-means family and
/// distributed runs.
///
/// The k-means family (Lloyd, Hamerly, Elkan, k-means++, k-means||, random starts, mini-batch)
/// reaches its rows only through a row_group, so one implementation of each algorithm runs both
/// in one process (row_group itself: every method is the plain local computation) and over MPI
/// ranks (segkit::distributed::mpi_row_group, each rank holding a contiguous slice of the rows).
/// Rows are numbered globally: this process holds [offset(), offset() + local count). Calls
/// happen once per collective step, never per row, and give the same bits in every process.

#include <algorithm>
#include <cstddef>
#include <functional>
#include <numeric>
#include <span>
#include <vector>

namespace segkit::cluster {

/// The rows of one process (the base class), or of a group of processes (derived classes).
class row_group {
 public:
  row_group() = default;
  row_group(const row_group&) = default;
  row_group& operator=(const row_group&) = default;
  virtual ~row_group() = default;

  /// True when every row is in this process (the sums below are then identities).
  [[nodiscard]] virtual bool local() const { return true; }
  /// Global number of this process's first row.
  [[nodiscard]] virtual std::size_t offset() const { return 0; }
  /// Rows in all processes, given this process's count.
  [[nodiscard]] virtual std::size_t total(std::size_t local_rows) const { return local_rows; }
  /// Element-wise sum over processes, in place, the same bits everywhere.
  virtual void sum(std::span<double> /*values*/) const {}
  [[nodiscard]] double sum(double value) const {
    sum(std::span<double>(&value, 1));
    return value;
  }
  /// True everywhere if true in any process.
  [[nodiscard]] virtual bool any(bool flag) const { return flag; }

  /// For each u in `us` (0 <= u < total mass over all rows): the global row at which the running
  /// sum of `mass` (this process's rows, in global row order) first exceeds u. When rounding leaves
  /// u beyond the last row with mass: that row; with no mass anywhere: the last row.
  [[nodiscard]] virtual std::vector<std::size_t> draw(std::span<const double> mass, std::span<const double> us) const {
    std::vector<std::size_t> out;
    out.reserve(us.size());
    for (double u : us) out.push_back(scan(mass, u));
    return out;
  }

  /// `width` values of each global row in `ids`, written by fill(local_row, out) in the process
  /// that holds the row; the concatenation, in the order of ids, everywhere.
  [[nodiscard]] virtual std::vector<double> fetch(std::span<const std::size_t> ids, std::size_t width,
                                                  const std::function<void(std::size_t, double*)>& fill) const {
    std::vector<double> out(ids.size() * width, 0.0);
    for (std::size_t j = 0; j < ids.size(); ++j) fill(ids[j], out.data() + j * width);
    return out;
  }

  /// Global rows of the m largest keys (one per local row), largest first, ties to the lower row.
  [[nodiscard]] virtual std::vector<std::size_t> largest(std::span<const double> key, std::size_t m) const {
    return top_rows(key, m, 0);
  }

  /// Every process's global row numbers concatenated in process order.
  [[nodiscard]] virtual std::vector<std::size_t> concat(std::vector<std::size_t> rows) const { return rows; }

  /// The one instance for rows that are all here.
  static const row_group& here() {
    static const row_group instance;
    return instance;
  }

 protected:
  // Local running-sum scan of draw(); returns mass.size() - 1 - (rows with no mass at the end) on
  // a rounding overrun (the last row with mass), mass.size() - 1 with no mass at all.
  static std::size_t scan(std::span<const double> mass, double u) {
    for (std::size_t i = 0; i < mass.size(); ++i) {
      u -= mass[i];
      if (u < 0.0) return i;
    }
    for (std::size_t i = mass.size(); i-- > 0;) {
      if (mass[i] > 0.0) return i;
    }
    return mass.empty() ? 0 : mass.size() - 1;
  }

  // The m local rows of largest key (largest first, ties to the lower row), as global rows.
  static std::vector<std::size_t> top_rows(std::span<const double> key, std::size_t m, std::size_t offset) {
    std::vector<std::size_t> order(key.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    m = std::min(m, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(m), order.end(),
                      [&](std::size_t a, std::size_t b) { return key[a] > key[b] || (key[a] == key[b] && a < b); });
    order.resize(m);
    for (auto& i : order) i += offset;
    return order;
  }
};

}  // namespace segkit::cluster
