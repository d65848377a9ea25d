#pragma once
/// @file
/// @brief The covariance shapes of Gaussian mixtures (segkit::cluster::gaussian_mixture) and their
/// names in files and on the command line.

#include <array>

#include "segkit/core/params.hpp"

namespace segkit::cluster {

/// The shape of each component's covariance (scikit-learn's `covariance_type`).
enum class covariance_type {
  full,      ///< each component has its own general covariance matrix (k x d x d)
  tied,      ///< all components share one general covariance matrix (d x d)
  diag,      ///< each component has its own diagonal covariance (k x d)
  spherical  ///< each component has its own single variance (k)
};

/// Names of covariance_type in files and on the command line (scikit-learn's).
constexpr auto enum_names(covariance_type) {
  using params::name_value;
  return std::array{name_value{"full", covariance_type::full}, name_value{"tied", covariance_type::tied}, name_value{"diag", covariance_type::diag},
                    name_value{"spherical", covariance_type::spherical}};
}

}  // namespace segkit::cluster
