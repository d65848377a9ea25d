#pragma once
/// @file
/// @brief K-Means (Lloyd, Hamerly or Elkan iterations) with greedy k-means++, random or given initial centers, sample weights,
/// restarts, and spherical k-means for cosine similarity.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/row_group.hpp"
#include "segkit/core/binary_format.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/npy.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/random.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distance/kernels.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/distance/nearest.hpp"
#include "segkit/distance/pairwise.hpp"

namespace segkit::cluster {

/// How k-means runs its iterations. All give the same centers and labels from the same start.
enum class kmeans_algorithm {
  lloyd,   ///< every row against every center each iteration (BLAS or SIMD registers)
  hamerly,  ///< Lloyd with Hamerly's bounds (2010): one lower bound per row; memory O(n)
  elkan     ///< Lloyd with Elkan's bounds (2003): one lower bound per row and center; memory O(n k), fewest distances
};

/// How k-means chooses its first centers.
enum class kmeans_init {
  kmeans_plus_plus,  ///< greedy k-means++ (Arthur & Vassilvitskii 2007) with 2 + ln(k) local trials
  random,            ///< k distinct samples drawn with probability proportional to their weight
  kmeans_parallel    ///< k-means|| (Bahmani et al. 2012): a few oversampling passes, then k-means++ on the weighted candidates
};

/// Parameters of segkit::cluster::kmeans. Every field has a default.
struct kmeans_params {
  std::size_t k = 8;                         ///< number of clusters, 1 <= k <= number of samples
  std::size_t max_iter = 300;                ///< Lloyd iterations per restart (>= 1)
  double tol = 1e-4;                         ///< converged when the summed squared center shift is <= tol x mean feature variance (scikit-learn's rule)
  std::size_t n_init = 1;                    ///< restarts from different initial centers; the lowest inertia wins (>= 1)
  kmeans_init init = kmeans_init::kmeans_plus_plus;  ///< how initial centers are chosen (ignored if initial_centers is given)
  std::size_t init_rounds = 5;               ///< k-means||: oversampling passes over the data (>= 1)
  double oversampling = 2.0;                 ///< k-means||: expected candidates per pass, as a multiple of k (> 0)
  kmeans_algorithm algorithm = kmeans_algorithm::lloyd;  ///< iteration strategy (same result); hamerly/elkan pay off for many iterations near convergence
  matrix<double> initial_centers{};          ///< k x d starting centers; empty = use `init`. With it, n_init is 1.
  bool spherical = false;                    ///< cosine k-means: rows and centers on the unit sphere, assignment by cosine
  std::uint64_t seed = 0;                    ///< the only source of randomness
  std::size_t threads = 0;                   ///< 0 = all hardware threads; results do not depend on it
};

/**
 * @brief A fitted k-means model: centers, labels of the training rows, and how the fit went.
 * @par Thread safety  const calls (predict, transform, save) may run concurrently.
 */
template <class T = float>
struct kmeans_model {
  matrix<T> centers;                   ///< k x d cluster centers (unit length if spherical)
  xt::xtensor<label_type, 1> labels;   ///< cluster of each training row, 0..k-1
  std::size_t n_clusters = 0;          ///< k
  double inertia = 0.0;                ///< weighted sum of squared distances to the closest center (spherical: of 1 - cosine)
  std::size_t n_iter = 0;              ///< Lloyd iterations of the winning restart
  bool converged = false;              ///< labels stopped changing or the center shift fell within tol
  bool spherical = false;              ///< fitted as spherical (cosine) k-means

  /// Closest center of each row (ties: the lower center index).
  /// @throws segkit::invalid_argument if the dimension differs or a row holds NaN/Inf.
  template <class E>
  [[nodiscard]] xt::xtensor<label_type, 1> predict(const E& x, std::size_t threads = 0) const;

  /// Euclidean distance of each row to each center (n x k); cosine distance if spherical.
  template <class E>
  [[nodiscard]] matrix<T> transform(const E& x, std::size_t threads = 0) const;

  /// Kind of the container the model is stored in (segkit::storable_model).
  static constexpr std::string_view container_kind = "segkit.model.kmeans";
  /// Writes the model atomically in segkit's checksummed container.
  void save(const std::filesystem::path& path) const { save_model(*this, path); }
  /// Reads a model written by save(). @throws segkit::format_error if damaged or of another kind.
  [[nodiscard]] static kmeans_model load(const std::filesystem::path& path) { return load_model<kmeans_model>(path); }
  /// Adds the model's sections to `w` (segkit::storable_model).
  void write_to(container_writer& w) const;
  /// Rebuilds a model from write_to()'s sections, checking every value. @throws segkit::format_error.
  [[nodiscard]] static kmeans_model read_from(const container_reader& file);
};

namespace detail {

inline constexpr const char* kmeans_component = "segkit::cluster::kmeans";
inline constexpr std::size_t kmeans_grain = distance::nearest_grain;  // rows per work item: fixed, so results do not depend on threads

// Per-work-item partial sums of one assignment, combined in item order.
struct lloyd_partial {
  std::vector<double> sums;     // k x d weighted sums
  std::vector<double> weights;  // k
  double inertia = 0.0;

  lloyd_partial(std::size_t k, std::size_t d) : sums(k * d, 0.0), weights(k, 0.0) {}

  // Adds row x (d values) with weight w to cluster c.
  template <class T>
  void add(std::size_t c, double w, const T* x) {
    const std::size_t d = sums.size() / weights.size();
    double* sum = sums.data() + c * d;
    for (std::size_t j = 0; j < d; ++j) sum[j] += w * static_cast<double>(x[j]);
    weights[c] += w;
  }

  // Sums the partials of every process of `g`, and the `extra` values, in one message.
  void reduce(const row_group& g, std::span<double> extra = {}) {
    if (g.local()) return;
    std::vector<double> packed(sums);
    packed.insert(packed.end(), weights.begin(), weights.end());
    packed.push_back(inertia);
    packed.insert(packed.end(), extra.begin(), extra.end());
    g.sum(packed);
    auto at = packed.begin();
    std::copy_n(at, sums.size(), sums.begin());
    at += static_cast<std::ptrdiff_t>(sums.size());
    std::copy_n(at, weights.size(), weights.begin());
    at += static_cast<std::ptrdiff_t>(weights.size());
    inertia = *at++;
    std::copy(at, packed.end(), extra.begin());
  }

  // Folds another partial into this one (callers fold in item order).
  static lloyd_partial merge(lloyd_partial acc, const lloyd_partial& p) {
    for (std::size_t i = 0; i < acc.sums.size(); ++i) acc.sums[i] += p.sums[i];
    for (std::size_t c = 0; c < acc.weights.size(); ++c) acc.weights[c] += p.weights[c];
    acc.inertia += p.inertia;
    return acc;
  }
};

// The rows of a fit (this process's, when `group` spreads them over processes), their weights
// and squared norms, and the threads that work on them.
template <class T>
struct lloyd_state {
  matrix_view<T> x;
  std::span<const double> w;
  std::vector<T> x_terms;
  executor* ex;
  const row_group* group = &row_group::here();
};

// Copies of the given global rows (held by whichever process of s.group has them).
template <class T>
matrix<T> fetch_rows(const lloyd_state<T>& s, std::span<const std::size_t> ids) {
  const std::size_t d = s.x.cols(), off = s.group->offset();
  matrix<T> out = matrix<T>::from_shape({ids.size(), d});
  if (s.group->local()) {
    for (std::size_t j = 0; j < ids.size(); ++j) std::copy_n(s.x.row(ids[j]), d, &out(j, 0));
    return out;
  }
  const auto values = s.group->fetch(ids, d, [&](std::size_t row, double* o) { std::copy_n(s.x.row(row - off), d, o); });
  std::transform(values.begin(), values.end(), out.begin(), [](double v) { return static_cast<T>(v); });  // exact: they were T
  return out;
}

// One E-step over all rows: labels, squared distances (exact if `exact`), weighted sums per center.
template <class T>
lloyd_partial e_step(const lloyd_state<T>& s, const matrix<T>& centers, label_type* labels, T* dist, bool exact) {
  const std::size_t k = centers.shape(0), d = centers.shape(1);
  const matrix_view<T> cv(centers.data(), k, d);
  const auto c_terms = distance::row_norm_terms<distance::squared_l2_metric>(cv);
  return parallel_reduce(
      *s.ex, s.x.rows(), kmeans_grain, lloyd_partial(k, d),
      [&](std::size_t b, std::size_t e, std::size_t) {
        lloyd_partial p(k, d);
        std::vector<T> buffer;
        distance::nearest_centers_block(s.x, b, e, cv, s.x_terms, c_terms, labels, dist, buffer, exact);
        for (std::size_t i = b; i < e; ++i) {
          p.add(static_cast<std::size_t>(labels[i]), s.w[i], s.x.row(i));
          p.inertia += s.w[i] * static_cast<double>(dist[i]);
        }
        return p;
      },
      lloyd_partial::merge);
}

// Gives each empty cluster one of the rows farthest from their centers (largest first, ties to the
// lower row), moving that row's weight out of its old cluster, as scikit-learn documents.
template <class T>
void relocate_empty(const lloyd_state<T>& s, lloyd_partial& p, const label_type* labels, const T* dist) {
  const std::size_t k = p.weights.size(), d = s.x.cols();
  std::vector<std::size_t> empty;
  for (std::size_t c = 0; c < k; ++c) {
    if (p.weights[c] <= 0.0) empty.push_back(c);
  }
  if (empty.empty()) return;
  const std::vector<double> key(dist, dist + s.x.rows());
  const auto rows = s.group->largest(key, empty.size());
  // Per chosen row: its weight, its cluster, its values (fetched from the process holding it).
  const std::size_t off = s.group->offset();
  const auto info = s.group->fetch(rows, d + 2, [&](std::size_t row, double* o) {
    o[0] = s.w[row - off];
    o[1] = static_cast<double>(labels[row - off]);
    for (std::size_t j = 0; j < d; ++j) o[2 + j] = static_cast<double>(s.x(row - off, j));
  });
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double* r = info.data() + i * (d + 2);
    const std::size_t to = empty[i];
    const auto from = static_cast<std::size_t>(r[1]);
    const double wi = r[0];
    if (wi <= 0.0 || p.weights[from] - wi <= 0.0) continue;  // would empty another cluster
    for (std::size_t j = 0; j < d; ++j) {
      const double v = wi * r[2 + j];
      p.sums[from * d + j] -= v;
      p.sums[to * d + j] = v;
    }
    p.weights[from] -= wi;
    p.weights[to] = wi;
  }
}

template <class T>
void normalize_rows(matrix<T>& m);

// A copy of x with every non-zero row scaled to unit length (spherical k-means).
template <class T>
matrix<T> unit_rows(const matrix_view<T>& x) {
  matrix<T> unit = matrix<T>::from_shape({x.rows(), x.cols()});
  for (std::size_t i = 0; i < x.rows(); ++i) std::copy_n(x.row(i), x.cols(), &unit(i, 0));
  normalize_rows(unit);
  return unit;
}

template <class T>
void normalize_rows(matrix<T>& m) {
  for (std::size_t i = 0; i < m.shape(0); ++i) {
    T* r = &m(i, 0);
    const T n = std::sqrt(distance::dot(r, r, m.shape(1)));
    if (n > T{0}) {
      for (std::size_t j = 0; j < m.shape(1); ++j) r[j] /= n;
    }
  }
}

// Greedy k-means++: each new center is the best (lowest potential) of n_local_trials candidates
// drawn with probability proportional to weight x squared distance to the closest center so far.
template <class T>
matrix<T> kmeans_plus_plus(const lloyd_state<T>& s, std::size_t k, rng& r) {
  const std::size_t n = s.x.rows(), d = s.x.cols(), n_all = s.group->total(n);
  const std::size_t trials = 2 + static_cast<std::size_t>(std::log(static_cast<double>(k)));
  matrix<T> centers = matrix<T>::from_shape({k, d});
  const auto draw = [&](const std::vector<double>& mass, double total, std::size_t count) {  // global rows
    std::vector<double> us(count);
    for (auto& u : us) u = r.uniform() * total;
    return s.group->draw(mass, us);
  };
  std::vector<double> closest(n);
  std::vector<double> mass(s.w.begin(), s.w.end());
  const auto first = fetch_rows(s, draw(mass, s.group->sum(std::accumulate(mass.begin(), mass.end(), 0.0)), 1));
  std::copy_n(first.data(), d, &centers(0, 0));
  parallel_for(*s.ex, n, kmeans_grain, [&](std::size_t b, std::size_t e, std::size_t) {
    for (std::size_t i = b; i < e; ++i) closest[i] = distance::squared_l2(s.x.row(i), first.data(), d);
  });
  // Each step draws all its candidates first (the draws depend only on the current mass), then
  // gets their distances to every row from BLAS blocks and keeps the lowest potential.
  std::vector<T> cand_dist(n * trials);
  for (std::size_t c = 1; c < k; ++c) {
    for (std::size_t i = 0; i < n; ++i) mass[i] = s.w[i] * closest[i];
    const double potential = s.group->sum(std::accumulate(mass.begin(), mass.end(), 0.0));
    std::vector<std::size_t> rows(trials);
    if (potential > 0.0) {
      rows = draw(mass, potential, trials);
    } else {
      for (auto& row : rows) row = r.below(n_all);  // all rows on centers: any
    }
    const matrix<T> cand = fetch_rows(s, rows);
    const matrix_view<T> cv(cand.data(), trials, d);
    const auto c_terms = distance::row_norm_terms<distance::squared_l2_metric>(cv);
    auto pots = parallel_reduce(
        *s.ex, n, kmeans_grain, std::vector<double>(trials, 0.0),
        [&](std::size_t b, std::size_t e, std::size_t) {
          distance::distance_block<distance::squared_l2_metric, T>(distance::squared_l2_metric{}, s.x.slice(b, e), cv,
                                                                   s.x_terms.data() + b, c_terms.data(), cand_dist.data() + b * trials, trials, true);
          std::vector<double> acc(trials, 0.0);
          for (std::size_t i = b; i < e; ++i) {
            for (std::size_t t = 0; t < trials; ++t) acc[t] += s.w[i] * std::min<double>(closest[i], cand_dist[i * trials + t]);
          }
          return acc;
        },
        [](std::vector<double> acc, const std::vector<double>& p) {
          for (std::size_t t = 0; t < acc.size(); ++t) acc[t] += p[t];
          return acc;
        });
    s.group->sum(pots);
    const std::size_t best = static_cast<std::size_t>(std::min_element(pots.begin(), pots.end()) - pots.begin());
    std::copy_n(&cand(best, 0), d, &centers(c, 0));
    for (std::size_t i = 0; i < n; ++i) closest[i] = std::min<double>(closest[i], cand_dist[i * trials + best]);
  }
  return centers;
}

template <class T>
matrix<T> random_centers(const lloyd_state<T>& s, std::size_t k, rng& r) {
  const std::size_t n = s.x.rows(), off = s.group->offset();
  std::vector<double> mass(s.w.begin(), s.w.end());  // 0 once used: drawn without replacement
  std::vector<double> unused(n, 1.0);
  std::vector<std::size_t> picks(k);
  for (std::size_t c = 0; c < k; ++c) {
    const double total = s.group->sum(std::accumulate(mass.begin(), mass.end(), 0.0));
    const double u = r.uniform() * total;
    // No weight left on unused rows: the first unused row.
    picks[c] = total > 0.0 ? s.group->draw(mass, std::span<const double>(&u, 1))[0] : s.group->draw(unused, std::vector<double>{0.0})[0];
    if (picks[c] >= off && picks[c] - off < n) mass[picks[c] - off] = unused[picks[c] - off] = 0.0;
  }
  return fetch_rows(s, picks);
}

// After an assignment that skipped rows by distance bounds: relocating empty clusters ranks rows
// by their distance to their center, so then those distances are computed exactly.
template <class T>
void finish_bounded_step(const lloyd_state<T>& s, const lloyd_partial& part, const matrix<T>& centers, const label_type* labels, T* dist) {
  if (std::none_of(part.weights.begin(), part.weights.end(), [](double w) { return w <= 0.0; })) return;
  for (std::size_t i = 0; i < s.x.rows(); ++i) dist[i] = distance::squared_l2(s.x.row(i), &centers(static_cast<std::size_t>(labels[i]), 0), s.x.cols());
}

// Hamerly's bounds (G. Hamerly, "Making k-means even faster", SDM 2010): per row an upper bound
// u on the distance to its center and a lower bound l on the distance to any other center; a row
// is re-examined only when u exceeds max(l, half the distance from its center to the nearest
// other center). Distances are exact Euclidean (kernel + sqrt). Called once per iteration with
// the current centers; returns the weighted sums of the resulting assignment like e_step.
template <class T>
class hamerly_assigner {
 public:
  explicit hamerly_assigner(const lloyd_state<T>& s) : s_(s), upper_(s.x.rows()), lower_(s.x.rows()) {}

  lloyd_partial operator()(const matrix<T>& centers, label_type* labels, T* dist) {
    const std::size_t n = s_.x.rows(), d = s_.x.cols(), k = centers.shape(0);
    const auto dist_to = [&](std::size_t i, std::size_t c) { return std::sqrt(distance::squared_l2(s_.x.row(i), &centers(c, 0), d)); };
    const bool first = previous_.size() == 0;
    std::vector<double> half_gap(k, std::numeric_limits<double>::infinity());
    for (std::size_t a = 0; a < k; ++a) {
      for (std::size_t b = a + 1; b < k; ++b) {
        const double g = 0.5 * std::sqrt(static_cast<double>(distance::squared_l2(&centers(a, 0), &centers(b, 0), d)));
        half_gap[a] = std::min(half_gap[a], g);
        half_gap[b] = std::min(half_gap[b], g);
      }
    }
    std::vector<double> moved(k, 0.0);
    double max1 = 0.0, max2 = 0.0;
    std::size_t arg1 = 0;
    if (!first) {
      for (std::size_t c = 0; c < k; ++c) {
        moved[c] = std::sqrt(static_cast<double>(distance::squared_l2(&centers(c, 0), &previous_(c, 0), d)));
        if (moved[c] > max1) {
          max2 = max1;
          max1 = moved[c];
          arg1 = c;
        } else if (moved[c] > max2) {
          max2 = moved[c];
        }
      }
    }
    const matrix_view<T> cv(centers.data(), k, d);
    const auto c_terms = first ? distance::row_norm_terms<distance::squared_l2_metric>(cv) : std::vector<T>{};
    auto part = parallel_reduce(
        *s_.ex, n, kmeans_grain, lloyd_partial(k, d),
        [&](std::size_t b, std::size_t e, std::size_t) {
          lloyd_partial p(k, d);
          if (first) {  // Lloyd's own assignment; 0 is a valid lower bound until a row is recomputed
            std::vector<T> buffer;
            distance::nearest_centers_block(s_.x, b, e, cv, s_.x_terms, c_terms, labels, dist, buffer, true);
            for (std::size_t i = b; i < e; ++i) {
              upper_[i] = std::sqrt(static_cast<double>(dist[i]));
              lower_[i] = 0.0;
            }
          }
          for (std::size_t i = b; i < e; ++i) {
            bool recompute = false;
            if (!first) {
              const auto a = static_cast<std::size_t>(labels[i]);
              upper_[i] += moved[a];
              lower_[i] -= a == arg1 ? max2 : max1;
              const double bound = std::max(half_gap[a], lower_[i]);
              if (upper_[i] > bound) {
                upper_[i] = dist_to(i, a);
                recompute = upper_[i] > bound;
              }
            }
            if (recompute) {  // closest and second closest center, ties to the lower index
              double d1 = std::numeric_limits<double>::infinity(), d2 = d1;
              std::size_t best = 0;
              for (std::size_t c = 0; c < k; ++c) {
                const double dc = dist_to(i, c);
                if (dc < d1) {
                  d2 = d1;
                  d1 = dc;
                  best = c;
                } else if (dc < d2) {
                  d2 = dc;
                }
              }
              labels[i] = static_cast<label_type>(best);
              upper_[i] = d1;
              lower_[i] = d2;
            }
            p.add(static_cast<std::size_t>(labels[i]), s_.w[i], s_.x.row(i));
          }
          return p;
        },
        lloyd_partial::merge);
    finish_bounded_step(s_, part, centers, labels, dist);
    previous_ = centers;
    return part;
  }

 private:
  const lloyd_state<T>& s_;
  std::vector<double> upper_, lower_;
  matrix<T> previous_;
};

// Elkan's bounds (C. Elkan, "Using the triangle inequality to accelerate k-means", ICML 2003):
// per row an upper bound u on the distance to its center a and a lower bound l_c on the distance
// to every center c. Center c is examined only if u > l_c and u > d(a, c) / 2, and a row not at
// all if u <= half the distance from a to its nearest other center. The first call is Lloyd's
// assignment, with lower bounds 0. Lower bounds are stored as float (n x k of them) and kept
// valid under rounding: computed distances are rounded toward zero, and a shrunk bound
// (l - moved, moved rounded up) is scaled by 1 - 2^-22, more than the float subtraction's error.
template <class T>
class elkan_assigner {
 public:
  elkan_assigner(const lloyd_state<T>& s, std::size_t k) : s_(s), upper_(s.x.rows()), lower_(s.x.rows() * k, 0.0f) {}

  lloyd_partial operator()(const matrix<T>& centers, label_type* labels, T* dist) {
    const std::size_t n = s_.x.rows(), d = s_.x.cols(), k = centers.shape(0);
    const auto dist_to = [&](std::size_t i, std::size_t c) { return std::sqrt(static_cast<double>(distance::squared_l2(s_.x.row(i), &centers(c, 0), d))); };
    const auto store = [](float& slot, double v) {  // round down: a lower bound must not grow
      float f = static_cast<float>(v);
      if (static_cast<double>(f) > v) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
      slot = std::max(f, 0.0f);
    };
    const bool first = previous_.size() == 0;
    std::vector<double> between(k * k, 0.0), half_gap(k, std::numeric_limits<double>::infinity());
    for (std::size_t a = 0; a < k; ++a) {
      for (std::size_t b = a + 1; b < k; ++b) {
        const double g = std::sqrt(static_cast<double>(distance::squared_l2(&centers(a, 0), &centers(b, 0), d)));
        between[a * k + b] = between[b * k + a] = g;
        half_gap[a] = std::min(half_gap[a], 0.5 * g);
        half_gap[b] = std::min(half_gap[b], 0.5 * g);
      }
    }
    std::vector<double> moved(k, 0.0);
    std::vector<float> moved_up(k, 0.0f);
    if (!first) {
      for (std::size_t c = 0; c < k; ++c) {
        moved[c] = std::sqrt(static_cast<double>(distance::squared_l2(&centers(c, 0), &previous_(c, 0), d)));
        moved_up[c] = static_cast<float>(moved[c]);
        if (static_cast<double>(moved_up[c]) < moved[c]) moved_up[c] = std::nextafter(moved_up[c], std::numeric_limits<float>::infinity());
      }
    }
    constexpr float shrink = 1.0f - 0x1.0p-22f;
    const matrix_view<T> cv(centers.data(), k, d);
    const auto c_terms = first ? distance::row_norm_terms<distance::squared_l2_metric>(cv) : std::vector<T>{};
    auto part = parallel_reduce(
        *s_.ex, n, kmeans_grain, lloyd_partial(k, d),
        [&](std::size_t b, std::size_t e, std::size_t) {
          lloyd_partial p(k, d);
          if (first) {
            std::vector<T> buffer;
            distance::nearest_centers_block(s_.x, b, e, cv, s_.x_terms, c_terms, labels, dist, buffer, true);
            for (std::size_t i = b; i < e; ++i) upper_[i] = std::sqrt(static_cast<double>(dist[i]));
          }
          for (std::size_t i = b; i < e; ++i) {
            auto a = static_cast<std::size_t>(labels[i]);
            if (!first) {
              float* low = lower_.data() + i * k;
              for (std::size_t c = 0; c < k; ++c) low[c] = std::max(0.0f, (low[c] - moved_up[c]) * shrink);
              double u = upper_[i] + moved[a];
              if (u > half_gap[a]) {
                bool stale = true;
                for (std::size_t c = 0; c < k; ++c) {
                  if (c == a || !(u > static_cast<double>(low[c]) && u > 0.5 * between[a * k + c])) continue;
                  if (stale) {  // tighten u to the exact distance first; c may be ruled out then
                    u = dist_to(i, a);
                    store(low[a], u);
                    stale = false;
                    if (!(u > static_cast<double>(low[c]) && u > 0.5 * between[a * k + c])) continue;
                  }
                  const double dc = dist_to(i, c);
                  store(low[c], dc);
                  if (dc < u || (dc == u && c < a)) {  // ties to the lower index, as Lloyd's assignment
                    a = c;
                    u = dc;
                  }
                }
              }
              upper_[i] = u;
              labels[i] = static_cast<label_type>(a);
            }
            p.add(a, s_.w[i], s_.x.row(i));
          }
          return p;
        },
        lloyd_partial::merge);
    finish_bounded_step(s_, part, centers, labels, dist);
    previous_ = centers;
    return part;
  }

 private:
  const lloyd_state<T>& s_;
  std::vector<double> upper_;
  std::vector<float> lower_;  // n x k
  matrix<T> previous_;
};

// Mean of the per-feature variances (population), two passes over fixed row blocks (over the
// rows of every process of g).
template <class T>
double mean_variance(const matrix_view<T>& x, executor& ex, const row_group& g = row_group::here()) {
  const std::size_t n = x.rows(), d = x.cols(), n_all = g.total(n);
  const auto column_sums = [&](auto&& term) {
    auto sums = parallel_reduce(
        ex, n, kmeans_grain, std::vector<double>(d, 0.0),
        [&](std::size_t b, std::size_t e, std::size_t) {
          std::vector<double> acc(d, 0.0);
          for (std::size_t i = b; i < e; ++i) {
            for (std::size_t j = 0; j < d; ++j) acc[j] += term(x(i, j), j);
          }
          return acc;
        },
        [](std::vector<double> acc, const std::vector<double>& p) {
          for (std::size_t j = 0; j < acc.size(); ++j) acc[j] += p[j];
          return acc;
        });
    g.sum(sums);
    return sums;
  };
  auto mean = column_sums([](T v, std::size_t) { return static_cast<double>(v); });
  for (auto& m : mean) m /= static_cast<double>(n_all);
  const auto ss = column_sums([&](T v, std::size_t j) {
    const double dv = static_cast<double>(v) - mean[j];
    return dv * dv;
  });
  return std::accumulate(ss.begin(), ss.end(), 0.0) / static_cast<double>(n_all * d);
}

// Checks what every k-means variant needs of its input and returns the weights (1 if none given).
template <class T>
std::vector<double> checked_weights(const matrix_view<T>& x, std::size_t k, std::span<const double> weights, const char* comp) {
  check_samples(comp, x);
  if (k > x.rows()) segkit::detail::throw_invalid(comp, fmt::format("k ({}) exceeds the number of samples ({})", k, x.rows()));
  return sample_weights(comp, weights, x.rows(), true);
}

// The k range of a sweep over n rows: 1 <= k_min <= k_max <= n.
inline void check_k_range(const char* comp, std::size_t k_min, std::size_t k_max, std::size_t n) {
  if (k_min == 0) segkit::detail::throw_invalid(comp, "k_min must be at least 1");
  if (k_min > k_max) segkit::detail::throw_invalid(comp, fmt::format("k_min ({}) exceeds k_max ({})", k_min, k_max));
  if (k_max > n) segkit::detail::throw_invalid(comp, fmt::format("k_max ({}) exceeds the number of samples ({})", k_max, n));
}

template <class T>
void check_rows(const matrix_view<T>& x, std::size_t d_expected, const char* what) {
  if (x.rows() != 0 && x.cols() != d_expected) {
    segkit::detail::throw_invalid(kmeans_component, fmt::format("{} have {} columns, the model has {}", what, x.cols(), d_expected));
  }
  require_finite<T>(kmeans_component, what, x);
}

}  // namespace detail

/**
 * @brief K-Means clustering by Lloyd's algorithm.
 *
 * The assignment step computes distances to all centers for blocks of 2,048 rows with one BLAS
 * matrix product per block; center sums are accumulated in double precision per block and
 * combined in block order, so the result is bit-identical for any thread count. Iteration stops
 * when no label changes, when the summed squared center shift is at most
 * tol x (mean per-feature variance), or after max_iter iterations — the rules of
 * scikit-learn's KMeans, whose centers and labels segkit reproduces from the same initial centers.
 *
 * @tparam T  float (default) or double.
 * @par Complexity  O(n_init x n_iter x n x k x d) through BLAS; memory O(n + k d) per thread.
 * @par Thread safety  fit() is const; concurrent fits are safe.
 */
template <class T = float>
class kmeans {
 public:
  using value_type = T;

  /// @throws segkit::invalid_argument for k = 0, max_iter = 0, n_init = 0 or a negative/NaN tol.
  explicit kmeans(kmeans_params params = {}) : p_(std::move(params)) {
    using segkit::detail::throw_invalid;
    if (p_.k == 0) throw_invalid(detail::kmeans_component, "k must be at least 1");
    if (p_.max_iter == 0) throw_invalid(detail::kmeans_component, "max_iter must be at least 1");
    if (p_.n_init == 0) throw_invalid(detail::kmeans_component, "n_init must be at least 1");
    if (!(p_.tol >= 0.0)) throw_invalid(detail::kmeans_component, fmt::format("tol must be >= 0, got {}", p_.tol));
    if (p_.init_rounds == 0) throw_invalid(detail::kmeans_component, "init_rounds must be at least 1");
    if (!(p_.oversampling > 0.0) || !std::isfinite(p_.oversampling)) {
      throw_invalid(detail::kmeans_component, fmt::format("oversampling must be finite and > 0, got {}", p_.oversampling));
    }
  }

  /// The parameters.
  [[nodiscard]] const kmeans_params& params() const noexcept { return p_; }

  /**
   * @brief Clusters the rows of `x` (n x d), optionally weighted.
   * @param x        samples, any 2-D xtensor expression or matrix_view (not copied if row-major).
   * @param weights  one non-negative weight per row; empty = all 1.
   * @throws segkit::invalid_argument if x is empty, has no columns, holds NaN/Inf, k exceeds the
   * number of rows, the weights are of the wrong length, negative, non-finite or all zero, or the
   * initial centers are not k x d and finite.
   */
  template <class E>
  [[nodiscard]] kmeans_model<T> fit(const E& x, std::span<const double> weights = {}) const {
    const auto rows = as_rows<T>(x);
    return fit_view(rows.view(), weights);
  }

  /// @cond INTERNAL
  /// For segkit::distributed: fits rows spread over the processes of `group`; `x` and `w` are this
  /// process's rows and weights, already checked (finite, weights >= 0 with a positive total, k
  /// at most the rows of all processes, the same d everywhere). Labels are this process's rows'.
  [[nodiscard]] kmeans_model<T> fit_group(matrix_view<T> x, std::vector<double> w, const row_group& group) const {
    check_initial_centers(x.cols());
    return run(x, w, group);
  }
  /// @endcond

  /// @throws segkit::invalid_argument unless the given initial centers (if any) are k x d and finite.
  void check_initial_centers(std::size_t d) const {
    const char* comp = detail::kmeans_component;
    if (p_.initial_centers.size() == 0) return;
    if (p_.initial_centers.shape(0) != p_.k || p_.initial_centers.shape(1) != d) {
      segkit::detail::throw_invalid(comp, fmt::format("initial_centers are {} x {}, expected k x d = {} x {}", p_.initial_centers.shape(0),
                                                      p_.initial_centers.shape(1), p_.k, d));
    }
    require_finite<double>(comp, "initial_centers", as_rows<double>(p_.initial_centers).view());
  }

 private:
  kmeans_model<T> fit_view(matrix_view<T> x, std::span<const double> weights) const {
    std::vector<double> w = detail::checked_weights(x, p_.k, weights, detail::kmeans_component);
    check_initial_centers(x.cols());
    return run(x, w, row_group::here());
  }

  kmeans_model<T> run(matrix_view<T> x, std::span<const double> w, const row_group& group) const {
    const std::size_t n = x.rows(), d = x.cols(), k = p_.k;
    const bool given = p_.initial_centers.size() != 0;
    // Spherical k-means works on unit rows; the copy is made only then.
    matrix<T> unit;
    if (p_.spherical) {
      unit = detail::unit_rows(x);
      x = matrix_view<T>(unit.data(), n, d);
    }
    executor ex(p_.threads);
    detail::lloyd_state<T> s{x, w, distance::row_norm_terms<distance::squared_l2_metric>(x), &ex, &group};
    const double tol = p_.tol * detail::mean_variance(x, ex, group);

    kmeans_model<T> best;
    best.inertia = std::numeric_limits<double>::infinity();
    const std::size_t runs = given ? 1 : p_.n_init;
    for (std::size_t run = 0; run < runs; ++run) {
      rng r(p_.seed, run);
      matrix<T> centers;
      if (given) {
        centers = xt::cast<T>(p_.initial_centers);
      } else if (p_.init == kmeans_init::random) {
        centers = detail::random_centers(s, k, r);
      } else if (p_.init == kmeans_init::kmeans_parallel) {
        centers = kmeans_parallel(s, k, r);
      } else {
        centers = detail::kmeans_plus_plus(s, k, r);
      }
      if (p_.spherical) detail::normalize_rows(centers);
      auto model = lloyd(s, std::move(centers), tol);
      if (model.inertia < best.inertia) best = std::move(model);
    }
    best.n_clusters = k;
    best.spherical = p_.spherical;
    return best;
  }

  // k-means|| (B. Bahmani, B. Moseley, A. Vattani, R. Kumar, S. Vassilvitskii, "Scalable
  // k-means++", VLDB 2012): one weighted random row, then init_rounds passes in which every row
  // is sampled independently with probability min(1, l w d^2 / phi) (l = oversampling x k, phi
  // the current weighted cost); each candidate is weighted by the rows closest to it, and
  // weighted k-means++ with a short Lloyd on the candidates gives the k centers. A pass draws its
  // random numbers per block of rows (numbered globally) from its own stream, so the result does
  // not depend on threads, nor on how rows are spread over processes.
  matrix<T> kmeans_parallel(const detail::lloyd_state<T>& s, std::size_t k, rng& r) const {
    const std::size_t n = s.x.rows(), off = s.group->offset();
    const double u0 = r.uniform() * s.group->sum(std::accumulate(s.w.begin(), s.w.end(), 0.0));
    std::vector<std::size_t> chosen = s.group->draw(s.w, std::span<const double>(&u0, 1));  // global rows
    std::vector<double> closest(n, std::numeric_limits<double>::infinity());
    const auto update_closest = [&](std::size_t from) {  // distances to chosen[from..]
      const std::size_t m = chosen.size() - from;
      const matrix<T> cand = detail::fetch_rows(s, std::span<const std::size_t>(chosen).subspan(from));
      const matrix_view<T> cv(cand.data(), m, s.x.cols());
      const auto c_terms = distance::row_norm_terms<distance::squared_l2_metric>(cv);
      return s.group->sum(parallel_reduce(
          *s.ex, n, detail::kmeans_grain, 0.0,
          [&](std::size_t b, std::size_t e, std::size_t) {
            std::vector<T> block((e - b) * m);
            distance::distance_block<distance::squared_l2_metric, T>(distance::squared_l2_metric{}, s.x.slice(b, e), cv,
                                                                     s.x_terms.data() + b, c_terms.data(), block.data(), m, true);
            double cost = 0.0;
            for (std::size_t i = b; i < e; ++i) {
              for (std::size_t c = 0; c < m; ++c) closest[i] = std::min(closest[i], std::max(0.0, static_cast<double>(block[(i - b) * m + c])));
              cost += s.w[i] * closest[i];
            }
            return cost;
          },
          [](double a, double b) { return a + b; }));
    };
    double cost = update_closest(0);
    const double l = p_.oversampling * static_cast<double>(k);
    for (std::size_t round = 0; round < p_.init_rounds && cost > 0.0; ++round) {
      const std::uint64_t stream_seed = r();
      const auto picks = s.group->concat(parallel_reduce(
          *s.ex, n, detail::kmeans_grain, std::vector<std::size_t>{},
          [&](std::size_t b, std::size_t e, std::size_t) {
            std::vector<std::size_t> out;
            rng br;
            std::size_t block = std::numeric_limits<std::size_t>::max();
            for (std::size_t i = b; i < e; ++i) {
              const std::size_t g = off + i;
              if (g / detail::kmeans_grain != block) {  // the stream of the global block, advanced to row g
                block = g / detail::kmeans_grain;
                br = rng(stream_seed, block);
                for (std::size_t skip = block * detail::kmeans_grain; skip < g; ++skip) (void)br();
              }
              const double u = br.uniform();  // drawn for every row, so the stream does not depend on the data
              if (u < l * s.w[i] * closest[i] / cost) out.push_back(g);
            }
            return out;
          },
          [](std::vector<std::size_t> acc, const std::vector<std::size_t>& p) {
            acc.insert(acc.end(), p.begin(), p.end());
            return acc;
          }));
      if (picks.empty()) continue;
      const std::size_t from = chosen.size();
      chosen.insert(chosen.end(), picks.begin(), picks.end());
      cost = update_closest(from);
    }
    const std::size_t m = chosen.size();
    if (m <= k) {  // too few candidates (few distinct rows, or tiny n): plain k-means++ instead
      return detail::kmeans_plus_plus(s, k, r);
    }
    // Weight of each candidate: the rows closest to it.
    const matrix<T> cand = detail::fetch_rows(s, chosen);
    const matrix_view<T> cv(cand.data(), m, s.x.cols());
    const auto c_terms = distance::row_norm_terms<distance::squared_l2_metric>(cv);
    std::vector<label_type> nearest(n);
    auto mass = parallel_reduce(
        *s.ex, n, detail::kmeans_grain, std::vector<double>(m, 0.0),
        [&](std::size_t b, std::size_t e, std::size_t) {
          std::vector<T> buffer;
          distance::nearest_centers_block(s.x, b, e, cv, s.x_terms, c_terms, nearest.data(), static_cast<T*>(nullptr), buffer, false);
          std::vector<double> acc(m, 0.0);
          for (std::size_t i = b; i < e; ++i) acc[static_cast<std::size_t>(nearest[i])] += s.w[i];
          return acc;
        },
        [](std::vector<double> acc, const std::vector<double>& p) {
          for (std::size_t c = 0; c < acc.size(); ++c) acc[c] += p[c];
          return acc;
        });
    s.group->sum(mass);
    if (static_cast<std::size_t>(std::count_if(mass.begin(), mass.end(), [](double v) { return v > 0.0; })) < k) {
      return detail::kmeans_plus_plus(s, k, r);
    }
    kmeans_params sub;
    sub.k = k;
    sub.max_iter = 30;
    sub.seed = r();
    sub.threads = p_.threads;
    return kmeans<T>(sub).fit(cand, mass).centers;
  }

  kmeans_model<T> lloyd(const detail::lloyd_state<T>& s, matrix<T> centers, double tol) const {
    if (p_.algorithm == kmeans_algorithm::hamerly) {
      detail::hamerly_assigner<T> assign(s);
      return iterate(s, std::move(centers), tol, assign);
    }
    if (p_.algorithm == kmeans_algorithm::elkan) {
      detail::elkan_assigner<T> assign(s, centers.shape(0));
      return iterate(s, std::move(centers), tol, assign);
    }
    auto assign = [&s](const matrix<T>& c, label_type* labels, T* dist) { return detail::e_step(s, c, labels, dist, false); };
    return iterate(s, std::move(centers), tol, assign);
  }

  // Lloyd's iteration with a pluggable assignment step `assign(centers, labels, dist)` returning
  // the weighted sums of the assignment (dist must hold distances to the assigned centers when a
  // cluster is empty). Convergence and the final E-step are shared, so every strategy ends alike.
  template <class Assign>
  kmeans_model<T> iterate(const detail::lloyd_state<T>& s, matrix<T> centers, double tol, Assign& assign) const {
    const std::size_t n = s.x.rows(), d = s.x.cols(), k = centers.shape(0);
    kmeans_model<T> m;
    m.labels = xt::xtensor<label_type, 1>::from_shape({n});
    xt::xtensor<label_type, 1> old = xt::xtensor<label_type, 1>::from_shape({n});
    old.fill(-1);
    std::vector<T> dist(n);
    for (std::size_t it = 0; it < p_.max_iter; ++it) {
      auto part = assign(centers, m.labels.data(), dist.data());
      part.reduce(*s.group);
      detail::relocate_empty(s, part, m.labels.data(), dist.data());
      double shift = 0.0;
      for (std::size_t c = 0; c < k; ++c) {
        if (part.weights[c] <= 0.0) continue;  // still empty (zero weights only): keep the center
        for (std::size_t j = 0; j < d; ++j) {
          const T v = static_cast<T>(part.sums[c * d + j] / part.weights[c]);
          shift += static_cast<double>(v - centers(c, j)) * static_cast<double>(v - centers(c, j));
          centers(c, j) = v;
        }
      }
      if (p_.spherical) detail::normalize_rows(centers);
      m.n_iter = it + 1;
      if (!s.group->any(m.labels != old)) {  // strict convergence: no label changed anywhere
        m.converged = true;
        break;
      }
      if (shift <= tol) {
        m.converged = true;
        break;
      }
      old = m.labels;
    }
    // Labels and inertia that match the final centers.
    auto final_part = detail::e_step(s, centers, m.labels.data(), dist.data(), true);
    final_part.reduce(*s.group);
    m.inertia = p_.spherical ? final_part.inertia / 2.0 : final_part.inertia;  // |a-b|^2 = 2(1-cos) on the unit sphere
    m.centers = std::move(centers);
    return m;
  }

  kmeans_params p_;
};

static_assert(segkit::inductive_clusterer<kmeans<>>);
static_assert(segkit::inductive_clusterer<kmeans<double>, double>);

/**
 * @brief k-means as a segkit::centroid_trainer: the quantizer training of inverted-list indexes
 * (index::ivf's coarse lists and product-quantizer codebooks), k-means++ then at most max_iter
 * Lloyd iterations.
 * @code
 * segkit::index::ivf<segkit::distance::cosine_metric> index(128, {.nlist = 256}, segkit::cluster::kmeans_trainer{});
 * @endcode
 */
struct kmeans_trainer {
  std::size_t max_iter = 25;  ///< Lloyd iterations (a coarse quantizer needs few)

  /// k centers of `rows` from k-means seeded with `seed`.
  template <class T>
  [[nodiscard]] matrix<T> operator()(matrix_view<T> rows, std::size_t k, std::uint64_t seed, std::size_t threads) const {
    kmeans_params p;
    p.k = k;
    p.max_iter = max_iter;
    p.seed = seed;
    p.threads = threads;
    return kmeans<T>(p).fit(rows).centers;
  }
};

static_assert(segkit::centroid_trainer<kmeans_trainer, float>);

template <class T>
template <class E>
xt::xtensor<label_type, 1> kmeans_model<T>::predict(const E& x_in, std::size_t threads) const {
  const auto rows = as_rows<T>(x_in);
  matrix_view<T> x = rows.view();
  detail::check_rows(x, centers.shape(1), "rows");
  matrix<T> unit;
  if (spherical) {
    unit = detail::unit_rows(x);
    x = matrix_view<T>(unit.data(), x.rows(), x.cols());
  }
  return distance::nearest_centers(x, matrix_view<T>(centers.data(), centers.shape(0), centers.shape(1)), threads);
}

template <class T>
template <class E>
matrix<T> kmeans_model<T>::transform(const E& x_in, std::size_t threads) const {
  const auto rows = as_rows<T>(x_in);
  detail::check_rows(rows.view(), centers.shape(1), "rows");
  if (spherical) return distance::pairwise_distances(distance::cosine_metric{}, rows.view(), centers, {.threads = threads});
  return distance::pairwise_distances(distance::l2_metric{}, rows.view(), centers, {.threads = threads});
}

template <class T>
void kmeans_model<T>::write_to(container_writer& w) const {
  byte_writer meta;
  meta.put(std::uint32_t{1}).put_string(npy_dtype_name(segkit::detail::npy_dtype_of<T>()));
  meta.put(static_cast<std::uint64_t>(centers.shape(0))).put(static_cast<std::uint64_t>(centers.shape(1)));
  meta.put(static_cast<std::uint64_t>(labels.size())).put(inertia).put(static_cast<std::uint64_t>(n_iter));
  meta.put(static_cast<std::uint8_t>(converged)).put(static_cast<std::uint8_t>(spherical));
  w.add_copy("meta", meta.bytes());
  w.add_array<T>("centres", std::span<const T>(centers.data(), centers.size()));
  w.add_array<label_type>("labels", std::span<const label_type>(labels.data(), labels.size()));
}

template <class T>
kmeans_model<T> kmeans_model<T>::read_from(const container_reader& file) {
  byte_reader meta(file.section("meta"), file);
  if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("k-means model format version {} is not supported", v));
  const auto dtype = meta.get_string();
  if (dtype != npy_dtype_name(segkit::detail::npy_dtype_of<T>())) file.fail(fmt::format("model stores {} centers, expected {}", dtype, npy_dtype_name(segkit::detail::npy_dtype_of<T>())));
  const auto k = meta.get<std::uint64_t>(), d = meta.get<std::uint64_t>(), n = meta.get<std::uint64_t>();
  if (k == 0 || d == 0 || k > (std::uint64_t{1} << 32) / d || n > (std::uint64_t{1} << 40)) file.fail("implausible model shape");
  kmeans_model<T> m;
  m.inertia = meta.get<double>();
  m.n_iter = meta.get<std::uint64_t>();
  m.converged = meta.get<std::uint8_t>() != 0;
  m.spherical = meta.get<std::uint8_t>() != 0;
  m.n_clusters = k;
  const auto c = file.array<T>("centres", k * d);
  m.centers = matrix<T>::from_shape({k, d});
  std::copy(c.begin(), c.end(), m.centers.begin());
  const auto l = file.array<label_type>("labels", n);
  m.labels = xt::xtensor<label_type, 1>::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) {
    if (l[i] < 0 || static_cast<std::uint64_t>(l[i]) >= k) file.fail(fmt::format("label {} of row {} is outside 0..{}", l[i], i, k - 1));
    m.labels(i) = l[i];
  }
  return m;
}

}  // namespace segkit::cluster
