#pragma once
/// @file
/// @brief An exact k-d tree over Euclidean space for low dimensions: fixed-radius and k-nearest
/// queries in double precision. Used by DBSCAN and HDBSCAN; also a building block on its own.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/params.hpp"

namespace segkit::neighbors {

/// Parameters of kd_tree.
struct kd_tree_params {
  std::size_t leaf_size = 24;  ///< at most this many points per leaf (>= 1)

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = kd_tree_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("leaf_size", &p::leaf_size, "at most this many points per leaf", sp::at_least(1))};
  }
};

/**
 * @brief Exact k-d tree (Bentley 1975; splits at the median of the widest coordinate, bounding
 * boxes per node for pruning) over a copy of the points in double precision, stored in tree
 * order so that a leaf's points are contiguous.
 *
 * Distances are Euclidean and computed in double whatever the input type, so a radius query
 * answers `|q - x| <= r` as exactly as double arithmetic allows: what scikit-learn's trees do.
 * Pays off up to roughly 16 dimensions; above that a blocked exact scan is faster.
 *
 * @par Complexity  build O(n log n); a query visits O(log n + matches) nodes on well-spread data.
 * @par Thread safety  queries are const and may run concurrently.
 */
class kd_tree {
 public:
  kd_tree() = default;

  /**
   * @brief Builds the tree over the rows of `x`.
   * @throws segkit::invalid_argument if leaf_size is 0 or x holds NaN/Inf.
   */
  template <class T>
  explicit kd_tree(const matrix_view<T>& x, kd_tree_params params = {}) : n_(x.rows()), d_(x.cols()), leaf_(params.leaf_size) {
    if (leaf_ == 0) segkit::detail::throw_invalid("segkit::neighbors::kd_tree", "leaf_size must be at least 1");
    require_finite<T>("segkit::neighbors::kd_tree", "points", x);
    order_.resize(n_);
    std::iota(order_.begin(), order_.end(), std::size_t{0});
    if (n_ > 0) build(x, 0, n_);
    points_.resize(n_ * d_);
    for (std::size_t i = 0; i < n_; ++i) {
      const T* r = x.row(order_[i]);
      for (std::size_t j = 0; j < d_; ++j) points_[i * d_ + j] = static_cast<double>(r[j]);
    }
  }

  [[nodiscard]] std::size_t size() const noexcept { return n_; }
  [[nodiscard]] std::size_t dim() const noexcept { return d_; }

  /**
   * @brief Calls `f(i, squared_distance)` for every point i (row number in the input) with
   * squared distance to `q` at most `radius2`; stops early when f returns false.
   */
  template <class F>
  void radius_search(const double* q, double radius2, F&& f) const {
    if (n_ == 0) return;
    std::size_t stack[128];
    std::size_t top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const node& nd = nodes_[stack[--top]];
      if (box_distance2(nd, q) > radius2) continue;
      if (nd.left == no_child) {
        for (std::size_t p = nd.begin; p < nd.end; ++p) {
          const double d2 = distance2(q, points_.data() + p * d_);
          if (d2 <= radius2 && !f(order_[p], d2)) return;
        }
        continue;
      }
      stack[top++] = nd.right;
      stack[top++] = nd.left;
    }
  }

  /**
   * @brief The k nearest points of `q`: `ids[0..k)` (input row numbers) and squared distances
   * `dist2[0..k)`, ascending (ties by lower row number). k must be <= size().
   */
  void knn_search(const double* q, std::size_t k, std::size_t* ids, double* dist2) const {
    if (k == 0) return;
    if (k > n_) segkit::detail::throw_invalid("segkit::neighbors::kd_tree", fmt::format("k ({}) exceeds the {} points", k, n_));
    // Max-heap of the k best so far (by distance, then row number).
    std::vector<std::pair<double, std::size_t>> heap;
    heap.reserve(k + 1);
    double bound = std::numeric_limits<double>::infinity();
    search_knn(0, q, k, heap, bound);
    std::sort_heap(heap.begin(), heap.end());
    for (std::size_t i = 0; i < k; ++i) {
      ids[i] = heap[i].second;
      dist2[i] = heap[i].first;
    }
  }

  /// @name Structure, for custom traversals (e.g. Borůvka's minimum spanning tree)
  /// Nodes are numbered in pre-order from the root 0 (a node's children come after it); a node
  /// covers the tree positions [begin, end), a leaf's points being contiguous.
  /// @{
  [[nodiscard]] std::size_t node_count() const noexcept { return nodes_.size(); }
  [[nodiscard]] bool is_leaf(std::size_t id) const noexcept { return nodes_[id].left == no_child; }
  /// Children (left, right) of an inner node.
  [[nodiscard]] std::pair<std::size_t, std::size_t> children(std::size_t id) const noexcept { return {nodes_[id].left, nodes_[id].right}; }
  /// Tree positions [begin, end) under a node.
  [[nodiscard]] std::pair<std::size_t, std::size_t> node_points(std::size_t id) const noexcept { return {nodes_[id].begin, nodes_[id].end}; }
  /// Input row at a tree position.
  [[nodiscard]] std::size_t row_at(std::size_t position) const noexcept { return order_[position]; }
  /// The point at a tree position (d doubles).
  [[nodiscard]] const double* point_at(std::size_t position) const noexcept { return points_.data() + position * d_; }
  /// Squared distance from q to the point at a tree position.
  [[nodiscard]] double distance2_at(std::size_t position, const double* q) const noexcept { return distance2(q, point_at(position)); }
  /// Squared distance from q to a node's bounding box (0 inside).
  [[nodiscard]] double box_distance2(std::size_t id, const double* q) const noexcept { return box_distance2(nodes_[id], q); }
  /// @}

 private:
  static constexpr std::size_t no_child = static_cast<std::size_t>(-1);
  struct node {
    std::size_t begin = 0, end = 0;
    std::size_t left = no_child, right = no_child;
    std::size_t box = 0;  // offset of lo[d], hi[d] in boxes_
  };

  double distance2(const double* a, const double* b) const noexcept {
    double s = 0.0;
    for (std::size_t j = 0; j < d_; ++j) {
      const double t = a[j] - b[j];
      s += t * t;
    }
    return s;
  }

  double box_distance2(const node& nd, const double* q) const noexcept {
    const double* lo = boxes_.data() + nd.box;
    const double* hi = lo + d_;
    double s = 0.0;
    for (std::size_t j = 0; j < d_; ++j) {
      const double t = std::max({0.0, lo[j] - q[j], q[j] - hi[j]});
      s += t * t;
    }
    return s;
  }

  template <class T>
  std::size_t build(const matrix_view<T>& x, std::size_t b, std::size_t e) {
    const std::size_t id = nodes_.size();
    nodes_.push_back(node{b, e, no_child, no_child, boxes_.size()});
    boxes_.resize(boxes_.size() + 2 * d_);
    double* lo = boxes_.data() + nodes_[id].box;
    double* hi = lo + d_;
    std::fill_n(lo, d_, std::numeric_limits<double>::infinity());
    std::fill_n(hi, d_, -std::numeric_limits<double>::infinity());
    for (std::size_t p = b; p < e; ++p) {
      const T* r = x.row(order_[p]);
      for (std::size_t j = 0; j < d_; ++j) {
        lo[j] = std::min(lo[j], static_cast<double>(r[j]));
        hi[j] = std::max(hi[j], static_cast<double>(r[j]));
      }
    }
    if (e - b <= leaf_ || d_ == 0) return id;
    std::size_t axis = 0;
    for (std::size_t j = 1; j < d_; ++j) {
      if (hi[j] - lo[j] > hi[axis] - lo[axis]) axis = j;
    }
    if (!(hi[axis] > lo[axis])) return id;  // all points equal: one leaf
    const std::size_t mid = b + (e - b) / 2;
    std::nth_element(order_.begin() + static_cast<std::ptrdiff_t>(b), order_.begin() + static_cast<std::ptrdiff_t>(mid),
                     order_.begin() + static_cast<std::ptrdiff_t>(e), [&](std::size_t u, std::size_t v) {
                       const T a = x.row(u)[axis], c = x.row(v)[axis];
                       return a < c || (a == c && u < v);
                     });
    const std::size_t l = build(x, b, mid);
    const std::size_t r = build(x, mid, e);
    nodes_[id].left = l;
    nodes_[id].right = r;
    return id;
  }

  void search_knn(std::size_t id, const double* q, std::size_t k, std::vector<std::pair<double, std::size_t>>& heap,
                  double& bound) const {
    const node& nd = nodes_[id];
    if (nd.left == no_child) {
      for (std::size_t p = nd.begin; p < nd.end; ++p) {
        const std::pair<double, std::size_t> cand{distance2(q, points_.data() + p * d_), order_[p]};
        if (heap.size() < k) {
          heap.push_back(cand);
          std::push_heap(heap.begin(), heap.end());
        } else if (cand < heap.front()) {
          std::pop_heap(heap.begin(), heap.end());
          heap.back() = cand;
          std::push_heap(heap.begin(), heap.end());
        } else {
          continue;
        }
        if (heap.size() == k) bound = heap.front().first;
      }
      return;
    }
    const double dl = box_distance2(nodes_[nd.left], q);
    const double dr = box_distance2(nodes_[nd.right], q);
    const std::size_t first = dl <= dr ? nd.left : nd.right, second = dl <= dr ? nd.right : nd.left;
    const double d_first = std::min(dl, dr), d_second = std::max(dl, dr);
    if (d_first <= bound) search_knn(first, q, k, heap, bound);
    if (d_second <= bound) search_knn(second, q, k, heap, bound);
  }

  std::size_t n_ = 0, d_ = 0, leaf_ = 24;
  std::vector<std::size_t> order_;  // tree position -> input row
  std::vector<double> points_;      // n x d, tree order
  std::vector<node> nodes_;
  std::vector<double> boxes_;       // per node: lo[d], hi[d]
};

}  // namespace segkit::neighbors
