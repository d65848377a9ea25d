#pragma once
/// @file
/// @brief UMAP (McInnes, Healy & Melville 2018): a fuzzy k-nearest-neighbor graph of the rows,
/// laid out in a few dimensions by stochastic gradient descent, with a deterministic, parallel
/// optimizer and a transform for new rows that is deterministic and batch-invariant.

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

/// How UMAP places the rows before optimizing.
enum class umap_init {
  spectral,  ///< eigenvectors of the graph's normalized Laplacian (per connected component, components placed apart)
  pca,       ///< the first principal components
  random,    ///< uniform in [-10, 10]
};
/// Names of umap_init in files and on the command line.
constexpr auto enum_names(umap_init) {
  using params::name_value;
  return std::array{name_value{"spectral", umap_init::spectral}, name_value{"pca", umap_init::pca}, name_value{"random", umap_init::random}};
}

/// Parameters of umap.
struct umap_params {
  std::size_t n_components = 2;     ///< output dimensions (>= 1)
  std::size_t n_neighbors = 15;     ///< neighborhood size, the row itself included (2 <= k < n)
  double min_dist = 0.1;            ///< smallest distance between embedded points (>= 0, <= spread)
  double spread = 1.0;              ///< scale of the embedded clusters (> 0)
  std::size_t n_epochs = 0;         ///< optimization epochs; 0 = 500 up to 10,000 rows, else 200
  double learning_rate = 1.0;       ///< initial SGD step (> 0), decaying linearly to 0
  double negative_sample_rate = 5;  ///< repulsive samples per attractive one (>= 0)
  double repulsion_strength = 1.0;  ///< weight of the repulsive samples (gamma, >= 0)
  double local_connectivity = 1.0;  ///< neighbors assumed fully connected (>= 0)
  double set_op_mix_ratio = 1.0;    ///< 1 = fuzzy union of the two directed graphs, 0 = intersection
  umap_init init = umap_init::spectral;  ///< see umap_init
  std::size_t transform_epochs = 0; ///< epochs for new rows; 0 = 100 up to 10,000 training rows, else 30
  knn_method knn = knn_method::automatic;  ///< how the k-NN graph is found (exact up to 20,000 rows, HNSW above)
  std::uint64_t seed = 0;           ///< the only source of randomness
  std::size_t threads = 0;          ///< 0 = all hardware threads; results do not depend on it

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = umap_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("n_components", &p::n_components, "output dimensions", sp::at_least(1), "dims"),
                      sp::field("n_neighbors", &p::n_neighbors, "neighborhood size, the row itself included (below the number of rows)", sp::at_least(2),
                                "neighbors"),
                      sp::field("min_dist", &p::min_dist, "smallest distance between embedded points (at most spread)", sp::at_least(0)),
                      sp::field("spread", &p::spread, "scale of the embedded clusters", sp::above(0)),
                      sp::field("n_epochs", &p::n_epochs, "optimization epochs; 0 = 500 up to 10,000 rows, else 200", {}, "epochs"),
                      sp::field("learning_rate", &p::learning_rate, "initial SGD step, decaying linearly to 0", sp::above(0)),
                      sp::field("negative_sample_rate", &p::negative_sample_rate, "repulsive samples per attractive one", sp::at_least(0)),
                      sp::field("repulsion_strength", &p::repulsion_strength, "weight of the repulsive samples (gamma)", sp::at_least(0)),
                      sp::field("local_connectivity", &p::local_connectivity, "neighbors assumed fully connected", sp::at_least(0)),
                      sp::field("set_op_mix_ratio", &p::set_op_mix_ratio, "1 = fuzzy union of the two directed graphs, 0 = intersection", sp::between(0, 1)),
                      sp::field("init", &p::init, "spectral (the graph's Laplacian, per component), pca or random"),
                      sp::field("transform_epochs", &p::transform_epochs, "epochs for new rows; 0 = 100 up to 10,000 training rows, else 30"),
                      sp::field("knn", &p::knn, "neighbor search: auto (exact up to 20,000 rows, else hnsw), exact or hnsw"),
                      sp::field("seed", &p::seed, "the only source of randomness"),
                      sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it")};
  }
};

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

/**
 * @brief A fitted UMAP: the embedding of the training rows and what transform() needs.
 * @par Thread safety  transform is const and may run concurrently.
 */
template <class Metric = distance::l2_metric, class T = float>
struct umap_model {
  matrix<float> embedding;      ///< n x n_components
  umap_curve curve;             ///< a, b of the output kernel
  umap_params params;           ///< the parameters fitted with
  matrix<T> training;           ///< a copy of the training rows (for transform's neighbors)
  std::size_t n_epochs = 0;     ///< epochs run
  bool spectral_fallback = false;  ///< spectral init was asked for but impossible (n_components + 1 >= n): PCA used
  knn_method knn = knn_method::exact;  ///< how the k-NN graph was found (automatic resolved)

  /**
   * @brief Embeds new rows against the fitted embedding (kept fixed): each row's neighbors among
   * the training rows, its fuzzy memberships, a start at their weighted mean, then SGD on that row
   * alone with a random stream drawn from its own values. A row therefore gets the same
   * coordinates alone or in any batch, and the result does not depend on `threads`.
   * @throws segkit::invalid_argument for another column count or NaN/Inf.
   * @par Complexity  per row O(n d) for the exact neighbors plus O(k epochs (1 + negative rate)) updates.
   */
  template <class E>
  [[nodiscard]] matrix<float> transform(const E& x_in, std::size_t threads = 0) const {
    const auto x = as_rows<T>(x_in);
    const std::size_t d = training.shape(1), dim = embedding.shape(1), n = training.shape(0);
    if (x->cols() != d) detail::throw_umap(fmt::format("transform: rows have {} columns, the model {}", x->cols(), d));
    require_finite<T>("segkit::reduce::umap::transform", "x", x.view());
    const std::size_t k = std::min(params.n_neighbors, n);
    executor ex(threads);
    std::vector<std::uint32_t> ids;
    std::vector<float> dists;
    const matrix_view<T> base(training.data(), n, d, d);
    detail::exact_knn(Metric{}, x.view(), base, k, false, ex, ids, dists, true);
    const std::size_t m = x->rows();
    std::vector<double> sigma, rho;
    detail::smooth_knn(dists, m, k, std::max(0.0, params.local_connectivity - 1.0), false, sigma, rho);
    const std::size_t epochs = params.transform_epochs != 0 ? params.transform_epochs : (n <= 10000 ? 100 : 30);
    matrix<float> out = matrix<float>::from_shape({m, dim});
    parallel_for(ex, m, 16, [&](std::size_t b, std::size_t e, std::size_t) {
      for (std::size_t i = b; i < e; ++i) {
        std::vector<double> w(k);
        double total = 0.0, top = 0.0;
        for (std::size_t j = 0; j < k; ++j) {
          w[j] = detail::membership(dists[i * k + j], rho[i], sigma[i]);
          total += w[j];
          top = std::max(top, w[j]);
        }
        std::vector<double> start(dim, 0.0);
        for (std::size_t j = 0; j < k; ++j) {
          for (std::size_t q = 0; q < dim; ++q) start[q] += w[j] / total * embedding(ids[i * k + j], q);
        }
        std::vector<float> pos(start.begin(), start.end());
        // This row's edges, weak ones dropped against its own strongest (not the batch's).
        std::vector<double> kept;
        std::vector<std::uint32_t> tails;
        for (std::size_t j = 0; j < k; ++j) {
          if (w[j] >= top / static_cast<double>(epochs)) {
            kept.push_back(w[j]);
            tails.push_back(ids[i * k + j]);
          }
        }
        detail::sgd_state st;
        st.per_sample = detail::epochs_per_sample(kept, epochs);
        st.next_sample = st.per_sample;
        for (const double v : st.per_sample) {
          st.per_negative.push_back(params.negative_sample_rate > 0.0 ? v / params.negative_sample_rate : std::numeric_limits<double>::infinity());
        }
        st.next_negative = st.per_negative;
        segkit::rng gen(detail::row_seed(x->row(i), d, params.seed));
        const double alpha0 = params.learning_rate / 4.0;
        for (std::size_t ep = 0; ep < epochs; ++ep) {
          const auto alpha = static_cast<float>(alpha0 * (1.0 - static_cast<double>(ep) / static_cast<double>(epochs)));
          detail::move_head_any(pos.data(), dim, embedding.data(), n, tails.data(), 0, tails.size(), st, static_cast<double>(ep), alpha, curve,
                            static_cast<float>(params.repulsion_strength), 1, gen, n);
        }
        for (std::size_t q = 0; q < dim; ++q) out(i, q) = pos[q];
      }
    });
    return out;
  }

  /// Kind of the container the model is stored in (segkit::storable_model).
  static constexpr std::string_view container_kind = "segkit.model.umap";
  /// Writes the model atomically in segkit's checksummed container.
  void save(const std::filesystem::path& path) const { save_model(*this, path); }
  /// Reads a model written by save(). @throws segkit::io_error / segkit::format_error.
  [[nodiscard]] static umap_model load(const std::filesystem::path& path) { return load_model<umap_model>(path); }

  /// Adds the model's sections to `w`: the parameters, the metric's name and the element type (a
  /// model loads only into the same umap_model<Metric, T>), the training rows and the embedding.
  void write_to(container_writer& w) const {
    byte_writer meta;
    meta.put(std::uint32_t{1}).put_string(Metric::name).put(static_cast<std::uint8_t>(sizeof(T)));
    meta.put(static_cast<std::uint64_t>(training.shape(0))).put(static_cast<std::uint64_t>(training.shape(1))).put(static_cast<std::uint64_t>(embedding.shape(1)));
    meta.put(curve.a).put(curve.b).put(static_cast<std::uint64_t>(n_epochs)).put(static_cast<std::uint8_t>(spectral_fallback)).put(static_cast<std::uint8_t>(knn));
    const auto& p = params;
    meta.put(static_cast<std::uint64_t>(p.n_components)).put(static_cast<std::uint64_t>(p.n_neighbors)).put(p.min_dist).put(p.spread);
    meta.put(static_cast<std::uint64_t>(p.n_epochs)).put(p.learning_rate).put(p.negative_sample_rate).put(p.repulsion_strength);
    meta.put(p.local_connectivity).put(p.set_op_mix_ratio).put(static_cast<std::uint8_t>(p.init)).put(static_cast<std::uint64_t>(p.transform_epochs));
    meta.put(static_cast<std::uint8_t>(p.knn)).put(p.seed).put(static_cast<std::uint64_t>(p.threads));
    w.add_copy("meta", meta.bytes());
    w.add_array<T>("train", std::span<const T>(training.data(), training.size()));
    w.add_array<float>("embed", std::span<const float>(embedding.data(), embedding.size()));
  }

  /// Rebuilds a model from write_to()'s sections, checking every value. @throws segkit::format_error
  /// for a damaged file or one written for another metric or element type.
  [[nodiscard]] static umap_model read_from(const container_reader& file) {
    byte_reader meta(file.section("meta"), file);
    if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("UMAP model format version {} is not supported", v));
    if (const auto name = meta.get_string(); name != Metric::name) file.fail(fmt::format("the model was fitted with metric '{}', not '{}'", name, Metric::name));
    if (const auto size = meta.get<std::uint8_t>(); size != sizeof(T)) file.fail(fmt::format("the model holds {}-byte training values, not {}-byte", size, sizeof(T)));
    const auto n = meta.get<std::uint64_t>(), d = meta.get<std::uint64_t>(), c = meta.get<std::uint64_t>();
    if (n < 2 || d == 0 || c == 0 || n > (std::uint64_t{1} << 40) / (d + c)) file.fail(fmt::format("implausible UMAP shape ({} rows, {} columns, {} components)", n, d, c));
    umap_model m;
    m.curve.a = meta.get<double>();
    m.curve.b = meta.get<double>();
    m.n_epochs = meta.get<std::uint64_t>();
    m.spectral_fallback = meta.get<std::uint8_t>() != 0;
    const auto knn = meta.get<std::uint8_t>();
    auto& p = m.params;
    p.n_components = meta.get<std::uint64_t>();
    p.n_neighbors = meta.get<std::uint64_t>();
    p.min_dist = meta.get<double>();
    p.spread = meta.get<double>();
    p.n_epochs = meta.get<std::uint64_t>();
    p.learning_rate = meta.get<double>();
    p.negative_sample_rate = meta.get<double>();
    p.repulsion_strength = meta.get<double>();
    p.local_connectivity = meta.get<double>();
    p.set_op_mix_ratio = meta.get<double>();
    const auto init = meta.get<std::uint8_t>();
    p.transform_epochs = meta.get<std::uint64_t>();
    const auto pknn = meta.get<std::uint8_t>();
    p.seed = meta.get<std::uint64_t>();
    p.threads = meta.get<std::uint64_t>();
    if (knn > static_cast<std::uint8_t>(knn_method::hnsw) || pknn > static_cast<std::uint8_t>(knn_method::hnsw) || init > static_cast<std::uint8_t>(umap_init::random)) {
      file.fail("unknown k-NN method or initialization");
    }
    m.knn = static_cast<knn_method>(knn);
    p.knn = static_cast<knn_method>(pknn);
    p.init = static_cast<umap_init>(init);
    for (const double v : {m.curve.a, m.curve.b, p.min_dist, p.spread, p.learning_rate, p.negative_sample_rate, p.repulsion_strength, p.local_connectivity}) {
      if (!std::isfinite(v) || v < 0.0) file.fail(fmt::format("a UMAP parameter is negative or not finite ({})", v));
    }
    if (p.n_components != c || p.n_neighbors < 2 || p.n_epochs > (std::uint64_t{1} << 32) || p.transform_epochs > (std::uint64_t{1} << 32)) {
      file.fail("implausible UMAP parameters");
    }
    const auto x = file.finite_array<T>("train", n * d);
    m.training = matrix<T>::from_shape({n, d});
    std::copy(x.begin(), x.end(), m.training.begin());
    const auto e = file.finite_array<float>("embed", n * c);
    m.embedding = matrix<float>::from_shape({n, c});
    std::copy(e.begin(), e.end(), m.embedding.begin());
    return m;
  }
};

/**
 * @brief UMAP (satisfies segkit::inductive_reducer).
 *
 * @code
 * auto model = segkit::reduce::umap<>({.n_neighbors = 15, .min_dist = 0.1, .seed = 1}).fit(x);
 * model.embedding;                    // n x 2
 * auto y = model.transform(new_rows); // batch-invariant, deterministic
 * @endcode
 * Steps (umap-learn 0.5 semantics): exact k nearest neighbors under `Metric` (blocked scans);
 * smooth k-NN distances (rho, sigma by bisection); membership strengths and their fuzzy union;
 * edges below max weight / n_epochs dropped; a, b fitted from min_dist and spread; spectral
 * initialization (block subspace iteration on the normalized adjacency, Rayleigh-Ritz), scaled to
 * [0, 10]; then n_epochs of SGD with negative sampling and a linearly decaying learning rate.
 *
 * **Deterministic parallel SGD.** umap-learn's parallel optimizer races on shared coordinates,
 * so its result depends on thread timing. Here each epoch reads a snapshot of all coordinates,
 * each row moves only itself (its edges in order, its negative samples from its own random
 * stream (seed, epoch, row)), and rows are split across threads: the same bits for any thread
 * count. A row's attraction is applied twice per edge sample, as umap-learn's move of both ends
 * of both directed copies of an undirected edge does.
 * @par Thread safety  fit is const and may run concurrently on different data.
 */
template <class Metric = distance::l2_metric, class T = float>
class umap {
 public:
  using value_type = T;
  /// @throws segkit::invalid_argument naming the first parameter outside its table's range, or min_dist above spread.
  explicit umap(umap_params params = {}) : params_(params) {
    segkit::params::validate(params_, "segkit::reduce::umap");
    if (params_.min_dist > params_.spread) detail::throw_umap(fmt::format("min_dist ({}) must lie in [0, spread]", params_.min_dist));
  }

  /**
   * @brief Fits the embedding.
   * @throws segkit::invalid_argument for fewer than 3 rows, n_neighbors outside [2, n), NaN/Inf,
   *         or a parameter outside its range.
   * @par Complexity  O(n^2 d) for the exact neighbors, O(n k (n_epochs (1 + negative rate))) for SGD.
   */
  template <class E>
  [[nodiscard]] umap_model<Metric, T> fit(const E& x_in) const {
    const auto x = as_rows<T>(x_in);
    const std::size_t n = x->rows(), d = x->cols();
    check(n, d);
    require_finite<T>("segkit::reduce::umap", "x", x.view());
    executor ex(params_.threads);
    umap_model<Metric, T> model;
    model.params = params_;
    model.training = matrix<T>::from_shape({n, d});
    for (std::size_t i = 0; i < n; ++i) std::copy_n(x->row(i), d, model.training.data() + i * d);
    const std::size_t k = params_.n_neighbors, dim = params_.n_components;
    std::vector<std::uint32_t> ids;
    std::vector<float> dists;
    model.knn = detail::self_knn(Metric{}, x.view(), k, params_.knn, params_.seed, ex, ids, dists);
    std::vector<double> sigma, rho;
    detail::smooth_knn(dists, n, k, params_.local_connectivity, true, sigma, rho);
    auto g = detail::fuzzy_simplicial_set(ids, dists, n, k, sigma, rho, params_.set_op_mix_ratio);
    const std::size_t epochs = params_.n_epochs != 0 ? params_.n_epochs : (n <= 10000 ? 500 : 200);
    model.n_epochs = epochs;
    // Drop edges too weak to be sampled in any epoch.
    const double top = g.weight.empty() ? 0.0 : *std::max_element(g.weight.begin(), g.weight.end());
    const double cut = top / static_cast<double>(epochs > 10 ? epochs : 200);
    {
      detail::fuzzy_graph h;
      h.start.assign(n + 1, 0);
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t e = g.start[i]; e < g.start[i + 1]; ++e) {
          if (g.weight[e] < cut) continue;
          h.column.push_back(g.column[e]);
          h.weight.push_back(g.weight[e]);
        }
        h.start[i + 1] = h.column.size();
      }
      g = std::move(h);
    }
    model.curve = detail::fit_curve(params_.spread, params_.min_dist);
    // Initial layout, scaled into [0, 10] per axis.
    std::vector<double> pos = initial_layout(x.view(), g, ex, model.spectral_fallback);
    for (std::size_t q = 0; q < dim; ++q) {
      double lo = std::numeric_limits<double>::infinity(), hi = -lo;
      for (std::size_t i = 0; i < n; ++i) {
        lo = std::min(lo, pos[i * dim + q]);
        hi = std::max(hi, pos[i * dim + q]);
      }
      const double span = hi > lo ? hi - lo : 1.0;
      for (std::size_t i = 0; i < n; ++i) pos[i * dim + q] = 10.0 * (pos[i * dim + q] - lo) / span;
    }
    optimize(g, epochs, model.curve, pos, ex);
    model.embedding = matrix<float>::from_shape({n, dim});
    for (std::size_t i = 0; i < n * dim; ++i) model.embedding.data()[i] = static_cast<float>(pos[i]);
    return model;
  }

  /// fit(x).embedding.
  template <class E>
  [[nodiscard]] matrix<T> fit_transform(const E& x) const {
    const auto m = fit(x);
    return xt::cast<T>(m.embedding);
  }

 private:
  void check(std::size_t n, std::size_t d) const {
    const auto& p = params_;
    if (n < 3) detail::throw_umap(fmt::format("needs at least 3 rows (got {})", n));
    if (d == 0) detail::throw_umap("rows have 0 columns");
    if (n > std::numeric_limits<std::uint32_t>::max()) detail::throw_umap("more than 2^32 - 1 rows");
    if (p.n_neighbors >= n) detail::throw_umap(fmt::format("n_neighbors ({}) must lie in [2, n) with n = {}", p.n_neighbors, n));
  }

  /// Spectral, PCA or random start (n x dim, row-major).
  std::vector<double> initial_layout(const matrix_view<T>& x, const detail::fuzzy_graph& g, executor& ex, bool& fallback) const {
    const std::size_t n = x.rows(), dim = params_.n_components;
    std::vector<double> pos(n * dim);
    umap_init how = params_.init;
    if (how == umap_init::spectral) {
      graph::union_find uf(n);
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t e = g.start[i]; e < g.start[i + 1]; ++e) uf.unite(i, g.column[e]);
      }
      std::size_t components = 0;
      for (std::size_t i = 0; i < n; ++i) components += uf.find(i) == i ? 1 : 0;
      if (dim + 1 >= n) {
        how = umap_init::pca;
        fallback = true;
      } else if (components > 1) {
        pos = multi_component(x, g, uf, components, ex);
      } else {
        pos = spectral(g, ex);
      }
    }
    if (how == umap_init::random) {
      segkit::rng gen(params_.seed, 0xA11CEULL);
      for (double& v : pos) v = -10.0 + 20.0 * gen.uniform();
      return pos;
    }
    if (how == umap_init::pca) {
      const std::size_t c = std::min({dim, n, x.cols()});
      const auto m = pca<T>({.n_components = c, .seed = params_.seed, .threads = params_.threads}).fit(x);
      const auto y = m.transform(x, params_.threads);
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t q = 0; q < dim; ++q) pos[i * dim + q] = q < c ? static_cast<double>(y(i, q)) : 0.0;
      }
    }
    // umap-learn: scale so the largest |coordinate| is 10, then add a little noise.
    double top = 0.0;
    for (const double v : pos) top = std::max(top, std::abs(v));
    const double expansion = top > 0.0 ? 10.0 / top : 1.0;
    for (std::size_t i = 0; i < n; ++i) {
      segkit::rng gen(params_.seed, 0x1217000000ULL + i);
      for (std::size_t q = 0; q < dim; ++q) pos[i * dim + q] = pos[i * dim + q] * expansion + 1e-4 * gen.normal();
    }
    return pos;
  }

  /// A disconnected graph (umap-learn's multi-component idea): each component laid out on its own
  /// (spectral when it has more than dim + 2 rows, else random), scaled to a small box, and placed at
  /// its centroid's position in a layout of the component centroids (PCA of the centroids, or the
  /// coordinate axes when there are at most dim components).
  std::vector<double> multi_component(const matrix_view<T>& x, const detail::fuzzy_graph& g, graph::union_find& uf, std::size_t count,
                                      executor& ex) const {
    const std::size_t n = x.rows(), d = x.cols(), dim = params_.n_components;
    std::vector<std::size_t> comp(n), root_index(n, count);
    std::size_t next = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t r = uf.find(i);
      if (root_index[r] == count) root_index[r] = next++;
      comp[i] = root_index[r];
    }
    std::vector<std::vector<std::uint32_t>> members(count);
    for (std::size_t i = 0; i < n; ++i) members[comp[i]].push_back(static_cast<std::uint32_t>(i));
    // Where each component goes.
    std::vector<double> meta(count * dim, 0.0);
    if (count <= dim) {
      for (std::size_t c = 0; c < count; ++c) meta[c * dim + c] = 1.0;
    } else {
      matrix<double> centroids = xt::zeros<double>({count, d});
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < d; ++j) centroids(comp[i], j) += static_cast<double>(x.row(i)[j]) / static_cast<double>(members[comp[i]].size());
      }
      const std::size_t c2 = std::min({dim, count, d});
      const auto y = pca<double>({.n_components = c2, .solver = pca_solver::full, .threads = params_.threads}).fit_transform(centroids);
      double top = 0.0;
      for (const double v : y) top = std::max(top, std::abs(v));
      for (std::size_t c = 0; c < count; ++c) {
        for (std::size_t q = 0; q < c2; ++q) meta[c * dim + q] = top > 0.0 ? y(c, q) / top : 0.0;
      }
    }
    // Each component's own layout, scaled so components do not overlap.
    const double box = 0.5 / std::sqrt(static_cast<double>(count));
    std::vector<double> pos(n * dim, 0.0);
    for (std::size_t c = 0; c < count; ++c) {
      const auto& rows = members[c];
      const std::size_t m = rows.size();
      std::vector<double> local(m * dim, 0.0);
      if (m > dim + 2) {
        std::vector<std::uint32_t> local_index(n, 0);
        for (std::size_t r = 0; r < m; ++r) local_index[rows[r]] = static_cast<std::uint32_t>(r);
        detail::fuzzy_graph sub;
        sub.start.assign(m + 1, 0);
        for (std::size_t r = 0; r < m; ++r) {
          for (std::size_t e = g.start[rows[r]]; e < g.start[rows[r] + 1]; ++e) {
            sub.column.push_back(local_index[g.column[e]]);
            sub.weight.push_back(g.weight[e]);
          }
          sub.start[r + 1] = sub.column.size();
        }
        local = spectral(sub, ex);
      } else {
        for (std::size_t r = 0; r < m; ++r) {
          segkit::rng gen(params_.seed, 0xC0E0000000ULL + rows[r]);
          for (std::size_t q = 0; q < dim; ++q) local[r * dim + q] = gen.uniform() * 2.0 - 1.0;
        }
      }
      double top = 0.0;
      for (const double v : local) top = std::max(top, std::abs(v));
      for (std::size_t r = 0; r < m; ++r) {
        for (std::size_t q = 0; q < dim; ++q) {
          pos[rows[r] * dim + q] = meta[c * dim + q] + (top > 0.0 ? local[r * dim + q] / top : 0.0) * box;
        }
      }
    }
    return pos;
  }

  /// The eigenvectors 2..dim+1 of the normalized adjacency D^-1/2 A D^-1/2 with the largest
  /// eigenvalues (the smallest of the normalized Laplacian), by block subspace iteration on
  /// (I + N) / 2 with Rayleigh-Ritz steps.
  std::vector<double> spectral(const detail::fuzzy_graph& g, executor& ex) const {
    const std::size_t n = g.size(), dim = params_.n_components;
    const std::size_t b = std::min(n, dim + 1 + 8);
    std::vector<double> dinv(n, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      double s = 0.0;
      for (std::size_t e = g.start[i]; e < g.start[i + 1]; ++e) s += g.weight[e];
      dinv[i] = s > 0.0 ? 1.0 / std::sqrt(s) : 0.0;
    }
    const auto apply = [&](const std::vector<double>& v, std::vector<double>& out) {  // out = (I + N) v / 2, n x b
      out.assign(n * b, 0.0);
      parallel_for(ex, n, 1024, [&](std::size_t rb, std::size_t re, std::size_t) {
        for (std::size_t i = rb; i < re; ++i) {
          double* o = out.data() + i * b;
          for (std::size_t e = g.start[i]; e < g.start[i + 1]; ++e) {
            const double w = g.weight[e] * dinv[i] * dinv[g.column[e]];
            const double* src = v.data() + static_cast<std::size_t>(g.column[e]) * b;
            for (std::size_t c = 0; c < b; ++c) o[c] += w * src[c];
          }
          for (std::size_t c = 0; c < b; ++c) o[c] = 0.5 * (o[c] + v[i * b + c]);
        }
      });
    };
    const auto orthonormalize = [&](std::vector<double>& v) {  // modified Gram-Schmidt on the b columns
      for (std::size_t c = 0; c < b; ++c) {
        for (std::size_t p = 0; p < c; ++p) {
          double dot = 0.0;
          for (std::size_t i = 0; i < n; ++i) dot += v[i * b + c] * v[i * b + p];
          for (std::size_t i = 0; i < n; ++i) v[i * b + c] -= dot * v[i * b + p];
        }
        double norm = 0.0;
        for (std::size_t i = 0; i < n; ++i) norm += v[i * b + c] * v[i * b + c];
        norm = std::sqrt(norm);
        for (std::size_t i = 0; i < n; ++i) v[i * b + c] = norm > 0.0 ? v[i * b + c] / norm : 0.0;
      }
    };
    std::vector<double> v(n * b), w;
    for (std::size_t i = 0; i < n; ++i) {
      segkit::rng gen(params_.seed, 0x5EC7000000ULL + i);
      for (std::size_t c = 0; c < b; ++c) v[i * b + c] = gen.normal();
    }
    orthonormalize(v);
    // Chebyshev-filtered subspace iteration (Zhou & Saad 2007): each round a Rayleigh-Ritz step,
    // then a degree-8 Chebyshev polynomial of M that damps [0, smallest Ritz value of the block]
    // and amplifies the wanted eigenvalues near 1, which plain power steps separate slowly.
    constexpr std::size_t max_rounds = 60, degree = 8;
    std::vector<double> h(b * b), vec, ritz, rv(n * b), rw(n * b), y0, y1, y2;
    for (std::size_t round = 1; round <= max_rounds; ++round) {
      apply(v, w);
      std::fill(h.begin(), h.end(), 0.0);
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t p = 0; p < b; ++p) {
          for (std::size_t q = 0; q < b; ++q) h[p * b + q] += v[i * b + p] * w[i * b + q];
        }
      }
      for (std::size_t p = 0; p < b; ++p) {
        for (std::size_t q = p + 1; q < b; ++q) h[p * b + q] = h[q * b + p] = 0.5 * (h[p * b + q] + h[q * b + p]);
      }
      ritz = detail::symmetric_eigen(h, b, vec);
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t c = 0; c < b; ++c) {
          double s1 = 0.0, s2 = 0.0;
          for (std::size_t p = 0; p < b; ++p) {
            s1 += v[i * b + p] * vec[c * b + p];
            s2 += w[i * b + p] * vec[c * b + p];
          }
          rv[i * b + c] = s1;
          rw[i * b + c] = s2;
        }
      }
      double worst = 0.0;
      for (std::size_t c = 0; c <= dim; ++c) {
        double r = 0.0;
        for (std::size_t i = 0; i < n; ++i) r += (rw[i * b + c] - ritz[c] * rv[i * b + c]) * (rw[i * b + c] - ritz[c] * rv[i * b + c]);
        worst = std::max(worst, std::sqrt(r));
      }
      v = rv;
      if (worst < 1e-4 || round == max_rounds) break;  // umap-learn's eigsh tolerance
      const double hi = std::max(ritz[b - 1], 1e-3), e = hi / 2.0, c = hi / 2.0;
      y0 = v;
      y1.assign(n * b, 0.0);
      for (std::size_t i = 0; i < n * b; ++i) y1[i] = (rw[i] - c * v[i]) / e;
      for (std::size_t j = 2; j <= degree; ++j) {
        apply(y1, y2);
        for (std::size_t i = 0; i < n * b; ++i) y2[i] = 2.0 * (y2[i] - c * y1[i]) / e - y0[i];
        y0.swap(y1);
        y1.swap(y2);
      }
      v.swap(y1);
      orthonormalize(v);
    }
    std::vector<double> pos(n * dim);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t q = 0; q < dim; ++q) pos[i * dim + q] = v[i * b + q + 1];
    }
    return pos;
  }

  /// Deterministic parallel SGD: each epoch reads a snapshot; each row moves only itself.
  void optimize(const detail::fuzzy_graph& g, std::size_t epochs, umap_curve curve, std::vector<double>& pos, executor& ex) const {
    const std::size_t n = g.size(), dim = params_.n_components;
    detail::sgd_state st;
    st.per_sample = detail::epochs_per_sample(g.weight, epochs);
    st.next_sample = st.per_sample;
    st.per_negative.resize(st.per_sample.size());
    const double rate = params_.negative_sample_rate;
    for (std::size_t e = 0; e < st.per_sample.size(); ++e) st.per_negative[e] = rate > 0.0 ? st.per_sample[e] / rate : std::numeric_limits<double>::infinity();
    st.next_negative = st.per_negative;
    std::vector<float> live(pos.begin(), pos.end()), snapshot(n * dim);
    for (std::size_t ep = 0; ep < epochs; ++ep) {
      snapshot = live;
      const auto alpha = static_cast<float>(params_.learning_rate * (1.0 - static_cast<double>(ep) / static_cast<double>(epochs)));
      parallel_for(ex, n, 256, [&](std::size_t b, std::size_t e, std::size_t) {
        for (std::size_t i = b; i < e; ++i) {
          segkit::rng gen(params_.seed, (static_cast<std::uint64_t>(ep) << 32) | i);
          detail::move_head_any(live.data() + i * dim, dim, snapshot.data(), n, g.column.data(), g.start[i], g.start[i + 1], st,
                            static_cast<double>(ep), alpha, curve, static_cast<float>(params_.repulsion_strength), 2, gen, i);
        }
      });
    }
    std::copy(live.begin(), live.end(), pos.begin());
  }

  umap_params params_;
};

static_assert(segkit::inductive_reducer<umap<distance::l2_metric, float>, float>);

}  // namespace segkit::reduce
