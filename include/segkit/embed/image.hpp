#pragma once
/// @file
/// @brief Images without a model: decoding (stb_image: JPEG, PNG, BMP, GIF, TGA, PSD, HDR, PNM),
/// CIELAB color histograms and downsampled thumbnails as an embedder.
///
/// Needs stb (Debian libstb-dev): link `segkit::images` (CMake) or `$(pkg-config --cflags --libs stb)`.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <stb_image.h>

#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/file.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/params.hpp"
#include "segkit/embed/image_ops.hpp"

namespace segkit::embed {

/**
 * @brief Decodes an image file's bytes into RGB (gray and alpha are converted; 16-bit and HDR
 * images are reduced to 8 bits by stb).
 * @throws segkit::format_error naming `source` and stb's reason for a corrupt or unsupported file.
 */
inline image decode_image(std::span<const char> bytes, std::string_view source = "<image>") {
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw segkit::format_error(fmt::format("{}: image file larger than 2 GiB", source));
  }
  int w = 0, h = 0, channels = 0;
  stbi_uc* data = stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()), &w, &h, &channels, 3);
  if (data == nullptr) {
    const char* why = stbi_failure_reason();
    throw segkit::format_error(fmt::format("{}: cannot decode the image ({})", source, why != nullptr ? why : "unknown reason"));
  }
  image img;
  img.width = static_cast<std::size_t>(w);
  img.height = static_cast<std::size_t>(h);
  img.rgb.assign(data, data + img.width * img.height * 3);
  stbi_image_free(data);
  return img;
}

/// Reads and decodes an image file. @throws segkit::io_error / segkit::format_error.
inline image load_image(const std::filesystem::path& path) {
  const auto bytes = read_file_bytes(path, "segkit::embed::load_image");
  return decode_image(bytes, path.string());
}

/// CIELAB (D65 white, 2-degree observer) of an sRGB color given as 0-255 values.
inline std::array<double, 3> srgb_to_lab(std::uint8_t r8, std::uint8_t g8, std::uint8_t b8) noexcept {
  const auto linear = [](std::uint8_t v) {
    const double c = static_cast<double>(v) / 255.0;
    return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);  // IEC 61966-2-1
  };
  const double r = linear(r8), g = linear(g8), b = linear(b8);
  // sRGB (D65) to XYZ, normalized by the D65 white point.
  const double x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
  const double y = (0.2126729 * r + 0.7151522 * g + 0.0721750 * b);
  const double z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883;
  const auto f = [](double t) {
    constexpr double e = 216.0 / 24389.0, k = 24389.0 / 27.0;  // CIE constants
    return t > e ? std::cbrt(t) : (k * t + 16.0) / 116.0;
  };
  const double fx = f(x), fy = f(y), fz = f(z);
  return {116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)};
}

/// Parameters of image_features.
struct image_feature_params {
  std::size_t l_bins = 4;         ///< lightness bins over [0, 100]
  std::size_t a_bins = 6;         ///< a* bins over [-100, 100] (values beyond go to the end bins)
  std::size_t b_bins = 6;         ///< b* bins over [-100, 100]
  std::size_t thumbnail = 8;      ///< side of the thumbnail (0 = none)
  double histogram_weight = 1.0;  ///< scale of the histogram block (its L2 norm)
  double thumbnail_weight = 1.0;  ///< scale of the thumbnail block (its typical L2 norm)

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = image_feature_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("l_bins", &p::l_bins, "lightness bins over [0, 100]", sp::at_least(1)),
                      sp::field("a_bins", &p::a_bins, "a* bins over [-100, 100] (values beyond go to the end bins)", sp::at_least(1)),
                      sp::field("b_bins", &p::b_bins, "b* bins over [-100, 100]", sp::at_least(1)),
                      sp::field("thumbnail", &p::thumbnail, "side of the thumbnail (0 = none)"),
                      sp::field("histogram_weight", &p::histogram_weight, "scale of the histogram block (its L2 norm)", sp::at_least(0)),
                      sp::field("thumbnail_weight", &p::thumbnail_weight, "scale of the thumbnail block (its typical L2 norm)", sp::at_least(0))};
  }
};

/**
 * @brief Image vectors without a model (satisfies segkit::embedder for segkit::embed::image): a
 * joint CIELAB color histogram, square-rooted so that Euclidean distance is the Hellinger
 * distance (the block has unit norm times histogram_weight), followed by a thumbnail — the
 * center square averaged down to thumbnail x thumbnail RGB cells, centered at 0.5 and scaled so a
 * block's norm is about thumbnail_weight.
 */
class image_features {
 public:
  explicit image_features(image_feature_params params = {}) : p_(params) {
    if (p_.l_bins == 0 || p_.a_bins == 0 || p_.b_bins == 0) segkit::detail::throw_invalid("segkit::embed::image_features", "histogram bins must be at least 1");
  }

  [[nodiscard]] std::size_t dim() const noexcept { return p_.l_bins * p_.a_bins * p_.b_bins + 3 * p_.thumbnail * p_.thumbnail; }

  /// One image's vector. @throws segkit::invalid_argument for an empty image.
  [[nodiscard]] std::vector<float> features(const image& img) const {
    if (img.width == 0 || img.height == 0 || img.rgb.size() != img.width * img.height * 3) {
      segkit::detail::throw_invalid("segkit::embed::image_features", fmt::format("image of {} x {} with {} bytes", img.width, img.height, img.rgb.size()));
    }
    std::vector<float> out(dim(), 0.0f);
    const std::size_t nh = p_.l_bins * p_.a_bins * p_.b_bins;
    std::vector<double> hist(nh, 0.0);
    const auto bin = [](double v, double lo, double hi, std::size_t bins) {
      const double t = (v - lo) / (hi - lo) * static_cast<double>(bins);
      return static_cast<std::size_t>(std::clamp(t, 0.0, static_cast<double>(bins) - 1.0));
    };
    for (std::size_t i = 0; i < img.width * img.height; ++i) {
      const auto lab = srgb_to_lab(img.rgb[i * 3], img.rgb[i * 3 + 1], img.rgb[i * 3 + 2]);
      hist[(bin(lab[0], 0.0, 100.0, p_.l_bins) * p_.a_bins + bin(lab[1], -100.0, 100.0, p_.a_bins)) * p_.b_bins + bin(lab[2], -100.0, 100.0, p_.b_bins)] += 1.0;
    }
    const double total = static_cast<double>(img.width * img.height);
    for (std::size_t k = 0; k < nh; ++k) out[k] = static_cast<float>(p_.histogram_weight * std::sqrt(hist[k] / total));
    const std::size_t t = p_.thumbnail;
    if (t == 0) return out;
    // The center square, averaged over t x t cells (each output cell covers a box of source pixels).
    const std::size_t side = std::min(img.width, img.height), x0 = (img.width - side) / 2, y0 = (img.height - side) / 2;
    const double scale = p_.thumbnail_weight * 2.0 / std::sqrt(static_cast<double>(3 * t * t));
    for (std::size_t cy = 0; cy < t; ++cy) {
      const std::size_t ya = y0 + cy * side / t, yb = std::max(ya + 1, y0 + (cy + 1) * side / t);
      for (std::size_t cx = 0; cx < t; ++cx) {
        const std::size_t xa = x0 + cx * side / t, xb = std::max(xa + 1, x0 + (cx + 1) * side / t);
        double sum[3] = {0.0, 0.0, 0.0};
        for (std::size_t y = ya; y < yb; ++y) {
          for (std::size_t x = xa; x < xb; ++x) {
            for (std::size_t c = 0; c < 3; ++c) sum[c] += img.pixel(x, y)[c];
          }
        }
        const double count = static_cast<double>((yb - ya) * (xb - xa));
        for (std::size_t c = 0; c < 3; ++c) out[nh + (cy * t + cx) * 3 + c] = static_cast<float>(scale * (sum[c] / count / 255.0 - 0.5));
      }
    }
    return out;
  }

  /// One row per image.
  [[nodiscard]] matrix<float> embed(std::span<const image> images) const {
    matrix<float> out = matrix<float>::from_shape({images.size(), dim()});
    for (std::size_t i = 0; i < images.size(); ++i) {
      const auto f = features(images[i]);
      std::copy(f.begin(), f.end(), out.data() + i * dim());
    }
    return out;
  }

 private:
  image_feature_params p_;
};

static_assert(segkit::embedder<image_features, image>);

}  // namespace segkit::embed
