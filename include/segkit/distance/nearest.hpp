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

#if SEGKIT_RUNTIME_AVX2
namespace avx2 {
// center_panel's register kernel compiled for AVX2 + FMA (chosen at run time; core/cpu.hpp).
// Centers c0 .. c0 + NC - 1 against the lanes' rows (xt: d x lanes, already scaled by -2).
template <std::size_t NC, class T>
SEGKIT_TARGET_AVX2 void center_group(const T* xt, const T* centers, const T* norms, std::size_t d, std::size_t c0,
                                     typename lanes<T>::reg& best_score, typename lanes<T>::reg& best_index) noexcept {
  using L = lanes<T>;
  typename L::reg acc[NC];
  for (std::size_t c = 0; c < NC; ++c) acc[c] = L::splat(norms[c0 + c]);
  for (std::size_t j = 0; j < d; ++j) {
    const auto xj = L::load_aligned(xt + j * L::width);
    for (std::size_t c = 0; c < NC; ++c) acc[c] = L::fma(xj, L::splat(centers[(c0 + c) * d + j]), acc[c]);
  }
  for (std::size_t c = 0; c < NC; ++c) {  // strict <: on ties the earlier (lower) center stays
    const auto better = L::less(acc[c], best_score);
    best_score = L::select(better, acc[c], best_score);
    best_index = L::select(better, L::splat(static_cast<T>(c0 + c)), best_index);
  }
}

/// Rows [begin, end) of x against k centers (k x d, row-major) and their squared norms: the
/// nearest center's index and |c|^2 - 2 x.c, as center_panel::assign().
template <class T>
SEGKIT_TARGET_AVX2 void assign_rows(const matrix_view<T>& x, std::size_t begin, std::size_t end, const T* centers, const T* norms,
                                    std::size_t k, std::size_t d, std::size_t* best, T* score) {
  using L = lanes<T>;
  constexpr std::size_t w = L::width;
  std::vector<T, xsimd::aligned_allocator<T, 64>> xt(d * w);
  alignas(64) T s_out[w];
  alignas(64) T i_out[w];
  for (std::size_t r0 = begin; r0 < end; r0 += w) {
    const std::size_t nr = std::min(w, end - r0);
    for (std::size_t l = 0; l < w; ++l) {
      const T* r = x.row(r0 + std::min(l, nr - 1));  // pad by repeating the last row
      for (std::size_t j = 0; j < d; ++j) xt[j * w + l] = T{-2} * r[j];
    }
    auto best_score = L::splat(std::numeric_limits<T>::infinity());
    auto best_index = L::zero();
    std::size_t c0 = 0;  // 8 independent FMA chains hide the FMA latency
    for (; c0 + 8 <= k; c0 += 8) center_group<8>(xt.data(), centers, norms, d, c0, best_score, best_index);
    for (; c0 + 4 <= k; c0 += 4) center_group<4>(xt.data(), centers, norms, d, c0, best_score, best_index);
    for (; c0 < k; ++c0) center_group<1>(xt.data(), centers, norms, d, c0, best_score, best_index);
    L::store_aligned(s_out, best_score);
    L::store_aligned(i_out, best_index);
    for (std::size_t l = 0; l < nr; ++l) {
      best[r0 - begin + l] = static_cast<std::size_t>(i_out[l]);
      score[r0 - begin + l] = s_out[l];
    }
  }
}
}  // namespace avx2
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
      assign_simd(x, begin, end, best, score);
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
#if SEGKIT_SIMD
  using batch = xsimd::batch<T>;
  static constexpr std::size_t lanes = batch::size;

  // Centers c0 .. c0 + NC - 1 against the lanes' rows (xt: d x lanes, already scaled by -2).
  template <std::size_t NC>
  void center_group(const T* xt, std::size_t c0, batch& best_score, batch& best_index) const noexcept {
    batch acc[NC];
    for (std::size_t c = 0; c < NC; ++c) acc[c] = batch(norms_[c0 + c]);
    for (std::size_t j = 0; j < d_; ++j) {
      const batch xj = batch::load_aligned(xt + j * lanes);
      for (std::size_t c = 0; c < NC; ++c) acc[c] = xsimd::fma(xj, batch(centers_[(c0 + c) * d_ + j]), acc[c]);
    }
    for (std::size_t c = 0; c < NC; ++c) {  // strict <: on ties the earlier (lower) center stays
      const auto better = acc[c] < best_score;
      best_score = xsimd::select(better, acc[c], best_score);
      best_index = xsimd::select(better, batch(static_cast<T>(c0 + c)), best_index);
    }
  }

  void assign_simd(const matrix_view<T>& x, std::size_t begin, std::size_t end, std::size_t* best, T* score) const {
    std::vector<T, xsimd::aligned_allocator<T, 64>> xt(d_ * lanes);
    alignas(64) T s_out[lanes];
    alignas(64) T i_out[lanes];
    for (std::size_t r0 = begin; r0 < end; r0 += lanes) {
      const std::size_t nr = std::min(lanes, end - r0);
      for (std::size_t l = 0; l < lanes; ++l) {
        const T* r = x.row(r0 + std::min(l, nr - 1));  // pad by repeating the last row
        for (std::size_t j = 0; j < d_; ++j) xt[j * lanes + l] = T{-2} * r[j];
      }
      batch best_score(std::numeric_limits<T>::infinity());
      batch best_index(T{0});
      std::size_t c0 = 0;  // 8 independent FMA chains hide the FMA latency
      for (; c0 + 8 <= k_; c0 += 8) center_group<8>(xt.data(), c0, best_score, best_index);
      for (; c0 + 4 <= k_; c0 += 4) center_group<4>(xt.data(), c0, best_score, best_index);
      for (; c0 < k_; ++c0) center_group<1>(xt.data(), c0, best_score, best_index);
      best_score.store_aligned(s_out);
      best_index.store_aligned(i_out);
      for (std::size_t l = 0; l < nr; ++l) {
        best[r0 - begin + l] = static_cast<std::size_t>(i_out[l]);
        score[r0 - begin + l] = s_out[l];
      }
    }
  }
#endif

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
