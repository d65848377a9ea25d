#pragma once
/// @file
/// @brief Image embeddings from an ONNX image model with CLIP's image-tower signature
/// (pixel_values [batch, 3, size, size] -> image_embeds), with CLIP's preprocessing.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/concepts.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/embed/image_ops.hpp"
#include "segkit/embed/onnx.hpp"

namespace segkit::embed {

/// Parameters of onnx_image_embedder.
struct onnx_image_params {
  std::filesystem::path model;           ///< the .onnx file (e.g. CLIP ViT-B/32's vision tower with its projection)
  clip_preprocessing preprocessing{};    ///< size, mean, std (taken from the model's input when its size is fixed)
  bool normalize = true;                 ///< unit-length vectors (CLIP compares by cosine)
  std::size_t batch_size = 16;           ///< images per run
  onnx_session_options session{};        ///< runtime path, threads, graph optimization
};

/**
 * @brief Image vectors from an ONNX model (satisfies segkit::embedder for segkit::embed::image):
 * each image through clip_pixels(), batches as NCHW float32 `pixel_values`, the output
 * `image_embeds` (or the model's first rank-2 output), L2-normalized.
 * @par Thread safety  embed() may run concurrently.
 */
class onnx_image_embedder {
 public:
  /// @throws segkit::error for a missing runtime or model, a model without a 4-D float input or a rank-2 output.
  explicit onnx_image_embedder(const onnx_image_params& p) : p_(p), session_(p.model, p.session) {
    if (p_.batch_size == 0) segkit::detail::throw_invalid("segkit::embed::onnx_image", "batch_size must be at least 1");
    if (session_.inputs().size() != 1 || session_.inputs()[0].shape.size() != 4 || session_.inputs()[0].type != onnx_type::float32) {
      onnx_runtime::fail("an image model needs exactly one float input of shape [batch, 3, size, size]");
    }
    input_ = session_.inputs()[0].name;
    const auto& shape = session_.inputs()[0].shape;
    if (shape[2] > 0 && shape[2] == shape[3]) p_.preprocessing.size = static_cast<std::size_t>(shape[2]);  // the model knows its size
    for (const auto& out : session_.outputs()) {
      if (out.name == "image_embeds") output_ = out.name;
    }
    for (const auto& out : session_.outputs()) {
      if (output_.empty() && out.shape.size() == 2) output_ = out.name;
    }
    if (output_.empty()) onnx_runtime::fail("the model has no rank-2 output (image_embeds)");
    const std::vector<image> probe{image{1, 1, {128, 128, 128}}};
    dim_ = embed(probe).shape(1);
  }

  [[nodiscard]] std::size_t dim() const noexcept { return dim_; }
  [[nodiscard]] const onnx_session& session() const noexcept { return session_; }

  /// One row per image; an image's vector does not depend on its batch.
  [[nodiscard]] matrix<float> embed(std::span<const image> images) const {
    matrix<float> out;
    const std::size_t s = p_.preprocessing.size, per = 3 * s * s;
    for (std::size_t b = 0; b < images.size(); b += p_.batch_size) {
      const std::size_t e = std::min(images.size(), b + p_.batch_size), n = e - b;
      onnx_tensor<float> pixels{{static_cast<std::int64_t>(n), 3, static_cast<std::int64_t>(s), static_cast<std::int64_t>(s)}, std::vector<float>(n * per)};
      for (std::size_t i = 0; i < n; ++i) {
        const auto px = clip_pixels(images[b + i], p_.preprocessing);
        std::copy(px.begin(), px.end(), pixels.data.begin() + static_cast<std::ptrdiff_t>(i * per));
      }
      const auto r = session_.run(std::unordered_map<std::string, onnx_tensor<float>>{{input_, std::move(pixels)}}, output_);
      if (r.shape.size() != 2 || r.shape[0] != static_cast<std::int64_t>(n)) {
        onnx_runtime::fail(fmt::format("output '{}' has shape [{}] for {} images", output_, fmt::join(r.shape, ", "), n));
      }
      const auto d = static_cast<std::size_t>(r.shape[1]);
      if (b == 0) out = matrix<float>::from_shape({images.size(), d});
      for (std::size_t i = 0; i < n; ++i) {
        double norm = 0.0;
        for (std::size_t j = 0; j < d; ++j) norm += static_cast<double>(r.data[i * d + j]) * r.data[i * d + j];
        const double f = p_.normalize && norm > 0.0 ? 1.0 / std::sqrt(norm) : 1.0;
        for (std::size_t j = 0; j < d; ++j) out(b + i, j) = static_cast<float>(r.data[i * d + j] * f);
      }
    }
    if (images.empty()) out = matrix<float>::from_shape({0, dim_});
    return out;
  }

 private:
  onnx_image_params p_;
  onnx_session session_;
  std::string input_, output_;
  std::size_t dim_ = 0;
};

static_assert(segkit::embedder<onnx_image_embedder, image>);

}  // namespace segkit::embed
