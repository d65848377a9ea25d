#pragma once
/// @file
/// @brief The nearest of a set of centers for each row, by squared Euclidean distance: in SIMD
/// registers without a distance matrix for low and moderate dimensions, by BLAS products above.
/// The assignment step of k-means-like methods and of inverted-list indexes.

#include <algorithm>
#include <cstddef>
#include <limits>
#include <vector>

#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distance/kernels.hpp"
#include "segkit/distance/pairwise.hpp"

namespace segkit::distance {

// center_panel's register kernel, one body compiled per instruction set.
#if SEGKIT_RUNTIME_AVX2
namespace avx2 {
#define SEGKIT_PANEL_TARGET SEGKIT_TARGET_AVX2
#include "segkit/distance/detail/center_panel_kernel.inc"
#undef SEGKIT_PANEL_TARGET
}  // namespace avx2
#endif
#if SEGKIT_SIMD
namespace simd {
#define SEGKIT_PANEL_TARGET
#include "segkit/distance/detail/center_panel_kernel.inc"
#undef SEGKIT_PANEL_TARGET
}  // namespace simd
#endif

/**
 * @brief Centers prepared for assign(): a copy and their squared norms.
 *
 * assign() puts one row per SIMD lane (a transposed block of rows) and walks the centers, so the
 * running minimum and its index are kept per lane with compare-and-select: no distance matrix,
 * no horizontal reduction. Ties go to the lower center index. AVX2 + FMA registers when chosen
 * at run time (core/cpu.hpp), else the compiled-in xsimd ones; without SIMD, plain loops.
 * @par Thread safety  const; one panel may serve many threads.
 */
template <class T>
class center_panel {
 public:
  center_panel() = default;
  explicit center_panel(const matrix_view<T>& centers)
      : k_(centers.rows()), d_(centers.cols()), centers_(k_ * d_), norms_(k_) {
    for (std::size_t c = 0; c < k_; ++c) {
      std::copy_n(centers.row(c), d_, centers_.data() + c * d_);
      norms_[c] = dot(centers.row(c), centers.row(c), d_);
    }
  }

  [[nodiscard]] std::size_t k() const noexcept { return k_; }
  [[nodiscard]] std::size_t dim() const noexcept { return d_; }

  /**
   * @brief For rows [begin, end) of x: `best[i - begin]` = index of the nearest center and
   * `score[i - begin]` = |c|^2 - 2 x.c for it (add |x|^2 for the squared distance).
   */
  void assign(const matrix_view<T>& x, std::size_t begin, std::size_t end, std::size_t* best, T* score) const {
#if SEGKIT_RUNTIME_AVX2
    if constexpr (detail::simd_type<T>) {
      if (cpu::runtime_avx2()) {
        avx2::assign_rows(x, begin, end, centers_.data(), norms_.data(), k_, d_, best, score);
        return;
      }
    }
#endif
#if SEGKIT_SIMD
    if constexpr (detail::simd_type<T>) {
      simd::assign_rows(x, begin, end, centers_.data(), norms_.data(), k_, d_, best, score);
      return;
    }
#endif
    for (std::size_t i = begin; i < end; ++i) {
      const T* r = x.row(i);
      std::size_t b = 0;
      T s_best = std::numeric_limits<T>::infinity();
      for (std::size_t c = 0; c < k_; ++c) {
        const T s = norms_[c] - T{2} * dot(r, centers_.data() + c * d_, d_);
        if (s < s_best) {
          s_best = s;
          b = c;
        }
      }
      best[i - begin] = b;
      score[i - begin] = s_best;
    }
  }

 private:
  std::size_t k_ = 0, d_ = 0;
  std::vector<T> centers_;  // k x d
  std::vector<T> norms_;    // k
};
/// Rows per work item of nearest_centers(): fixed, so results do not depend on the thread count.
inline constexpr std::size_t nearest_grain = 2048;
/// Up to this dimension rows are scored against centers in SIMD registers (center_panel); above
/// it, one BLAS product per block of rows is faster.
inline constexpr std::size_t panel_max_dim = 64;

/**
 * @brief Nearest center of rows [b, e) of x by squared Euclidean distance, ties to the lower
 * center: in SIMD registers (center_panel) up to panel_max_dim dimensions, else by BLAS products.
 *
 * Writes labels[i] and, when `dist` is given, dist[i] = the squared distance to that center:
 * recomputed with the exact kernel if `exact`, else the matrix-product value (enough to rank
 * rows). `x_terms` and `c_terms` are row_norm_terms<squared_l2_metric> of x and c; `buffer` is
 * scratch space reused between calls.
 */
template <class T>
void nearest_centers_block(const matrix_view<T>& x, std::size_t b, std::size_t e, const matrix_view<T>& c, const std::vector<T>& x_terms,
                           const std::vector<T>& c_terms, label_type* labels, T* dist, std::vector<T>& buffer, bool exact = true) {
  const std::size_t k = c.rows();
  if (c.cols() <= panel_max_dim) {
    const center_panel<T> panel(c);
    std::vector<std::size_t> best(e - b);
    buffer.resize(e - b);
    panel.assign(x, b, e, best.data(), buffer.data());
    for (std::size_t i = b; i < e; ++i) {
      labels[i] = static_cast<label_type>(best[i - b]);
      if (dist != nullptr) {
        dist[i] = exact ? squared_l2(x.row(i), c.row(best[i - b]), x.cols()) : std::max(T{0}, buffer[i - b] + x_terms[i]);
      }
    }
    return;
  }
  buffer.resize((e - b) * k);
  distance_block<squared_l2_metric, T>(squared_l2_metric{}, x.slice(b, e), c, x_terms.data() + b, c_terms.data(), buffer.data(), k, true);
  for (std::size_t i = b; i < e; ++i) {
    const T* row = buffer.data() + (i - b) * k;
    std::size_t best = 0;
    for (std::size_t j = 1; j < k; ++j) best = row[j] < row[best] ? j : best;
    labels[i] = static_cast<label_type>(best);
    if (dist != nullptr) dist[i] = exact ? squared_l2(x.row(i), c.row(best), x.cols()) : row[best];
  }
}

/**
 * @brief Nearest center of every row of x (ties to the lower center index), in parallel: the
 * assignment step of k-means and of inverted-list indexes.
 * @param x        rows (n x d).
 * @param centers  centers (k x d, k >= 1).
 * @param threads  0 = all hardware threads; the result does not depend on it.
 */
template <class T>
[[nodiscard]] xt::xtensor<label_type, 1> nearest_centers(const matrix_view<T>& x, const matrix_view<T>& centers, std::size_t threads = 0) {
  xt::xtensor<label_type, 1> out = xt::xtensor<label_type, 1>::from_shape({x.rows()});
  const auto x_terms = row_norm_terms<squared_l2_metric>(x);
  const auto c_terms = row_norm_terms<squared_l2_metric>(centers);
  executor ex(threads);
  parallel_for(ex, x.rows(), nearest_grain, [&](std::size_t b, std::size_t e, std::size_t) {
    std::vector<T> buffer;
    nearest_centers_block<T>(x, b, e, centers, x_terms, c_terms, out.data(), nullptr, buffer);
  });
  return out;
}

}  // namespace segkit::distance
