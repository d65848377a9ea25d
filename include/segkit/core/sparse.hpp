#pragma once
/// @file
/// @brief A compressed sparse row (CSR) matrix: what TF-IDF and other count features produce.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"

namespace segkit {

/**
 * @brief A rows x cols sparse matrix in CSR form: row i's entries are
 * `indices[indptr[i] .. indptr[i + 1])` (column numbers, ascending, no repeats) with `values`
 * alongside. A plain struct; check() says whether the invariants hold.
 */
template <class T = float>
struct csr_matrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<std::size_t> indptr{0};   ///< rows + 1 offsets
  std::vector<std::uint32_t> indices;  ///< column of each stored value
  std::vector<T> values;               ///< stored values

  [[nodiscard]] std::size_t nnz() const noexcept { return values.size(); }
  /// Columns of row i.
  [[nodiscard]] std::span<const std::uint32_t> row_indices(std::size_t i) const {
    return {indices.data() + indptr[i], indptr[i + 1] - indptr[i]};
  }
  /// Values of row i.
  [[nodiscard]] std::span<const T> row_values(std::size_t i) const { return {values.data() + indptr[i], indptr[i + 1] - indptr[i]}; }

  /// @throws segkit::invalid_argument naming the broken invariant (sizes, order, range, NaN/Inf).
  void check(const char* component) const {
    if (indptr.size() != rows + 1 || indptr.front() != 0 || indptr.back() != values.size() || indices.size() != values.size()) {
      detail::throw_invalid(component, fmt::format("sparse matrix: indptr has {} offsets for {} rows, {} indices, {} values", indptr.size(), rows,
                                                   indices.size(), values.size()));
    }
    for (std::size_t i = 0; i < rows; ++i) {
      if (indptr[i + 1] < indptr[i]) detail::throw_invalid(component, fmt::format("sparse matrix: indptr decreases at row {}", i));
      for (std::size_t e = indptr[i]; e < indptr[i + 1]; ++e) {
        if (indices[e] >= cols) detail::throw_invalid(component, fmt::format("sparse matrix: column {} in row {} is not below {}", indices[e], i, cols));
        if (e > indptr[i] && indices[e] <= indices[e - 1]) {
          detail::throw_invalid(component, fmt::format("sparse matrix: columns of row {} are not strictly ascending", i));
        }
        if (!std::isfinite(static_cast<double>(values[e]))) detail::throw_invalid(component, fmt::format("sparse matrix: non-finite value in row {}", i));
      }
    }
  }

  /// The dense rows x cols matrix (for small inputs and tests).
  [[nodiscard]] matrix<T> dense() const {
    matrix<T> out = matrix<T>::from_shape({rows, cols});
    std::fill(out.begin(), out.end(), T(0));
    for (std::size_t i = 0; i < rows; ++i) {
      for (std::size_t e = indptr[i]; e < indptr[i + 1]; ++e) out(i, indices[e]) = values[e];
    }
    return out;
  }
};

}  // namespace segkit
