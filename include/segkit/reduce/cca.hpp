#pragma once
/// @file
/// @brief Canonical correlation analysis of two paired views (regularized): linear maps under
/// which paired rows agree — for fusing modalities such as text and image embeddings.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <xtensor/xtensor.hpp>

#include "segkit/core/binary_format.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/params.hpp"
#include "segkit/reduce/detail/lapack.hpp"

namespace segkit::reduce {

/// Parameters of cca.
struct cca_params {
  std::size_t n_components = 2;   ///< canonical pairs kept (at most the smaller view's width)
  double regularization = 1e-3;   ///< ridge added to each covariance diagonal, times its mean variance (> 0 keeps it invertible)

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = cca_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("n_components", &p::n_components, "canonical pairs kept (at most the smaller view's width)", sp::at_least(1)),
                      sp::field("regularization", &p::regularization,
                                "ridge added to each covariance diagonal, times its mean variance (> 0 keeps it invertible)", sp::at_least_finite(0))};
  }
};

/// A fitted CCA: view means, projection matrices and the canonical correlations.
struct cca_model {
  std::vector<double> mean_x, mean_y;        ///< per column of each view
  xt::xtensor<double, 2> weights_x;          ///< dx x k: x -> canonical coordinates
  xt::xtensor<double, 2> weights_y;          ///< dy x k
  std::vector<double> correlations;          ///< k canonical correlations, descending

  [[nodiscard]] std::size_t n_components() const noexcept { return correlations.size(); }

  /// Canonical coordinates of rows of one view (0 = x, 1 = y): (rows - mean) weights.
  template <class E>
  [[nodiscard]] matrix<float> transform(const E& rows_in, int view) const {
    const auto rows = as_rows<double>(rows_in);
    const auto& w = view == 0 ? weights_x : weights_y;
    const auto& mu = view == 0 ? mean_x : mean_y;
    if (rows->cols() != w.shape(0)) {
      segkit::detail::throw_invalid("segkit::reduce::cca", fmt::format("transform: rows have {} columns, view {} has {}", rows->cols(), view, w.shape(0)));
    }
    require_finite<double>("segkit::reduce::cca", "rows", rows.view());
    const std::size_t k = n_components(), d = w.shape(0);
    matrix<float> out = matrix<float>::from_shape({rows->rows(), k});
    for (std::size_t i = 0; i < rows->rows(); ++i) {
      for (std::size_t c = 0; c < k; ++c) {
        double s = 0.0;
        for (std::size_t j = 0; j < d; ++j) s += (rows->row(i)[j] - mu[j]) * w(j, c);
        out(i, c) = static_cast<float>(s);
      }
    }
    return out;
  }

  /// Kind of the container the model is stored in (segkit::storable_model).
  static constexpr std::string_view container_kind = "segkit.model.cca";
  /// Writes the model atomically in segkit's checksummed container.
  void save(const std::filesystem::path& path) const { save_model(*this, path); }
  /// Reads a model written by save(). @throws segkit::format_error if damaged or of another kind.
  [[nodiscard]] static cca_model load(const std::filesystem::path& path) { return load_model<cca_model>(path); }
  /// Adds the shape, the view means, the projections and the correlations to `w`.
  void write_to(container_writer& w) const {
    byte_writer meta;
    meta.put(std::uint32_t{1}).put(static_cast<std::uint64_t>(mean_x.size())).put(static_cast<std::uint64_t>(mean_y.size()));
    meta.put(static_cast<std::uint64_t>(n_components()));
    w.add_copy("meta", meta.bytes());
    w.add_array<double>("mean_x", std::span<const double>(mean_x));
    w.add_array<double>("mean_y", std::span<const double>(mean_y));
    w.add_array<double>("w_x", std::span<const double>(weights_x.data(), weights_x.size()));
    w.add_array<double>("w_y", std::span<const double>(weights_y.data(), weights_y.size()));
    w.add_array<double>("corr", std::span<const double>(correlations));
  }
  /// Rebuilds a model from write_to()'s sections, checking every value. @throws segkit::format_error.
  [[nodiscard]] static cca_model read_from(const container_reader& file) {
    byte_reader meta(file.section("meta"), file);
    if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("CCA model format version {} is not supported", v));
    const auto dx = meta.get<std::uint64_t>(), dy = meta.get<std::uint64_t>(), k = meta.get<std::uint64_t>();
    constexpr std::uint64_t limit = std::uint64_t{1} << 24;
    if (dx == 0 || dy == 0 || k == 0 || dx > limit || dy > limit || k > std::min(dx, dy)) {
      file.fail(fmt::format("implausible CCA shape ({} and {} columns, {} components)", dx, dy, k));
    }
    cca_model m;
    m.mean_x = file.finite_array<double>("mean_x", dx);
    m.mean_y = file.finite_array<double>("mean_y", dy);
    const auto wx = file.finite_array<double>("w_x", dx * k), wy = file.finite_array<double>("w_y", dy * k);
    m.weights_x = xt::xtensor<double, 2>::from_shape({dx, k});
    m.weights_y = xt::xtensor<double, 2>::from_shape({dy, k});
    std::copy(wx.begin(), wx.end(), m.weights_x.begin());
    std::copy(wy.begin(), wy.end(), m.weights_y.begin());
    m.correlations = file.finite_array<double>("corr", k);
    return m;
  }
};

namespace detail {

/// C^(-1/2) of a symmetric positive definite d x d matrix (row-major), by eigendecomposition.
inline std::vector<double> inverse_sqrt(const std::vector<double>& c, std::size_t d) {
  std::vector<double> vec;
  const auto val = symmetric_eigen(c, d, vec);
  std::vector<double> out(d * d, 0.0);
  for (std::size_t r = 0; r < d; ++r) {
    const double s = 1.0 / std::sqrt(std::max(val[r], 1e-300));
    for (std::size_t i = 0; i < d; ++i) {
      for (std::size_t j = 0; j < d; ++j) out[i * d + j] += s * vec[r * d + i] * vec[r * d + j];
    }
  }
  return out;
}

}  // namespace detail

/**
 * @brief Regularized CCA (Hotelling 1936): with covariances Cxx + rI, Cyy + rI and Cxy, the SVD
 * of Cxx^(-1/2) Cxy Cyy^(-1/2) = U S V^T gives the canonical correlations S and the weights
 * Cxx^(-1/2) U, Cyy^(-1/2) V, so that each view's canonical coordinates have unit variance and
 * are uncorrelated, and pair c of the two views correlates by S_c.
 *
 * @code
 * auto m = segkit::reduce::cca({.n_components = 16}).fit(text_vectors, image_vectors);   // paired rows
 * auto zt = m.transform(text_vectors, 0), zi = m.transform(image_vectors, 1);          // one space
 * @endcode
 * @par Thread safety  fit is const and may run concurrently.
 */
class cca {
 public:
  /// @throws segkit::invalid_argument naming the first parameter outside its table's range.
  explicit cca(cca_params params = {}) : params_(params) { segkit::params::validate(params_, "segkit::reduce::cca"); }

  /**
   * @throws segkit::invalid_argument for fewer than 2 rows, different row counts, n_components
   *         of 0 or above the smaller width, regularization < 0, NaN/Inf.
   */
  template <class EX, class EY>
  [[nodiscard]] cca_model fit(const EX& x_in, const EY& y_in) const {
    const auto x = as_rows<double>(x_in);
    const auto y = as_rows<double>(y_in);
    const char* comp = "segkit::reduce::cca";
    const std::size_t n = x->rows(), dx = x->cols(), dy = y->cols(), k = params_.n_components;
    if (y->rows() != n) segkit::detail::throw_invalid(comp, fmt::format("the views have {} and {} rows; they must be paired", n, y->rows()));
    if (n < 2) segkit::detail::throw_invalid(comp, "needs at least 2 rows");
    if (k == 0 || k > std::min(dx, dy)) segkit::detail::throw_invalid(comp, fmt::format("n_components ({}) must lie in [1, {}]", k, std::min(dx, dy)));
    if (!(params_.regularization >= 0.0)) segkit::detail::throw_invalid(comp, "regularization must be >= 0");
    require_finite<double>(comp, "x", x.view());
    require_finite<double>(comp, "y", y.view());
    cca_model m;
    const auto means = [&](const auto& v, std::size_t d) {
      std::vector<double> mu(d, 0.0);
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < d; ++j) mu[j] += v->row(i)[j];
      }
      for (double& t : mu) t /= static_cast<double>(n);
      return mu;
    };
    m.mean_x = means(x, dx);
    m.mean_y = means(y, dy);
    // Covariances (divided by n - 1).
    const auto cov = [&](const auto& a, const std::vector<double>& ma, std::size_t da, const auto& b, const std::vector<double>& mb, std::size_t db) {
      std::vector<double> c(da * db, 0.0);
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t p = 0; p < da; ++p) {
          const double u = a->row(i)[p] - ma[p];
          for (std::size_t q = 0; q < db; ++q) c[p * db + q] += u * (b->row(i)[q] - mb[q]);
        }
      }
      for (double& t : c) t /= static_cast<double>(n - 1);
      return c;
    };
    auto cxx = cov(x, m.mean_x, dx, x, m.mean_x, dx), cyy = cov(y, m.mean_y, dy, y, m.mean_y, dy), cxy = cov(x, m.mean_x, dx, y, m.mean_y, dy);
    const auto ridge = [&](std::vector<double>& c, std::size_t d) {
      double mean_var = 0.0;
      for (std::size_t j = 0; j < d; ++j) mean_var += c[j * d + j];
      mean_var = std::max(mean_var / static_cast<double>(d), 1e-300);
      for (std::size_t j = 0; j < d; ++j) c[j * d + j] += params_.regularization * mean_var;
    };
    ridge(cxx, dx);
    ridge(cyy, dy);
    const auto wx = detail::inverse_sqrt(cxx, dx), wy = detail::inverse_sqrt(cyy, dy);
    // T = Wx Cxy Wy (dx x dy), then its SVD.
    std::vector<double> tmp(dx * dy, 0.0), t(dx * dy, 0.0);
    for (std::size_t i = 0; i < dx; ++i) {
      for (std::size_t p = 0; p < dx; ++p) {
        const double w = wx[i * dx + p];
        for (std::size_t q = 0; q < dy; ++q) tmp[i * dy + q] += w * cxy[p * dy + q];
      }
    }
    for (std::size_t i = 0; i < dx; ++i) {
      for (std::size_t p = 0; p < dy; ++p) {
        const double v = tmp[i * dy + p];
        for (std::size_t q = 0; q < dy; ++q) t[i * dy + q] += v * wy[p * dy + q];
      }
    }
    std::vector<double> u, vt;
    const auto s = detail::thin_svd(t, dx, dy, u, vt);
    const std::size_t r = std::min(dx, dy);
    m.weights_x = xt::xtensor<double, 2>::from_shape({dx, k});
    m.weights_y = xt::xtensor<double, 2>::from_shape({dy, k});
    for (std::size_t c = 0; c < k; ++c) {
      m.correlations.push_back(s[c]);
      // Sign: the x weights' largest |entry| positive (the y weights follow, so pairs stay positively correlated).
      double big = 0.0, sign = 1.0;
      for (std::size_t i = 0; i < dx; ++i) {
        double v = 0.0;
        for (std::size_t p = 0; p < dx; ++p) v += wx[i * dx + p] * u[p * r + c];
        m.weights_x(i, c) = v;
        if (std::abs(v) > big) {
          big = std::abs(v);
          sign = v < 0.0 ? -1.0 : 1.0;
        }
      }
      for (std::size_t i = 0; i < dx; ++i) m.weights_x(i, c) *= sign;
      for (std::size_t i = 0; i < dy; ++i) {
        double v = 0.0;
        for (std::size_t q = 0; q < dy; ++q) v += wy[i * dy + q] * vt[c * dy + q];
        m.weights_y(i, c) = sign * v;
      }
    }
    return m;
  }

 private:
  cca_params params_;
};

}  // namespace segkit::reduce
