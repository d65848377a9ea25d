#pragma once
/// @file
/// @brief The nearest of a small set of centres for each row, by squared Euclidean distance,
/// computed in SIMD registers without a distance matrix: the assignment step of k-means-like
/// methods for low and moderate dimensions.

#include <algorithm>
#include <cstddef>
#include <limits>
#include <vector>

#include "segkit/core/matrix_view.hpp"
#include "segkit/distance/kernels.hpp"

namespace segkit::distance {

/**
 * @brief Centres prepared for assign(): a copy and their squared norms.
 *
 * assign() puts one row per SIMD lane (a transposed block of rows) and walks the centres, so the
 * running minimum and its index are kept per lane with compare-and-select: no distance matrix,
 * no horizontal reduction. Ties go to the lower centre index. Without SIMD, plain loops.
 * @par Thread safety  const; one panel may serve many threads.
 */
template <class T>
class centre_panel {
 public:
  centre_panel() = default;
  explicit centre_panel(const matrix_view<T>& centres)
      : k_(centres.rows()), d_(centres.cols()), centres_(k_ * d_), norms_(k_) {
    for (std::size_t c = 0; c < k_; ++c) {
      std::copy_n(centres.row(c), d_, centres_.data() + c * d_);
      norms_[c] = dot(centres.row(c), centres.row(c), d_);
    }
  }

  [[nodiscard]] std::size_t k() const noexcept { return k_; }
  [[nodiscard]] std::size_t dim() const noexcept { return d_; }

  /**
   * @brief For rows [begin, end) of x: `best[i - begin]` = index of the nearest centre and
   * `score[i - begin]` = |c|^2 - 2 x.c for it (add |x|^2 for the squared distance).
   */
  void assign(const matrix_view<T>& x, std::size_t begin, std::size_t end, std::size_t* best, T* score) const {
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
        const T s = norms_[c] - T{2} * dot(r, centres_.data() + c * d_, d_);
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

  // Centres c0 .. c0 + NC - 1 against the lanes' rows (xt: d x lanes, already scaled by -2).
  template <std::size_t NC>
  void centre_group(const T* xt, std::size_t c0, batch& best_score, batch& best_index) const noexcept {
    batch acc[NC];
    for (std::size_t c = 0; c < NC; ++c) acc[c] = batch(norms_[c0 + c]);
    for (std::size_t j = 0; j < d_; ++j) {
      const batch xj = batch::load_aligned(xt + j * lanes);
      for (std::size_t c = 0; c < NC; ++c) acc[c] = xsimd::fma(xj, batch(centres_[(c0 + c) * d_ + j]), acc[c]);
    }
    for (std::size_t c = 0; c < NC; ++c) {  // strict <: on ties the earlier (lower) centre stays
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
      for (; c0 + 8 <= k_; c0 += 8) centre_group<8>(xt.data(), c0, best_score, best_index);
      for (; c0 + 4 <= k_; c0 += 4) centre_group<4>(xt.data(), c0, best_score, best_index);
      for (; c0 < k_; ++c0) centre_group<1>(xt.data(), c0, best_score, best_index);
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
  std::vector<T> centres_;  // k x d
  std::vector<T> norms_;    // k
};

}  // namespace segkit::distance
