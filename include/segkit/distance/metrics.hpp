#pragma once
/// @file
/// @brief The built-in metrics. Each is a functor `m(a, b, dim)` with the traits of segkit::metric.

#include <cmath>
#include <cstddef>
#include <string_view>

#include <fmt/format.h>

#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/distance/kernels.hpp"

namespace segkit::distance {

/// How a metric can be computed from a matrix product (blocked many-to-many evaluation).
enum class gemm_form {
  none,          ///< only pair by pair
  squared_l2,    ///< |a|^2 + |b|^2 - 2 a.b
  inner_product, ///< a.b
  cosine         ///< 1 - a.b / (|a| |b|)
};

/// Squared Euclidean distance. Not a true metric (no triangle inequality); ranks like l2.
struct squared_l2_metric {
  static constexpr std::string_view name = "sqeuclidean";
  static constexpr bool true_metric = false;
  static constexpr bool squared = true;
  static constexpr bool higher_is_closer = false;
  static constexpr gemm_form gemm = gemm_form::squared_l2;
  template <class T>
  T operator()(const T* a, const T* b, std::size_t dim) const noexcept {
    return squared_l2(a, b, dim);
  }
};

/// Euclidean distance.
struct l2_metric {
  static constexpr std::string_view name = "l2";
  static constexpr bool true_metric = true;
  static constexpr bool squared = false;
  static constexpr bool higher_is_closer = false;
  static constexpr gemm_form gemm = gemm_form::squared_l2;
  template <class T>
  T operator()(const T* a, const T* b, std::size_t dim) const noexcept {
    return std::sqrt(squared_l2(a, b, dim));
  }
};

/// Cosine distance, 1 - cos(a, b), in [0, 2]. A zero vector is at distance 1 from everything.
struct cosine_metric {
  static constexpr std::string_view name = "cosine";
  static constexpr bool true_metric = false;
  static constexpr bool squared = false;
  static constexpr bool higher_is_closer = false;
  static constexpr gemm_form gemm = gemm_form::cosine;
  template <class T>
  T operator()(const T* a, const T* b, std::size_t dim) const noexcept {
    const T na = dot(a, a, dim);
    const T nb = dot(b, b, dim);
    if (na <= T{0} || nb <= T{0}) return T{1};
    return T{1} - dot(a, b, dim) / std::sqrt(na * nb);
  }
};

/// Inner product, a similarity: larger is closer (maximum inner product search).
struct inner_product_metric {
  static constexpr std::string_view name = "ip";
  static constexpr bool true_metric = false;
  static constexpr bool squared = false;
  static constexpr bool higher_is_closer = true;
  static constexpr gemm_form gemm = gemm_form::inner_product;
  template <class T>
  T operator()(const T* a, const T* b, std::size_t dim) const noexcept {
    return dot(a, b, dim);
  }
};

/// Manhattan (L1, city-block) distance.
struct manhattan_metric {
  static constexpr std::string_view name = "manhattan";
  static constexpr bool true_metric = true;
  static constexpr bool squared = false;
  static constexpr bool higher_is_closer = false;
  static constexpr gemm_form gemm = gemm_form::none;
  template <class T>
  T operator()(const T* a, const T* b, std::size_t dim) const noexcept {
    return l1(a, b, dim);
  }
};

static_assert(segkit::metric<squared_l2_metric> && segkit::metric<l2_metric> && segkit::metric<cosine_metric> &&
              segkit::metric<inner_product_metric> && segkit::metric<manhattan_metric>);
static_assert(segkit::metric<l2_metric, double>);

/// The gemm_form of a metric type; `none` for metrics that do not declare one.
template <class M>
constexpr gemm_form gemm_form_of() noexcept {
  if constexpr (requires { M::gemm; }) {
    return M::gemm;
  } else {
    return gemm_form::none;
  }
}

/// Ranking score of a metric value: smaller is closer for every metric.
template <class M, class T>
constexpr T to_score(T value) noexcept {
  if constexpr (M::higher_is_closer) {
    return -value;
  } else {
    return value;
  }
}

/// Names accepted by the command line and stored in files, in a fixed order.
inline constexpr std::string_view metric_names[] = {"l2", "sqeuclidean", "cosine", "ip", "manhattan"};

/**
 * @brief Calls `f(metric{})` with the metric named `name` ("l2", "sqeuclidean", "cosine", "ip",
 * "manhattan"; "euclidean", "inner_product", "l1" are accepted as aliases).
 * @throws segkit::invalid_argument for any other name.
 */
template <class F>
decltype(auto) visit_metric(std::string_view name, F&& f) {
  if (name == "l2" || name == "euclidean") return f(l2_metric{});
  if (name == "sqeuclidean") return f(squared_l2_metric{});
  if (name == "cosine") return f(cosine_metric{});
  if (name == "ip" || name == "inner_product") return f(inner_product_metric{});
  if (name == "manhattan" || name == "l1") return f(manhattan_metric{});
  segkit::detail::throw_invalid("segkit::distance",
                                fmt::format("unknown metric '{}' (choose l2, sqeuclidean, cosine, ip or manhattan)", name));
}

/// Refuses a similarity (inner product) where an algorithm needs a distance (density-based
/// clustering, neighbor graphs): throws segkit::invalid_argument naming `component`.
template <class M>
void require_distance(const char* component) {
  if constexpr (M::higher_is_closer) {
    segkit::detail::throw_invalid(component, fmt::format("metric '{}' is a similarity; use l2, sqeuclidean, cosine or manhattan", M::name));
  }
}

}  // namespace segkit::distance
