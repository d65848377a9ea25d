#pragma once
// The steps every k-means variant shares (Lloyd, Hamerly, Elkan, mini-batch, streaming; GMM's
// k-means start): the state of a fit, one assignment (E-) step with its weighted sums, the
// relocation of empty clusters, unit rows for spherical k-means, the feature variance that scales
// tol, and the input checks. Rows are reached through a cluster::row_group (segkit/cluster/row_group.hpp
// says how the same code runs in one process and over MPI ranks).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/row_group.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distance/kernels.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/distance/nearest.hpp"
#include "segkit/distance/pairwise.hpp"

namespace segkit::cluster::detail {

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
void unit_normalize_rows(matrix<T>& m);

// A copy of x with every non-zero row scaled to unit length (spherical k-means).
template <class T>
matrix<T> unit_rows(const matrix_view<T>& x) {
  matrix<T> unit = matrix<T>::from_shape({x.rows(), x.cols()});
  for (std::size_t i = 0; i < x.rows(); ++i) std::copy_n(x.row(i), x.cols(), &unit(i, 0));
  unit_normalize_rows(unit);
  return unit;
}

template <class T>
void unit_normalize_rows(matrix<T>& m) {
  for (std::size_t i = 0; i < m.shape(0); ++i) {
    T* r = &m(i, 0);
    const T n = std::sqrt(distance::dot(r, r, m.shape(1)));
    if (n > T{0}) {
      for (std::size_t j = 0; j < m.shape(1); ++j) r[j] /= n;
    }
  }
}

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

}  // namespace segkit::cluster::detail
