#pragma once
/// @file
/// @brief Exact fixed-radius and k-nearest-neighbor search among the rows of one matrix: the
/// engine of the density-based clusterers (DBSCAN, HDBSCAN), neighbor graphs and agglomerative
/// clustering. Low dimensions with a Euclidean-like metric go through a k-d tree; everything else
/// through blocked exact scans (BLAS products where the metric has a gemm form), never an n x n
/// matrix. Reported distances are recomputed in double precision, so thresholds are applied as
/// scikit-learn applies them.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <queue>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/distance/pairwise.hpp"
#include "segkit/neighbors/kdtree.hpp"

namespace segkit::neighbors {

/// Up to this dimension the k-d tree is used for l2, sqeuclidean and cosine.
inline constexpr std::size_t kd_tree_max_dim = 16;

/// The metric's value for two rows, in double precision.
template <class M, class T>
double exact_distance(const T* a, const T* b, std::size_t d) {
  constexpr auto form = distance::gemm_form_of<M>();
  if constexpr (std::is_same_v<M, distance::manhattan_metric>) {
    double s = 0.0;
    for (std::size_t j = 0; j < d; ++j) s += std::abs(static_cast<double>(a[j]) - static_cast<double>(b[j]));
    return s;
  } else if constexpr (form == distance::gemm_form::squared_l2) {
    double s = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
      const double t = static_cast<double>(a[j]) - static_cast<double>(b[j]);
      s += t * t;
    }
    return M::squared ? s : std::sqrt(s);
  } else if constexpr (form == distance::gemm_form::cosine) {
    double ab = 0.0, aa = 0.0, bb = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
      const double u = static_cast<double>(a[j]), v = static_cast<double>(b[j]);
      ab += u * v;
      aa += u * u;
      bb += v * v;
    }
    if (aa <= 0.0 || bb <= 0.0) return 1.0;
    return std::max(0.0, 1.0 - ab / std::sqrt(aa * bb));
  } else {
    return static_cast<double>(M{}(a, b, d));
  }
}

/**
 * Exact distances between any two rows of x in double precision, for the O(n^2) pair loops
 * (Prim's tree, distance matrices): a scalar loop up to kd_tree_max_dim dimensions, the metric's
 * SIMD kernel on a double-precision copy above (close enough to the scalar values that ties and
 * near-ties resolve as in double-precision references).
 */
template <class M, class T>
class pair_distances {
 public:
  explicit pair_distances(const matrix_view<T>& x) : x_(x) {
    if (x.cols() > kd_tree_max_dim) {
      copy_.resize(x.rows() * x.cols());
      for (std::size_t i = 0; i < x.rows(); ++i) std::copy_n(x.row(i), x.cols(), copy_.data() + i * x.cols());
    }
  }

  [[nodiscard]] double operator()(std::size_t a, std::size_t b) const {
    const std::size_t d = x_.cols();
    if (copy_.empty()) return exact_distance<M>(x_.row(a), x_.row(b), d);
    return static_cast<double>(M{}(copy_.data() + a * d, copy_.data() + b * d, d));
  }

  /// The rows in double precision (a copy above kd_tree_max_dim dimensions, else empty).
  [[nodiscard]] matrix_view<double> doubles() const { return {copy_.data(), copy_.empty() ? 0 : x_.rows(), x_.cols()}; }

 private:
  matrix_view<T> x_;
  std::vector<double> copy_;  // n x d when d > kd_tree_max_dim
};

/**
 * Neighborhoods among the rows of x under metric M (a distance: ip is refused by the callers).
 * Thread safety: const members may run concurrently.
 */
template <class M, class T>
class exact_neighbors {
 public:
  explicit exact_neighbors(const matrix_view<T>& x) : x_(x) {
    constexpr auto form = distance::gemm_form_of<M>();
    bool tree = x.cols() <= kd_tree_max_dim && form != distance::gemm_form::none && form != distance::gemm_form::inner_product;
    if (tree && form == distance::gemm_form::cosine) {
      // 1 - cos(a, b) = |a/|a| - b/|b||^2 / 2 on unit rows; a zero row (cosine distance 1 to all) cannot be mapped.
      unit_.resize(x.rows() * x.cols());
      for (std::size_t i = 0; i < x.rows(); ++i) {
        double nn = 0.0;
        for (std::size_t j = 0; j < x.cols(); ++j) nn += static_cast<double>(x.row(i)[j]) * static_cast<double>(x.row(i)[j]);
        tree = nn > 0.0;
        if (!tree) break;
        const double inv = 1.0 / std::sqrt(nn);
        for (std::size_t j = 0; j < x.cols(); ++j) unit_[i * x.cols() + j] = static_cast<double>(x.row(i)[j]) * inv;
      }
      if (!tree) unit_.clear();
    }
    if (tree) {
      if (unit_.empty()) {
        tree_ = kd_tree(x);
      } else {
        tree_ = kd_tree(matrix_view<double>(unit_.data(), x.rows(), x.cols()));
      }
      use_tree_ = true;
    } else {
      terms_ = distance::row_norm_terms<M>(x);
    }
  }

  [[nodiscard]] bool uses_tree() const noexcept { return use_tree_; }

  /**
   * Calls f(i, j, distance) for every row j within eps of row i (j = i included), for each i in
   * [b, e); once f returns false, the rest of row i's neighbors may be skipped.
   */
  template <class F>
  void radius(std::size_t b, std::size_t e, double eps, F&& f) const {
    if (use_tree_) {
      const double r2 = tree_radius2(eps);
      std::vector<double> q(x_.cols());
      for (std::size_t i = b; i < e; ++i) {
        query_point(i, q.data());
        tree_.radius_search(q.data(), r2, [&](std::size_t j, double d2) { return f(i, j, from_tree(d2)); });
      }
      return;
    }
    std::vector<char> done(e - b, 0);
    const double thr = score_threshold(eps);
    scan(b, e, [&](std::size_t i, const T* scores, std::size_t j0, std::size_t nj) {
      if (done[i - b]) return;
      for (std::size_t jj = 0; jj < nj; ++jj) {
        const std::size_t j = j0 + jj;
        if (static_cast<double>(scores[jj]) > thr + slack(i, j, thr)) continue;
        const double dist = exact_distance<M>(x_.row(i), x_.row(j), x_.cols());
        if (dist <= eps && !f(i, j, dist)) {
          done[i - b] = 1;
          return;
        }
      }
    });
  }

  /**
   * For each row i in [b, e) of q (new points of x's width, not rows of x): f(i, j, distance) for
   * every row j of x within eps of it; once f returns false, the rest of row i's neighbors may be
   * skipped. Distances and the eps test as radius() computes them.
   */
  template <class F>
  void radius_to(const matrix_view<T>& q, std::size_t b, std::size_t e, double eps, F&& f) const {
    if (use_tree_) {
      const double r2 = tree_radius2(eps);
      std::vector<double> point(x_.cols());
      for (std::size_t i = b; i < e; ++i) {
        if (!external_point(q.row(i), point.data())) {  // a zero row is at cosine distance 1 from every row
          for (std::size_t j = 0; 1.0 <= eps && j < x_.rows() && f(i, j, 1.0); ++j) {
          }
          continue;
        }
        tree_.radius_search(point.data(), r2, [&](std::size_t j, double d2) { return f(i, j, from_tree(d2)); });
      }
      return;
    }
    const auto qterms = distance::row_norm_terms<M>(q.slice(b, e));
    std::vector<char> done(e - b, 0);
    const double thr = score_threshold(eps);
    scan(q, qterms.empty() ? nullptr : qterms.data(), b, e, [&](std::size_t i, const T* scores, std::size_t j0, std::size_t nj) {
      if (done[i - b]) return;
      const T qterm = qterms.empty() ? T{0} : qterms[i - b];
      for (std::size_t jj = 0; jj < nj; ++jj) {
        const std::size_t j = j0 + jj;
        if (static_cast<double>(scores[jj]) > thr + slack_of(qterm, terms_.empty() ? T{0} : terms_[j], thr)) continue;
        const double dist = exact_distance<M>(q.row(i), x_.row(j), x_.cols());
        if (dist <= eps && !f(i, j, dist)) {
          done[i - b] = 1;
          return;
        }
      }
    });
  }

  /**
   * For each row i in [b, e): f(i, list) with its k nearest rows (itself included) as
   * (distance, row) pairs, ascending by distance then row (1 <= k <= rows).
   */
  template <class F>
  void nearest(std::size_t b, std::size_t e, std::size_t k, F&& f) const {
    knn(x_, terms_.empty() ? nullptr : terms_.data() + b, b, e, k, true, f);
  }

  /**
   * For each row i in [b, e) of q (new points of x's width, not rows of x): f(i, list) with its k
   * nearest rows of x as (distance, row) pairs, ascending by distance then row (1 <= k <= rows).
   */
  template <class F>
  void nearest_to(const matrix_view<T>& q, std::size_t b, std::size_t e, std::size_t k, F&& f) const {
    const auto qterms = use_tree_ ? std::vector<T>{} : distance::row_norm_terms<M>(q.slice(b, e));
    knn(q, qterms.empty() ? nullptr : qterms.data(), b, e, k, false, f);
  }

  /// Distance of each row in [b, e) to its k-th nearest row, counting the row itself as the first (k >= 1).
  void kth_distance(std::size_t b, std::size_t e, std::size_t k, double* out) const {
    nearest(b, e, k, [&](std::size_t i, const std::vector<std::pair<double, std::size_t>>& list) { out[i - b] = list[k - 1].first; });
  }

 private:
  static constexpr std::size_t scan_cols = 1024;

  // k nearest rows of x for rows [b, e) of q (q = x when self; the terms start at row b).
  template <class F>
  void knn(const matrix_view<T>& q, const T* qterms, std::size_t b, std::size_t e, std::size_t k, bool self, F&& f) const {
    std::vector<std::pair<double, std::size_t>> list;
    if (use_tree_) {
      std::vector<double> point(x_.cols()), d2(k);
      std::vector<std::size_t> ids(k);
      for (std::size_t i = b; i < e; ++i) {
        list.clear();
        if (self) {
          query_point(i, point.data());
        } else if (!external_point(q.row(i), point.data())) {
          // A zero row is at cosine distance 1 from every row: the first k rows, as a scan finds them.
          for (std::size_t r = 0; r < k; ++r) list.emplace_back(1.0, r);
          f(i, std::as_const(list));
          continue;
        }
        tree_.knn_search(point.data(), k, ids.data(), d2.data());
        for (std::size_t r = 0; r < k; ++r) list.emplace_back(from_tree(d2[r]), ids[r]);
        f(i, std::as_const(list));
      }
      return;
    }
    // Keep the k + 8 best float scores per row, then rank those by the exact distance.
    const std::size_t keep = std::min(x_.rows(), k + 8);
    std::vector<std::priority_queue<std::pair<T, std::size_t>>> best(e - b);
    scan(q, qterms, b, e, [&](std::size_t i, const T* scores, std::size_t j0, std::size_t nj) {
      auto& h = best[i - b];
      for (std::size_t jj = 0; jj < nj; ++jj) {
        const std::pair<T, std::size_t> c{scores[jj], j0 + jj};
        if (h.size() < keep) {
          h.push(c);
        } else if (c < h.top()) {
          h.pop();
          h.push(c);
        }
      }
    });
    for (std::size_t i = b; i < e; ++i) {
      auto& h = best[i - b];
      list.clear();
      while (!h.empty()) {
        const std::size_t j = h.top().second;
        list.emplace_back(self && j == i ? 0.0 : exact_distance<M>(q.row(i), x_.row(j), x_.cols()), j);
        h.pop();
      }
      std::sort(list.begin(), list.end());
      list.resize(k);
      f(i, std::as_const(list));
    }
  }

  // Calls g(i, scores, j0, nj) for row i against rows [j0, j0 + nj), scores in the metric's ranking form.
  template <class G>
  void scan(std::size_t b, std::size_t e, G&& g) const {
    scan(x_, terms_.empty() ? nullptr : terms_.data() + b, b, e, g);
  }

  // The same for rows [b, e) of q against x; qterms are q's norm terms from row b on.
  template <class G>
  void scan(const matrix_view<T>& q, const T* qterms, std::size_t b, std::size_t e, G&& g) const {
    const std::size_t n = x_.rows();
    constexpr std::size_t qb = 64;
    std::vector<T> block(qb * scan_cols);
    for (std::size_t i0 = b; i0 < e; i0 += qb) {
      const std::size_t i1 = std::min(e, i0 + qb);
      for (std::size_t j0 = 0; j0 < n; j0 += scan_cols) {
        const std::size_t nj = std::min(scan_cols, n - j0);
        distance::distance_block(M{}, q.slice(i0, i1), x_.slice(j0, j0 + nj), qterms == nullptr ? nullptr : qterms + (i0 - b),
                                 terms_.empty() ? nullptr : terms_.data() + j0, block.data(), scan_cols, true);
        for (std::size_t i = i0; i < i1; ++i) g(i, block.data() + (i - i0) * scan_cols, j0, nj);
      }
    }
  }

  // eps in the ranking-score space of distance_block(ranking = true).
  static double score_threshold(double eps) noexcept {
    if constexpr (distance::gemm_form_of<M>() == distance::gemm_form::squared_l2 && !M::squared) {
      return eps * eps;
    } else {
      return eps;
    }
  }

  // Allowance for the rounding of the scan's T-precision scores (matrix-product expansion, or a
  // sum of d terms pair by pair) before the exact recheck: a sum of d terms is off by at most
  // about d u times the sum of their magnitudes (Higham, Accuracy and Stability, 2002, ch. 3),
  // taken 4 times over. False candidates cost only a recheck.
  double slack(std::size_t i, std::size_t j, double threshold) const noexcept {
    return slack_of(terms_.empty() ? T{0} : terms_[i], terms_.empty() ? T{0} : terms_[j], threshold);
  }

  // The same from the two rows' norm terms (a query's and a row's for new points).
  double slack_of(T term_a, T term_b, double threshold) const noexcept {
    constexpr auto form = distance::gemm_form_of<M>();
    const double rel = 4.0 * static_cast<double>(x_.cols() + 2) * static_cast<double>(std::numeric_limits<T>::epsilon());
    if constexpr (form == distance::gemm_form::squared_l2) {
      return rel * (static_cast<double>(term_a) + static_cast<double>(term_b) + threshold);
    } else {  // cosine (a cosine is at most 1 in magnitude) and pair-by-pair metrics
      return rel * (1.0 + threshold);
    }
  }

  double tree_radius2(double eps) const noexcept {
    constexpr auto form = distance::gemm_form_of<M>();
    if constexpr (form == distance::gemm_form::cosine) {
      return 2.0 * eps;
    } else if constexpr (M::squared) {
      return eps;
    } else {
      return eps * eps;
    }
  }

  double from_tree(double d2) const noexcept {
    constexpr auto form = distance::gemm_form_of<M>();
    if constexpr (form == distance::gemm_form::cosine) {
      return 0.5 * d2;
    } else if constexpr (M::squared) {
      return d2;
    } else {
      return std::sqrt(d2);
    }
  }

  void query_point(std::size_t i, double* q) const noexcept {
    const std::size_t d = x_.cols();
    if (!unit_.empty()) {
      std::copy_n(unit_.data() + i * d, d, q);
    } else {
      for (std::size_t j = 0; j < d; ++j) q[j] = static_cast<double>(x_.row(i)[j]);
    }
  }

  // A new point as the tree sees it (unit length for cosine); false for a zero row under cosine.
  bool external_point(const T* row, double* q) const noexcept {
    const std::size_t d = x_.cols();
    double nn = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
      q[j] = static_cast<double>(row[j]);
      nn += q[j] * q[j];
    }
    if (unit_.empty()) return true;
    if (!(nn > 0.0)) return false;
    const double inv = 1.0 / std::sqrt(nn);
    for (std::size_t j = 0; j < d; ++j) q[j] *= inv;
    return true;
  }

  matrix_view<T> x_;
  bool use_tree_ = false;
  kd_tree tree_;
  std::vector<double> unit_;  // cosine on the tree: unit rows
  std::vector<T> terms_;      // scan: row norm terms of the gemm form
};

}  // namespace segkit::neighbors
