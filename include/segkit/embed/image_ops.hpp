#pragma once
/// @file
/// @brief RGB images in memory and the operations model preprocessing needs: bicubic resizing
/// with Pillow's semantics, center crops, and CLIP's preprocessing to a normalized CHW tensor.
/// No decoding here (see image.hpp), so no stb needed.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"

namespace segkit::embed {

/// An 8-bit RGB image, rows top to bottom, pixels as r, g, b.
struct image {
  std::size_t width = 0;
  std::size_t height = 0;
  std::vector<std::uint8_t> rgb;  ///< width x height x 3

  [[nodiscard]] const std::uint8_t* pixel(std::size_t x, std::size_t y) const { return rgb.data() + (y * width + x) * 3; }
};

namespace detail {

/// Keys' cubic convolution kernel with a = -0.5 (Pillow's BICUBIC filter; support 2).
inline double bicubic_kernel(double x) noexcept {
  constexpr double a = -0.5;
  x = std::abs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

/// Pillow's resampling weights for one axis (in -> out pixels), in fixed point with 22 fraction
/// bits: each output pixel's first input index and its integer weights.
struct axis_weights {
  std::vector<std::size_t> first;
  std::vector<std::vector<std::int32_t>> w;
};

inline axis_weights resample_weights(std::size_t in, std::size_t out) {
  constexpr int precision = 22;  // 32 - 8 - 2 bits, as Pillow for 8-bit images
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  const double filter_scale = std::max(scale, 1.0);
  const double support = 2.0 * filter_scale;
  axis_weights a;
  for (std::size_t o = 0; o < out; ++o) {
    const double center = (static_cast<double>(o) + 0.5) * scale;
    const auto lo = static_cast<std::ptrdiff_t>(std::max(0.0, std::trunc(center - support + 0.5)));
    const auto hi = std::min(static_cast<std::ptrdiff_t>(std::trunc(center + support + 0.5)), static_cast<std::ptrdiff_t>(in));
    std::vector<double> k;
    double total = 0.0;
    for (std::ptrdiff_t i = lo; i < hi; ++i) {
      const double v = bicubic_kernel((static_cast<double>(i) - center + 0.5) / filter_scale);
      k.push_back(v);
      total += v;
    }
    std::vector<std::int32_t> fixed;
    for (const double v : k) {
      const double n = total != 0.0 ? v / total : v;
      fixed.push_back(static_cast<std::int32_t>(std::trunc(n * (1 << precision) + (n < 0.0 ? -0.5 : 0.5))));
    }
    a.first.push_back(static_cast<std::size_t>(lo));
    a.w.push_back(std::move(fixed));
  }
  return a;
}

/// One pass along rows (horizontal) or columns, rounding back to 8 bits as Pillow does.
inline image resample_pass(const image& src, std::size_t out, bool horizontal) {
  const std::size_t in = horizontal ? src.width : src.height;
  const auto a = resample_weights(in, out);
  image dst;
  dst.width = horizontal ? out : src.width;
  dst.height = horizontal ? src.height : out;
  dst.rgb.resize(dst.width * dst.height * 3);
  for (std::size_t y = 0; y < dst.height; ++y) {
    for (std::size_t x = 0; x < dst.width; ++x) {
      const std::size_t o = horizontal ? x : y;
      for (std::size_t c = 0; c < 3; ++c) {
        std::int64_t acc = std::int64_t{1} << 21;  // rounding: half of 2^22
        for (std::size_t t = 0; t < a.w[o].size(); ++t) {
          const std::size_t i = a.first[o] + t;
          const std::uint8_t v = horizontal ? src.pixel(i, y)[c] : src.pixel(x, i)[c];
          acc += static_cast<std::int64_t>(v) * a.w[o][t];
        }
        const std::int64_t r = acc >> 22;
        dst.rgb[(y * dst.width + x) * 3 + c] = static_cast<std::uint8_t>(std::clamp<std::int64_t>(r, 0, 255));
      }
    }
  }
  return dst;
}

}  // namespace detail

/**
 * @brief Bicubic resize with Pillow's semantics (Image.resize(..., BICUBIC)): Keys' kernel
 * (a = -0.5) stretched by the scale when shrinking (antialiasing), weights in 22-bit fixed point,
 * a horizontal then a vertical pass, each rounded to 8 bits. Equal to Pillow 9.4 pixel for pixel
 * (tested).
 * @throws segkit::invalid_argument for an empty image or a zero target size.
 */
inline image resize_bicubic(const image& src, std::size_t width, std::size_t height) {
  if (src.width == 0 || src.height == 0 || width == 0 || height == 0) {
    segkit::detail::throw_invalid("segkit::embed::resize_bicubic", fmt::format("cannot resize {} x {} to {} x {}", src.width, src.height, width, height));
  }
  image out = src;
  if (width != src.width) out = detail::resample_pass(out, width, true);
  if (height != src.height) out = detail::resample_pass(out, height, false);
  return out;
}

/// The center `width` x `height` window (offsets rounded half to even, as Python's round).
inline image center_crop(const image& src, std::size_t width, std::size_t height) {
  if (width > src.width || height > src.height) {
    segkit::detail::throw_invalid("segkit::embed::center_crop", fmt::format("cannot crop {} x {} out of {} x {}", width, height, src.width, src.height));
  }
  const auto offset = [](std::size_t from, std::size_t to) { return static_cast<std::size_t>(std::nearbyint(static_cast<double>(from - to) / 2.0)); };
  const std::size_t x0 = offset(src.width, width), y0 = offset(src.height, height);
  image out{width, height, std::vector<std::uint8_t>(width * height * 3)};
  for (std::size_t y = 0; y < height; ++y) std::copy_n(src.pixel(x0, y0 + y), width * 3, out.rgb.data() + y * width * 3);
  return out;
}

/// CLIP's preprocessing parameters (ViT-B/32: 224 and these mean and std).
struct clip_preprocessing {
  std::size_t size = 224;
  std::array<float, 3> mean{0.48145466f, 0.4578275f, 0.40821073f};
  std::array<float, 3> std{0.26862954f, 0.26130258f, 0.27577711f};
};

/**
 * @brief An image as a CLIP model wants it: the shorter side resized to `size` (the longer to
 * floor(size x long / short)) with resize_bicubic, the center size x size square, values / 255,
 * normalized per channel, channels first (3 x size x size floats, to append to an NCHW batch).
 */
inline std::vector<float> clip_pixels(const image& src, const clip_preprocessing& p = {}) {
  if (src.width == 0 || src.height == 0 || p.size == 0) segkit::detail::throw_invalid("segkit::embed::clip_pixels", "empty image or size 0");
  const bool wide = src.width >= src.height;
  const std::size_t short_side = wide ? src.height : src.width, long_side = wide ? src.width : src.height;
  const auto scaled = static_cast<std::size_t>(static_cast<double>(p.size) * static_cast<double>(long_side) / static_cast<double>(short_side));
  const image r = resize_bicubic(src, wide ? scaled : p.size, wide ? p.size : scaled);
  const image c = center_crop(r, p.size, p.size);
  std::vector<float> out(3 * p.size * p.size);
  for (std::size_t ch = 0; ch < 3; ++ch) {
    for (std::size_t i = 0; i < p.size * p.size; ++i) {
      out[ch * p.size * p.size + i] = (static_cast<float>(c.rgb[i * 3 + ch]) / 255.0f - p.mean[ch]) / p.std[ch];
    }
  }
  return out;
}

}  // namespace segkit::embed
