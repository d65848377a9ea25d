#pragma once
/// @file
/// @brief A fitted default segmentation kept for later: the LSA embedder, the k-means centers and
/// the segment names, which assign new texts to segments and are saved to / loaded from one
/// checksummed file (`segkit segment --model-out`, `segkit assign`).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/binary_format.hpp"
#include "segkit/core/error.hpp"
#include "segkit/embed/lsa.hpp"
#include "segkit/pipeline/segment.hpp"

namespace segkit::pipeline {

/**
 * @brief What assigning new texts to the segments of a k-means segment_texts() needs.
 *
 * @code
 * auto s = segkit::pipeline::segment_texts(texts, {.seed = 1});
 * auto model = segkit::pipeline::segment_model::from(s);
 * model.save("products.segmodel");                       // atomic, checksummed
 * auto later = segkit::pipeline::segment_model::load("products.segmodel");
 * auto labels = later.assign(new_texts);                   // -1 for a text with no known term
 * @endcode
 * @par Thread safety  assign() is const and safe to call concurrently.
 */
struct segment_model {
  embed::lsa_model embedder;       ///< TF-IDF vocabulary and idf, SVD directions
  matrix<float> centers;           ///< k x d unit centers (spherical k-means)
  std::vector<std::string> names;  ///< per segment label

  /// The model of a k-means segmentation made by segment_texts().
  /// @throws segkit::invalid_argument if `s` has no centers (HDBSCAN) or no fitted embedder (segment_vectors).
  static segment_model from(const segmentation& s) {
    constexpr const char* comp = "segkit::pipeline::segment_model::from";
    if (s.centers.size() == 0) segkit::detail::throw_invalid(comp, "the segmentation has no centers (only k-means segmentations can assign new records)");
    if (s.embedder.dim() == 0) segkit::detail::throw_invalid(comp, "the segmentation has no fitted embedder (made by segment_vectors: embed new records yourself)");
    segment_model m;
    m.embedder = s.embedder;
    m.centers = s.centers;
    for (std::size_t l = 0; l < s.centers.shape(0); ++l) {
      const auto it = s.names.find(static_cast<label_type>(l));
      m.names.push_back(it != s.names.end() ? it->second : fmt::format("segment-{}", l));
    }
    return m;
  }

  /// Segment of each text: the center of highest cosine similarity; -1 for a text none of whose
  /// terms is in the vocabulary (it embeds as the zero vector). Ties go to the lower label.
  [[nodiscard]] xt::xtensor<label_type, 1> assign(std::span<const std::string> texts) const {
    const auto e = embedder.embed(texts);
    const std::size_t n = e.shape(0), d = e.shape(1), k = centers.shape(0);
    xt::xtensor<label_type, 1> out = xt::xtensor<label_type, 1>::from_shape({n});
    for (std::size_t i = 0; i < n; ++i) {
      double norm = 0.0;
      for (std::size_t j = 0; j < d; ++j) norm += static_cast<double>(e(i, j)) * static_cast<double>(e(i, j));
      if (norm <= 0.0) {
        out(i) = noise_label;
        continue;
      }
      double best = -2.0;
      label_type at = 0;
      for (std::size_t c = 0; c < k; ++c) {
        double dot = 0.0;
        for (std::size_t j = 0; j < d; ++j) dot += static_cast<double>(e(i, j)) * static_cast<double>(centers(c, j));
        if (dot > best) best = dot, at = static_cast<label_type>(c);
      }
      out(i) = at;
    }
    return out;
  }

  /// Writes the model atomically (temporary file, fsync, rename) with per-section checksums.
  void save(const std::filesystem::path& path) const {
    container_writer w("segkit.model.segment");
    byte_writer meta, labels;
    embedder.write_fields(meta, w);
    meta.put(static_cast<std::uint64_t>(centers.shape(0))).put(static_cast<std::uint64_t>(centers.shape(1)));
    for (const auto& s : names) labels.put_string(s);
    w.add("meta", meta.bytes());
    w.add_array<float>("centres", std::span<const float>(centers.data(), centers.size()));
    w.add("names", labels.bytes());
    w.commit(path);
  }

  /// Reads a model written by save().
  /// @throws segkit::io_error / segkit::format_error for a missing, truncated, corrupt (checksum) or foreign file.
  [[nodiscard]] static segment_model load(const std::filesystem::path& path) { return read_from(container_reader(path, "segkit.model.segment")); }

  /// Reads a model from an open container (its kind checked by the caller). @throws segkit::format_error.
  [[nodiscard]] static segment_model read_from(const container_reader& file) {
    if (file.kind() != "segkit.model.segment") file.fail(fmt::format("holds '{}', expected 'segkit.model.segment'", file.kind()));
    byte_reader meta(file.section("meta"), file);
    segment_model m;
    m.embedder = embed::lsa_model::read_fields(meta, file);
    const auto k = meta.get<std::uint64_t>(), d = meta.get<std::uint64_t>();
    if (k == 0 || k > (std::uint64_t{1} << 24) || d != m.embedder.dim()) file.fail("implausible model shape");
    const auto c = file.array<float>("centres", k * d);
    m.centers = matrix<float>::from_shape({k, d});
    std::copy(c.begin(), c.end(), m.centers.begin());
    for (const float x : c) {
      if (!std::isfinite(x)) file.fail("a center holds NaN or Inf");
    }
    byte_reader labels(file.section("names"), file);
    for (std::uint64_t l = 0; l < k; ++l) m.names.push_back(labels.get_string());
    return m;
  }
};

}  // namespace segkit::pipeline
