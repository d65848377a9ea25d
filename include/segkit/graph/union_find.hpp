#pragma once
/// @file
/// @brief Disjoint sets (union-find) with path halving and union by size.

#include <atomic>
#include <cstddef>
#include <memory>
#include <numeric>
#include <utility>
#include <vector>

namespace segkit::graph {

/**
 * @brief Disjoint sets over 0..n-1 (Tarjan 1975): near-constant amortized find and unite.
 * @par Thread safety  none; one instance per thread.
 */
class union_find {
 public:
  union_find() = default;
  explicit union_find(std::size_t n) : parent_(n), size_(n, 1) { std::iota(parent_.begin(), parent_.end(), std::size_t{0}); }

  [[nodiscard]] std::size_t size() const noexcept { return parent_.size(); }

  /// Representative of x's set (path halving).
  std::size_t find(std::size_t x) noexcept {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];
      x = parent_[x];
    }
    return x;
  }

  /// Joins the sets of a and b; returns the new representative.
  std::size_t unite(std::size_t a, std::size_t b) noexcept {
    a = find(a);
    b = find(b);
    if (a == b) return a;
    if (size_[a] < size_[b]) std::swap(a, b);
    parent_[b] = a;
    size_[a] += size_[b];
    return a;
  }

  /// Number of elements in x's set.
  std::size_t set_size(std::size_t x) noexcept { return size_[find(x)]; }

 private:
  std::vector<std::size_t> parent_;
  std::vector<std::size_t> size_;
};

/**
 * @brief Disjoint sets that many threads may unite at once, without locks: roots are linked by
 * compare-and-swap, always the higher index under the lower (Anderson & Woll 1991), so the
 * resulting partition, and each set's representative, do not depend on the order of the calls.
 * @par Thread safety  find and unite may run concurrently; root() after all unites are done.
 */
class concurrent_union_find {
 public:
  explicit concurrent_union_find(std::size_t n) : n_(n), parent_(std::make_unique<std::atomic<std::size_t>[]>(n)) {
    for (std::size_t i = 0; i < n; ++i) parent_[i].store(i, std::memory_order_relaxed);
  }

  [[nodiscard]] std::size_t size() const noexcept { return n_; }

  /// Current representative of x's set (with path halving).
  std::size_t find(std::size_t x) noexcept {
    for (;;) {
      std::size_t p = parent_[x].load(std::memory_order_acquire);
      if (p == x) return x;
      const std::size_t g = parent_[p].load(std::memory_order_acquire);
      if (g != p) parent_[x].compare_exchange_weak(p, g, std::memory_order_acq_rel);
      x = g;
    }
  }

  /// Joins the sets of a and b.
  void unite(std::size_t a, std::size_t b) noexcept {
    for (;;) {
      a = find(a);
      b = find(b);
      if (a == b) return;
      if (a < b) std::swap(a, b);  // link the higher root under the lower
      std::size_t expected = a;
      if (parent_[a].compare_exchange_strong(expected, b, std::memory_order_acq_rel)) return;
    }
  }

 private:
  std::size_t n_;
  std::unique_ptr<std::atomic<std::size_t>[]> parent_;
};

}  // namespace segkit::graph
