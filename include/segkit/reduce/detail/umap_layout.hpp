#pragma once
/// @file
/// @brief UMAP's internals: the fuzzy simplicial set (smooth k-NN distances, memberships, symmetrization), the fit of the curve 1 / (1 + a d^(2b)) and the deterministic SGD layout step (segkit/reduce/umap.hpp is the algorithm).

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <numeric>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <tuple>
#include <vector>
#include <fmt/format.h>
#include <xtensor/xtensor.hpp>

#include "segkit/core/binary_format.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/params.hpp"
#include "segkit/core/random.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/distance/pairwise.hpp"
#include "segkit/graph/union_find.hpp"
#include "segkit/reduce/detail/knn.hpp"
#include "segkit/reduce/detail/lapack.hpp"
#include "segkit/reduce/pca.hpp"

namespace segkit::reduce {

/// Curve parameters a, b of 1 / (1 + a d^(2b)).
struct umap_curve {
  double a = 0.0;
  double b = 0.0;
};

namespace detail {

[[noreturn]] inline void throw_umap(const std::string& m) { segkit::detail::throw_invalid("segkit::reduce::umap", m); }

/// Per row: rho (distance to the local_connectivity-th nonzero neighbor) and sigma (the scale at
/// which the fuzzy neighborhood has log2(k) members), by bisection (umap-learn's smooth_knn_dist).
/// `skip_first` leaves the first neighbor (the row itself) out of the sum.
inline void smooth_knn(const std::vector<float>& dists, std::size_t n, std::size_t k, double local_connectivity, bool skip_first,
                       std::vector<double>& sigma, std::vector<double>& rho) {
  constexpr double tolerance = 1e-5, min_scale = 1e-3;
  const double target = std::log2(static_cast<double>(k));
  double mean_all = 0.0;
  for (const float v : dists) mean_all += v;
  mean_all /= static_cast<double>(dists.size());
  sigma.assign(n, 0.0);
  rho.assign(n, 0.0);
  std::vector<double> nonzero;
  for (std::size_t i = 0; i < n; ++i) {
    const float* d = dists.data() + i * k;
    nonzero.clear();
    for (std::size_t j = 0; j < k; ++j) {
      if (d[j] > 0.0f) nonzero.push_back(d[j]);
    }
    if (static_cast<double>(nonzero.size()) >= local_connectivity) {
      const auto index = static_cast<std::size_t>(std::floor(local_connectivity));
      const double interpolation = local_connectivity - static_cast<double>(index);
      if (index > 0) {
        rho[i] = nonzero[index - 1];
        if (interpolation > tolerance) rho[i] += interpolation * (nonzero[index] - nonzero[index - 1]);
      } else {
        rho[i] = interpolation * nonzero[0];
      }
    } else if (!nonzero.empty()) {
      rho[i] = *std::max_element(nonzero.begin(), nonzero.end());
    }
    double lo = 0.0, hi = std::numeric_limits<double>::infinity(), mid = 1.0;
    for (int it = 0; it < 64; ++it) {
      double psum = 0.0;
      for (std::size_t j = skip_first ? 1 : 0; j < k; ++j) {
        const double t = d[j] - rho[i];
        psum += t > 0.0 ? std::exp(-t / mid) : 1.0;
      }
      if (std::abs(psum - target) < tolerance) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2.0;
      } else {
        lo = mid;
        mid = std::isinf(hi) ? mid * 2.0 : (lo + hi) / 2.0;
      }
    }
    sigma[i] = mid;
    double mean_i = 0.0;
    for (std::size_t j = 0; j < k; ++j) mean_i += d[j];
    mean_i /= static_cast<double>(k);
    const double floor = min_scale * (rho[i] > 0.0 ? mean_i : mean_all);
    if (sigma[i] < floor) sigma[i] = floor;
  }
}

/// Membership strength of a neighbor at distance d.
inline double membership(double d, double rho, double sigma) {
  if (d - rho <= 0.0 || sigma == 0.0) return 1.0;
  return std::exp(-(d - rho) / sigma);
}

/// A symmetric sparse graph in CSR form.
struct fuzzy_graph {
  std::vector<std::size_t> start;      // n + 1
  std::vector<std::uint32_t> column;
  std::vector<double> weight;
  [[nodiscard]] std::size_t size() const { return start.size() - 1; }
};

/// The fuzzy union (or mix with the intersection) of the directed k-NN membership graph and its transpose.
inline fuzzy_graph fuzzy_simplicial_set(const std::vector<std::uint32_t>& ids, const std::vector<float>& dists, std::size_t n, std::size_t k,
                                        const std::vector<double>& sigma, const std::vector<double>& rho, double mix) {
  struct entry {
    std::uint64_t key;
    double value;
  };
  std::vector<entry> forward;
  forward.reserve(n * k);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < k; ++j) {
      const std::uint32_t c = ids[i * k + j];
      if (c == i) continue;
      const double v = membership(dists[i * k + j], rho[i], sigma[i]);
      if (v > 0.0) forward.push_back({(static_cast<std::uint64_t>(i) << 32) | c, v});
    }
  }
  std::sort(forward.begin(), forward.end(), [](const entry& a, const entry& b) { return a.key < b.key; });
  // Merge P and P^T: for every key present in either, w = mix (a + b - ab) + (1 - mix) ab.
  std::vector<entry> both = forward;
  for (const auto& e : forward) both.push_back({(e.key << 32) | (e.key >> 32), -e.value});  // transposed, flagged negative
  std::sort(both.begin(), both.end(), [](const entry& a, const entry& b) { return a.key < b.key || (a.key == b.key && a.value > b.value); });
  fuzzy_graph g;
  g.start.assign(n + 1, 0);
  for (std::size_t i = 0; i < both.size();) {
    std::size_t j = i;
    double a = 0.0, b = 0.0;
    for (; j < both.size() && both[j].key == both[i].key; ++j) (both[j].value > 0.0 ? a : b) = std::abs(both[j].value);
    const double w = mix * (a + b - a * b) + (1.0 - mix) * a * b;
    if (w > 0.0) {
      const auto row = static_cast<std::size_t>(both[i].key >> 32);
      ++g.start[row + 1];
      g.column.push_back(static_cast<std::uint32_t>(both[i].key & 0xFFFFFFFFu));
      g.weight.push_back(w);
    }
    i = j;
  }
  for (std::size_t i = 0; i < n; ++i) g.start[i + 1] += g.start[i];
  return g;
}

/// a, b such that 1 / (1 + a x^(2b)) fits 1 for x < min_dist and exp(-(x - min_dist) / spread)
/// beyond, on 300 points of [0, 3 spread], in least squares (Levenberg-Marquardt).
inline umap_curve fit_curve(double spread, double min_dist) {
  constexpr std::size_t m = 300;
  std::vector<double> x(m), y(m);
  for (std::size_t i = 0; i < m; ++i) {
    x[i] = 3.0 * spread * static_cast<double>(i) / static_cast<double>(m - 1);
    y[i] = x[i] < min_dist ? 1.0 : std::exp(-(x[i] - min_dist) / spread);
  }
  const auto residuals = [&](double a, double b, double* ja, double* jb) {
    double ss = 0.0;
    for (std::size_t i = 0; i < m; ++i) {
      const double p = x[i] > 0.0 ? std::pow(x[i], 2.0 * b) : 0.0;
      const double f = 1.0 / (1.0 + a * p);
      const double r = f - y[i];
      ss += r * r;
      if (ja != nullptr) {
        ja[i] = -p * f * f;
        jb[i] = x[i] > 0.0 ? -a * p * 2.0 * std::log(x[i]) * f * f : 0.0;
      }
    }
    return ss;
  };
  double a = 1.0, b = 1.0, lambda = 1e-3;
  std::vector<double> ja(m), jb(m);
  double cost = residuals(a, b, ja.data(), jb.data());
  for (int it = 0; it < 500; ++it) {
    // Normal equations (J^T J + lambda diag) delta = -J^T r.
    double aa = 0.0, ab = 0.0, bb = 0.0, ga = 0.0, gb = 0.0;
    for (std::size_t i = 0; i < m; ++i) {
      const double p = x[i] > 0.0 ? std::pow(x[i], 2.0 * b) : 0.0;
      const double r = 1.0 / (1.0 + a * p) - y[i];
      aa += ja[i] * ja[i];
      ab += ja[i] * jb[i];
      bb += jb[i] * jb[i];
      ga += ja[i] * r;
      gb += jb[i] * r;
    }
    const double a11 = aa * (1.0 + lambda), a22 = bb * (1.0 + lambda), det = a11 * a22 - ab * ab;
    if (det == 0.0) break;
    const double da = -(a22 * ga - ab * gb) / det, db = -(a11 * gb - ab * ga) / det;
    const double na = a + da, nb = b + db;
    if (na > 0.0 && nb > 0.0) {
      std::vector<double> ja2(m), jb2(m);
      const double c2 = residuals(na, nb, ja2.data(), jb2.data());
      if (c2 < cost) {
        const bool done = cost - c2 < 1e-15 * std::max(cost, 1e-300);
        a = na, b = nb, cost = c2, ja = std::move(ja2), jb = std::move(jb2);
        lambda = std::max(lambda / 10.0, 1e-12);
        if (done || (std::abs(da) < 1e-12 * a && std::abs(db) < 1e-12 * b)) break;
        continue;
      }
    }
    lambda *= 10.0;
    if (lambda > 1e12) break;
  }
  return {a, b};
}

/// A seed for one row's random stream from its values: equal rows draw equal streams, whatever batch they come in.
template <class T>
std::uint64_t row_seed(const T* r, std::size_t d, std::uint64_t seed) {
  std::uint64_t h = seed ^ 0x9E3779B97F4A7C15ULL;
  for (std::size_t j = 0; j < d; ++j) {
    std::uint64_t v = 0;
    const double x = static_cast<double>(r[j]);
    std::memcpy(&v, &x, sizeof v);
    h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
  }
  return h;
}

/// The SGD schedule of a set of edges: epochs between samples (n_epochs max weight / weight).
inline std::vector<double> epochs_per_sample(const std::vector<double>& weight, std::size_t n_epochs) {
  const double top = weight.empty() ? 1.0 : *std::max_element(weight.begin(), weight.end());
  std::vector<double> out(weight.size(), -1.0);
  for (std::size_t i = 0; i < weight.size(); ++i) {
    const double samples = static_cast<double>(n_epochs) * weight[i] / top;
    if (samples > 0.0) out[i] = static_cast<double>(n_epochs) / samples;
  }
  return out;
}

inline float clip4(float v) { return std::clamp(v, -4.0f, 4.0f); }

/// x^p for x > 0 as exp2(p log2 x): cheaper than the library power here, as accurate in float.
inline float fast_pow(float x, float p) { return std::exp2(p * std::log2(x)); }

/// Schedule of a set of edges during SGD: when each is sampled next, and its negative samples.
struct sgd_state {
  std::vector<double> next_sample, next_negative, per_sample, per_negative;
};

/**
 * Attractive and repulsive moves of one head row against `others` (read-only positions), for the
 * edges [eb, ee) due at epoch `epoch`: umap-learn's update rules in single precision, the head's
 * moves applied in turn (attraction `attract_times` per sample), the random tails from the head's
 * own stream. d^(2(b-1)) is taken as d^(2b) / d^2: one power per attraction.
 */
template <std::size_t Dim = 0>
void move_head(float* head, std::size_t dim_runtime, const float* others, std::size_t n_others, const std::uint32_t* tails, std::size_t eb,
               std::size_t ee, sgd_state& s, double epoch, float alpha, umap_curve c, float gamma, int attract_times, segkit::rng& gen,
               std::size_t self) {
  const std::size_t dim = Dim != 0 ? Dim : dim_runtime;  // a compile-time 2 or 3 unrolls the coordinate loops
  const auto a = static_cast<float>(c.a), b = static_cast<float>(c.b);
  for (std::size_t e = eb; e < ee; ++e) {
    if (s.per_sample[e] <= 0.0 || s.next_sample[e] > epoch) continue;
    const float* other = others + static_cast<std::size_t>(tails[e]) * dim;
    for (int rep = 0; rep < attract_times; ++rep) {
      float d2 = 0.0f;
      for (std::size_t q = 0; q < dim; ++q) d2 += (head[q] - other[q]) * (head[q] - other[q]);
      if (d2 > 0.0f) {
        const float p = fast_pow(d2, b);
        const float coeff = -2.0f * a * b * (p / d2) / (a * p + 1.0f);
        for (std::size_t q = 0; q < dim; ++q) head[q] += clip4(coeff * (head[q] - other[q])) * alpha;
      }
    }
    s.next_sample[e] += s.per_sample[e];
    const auto n_neg = static_cast<std::size_t>(std::max(0.0, (epoch - s.next_negative[e]) / s.per_negative[e]));
    // Negative samples in groups of up to 8 computed from the same head position (their moves
    // summed): independent arithmetic the processor overlaps, where one-by-one moves would wait
    // on each other. With steps this small the order within a group does not matter.
    constexpr std::size_t group = 8;
    for (std::size_t p0 = 0; p0 < n_neg; p0 += group) {
      const std::size_t g = std::min(group, n_neg - p0);
      std::uint32_t picks[group];
      for (std::size_t p = 0; p < g; ++p) picks[p] = static_cast<std::uint32_t>(gen.below(n_others));
      float step[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      float* move = dim <= 8 ? step : nullptr;
      std::vector<float> wide;
      if (move == nullptr) {
        wide.assign(dim, 0.0f);
        move = wide.data();
      }
      for (std::size_t p = 0; p < g; ++p) {
        if (picks[p] == self) continue;
        const float* o = others + static_cast<std::size_t>(picks[p]) * dim;
        float d2 = 0.0f;
        for (std::size_t q = 0; q < dim; ++q) d2 += (head[q] - o[q]) * (head[q] - o[q]);
        // Coincident points get the largest push (coefficient 0 -> a step of 4), as in umap-learn.
        const float coeff = d2 > 0.0f ? 2.0f * gamma * b / ((0.001f + d2) * (a * fast_pow(d2, b) + 1.0f)) : 0.0f;
        for (std::size_t q = 0; q < dim; ++q) move[q] += (coeff > 0.0f ? clip4(coeff * (head[q] - o[q])) : 4.0f) * alpha;
      }
      for (std::size_t q = 0; q < dim; ++q) head[q] += move[q];
    }
    s.next_negative[e] += static_cast<double>(n_neg) * s.per_negative[e];
  }
}

/// move_head with the coordinate count fixed at compile time for 2 and 3 dimensions.
inline void move_head_any(float* head, std::size_t dim, const float* others, std::size_t n_others, const std::uint32_t* tails, std::size_t eb,
                          std::size_t ee, sgd_state& s, double epoch, float alpha, umap_curve c, float gamma, int attract_times, segkit::rng& gen,
                          std::size_t self) {
  if (dim == 2) return move_head<2>(head, dim, others, n_others, tails, eb, ee, s, epoch, alpha, c, gamma, attract_times, gen, self);
  if (dim == 3) return move_head<3>(head, dim, others, n_others, tails, eb, ee, s, epoch, alpha, c, gamma, attract_times, gen, self);
  move_head<0>(head, dim, others, n_others, tails, eb, ee, s, epoch, alpha, c, gamma, attract_times, gen, self);
}

}  // namespace detail

}  // namespace segkit::reduce
