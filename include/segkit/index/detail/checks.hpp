#pragma once
// Input checks shared by the indexes: rows to store, ids to add or upsert, queries.

#include <algorithm>
#include <cstddef>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/types.hpp"

namespace segkit::index::detail {

// One id per row, the index's dimension, no reserved id, finite values.
template <class T>
void check_rows(std::string_view component, std::span<const id_type> ids, const matrix_view<T>& rows, std::size_t dim) {
  if (ids.size() != rows.rows()) segkit::detail::throw_invalid(component, fmt::format("{} ids for {} rows", ids.size(), rows.rows()));
  if (rows.rows() != 0 && rows.cols() != dim) segkit::detail::throw_invalid(component, fmt::format("rows have {} columns, the index has dimension {}", rows.cols(), dim));
  for (auto id : ids) {
    if (id == no_id) segkit::detail::throw_invalid(component, "id 2^64-1 is reserved (segkit::no_id)");
  }
  require_finite<T>(component, "rows", rows);
}

// No id twice in one call; with `stored` (add), none already in the index.
template <class Stored>
void check_ids(std::string_view component, std::span<const id_type> ids, Stored&& stored, bool must_be_new) {
  std::unordered_set<id_type> fresh;
  fresh.reserve(ids.size());
  for (auto id : ids) {
    if (must_be_new && stored(id)) segkit::detail::throw_invalid(component, fmt::format("id {} is already stored (use upsert to replace it)", id));
    if (!fresh.insert(id).second) segkit::detail::throw_invalid(component, fmt::format("id {} appears twice in one call", id));
  }
}

// k >= 1, the index's dimension, finite values.
template <class T>
void check_queries(std::string_view component, const matrix_view<T>& q, std::size_t k, std::size_t dim) {
  if (k == 0) segkit::detail::throw_invalid(component, "k must be at least 1");
  if (q.rows() != 0 && q.cols() != dim) segkit::detail::throw_invalid(component, fmt::format("queries have {} columns, the index has dimension {}", q.cols(), dim));
  require_finite<T>(component, "queries", q);
}

// The columns of a search's answer: k, but no more than the vectors stored (one column when none
// are, so that each query's row says "nothing found"). nq x that many results, ids and distances,
// must be addressable: an absurd k (2^60) is capped, and nq x k is checked for overflow.
inline std::size_t result_width(std::string_view component, std::size_t nq, std::size_t k, std::size_t stored) {
  const std::size_t width = std::min(k, std::max<std::size_t>(stored, 1));
  constexpr std::size_t max_cells = static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max()) / 16;
  if (nq != 0 && width > max_cells / nq) segkit::detail::throw_invalid(component, fmt::format("{} queries x {} neighbors is more results than memory can address", nq, width));
  return width;
}

// A writer-preferring reader-writer lock that a copy of its owner does not share (a copied or
// moved index gets a fresh, unlocked one). glibc's shared_mutex lets a stream of readers starve
// a writer; here every reader and writer first passes `gate`, and a writer keeps the gate while
// it waits for the readers inside to leave, so no new reader overtakes it.
struct rw_lock {
  mutable std::shared_mutex mutex;
  mutable std::mutex gate;
  rw_lock() = default;
  rw_lock(const rw_lock&) noexcept {}
  rw_lock& operator=(const rw_lock&) noexcept { return *this; }
  [[nodiscard]] std::shared_lock<std::shared_mutex> read() const {
    const std::lock_guard<std::mutex> pass(gate);
    return std::shared_lock<std::shared_mutex>(mutex);
  }
  [[nodiscard]] std::unique_lock<std::shared_mutex> write() const {
    const std::lock_guard<std::mutex> pass(gate);
    return std::unique_lock<std::shared_mutex>(mutex);
  }
};

// nq x k result rows with no neighbor yet: segkit::no_id at an infinite distance (-inf for
// similarities, where larger is closer).
template <class Metric, class T>
knn_result<T> empty_result(std::size_t nq, std::size_t k) {
  knn_result<T> out{xt::xtensor<id_type, 2>::from_shape({nq, k}), xt::xtensor<T, 2>::from_shape({nq, k})};
  out.ids.fill(no_id);
  out.distances.fill(Metric::higher_is_closer ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity());
  return out;
}

// Members every mutable index offers the same way: add/upsert/train for any 2-D xtensor
// expression (forwarded as a matrix_view), and upsert as remove + add. The derived index
// declares `using mutations<...>::add;` (and upsert) so that its own overloads do not hide these.
// Mutations of an index opened read-only with open_mapped() throw this.
inline void require_writable(bool mapped, const std::string& component) {
  if (mapped) segkit::detail::throw_invalid(component, "the index was opened read-only with open_mapped(); load() gives a writable copy");
}

template <class Derived, class T>
class mutations {
 public:
  template <class E>
    requires(!std::is_same_v<std::decay_t<E>, matrix_view<T>>)
  void add(std::span<const id_type> ids, const E& rows) {
    self().add(ids, as_rows<T>(rows).view());
  }

  /// Stores rows under ids, replacing the vectors of ids already stored: all of the batch or,
  /// when anything about it is refused, none (every check runs before the first change), and
  /// under one write lock, so a search sees the index before or after the whole batch.
  void upsert(std::span<const id_type> ids, matrix_view<T> rows) {
    Derived& s = self();
    const std::string comp = s.component("upsert");
    check_rows<T>(comp, ids, rows, s.dim());
    require_writable(s.mapped(), comp);
    check_ids(comp, ids, [](id_type) { return false; }, false);
    s.check_values(comp, rows);
    const auto lock = s.lock_.write();
    s.check_add_locked(comp, ids, rows, true);
    for (auto id : ids) s.remove_locked(id);
    s.add_locked(ids, rows);
  }
  template <class E>
    requires(!std::is_same_v<std::decay_t<E>, matrix_view<T>>)
  void upsert(std::span<const id_type> ids, const E& rows) {
    upsert(ids, as_rows<T>(rows).view());
  }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
};

}  // namespace segkit::index::detail
