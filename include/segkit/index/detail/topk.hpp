#pragma once
// Bounded selection of the best candidates by (score, id): smaller score first, then smaller id.

#include <algorithm>
#include <cstddef>
#include <vector>

#include "segkit/core/types.hpp"

namespace segkit::index::detail {

template <class T>
struct candidate {
  T score;              // smaller is closer, for every metric
  segkit::id_type id;   // tie-breaker, reported to the caller
  std::size_t slot;     // where the vector is stored
};

template <class T>
constexpr bool better(const candidate<T>& a, const candidate<T>& b) noexcept {
  return a.score < b.score || (a.score == b.score && a.id < b.id);
}

// Keeps the `capacity` best candidates pushed so far; front() is the worst of them.
template <class T>
class bounded_heap {
 public:
  explicit bounded_heap(std::size_t capacity = 0) : capacity_(capacity) { heap_.reserve(capacity); }

  void reset(std::size_t capacity) {
    capacity_ = capacity;
    heap_.clear();
    heap_.reserve(capacity);
  }
  [[nodiscard]] bool admits(T score, segkit::id_type id) const noexcept {
    if (heap_.size() < capacity_) return true;
    const auto& w = heap_.front();
    return score < w.score || (score == w.score && id < w.id);
  }
  [[nodiscard]] bool full() const noexcept { return heap_.size() >= capacity_; }
  [[nodiscard]] T worst_score() const noexcept { return heap_.front().score; }
  void push(const candidate<T>& c) {
    if (heap_.size() < capacity_) {
      heap_.push_back(c);
      std::push_heap(heap_.begin(), heap_.end(), better<T>);
    } else {
      std::pop_heap(heap_.begin(), heap_.end(), better<T>);
      heap_.back() = c;
      std::push_heap(heap_.begin(), heap_.end(), better<T>);
    }
  }
  [[nodiscard]] const std::vector<candidate<T>>& items() const noexcept { return heap_; }

 private:
  std::size_t capacity_;
  std::vector<candidate<T>> heap_;
};

}  // namespace segkit::index::detail
