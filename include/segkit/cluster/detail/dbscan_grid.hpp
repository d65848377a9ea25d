#pragma once
// DBSCAN's three passes on a uniform grid for 2-D Euclidean data (the grid method of Gunawan,
// "A faster algorithm for DBSCAN", 2013; Gan & Tao, SIGMOD 2015): cells of side eps / sqrt(2),
// so two points in one cell are always neighbors and a point's neighbors lie in the 5 x 5
// block of cells around its own.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/types.hpp"
#include "segkit/graph/union_find.hpp"

namespace segkit::cluster::detail {

/**
 * Points of a 2-D set sorted by grid cell, with each occupied cell's occupied neighbor cells.
 * Neighborhood tests are `squared distance <= r2` on the coordinates in double precision, the
 * same arithmetic as segkit::neighbors::kd_tree's, so every pass finds exactly the tree's neighbors.
 */
class dbscan_grid {
 public:
  /// Builds the grid; valid() is false when the points span too many cells for 32-bit cell indices.
  template <class T>
  dbscan_grid(const matrix_view<T>& x, double r2) : r2_(r2) {
    const std::size_t n = x.rows();
    pts_.resize(2 * n);
    double lo[2] = {x.row(0)[0], x.row(0)[1]}, hi[2] = {lo[0], lo[1]};
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < 2; ++j) {
        const double v = static_cast<double>(x.row(i)[j]);
        lo[j] = std::min(lo[j], v);
        hi[j] = std::max(hi[j], v);
      }
    }
    // Slightly below eps / sqrt(2): a cell's diagonal stays clear of eps despite rounding.
    const double side = std::sqrt(r2) / std::sqrt(2.0) * (1.0 - 1e-9);
    constexpr double max_cells = 1u << 30;
    if (!(side > 0.0) || (hi[0] - lo[0]) / side >= max_cells || (hi[1] - lo[1]) / side >= max_cells) return;
    std::vector<std::uint64_t> key(n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto cx = static_cast<std::uint64_t>((static_cast<double>(x.row(i)[0]) - lo[0]) / side);
      const auto cy = static_cast<std::uint64_t>((static_cast<double>(x.row(i)[1]) - lo[1]) / side);
      key[i] = cx << 32 | cy;
    }
    order_.resize(n);
    std::iota(order_.begin(), order_.end(), std::size_t{0});
    std::sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) { return key[a] != key[b] ? key[a] < key[b] : a < b; });
    for (std::size_t p = 0; p < n; ++p) {
      const std::size_t i = order_[p];
      if (p == 0 || key[i] != cells_.back()) {
        cells_.push_back(key[i]);
        start_.push_back(p);
      }
      pts_[2 * p] = static_cast<double>(x.row(i)[0]);
      pts_[2 * p + 1] = static_cast<double>(x.row(i)[1]);
    }
    start_.push_back(n);
    // Occupied cells within two steps in each direction (the 5 x 5 block), the cell itself excluded.
    near_start_.push_back(0);
    for (const std::uint64_t c : cells_) {
      const auto cx = static_cast<std::int64_t>(c >> 32), cy = static_cast<std::int64_t>(c & 0xffffffffu);
      for (std::int64_t dx = -2; dx <= 2; ++dx) {
        for (std::int64_t dy = -2; dy <= 2; ++dy) {
          if ((dx == 0 && dy == 0) || cx + dx < 0 || cy + dy < 0) continue;
          const std::uint64_t k = static_cast<std::uint64_t>(cx + dx) << 32 | static_cast<std::uint64_t>(cy + dy);
          const auto it = std::lower_bound(cells_.begin(), cells_.end(), k);
          if (it != cells_.end() && *it == k) near_.push_back(static_cast<std::uint32_t>(it - cells_.begin()));
        }
      }
      near_start_.push_back(near_.size());
    }
    valid_ = true;
  }

  [[nodiscard]] bool valid() const noexcept { return valid_; }

  /// core[i] = 1 when the weights of the rows within eps of row i (itself included) reach `need`.
  std::vector<char> core_points(const std::vector<double>& w, double need, executor& ex) const {
    std::vector<char> core(order_.size(), 0);
    parallel_for(ex, cells_.size(), 64, [&](std::size_t b, std::size_t e, std::size_t) {
      for (std::size_t c = b; c < e; ++c) {
        double own = 0.0;  // every point of the cell is a neighbor of every other
        for (std::size_t p = start_[c]; p < start_[c + 1]; ++p) own += w[order_[p]];
        for (std::size_t p = start_[c]; p < start_[c + 1]; ++p) {
          double count = own;
          for (std::size_t k = near_start_[c]; k < near_start_[c + 1] && count < need; ++k) {
            const std::size_t o = near_[k];
            for (std::size_t q = start_[o]; q < start_[o + 1] && count < need; ++q) {
              if (close(p, q)) count += w[order_[q]];
            }
          }
          core[order_[p]] = count >= need ? 1 : 0;
        }
      }
    });
    return core;
  }

  /// Unites the core rows that are within eps of each other (transitively: DBSCAN's clusters).
  void unite_cores(const std::vector<char>& core, graph::concurrent_union_find& sets, executor& ex) const {
    parallel_for(ex, cells_.size(), 64, [&](std::size_t b, std::size_t e, std::size_t) {
      for (std::size_t c = b; c < e; ++c) {
        const std::size_t first = first_core(c, core);
        if (first == npos) continue;
        for (std::size_t p = first + 1; p < start_[c + 1]; ++p) {
          if (core[order_[p]]) sets.unite(order_[first], order_[p]);
        }
        for (std::size_t k = near_start_[c]; k < near_start_[c + 1]; ++k) {
          const std::size_t o = near_[k];
          if (o < c) continue;  // each pair of cells once
          const std::size_t other = first_core(o, core);
          if (other == npos || sets.find(order_[first]) == sets.find(order_[other])) continue;
          if (const auto [p, q] = core_link(c, first, o, other, core); p != npos) sets.unite(order_[p], order_[q]);
        }
      }
    });
  }

  /// For every non-core row within eps of a core row: the lowest label among those core rows.
  void label_borders(const std::vector<char>& core, label_type* labels, executor& ex) const {
    parallel_for(ex, cells_.size(), 64, [&](std::size_t b, std::size_t e, std::size_t) {
      for (std::size_t c = b; c < e; ++c) {
        for (std::size_t p = start_[c]; p < start_[c + 1]; ++p) {
          const std::size_t i = order_[p];
          if (core[i]) continue;
          label_type best = -1;
          const auto look = [&](std::size_t cell, bool same) {
            for (std::size_t q = start_[cell]; q < start_[cell + 1]; ++q) {
              const std::size_t j = order_[q];
              if (core[j] && (same || close(p, q)) && (best < 0 || labels[j] < best)) best = labels[j];
            }
          };
          look(c, true);
          for (std::size_t k = near_start_[c]; k < near_start_[c + 1]; ++k) look(near_[k], false);
          labels[i] = best;
        }
      }
    });
  }

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  // Written as kd_tree's distance2 (a sum from 0 over the axes of (q - p) squared), so the
  // compiler evaluates it the same way.
  [[nodiscard]] bool close(std::size_t p, std::size_t q) const noexcept {
    double s = 0.0;
    for (std::size_t j = 0; j < 2; ++j) {
      const double t = pts_[2 * p + j] - pts_[2 * q + j];
      s += t * t;
    }
    return s <= r2_;
  }

  [[nodiscard]] std::size_t first_core(std::size_t c, const std::vector<char>& core) const noexcept {
    for (std::size_t p = start_[c]; p < start_[c + 1]; ++p) {
      if (core[order_[p]]) return p;
    }
    return npos;
  }

  // A pair of core points, one in each cell, within eps; (npos, npos) if none.
  [[nodiscard]] std::pair<std::size_t, std::size_t> core_link(std::size_t c, std::size_t from_c, std::size_t o, std::size_t from_o,
                                                              const std::vector<char>& core) const noexcept {
    for (std::size_t p = from_c; p < start_[c + 1]; ++p) {
      if (!core[order_[p]]) continue;
      for (std::size_t q = from_o; q < start_[o + 1]; ++q) {
        if (core[order_[q]] && close(p, q)) return {p, q};
      }
    }
    return {npos, npos};
  }

  double r2_;
  bool valid_ = false;
  std::vector<double> pts_;             // coordinates in cell order
  std::vector<std::size_t> order_;      // cell order -> row
  std::vector<std::uint64_t> cells_;    // occupied cell keys (x << 32 | y), ascending
  std::vector<std::size_t> start_;      // first position of each cell; start_[cells] = n
  std::vector<std::uint32_t> near_;     // occupied neighbor cells of each cell
  std::vector<std::size_t> near_start_;
};

}  // namespace segkit::cluster::detail
