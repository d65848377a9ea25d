#pragma once
/// @file
/// @brief Non-owning read-only views of row-major matrices, and conversion from xtensor.

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"

namespace segkit {

/**
 * @brief A read-only view of `rows x cols` values laid out row by row, `stride` values apart.
 *
 * Makes no copy and owns nothing: the caller keeps the data alive while the view is used.
 * Every algorithm takes its input through this type (or something convertible to it).
 * @par Thread safety  A view is a value; concurrent reads are safe.
 */
template <class T>
class matrix_view {
 public:
  using value_type = T;

  constexpr matrix_view() noexcept = default;

  /// View of `rows` rows of `cols` values, row i starting at `data + i * stride` (stride >= cols).
  constexpr matrix_view(const T* data, std::size_t rows, std::size_t cols, std::size_t stride)
      : data_(data), rows_(rows), cols_(cols), stride_(stride) {
    if (stride < cols) {
      detail::throw_invalid("segkit::matrix_view",
                            fmt::format("row stride ({}) is smaller than the number of columns ({})", stride, cols));
    }
    if (data == nullptr && rows * cols != 0) {
      detail::throw_invalid("segkit::matrix_view", "null data pointer for a non-empty matrix");
    }
  }

  /// View of contiguous rows (stride == cols).
  constexpr matrix_view(const T* data, std::size_t rows, std::size_t cols)
      : matrix_view(data, rows, cols, cols) {}

  [[nodiscard]] constexpr const T* data() const noexcept { return data_; }
  [[nodiscard]] constexpr std::size_t rows() const noexcept { return rows_; }
  [[nodiscard]] constexpr std::size_t cols() const noexcept { return cols_; }
  [[nodiscard]] constexpr std::size_t stride() const noexcept { return stride_; }
  [[nodiscard]] constexpr bool empty() const noexcept { return rows_ == 0 || cols_ == 0; }

  /// Pointer to the first value of row `i` (unchecked).
  [[nodiscard]] constexpr const T* row(std::size_t i) const noexcept { return data_ + i * stride_; }
  /// Row `i` as a span (unchecked).
  [[nodiscard]] constexpr std::span<const T> row_span(std::size_t i) const noexcept { return {row(i), cols_}; }
  /// Value at row `i`, column `j` (unchecked).
  [[nodiscard]] constexpr const T& operator()(std::size_t i, std::size_t j) const noexcept {
    return data_[i * stride_ + j];
  }

  /// Rows [begin, end) as a view of the same data.
  [[nodiscard]] constexpr matrix_view slice(std::size_t begin, std::size_t end) const {
    if (begin > end || end > rows_) {
      detail::throw_invalid("segkit::matrix_view",
                            fmt::format("row range [{}, {}) outside 0..{}", begin, end, rows_));
    }
    return matrix_view(data_ + begin * stride_, end - begin, cols_, stride_);
  }

 private:
  const T* data_ = nullptr;
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::size_t stride_ = 0;
};

/// Owned row-major matrix: the type of every matrix segkit returns.
template <class T>
using matrix = xt::xtensor<T, 2>;

/**
 * @brief A matrix_view that may own an evaluated copy of an expression.
 *
 * Returned by as_rows(): for data already laid out by rows (xtensor containers, row-major strided
 * views, matrix_view) it holds only a view; for anything else (lazy expressions, column-major
 * data, another value type) it evaluates the expression once and views its own copy.
 */
template <class T>
class rows_ref {
 public:
  explicit rows_ref(matrix_view<T> v) : view_(v) {}
  explicit rows_ref(matrix<T>&& owned) : owned_(std::move(owned)) {
    view_ = matrix_view<T>(owned_->data(), owned_->shape(0), owned_->shape(1));
  }
  rows_ref(const rows_ref&) = delete;
  rows_ref& operator=(const rows_ref&) = delete;
  rows_ref(rows_ref&& o) noexcept { *this = std::move(o); }
  rows_ref& operator=(rows_ref&& o) noexcept {
    owned_ = std::move(o.owned_);
    view_ = owned_ ? matrix_view<T>(owned_->data(), owned_->shape(0), owned_->shape(1)) : o.view_;
    return *this;
  }

  [[nodiscard]] const matrix_view<T>& view() const noexcept { return view_; }
  [[nodiscard]] const matrix_view<T>* operator->() const noexcept { return &view_; }
  [[nodiscard]] bool owns() const noexcept { return owned_.has_value(); }
  operator matrix_view<T>() const noexcept { return view_; }  // NOLINT: implicit by design

 private:
  std::optional<matrix<T>> owned_;
  matrix_view<T> view_;
};

namespace detail {
template <class E>
concept xexpression_2d = xt::is_xexpression<std::decay_t<E>>::value;

template <class T, class E>
matrix_view<T> try_direct_view(const E& e, bool& ok) {
  ok = false;
  using D = std::decay_t<E>;
  if constexpr (xt::has_data_interface<D>::value && std::is_same_v<typename D::value_type, T>) {
    if (e.dimension() != 2) return {};
    const auto& st = e.strides();
    const std::size_t r = e.shape()[0];
    const std::size_t c = e.shape()[1];
    const auto s0 = static_cast<std::ptrdiff_t>(st[0]);
    const auto s1 = static_cast<std::ptrdiff_t>(st[1]);
    const bool unit_inner = (s1 == 1 || c <= 1);
    const std::ptrdiff_t row_stride = (r <= 1) ? static_cast<std::ptrdiff_t>(c) : s0;
    if (unit_inner && row_stride >= static_cast<std::ptrdiff_t>(c)) {
      ok = true;
      return matrix_view<T>(e.data() + e.data_offset(), r, c, static_cast<std::size_t>(row_stride));
    }
  }
  return {};
}
}  // namespace detail

/**
 * @brief Turns a 2-D xtensor expression, a matrix_view or an xtensor container into rows of T.
 *
 * No copy is made when the data are already row-major with unit column stride and of type T;
 * otherwise the expression is evaluated (and cast to T) exactly once.
 * @throws segkit::invalid_argument if the expression is not two-dimensional.
 */
template <class T, class E>
rows_ref<T> as_rows(const E& e) {
  if constexpr (std::is_same_v<std::decay_t<E>, matrix_view<T>>) {
    return rows_ref<T>(e);
  } else if constexpr (std::is_same_v<std::decay_t<E>, rows_ref<T>>) {
    return rows_ref<T>(e.view());
  } else {
    static_assert(detail::xexpression_2d<E>, "segkit::as_rows: argument must be an xtensor expression or matrix_view");
    if (e.dimension() != 2) {
      detail::throw_invalid("segkit::as_rows", fmt::format("expected a 2-D matrix, got {} dimension(s)", e.dimension()));
    }
    bool ok = false;
    matrix_view<T> v = detail::try_direct_view<T>(e, ok);
    if (ok) return rows_ref<T>(v);
    matrix<T> owned = xt::cast<T>(e);
    return rows_ref<T>(std::move(owned));
  }
}

/**
 * @brief Throws segkit::invalid_argument naming `component` and the first NaN/Inf found.
 * Cost: one pass over the data.
 */
template <class T>
void require_finite(std::string_view component, std::string_view what, const matrix_view<T>& m) {
  for (std::size_t i = 0; i < m.rows(); ++i) {
    const T* r = m.row(i);
    bool bad = false;
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      // NaN and +-Inf are the values whose exponent bits are all ones; an integer OR-reduction
      // over that test vectorizes, unlike std::isfinite.
      using bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
      constexpr bits exponent = static_cast<bits>(sizeof(T) == 4 ? 0x7F800000ull : 0x7FF0000000000000ull);
      bits any = 0;
      for (std::size_t j = 0; j < m.cols(); ++j) any |= static_cast<bits>((std::bit_cast<bits>(r[j]) & exponent) == exponent);
      bad = any != 0;
    } else {
      for (std::size_t j = 0; j < m.cols(); ++j) bad |= !std::isfinite(static_cast<double>(r[j]));
    }
    if (bad) {
      for (std::size_t j = 0; j < m.cols(); ++j) {
        if (!std::isfinite(r[j])) {
          detail::throw_invalid(component, fmt::format("{} holds a non-finite value ({}) at row {}, column {}", what,
                                                       static_cast<double>(r[j]), i, j));
        }
      }
    }
  }
}

/// Throws segkit::invalid_argument naming `component` if x has no rows, no columns, or a NaN/Inf:
/// the checks every estimator applies to its input rows.
template <class T>
void check_samples(std::string_view component, const matrix_view<T>& x) {
  if (x.rows() == 0) detail::throw_invalid(component, "no samples (x has 0 rows)");
  if (x.cols() == 0) detail::throw_invalid(component, "samples have 0 features");
  require_finite<T>(component, "x", x);
}

/**
 * @brief One weight per sample: all 1 when `given` is empty, else a copy of `given` after
 * checking that it has n values, each finite and >= 0, and (with `positive_total`) not all zero.
 * @throws segkit::invalid_argument naming `component`.
 */
inline std::vector<double> sample_weights(std::string_view component, std::span<const double> given, std::size_t n, bool positive_total) {
  if (given.empty()) return std::vector<double>(n, 1.0);
  if (given.size() != n) detail::throw_invalid(component, fmt::format("{} weights for {} samples", given.size(), n));
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!(given[i] >= 0.0) || !std::isfinite(given[i])) detail::throw_invalid(component, fmt::format("weight {} is {} (must be finite and >= 0)", i, given[i]));
    total += given[i];
  }
  if (positive_total && !(total > 0.0)) detail::throw_invalid(component, "all sample weights are zero");
  return {given.begin(), given.end()};
}

}  // namespace segkit
