#pragma once
/// @file
/// @brief Power-of-two complex FFTs and circular 2-D convolution with a real, even kernel (used by
/// the interpolation-based t-SNE gradient). Internal.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <vector>

#include "segkit/core/error.hpp"
#include "segkit/core/parallel.hpp"

namespace segkit::reduce::detail {

/// Smallest power of two >= v (v >= 1).
[[nodiscard]] inline std::size_t next_power_of_two(std::size_t v) {
  std::size_t m = 1;
  while (m < v) m <<= 1;
  return m;
}

/**
 * @brief An unscaled radix-2 Cooley-Tukey transform of one power-of-two length m (bit-reversal
 * permutation, then log2(m) butterfly stages with per-stage twiddle tables), applied to strips of
 * columns of a row-major grid held as separate real and imaginary arrays.
 *
 * columns() transforms every column in [first, first + count): element t of column c at
 * `re[t * stride + c]`, `im[...]`. Columns go in strips of 8, whose butterflies run along
 * contiguous memory (vectorized). The inverse uses conjugate twiddles and is not divided by m.
 * Each strip is independent: the same bits for any thread count.
 */
class fft_plan {
 public:
  static constexpr std::size_t strip = 16;

  explicit fft_plan(std::size_t m = 1) : m_(m), reversed_(m) {
    if (m == 0 || (m & (m - 1)) != 0) throw invalid_argument("segkit: fft length must be a power of two");
    std::size_t bits = 0;
    while ((std::size_t{1} << bits) < m) ++bits;
    for (std::size_t t = 0; t < m; ++t) {
      std::size_t r = 0;
      for (std::size_t b = 0; b < bits; ++b) r |= ((t >> b) & 1u) << (bits - 1 - b);
      reversed_[t] = r;
    }
    // Stage with half-length h uses exp(-2 pi i j / (2 h)), j < h; tables concatenated (m - 1 entries).
    for (std::size_t h = 1; h < m; h <<= 1) {
      for (std::size_t j = 0; j < h; ++j) {
        const double a = -std::numbers::pi * static_cast<double>(j) / static_cast<double>(h);
        cos_.push_back(std::cos(a));
        sin_.push_back(std::sin(a));
      }
    }
  }

  [[nodiscard]] std::size_t size() const noexcept { return m_; }

  /// Transforms columns [first, first + count) of a grid with m rows and row length `stride`.
  void columns(double* re, double* im, std::size_t stride, std::size_t first, std::size_t count, bool inverse, executor& ex) const {
    if (m_ == 1 || count == 0) return;
    const std::size_t strips = (count + strip - 1) / strip;
    parallel_for(ex, strips, std::max<std::size_t>(1, 4096 / m_), [&](std::size_t b, std::size_t e, std::size_t) {
      // A strip is copied to contiguous memory first: with a power-of-two row stride its rows
      // would all fall into the same cache sets.
      std::vector<double> buf_re(m_ * strip), buf_im(m_ * strip);
      for (std::size_t s = b; s < e; ++s) {
        const std::size_t c = first + s * strip, w = std::min(strip, first + count - c);
        for (std::size_t t = 0; t < m_; ++t) {
          std::copy_n(re + t * stride + c, w, buf_re.data() + t * w);
          std::copy_n(im + t * stride + c, w, buf_im.data() + t * w);
        }
        run(buf_re.data(), buf_im.data(), w, inverse);
        for (std::size_t t = 0; t < m_; ++t) {
          std::copy_n(buf_re.data() + t * w, w, re + t * stride + c);
          std::copy_n(buf_im.data() + t * w, w, im + t * stride + c);
        }
      }
    });
  }

  /**
   * Transforms each of `count` contiguous rows of length m (row r at re + r * m), in groups of
   * `strip` rows turned into columns of a small buffer; `between(group_first_row, rows, buf_re,
   * buf_im)` may work on the transformed group (element t of row k at buf[t * rows + k]) before it
   * is written back, so `between` can run a pointwise product and the inverse while the group is
   * in cache (pass `invert_after = true` for that).
   */
  template <class Between>
  void rows(double* re, double* im, std::size_t count, bool inverse, bool invert_after, Between&& between, executor& ex) const {
    const std::size_t groups = (count + strip - 1) / strip;
    parallel_for(ex, groups, std::max<std::size_t>(1, 4096 / m_), [&](std::size_t b, std::size_t e, std::size_t) {
      std::vector<double> buf_re(m_ * strip), buf_im(m_ * strip);
      for (std::size_t g = b; g < e; ++g) {
        const std::size_t r0 = g * strip, w = std::min(strip, count - r0);
        for (std::size_t k = 0; k < w; ++k) {
          const double* sr = re + (r0 + k) * m_;
          const double* si = im + (r0 + k) * m_;
          for (std::size_t t = 0; t < m_; ++t) {
            buf_re[t * w + k] = sr[t];
            buf_im[t * w + k] = si[t];
          }
        }
        run(buf_re.data(), buf_im.data(), w, inverse);
        between(r0, w, buf_re.data(), buf_im.data());
        if (invert_after) run(buf_re.data(), buf_im.data(), w, !inverse);
        for (std::size_t k = 0; k < w; ++k) {
          double* dr = re + (r0 + k) * m_;
          double* di = im + (r0 + k) * m_;
          for (std::size_t t = 0; t < m_; ++t) {
            dr[t] = buf_re[t * w + k];
            di[t] = buf_im[t * w + k];
          }
        }
      }
    });
  }

 private:
  void run(double* re, double* im, std::size_t width, bool inverse) const {
    if (m_ == 1) return;
    if (width == strip) {
      transform<strip>(re, im, strip, strip, inverse);
    } else {
      transform<0>(re, im, width, width, inverse);
    }
  }

  /// One strip of `width` columns (W > 0 fixes it at compile time).
  template <std::size_t W>
  void transform(double* re, double* im, std::size_t stride, std::size_t width_runtime, bool inverse) const {
    const std::size_t width = W != 0 ? W : width_runtime;
    for (std::size_t t = 0; t < m_; ++t) {
      const std::size_t r = reversed_[t];
      if (t < r) {
        std::swap_ranges(re + t * stride, re + t * stride + width, re + r * stride);
        std::swap_ranges(im + t * stride, im + t * stride + width, im + r * stride);
      }
    }
    const double sign = inverse ? -1.0 : 1.0;
    std::size_t table = 0;
    for (std::size_t h = 1; h < m_; table += h, h <<= 1) {
      for (std::size_t start = 0; start < m_; start += 2 * h) {
        for (std::size_t j = 0; j < h; ++j) {
          const double wr = cos_[table + j], wi = sign * sin_[table + j];
          double* __restrict ar = re + (start + j) * stride;
          double* __restrict ai = im + (start + j) * stride;
          double* __restrict br = re + (start + j + h) * stride;
          double* __restrict bi = im + (start + j + h) * stride;
          for (std::size_t s = 0; s < width; ++s) {
            const double xr = br[s] * wr - bi[s] * wi, xi = br[s] * wi + bi[s] * wr;
            br[s] = ar[s] - xr;
            bi[s] = ai[s] - xi;
            ar[s] += xr;
            ai[s] += xi;
          }
        }
      }
    }
  }

  std::size_t m_;
  std::vector<std::size_t> reversed_;
  std::vector<double> cos_, sin_;
};

/**
 * @brief Circular convolution on an mx x my row-major grid with a real kernel that is even in
 * both axes (so its transform is real), by 2-D FFTs: first-axis transforms on column strips, then
 * per group of rows the second-axis transform, the product with the kernel's spectrum and the
 * inverse while the group is in cache, then the inverse first-axis transforms. No transposes.
 *
 * Inputs are non-zero only in a leading block and only that block of the output is wanted (the
 * zero-padded linear convolution of interpolation methods), so the first-axis transforms run on
 * the block's columns alone.
 */
class grid_convolution {
 public:
  grid_convolution() = default;

  /**
   * @brief Sets the grid size and the kernel: `kernel(sx, sy)` for signed offsets with
   * |sx| < rows, |sy| < cols (circular wrap-around of the offsets is done here).
   * @pre 2 rows - 1 <= mx and 2 cols - 1 <= my, both powers of two.
   */
  template <class Kernel>
  void set(std::size_t mx, std::size_t my, std::size_t rows, std::size_t cols, Kernel&& kernel, executor& ex) {
    if (mx != x_plan_.size()) x_plan_ = fft_plan(mx);
    if (my != y_plan_.size()) y_plan_ = fft_plan(my);
    mx_ = mx;
    my_ = my;
    std::vector<double> k_re(mx * my, 0.0), k_im(mx * my, 0.0);
    const auto offset = [](std::size_t index, std::size_t m, std::size_t used, long& s) {
      if (index < used) {
        s = static_cast<long>(index);
        return true;
      }
      if (index + used > m) {  // m - index < used: a negative offset
        s = static_cast<long>(index) - static_cast<long>(m);
        return true;
      }
      return false;
    };
    for (std::size_t ix = 0; ix < mx; ++ix) {
      long sx = 0;
      if (!offset(ix, mx, rows, sx)) continue;
      for (std::size_t iy = 0; iy < my; ++iy) {
        long sy = 0;
        if (offset(iy, my, cols, sy)) k_re[ix * my + iy] = kernel(sx, sy);
      }
    }
    x_plan_.columns(k_re.data(), k_im.data(), my, 0, my, false, ex);
    y_plan_.rows(k_re.data(), k_im.data(), mx, false, false, [](std::size_t, std::size_t, double*, double*) {}, ex);
    const double scale = 1.0 / static_cast<double>(mx * my);
    spectrum_.resize(mx * my);
    for (std::size_t i = 0; i < mx * my; ++i) spectrum_[i] = k_re[i] * scale;
  }

  /**
   * @brief Convolves the grid (re, im: mx x my) in place. The input must be zero outside a
   * leading block of at most the kernel's rows x cols, with `used_cols` columns; only that block
   * of the result is valid afterwards.
   */
  void apply(double* re, double* im, std::size_t used_cols, executor& ex) const {
    x_plan_.columns(re, im, my_, 0, used_cols, false, ex);
    y_plan_.rows(re, im, mx_, false, true,
                 [&](std::size_t r0, std::size_t w, double* br, double* bi) {
                   for (std::size_t t = 0; t < my_; ++t) {
                     for (std::size_t k = 0; k < w; ++k) {
                       const double f = spectrum_[(r0 + k) * my_ + t];
                       br[t * w + k] *= f;
                       bi[t * w + k] *= f;
                     }
                   }
                 },
                 ex);
    x_plan_.columns(re, im, my_, 0, used_cols, true, ex);
  }

 private:
  fft_plan x_plan_, y_plan_;
  std::size_t mx_ = 1, my_ = 1;
  std::vector<double> spectrum_;
};

}  // namespace segkit::reduce::detail
