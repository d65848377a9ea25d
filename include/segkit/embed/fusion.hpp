#pragma once
/// @file
/// @brief Fusing embeddings of several modalities (text, image, behavior, table) of the same
/// records: per-modality normalization and weights, records with a missing modality, and an
/// optional projection (PCA of the concatenation, or CCA so that two paired modalities agree).

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/binary_format.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/params.hpp"
#include "segkit/reduce/cca.hpp"
#include "segkit/reduce/pca.hpp"

namespace segkit::embed {

/// What follows the weighted concatenation.
enum class fusion_projection {
  none,  ///< the concatenation itself
  pca,   ///< its first `dims` principal components
  cca,   ///< two modalities only: the weighted mean of their `dims` canonical coordinates
};
/// Names of fusion_projection in files and on the command line.
constexpr auto enum_names(fusion_projection) {
  using params::name_value;
  return std::array{name_value{"none", fusion_projection::none}, name_value{"pca", fusion_projection::pca}, name_value{"cca", fusion_projection::cca}};
}

/// Parameters of fusion.
struct fusion_params {
  std::vector<double> weights{};                      ///< per modality (default 1 each)
  bool normalize = true;                              ///< scale each modality's rows to unit length first
  fusion_projection projection = fusion_projection::none;  ///< see fusion_projection
  std::size_t dims = 0;                               ///< pca / cca output dimensions
  double cca_regularization = 1e-3;                   ///< ridge of the CCA covariances (relative)
  std::uint64_t seed = 0;                             ///< PCA's randomized solver
  std::size_t threads = 0;                            ///< 0 = all hardware threads

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = fusion_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("weights", &p::weights, "per modality (default 1 each), each >= 0"),
                      sp::field("normalize", &p::normalize, "scale each modality's rows to unit length first"),
                      sp::field("projection", &p::projection, "none (the weighted concatenation), pca, or cca (two modalities: the mean of their canonical coordinates)"),
                      sp::field("dims", &p::dims, "pca / cca output dimensions"),
                      sp::field("cca_regularization", &p::cca_regularization, "ridge of the CCA covariances (relative)", sp::at_least_finite(0)),
                      sp::field("seed", &p::seed, "PCA's randomized solver"),
                      sp::field("threads", &p::threads, "worker threads, 0 = all cores")};
  }
};

/// Which rows have each modality: presence[m][i] (an empty list: every row has every modality).
using modality_presence = std::vector<std::vector<bool>>;

/// A fitted fusion.
struct fusion_model {
  fusion_params params;
  std::vector<std::size_t> widths;            ///< columns of each modality
  std::vector<std::vector<double>> fill;      ///< per modality: the mean (normalized) row, used where a record lacks it
  std::optional<reduce::pca_model<float>> pca;  ///< with projection pca
  std::optional<reduce::cca_model> cca;         ///< with projection cca

  /// Output dimensions.
  [[nodiscard]] std::size_t dim() const noexcept {
    if (pca) return pca->n_components();
    if (cca) return cca->n_components();
    std::size_t d = 0;
    for (const auto w : widths) d += w;
    return d;
  }

  /**
   * @brief Fused vectors of records (blocks[m] is n x widths[m]; rows of absent modalities may
   * hold anything finite, e.g. zeros). Each row on its own: batch-invariant.
   * @throws segkit::invalid_argument for another modality count or width, unequal row counts,
   *         a record with no modality at all (cca), NaN/Inf.
   */
  [[nodiscard]] matrix<float> transform(std::span<const matrix<float>> blocks, const modality_presence& present = {}) const {
    const std::size_t n = check_blocks(blocks, present, widths.size(), "transform");
    const auto parts = prepared(blocks, present, n);
    if (cca) {
      const double w0 = weight(0), w1 = weight(1);
      const auto z0 = cca->transform(parts[0], 0), z1 = cca->transform(parts[1], 1);
      matrix<float> out = matrix<float>::from_shape({n, cca->n_components()});
      for (std::size_t i = 0; i < n; ++i) {
        const bool h0 = has(present, 0, i), h1 = has(present, 1, i);
        if (!h0 && !h1) segkit::detail::throw_invalid("segkit::embed::fusion", fmt::format("record {} has neither modality", i));
        const double a = h0 ? w0 : 0.0, b = h1 ? w1 : 0.0;
        for (std::size_t c = 0; c < out.shape(1); ++c) out(i, c) = static_cast<float>((a * z0(i, c) + b * z1(i, c)) / (a + b));
      }
      return out;
    }
    const auto joined = concatenate(parts, n);
    if (pca) return pca->transform(joined, params.threads);
    return joined;
  }

  /// The modality's rows normalized (when asked) and absent ones replaced by `fill`.
  [[nodiscard]] std::vector<matrix<float>> prepared(std::span<const matrix<float>> blocks, const modality_presence& present, std::size_t n) const {
    std::vector<matrix<float>> out;
    for (std::size_t m = 0; m < blocks.size(); ++m) {
      matrix<float> b = blocks[m];
      for (std::size_t i = 0; i < n; ++i) {
        float* r = b.data() + i * widths[m];
        if (!has(present, m, i)) {
          for (std::size_t j = 0; j < widths[m]; ++j) r[j] = fill.empty() ? 0.0f : static_cast<float>(fill[m][j]);
          continue;
        }
        if (!params.normalize) continue;
        double s = 0.0;
        for (std::size_t j = 0; j < widths[m]; ++j) s += static_cast<double>(r[j]) * r[j];
        if (s > 0.0) {
          const double f = 1.0 / std::sqrt(s);
          for (std::size_t j = 0; j < widths[m]; ++j) r[j] = static_cast<float>(r[j] * f);
        }
      }
      out.push_back(std::move(b));
    }
    return out;
  }

  /// Weighted side-by-side rows.
  [[nodiscard]] matrix<float> concatenate(const std::vector<matrix<float>>& parts, std::size_t n) const {
    std::size_t d = 0;
    for (const auto w : widths) d += w;
    matrix<float> out = matrix<float>::from_shape({n, d});
    std::size_t at = 0;
    for (std::size_t m = 0; m < parts.size(); ++m) {
      const auto w = static_cast<float>(weight(m));
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < widths[m]; ++j) out(i, at + j) = w * parts[m](i, j);
      }
      at += widths[m];
    }
    return out;
  }

  /// Kind of the container the model is stored in (segkit::storable_model).
  static constexpr std::string_view container_kind = "segkit.model.fusion";
  /// Writes the model atomically in segkit's checksummed container.
  void save(const std::filesystem::path& path) const { save_model(*this, path); }
  /// Reads a model written by save(). @throws segkit::format_error if damaged or of another kind.
  [[nodiscard]] static fusion_model load(const std::filesystem::path& path) { return load_model<fusion_model>(path); }
  /// Adds the parameters, the modalities' widths and fill rows, and the projection (a nested PCA
  /// or CCA model) to `w`. `params.threads`, a run-time choice, is not stored (0 when loaded).
  void write_to(container_writer& w) const {
    byte_writer meta;
    meta.put(std::uint32_t{1}).put(static_cast<std::uint64_t>(widths.size()));
    for (const auto width : widths) meta.put(static_cast<std::uint64_t>(width));
    meta.put(static_cast<std::uint64_t>(params.weights.size()));
    for (const double v : params.weights) meta.put(v);
    meta.put(static_cast<std::uint8_t>(params.normalize)).put(static_cast<std::uint8_t>(params.projection));
    meta.put(static_cast<std::uint64_t>(params.dims)).put(params.cca_regularization).put(params.seed);
    meta.put(static_cast<std::uint8_t>(!fill.empty()));
    w.add_copy("meta", meta.bytes());
    for (std::size_t m = 0; m < fill.size(); ++m) w.add_array<double>(fmt::format("fill{}", m), std::span<const double>(fill[m]));
    if (pca) add_nested(w, "pca", *pca);
    if (cca) add_nested(w, "cca", *cca);
  }
  /// Rebuilds a model from write_to()'s sections, checking every value and that the projection
  /// fits the widths. @throws segkit::format_error.
  [[nodiscard]] static fusion_model read_from(const container_reader& file) {
    byte_reader meta(file.section("meta"), file);
    if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("fusion model format version {} is not supported", v));
    constexpr std::uint64_t limit = std::uint64_t{1} << 24;
    fusion_model m;
    const auto count = meta.get<std::uint64_t>();
    if (count == 0 || count > 1024) file.fail(fmt::format("implausible modality count {}", count));
    std::uint64_t total = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      const auto width = meta.get<std::uint64_t>();
      if (width == 0 || width > limit) file.fail(fmt::format("implausible width {} of modality {}", width, i));
      total += width;
      m.widths.push_back(static_cast<std::size_t>(width));
    }
    const auto n_weights = meta.get<std::uint64_t>();
    if (n_weights > count) file.fail(fmt::format("{} weights for {} modalities", n_weights, count));
    for (std::uint64_t i = 0; i < n_weights; ++i) {
      const double v = meta.get<double>();
      if (!(v >= 0.0) || !std::isfinite(v)) file.fail(fmt::format("weight {} of modality {} is not a finite number >= 0", v, i));
      m.params.weights.push_back(v);
    }
    m.params.normalize = meta.get<std::uint8_t>() != 0;
    const auto projection = meta.get<std::uint8_t>();
    if (projection > static_cast<std::uint8_t>(fusion_projection::cca)) file.fail(fmt::format("unknown fusion projection {}", projection));
    m.params.projection = static_cast<fusion_projection>(projection);
    m.params.dims = static_cast<std::size_t>(meta.get<std::uint64_t>());
    m.params.cca_regularization = meta.get<double>();
    m.params.seed = meta.get<std::uint64_t>();
    try {
      segkit::params::validate(m.params, "the fusion's parameters");  // the table's bounds, as a constructor checks them
    } catch (const segkit::invalid_argument& e) {
      file.fail(e.what());
    }
    if (meta.get<std::uint8_t>() != 0) {
      for (std::size_t i = 0; i < m.widths.size(); ++i) m.fill.push_back(file.finite_array<double>(fmt::format("fill{}", i), m.widths[i]));
    }
    if (m.params.projection == fusion_projection::pca) {
      m.pca = read_nested<reduce::pca_model<float>>(file, "pca");
      if (m.pca->mean.size() != total) file.fail(fmt::format("the PCA takes {} columns, the modalities make {}", m.pca->mean.size(), total));
    } else if (m.params.projection == fusion_projection::cca) {
      m.cca = read_nested<reduce::cca_model>(file, "cca");
      if (m.widths.size() != 2 || m.cca->mean_x.size() != m.widths[0] || m.cca->mean_y.size() != m.widths[1]) {
        file.fail("the CCA does not fit the modalities' widths");
      }
    }
    return m;
  }

  [[nodiscard]] double weight(std::size_t m) const { return m < params.weights.size() ? params.weights[m] : 1.0; }
  static bool has(const modality_presence& present, std::size_t m, std::size_t i) { return present.empty() || present[m][i]; }

  /// Validates blocks and presence; returns the row count.
  static std::size_t check_blocks(std::span<const matrix<float>> blocks, const modality_presence& present, std::size_t expected, const char* what) {
    const char* comp = "segkit::embed::fusion";
    if (blocks.empty()) segkit::detail::throw_invalid(comp, "no modalities");
    if (expected != 0 && blocks.size() != expected) segkit::detail::throw_invalid(comp, fmt::format("{}: {} modalities given, {} fitted", what, blocks.size(), expected));
    const std::size_t n = blocks[0].shape(0);
    for (std::size_t m = 0; m < blocks.size(); ++m) {
      if (blocks[m].shape(0) != n) segkit::detail::throw_invalid(comp, fmt::format("modality {} has {} rows, modality 0 has {}", m, blocks[m].shape(0), n));
      require_finite<float>(comp, "block", matrix_view<float>(blocks[m].data(), n, blocks[m].shape(1), blocks[m].shape(1)));
    }
    if (!present.empty()) {
      if (present.size() != blocks.size()) segkit::detail::throw_invalid(comp, fmt::format("presence for {} modalities, {} given", present.size(), blocks.size()));
      for (const auto& p : present) {
        if (p.size() != n) segkit::detail::throw_invalid(comp, fmt::format("a presence list has {} entries for {} rows", p.size(), n));
      }
    }
    return n;
  }
};

/**
 * @brief Learns how to fuse modalities of the same records.
 *
 * @code
 * std::vector<segkit::matrix<float>> blocks{text_e, image_e, rfm_features};
 * auto f = segkit::embed::fusion({.weights = {1.0, 0.5, 1.0}, .projection = segkit::embed::fusion_projection::pca, .dims = 32})
 *              .fit(blocks, presence);           // presence[m][i]: record i has modality m
 * auto fused = f.transform(blocks, presence);    // n x 32
 * @endcode
 * Each modality's rows are scaled to unit length (so no modality dominates by its scale or width),
 * multiplied by its weight and placed side by side; a record lacking a modality gets that
 * modality's mean training row (a neutral position). PCA then keeps the main directions of the
 * concatenation; CCA (two modalities) maps both into one space where paired records agree and
 * averages the coordinates a record has.
 */
class fusion {
 public:
  explicit fusion(fusion_params params = {}) : params_(std::move(params)) {}

  /**
   * @throws segkit::invalid_argument as fusion_model::transform, and for a negative weight, cca
   *         with other than two modalities or fewer than 2 records having both, dims of 0 with a
   *         projection, a modality absent from every record.
   */
  [[nodiscard]] fusion_model fit(std::span<const matrix<float>> blocks, const modality_presence& present = {}) const {
    const char* comp = "segkit::embed::fusion";
    const std::size_t n = fusion_model::check_blocks(blocks, present, 0, "fit");
    for (const double w : params_.weights) {
      if (!(w >= 0.0)) segkit::detail::throw_invalid(comp, fmt::format("weights must be >= 0 (got {})", w));
    }
    if (params_.projection != fusion_projection::none && params_.dims == 0) segkit::detail::throw_invalid(comp, "dims must be at least 1 with a projection");
    if (params_.projection == fusion_projection::cca && blocks.size() != 2) {
      segkit::detail::throw_invalid(comp, fmt::format("cca fuses exactly two modalities ({} given)", blocks.size()));
    }
    fusion_model m;
    m.params = params_;
    for (const auto& b : blocks) m.widths.push_back(b.shape(1));
    // Means of the normalized present rows (computed before fill exists: absent rows come out as zeros and are skipped).
    const auto parts = m.prepared(blocks, present, n);
    for (std::size_t k = 0; k < blocks.size(); ++k) {
      std::vector<double> mu(m.widths[k], 0.0);
      std::size_t count = 0;
      for (std::size_t i = 0; i < n; ++i) {
        if (!fusion_model::has(present, k, i)) continue;
        ++count;
        for (std::size_t j = 0; j < m.widths[k]; ++j) mu[j] += parts[k](i, j);
      }
      if (count == 0) segkit::detail::throw_invalid(comp, fmt::format("modality {} is absent from every record", k));
      for (double& v : mu) v /= static_cast<double>(count);
      m.fill.push_back(std::move(mu));
    }
    if (params_.projection == fusion_projection::pca) {
      const auto joined = m.concatenate(m.prepared(blocks, present, n), n);
      m.pca = reduce::pca<float>({.n_components = params_.dims, .seed = params_.seed, .threads = params_.threads}).fit(joined);
    } else if (params_.projection == fusion_projection::cca) {
      std::vector<std::size_t> both;
      for (std::size_t i = 0; i < n; ++i) {
        if (fusion_model::has(present, 0, i) && fusion_model::has(present, 1, i)) both.push_back(i);
      }
      if (both.size() < 2) segkit::detail::throw_invalid(comp, fmt::format("cca needs at least 2 records with both modalities ({} have)", both.size()));
      matrix<float> x = matrix<float>::from_shape({both.size(), m.widths[0]}), y = matrix<float>::from_shape({both.size(), m.widths[1]});
      for (std::size_t r = 0; r < both.size(); ++r) {
        std::copy_n(parts[0].data() + both[r] * m.widths[0], m.widths[0], x.data() + r * m.widths[0]);
        std::copy_n(parts[1].data() + both[r] * m.widths[1], m.widths[1], y.data() + r * m.widths[1]);
      }
      m.cca = reduce::cca({.n_components = params_.dims, .regularization = params_.cca_regularization}).fit(x, y);
    }
    return m;
  }

 private:
  fusion_params params_;
};

}  // namespace segkit::embed
