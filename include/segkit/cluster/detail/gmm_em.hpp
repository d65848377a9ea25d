#pragma once
// Gaussian mixture EM internals (segkit/cluster/gmm.hpp): covariance factors, the blocked E-step
// (one GEMM per sub-block of rows, log-sum-exp normalization), sufficient statistics and the
// M-step for the four covariance shapes. Rows are centered by an offset first, which keeps the
// quadratic expansion accurate in double.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/covariance.hpp"
#include "segkit/core/blas.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distance/kernels.hpp"

namespace segkit::cluster::detail {

/// Rows of a matrix_view or of a 2-D xtensor expression.
template <class E>
std::size_t rows_of(const E& x) {
  if constexpr (requires { x.rows(); }) {
    return x.rows();
  } else {
    return static_cast<std::size_t>(x.shape()[0]);
  }
}


inline constexpr const char* gmm_component = "segkit::cluster::gmm";
inline constexpr std::size_t gmm_block = 128;        // rows per sub-block: one GEMM per sub-block and pass
inline constexpr std::size_t gmm_min_group = 2048;   // rows per work item, at least
inline constexpr double log_2pi = 1.8378770664093454836;  // ln(2 pi)

// Number of values of one covariance set / precision factor set in the flat layouts below.
inline std::size_t covariance_size(covariance_type t, std::size_t k, std::size_t d) noexcept {
  switch (t) {
    case covariance_type::full: return k * d * d;
    case covariance_type::tied: return d * d;
    case covariance_type::diag: return k * d;
    case covariance_type::spherical: return k;
  }
  return 0;
}

// scikit-learn's parameter set in flat row-major layouts (full k*d*d, tied d*d, diag k*d,
// spherical k), means relative to an offset (the weighted data mean, to keep sums well conditioned).
struct mixture {
  covariance_type type = covariance_type::full;
  std::size_t k = 0, d = 0;
  std::vector<double> weights, means, covariances, prec_chol;
  std::vector<std::size_t> degenerate;
};

// Lower Cholesky factor of the symmetric positive definite a (d x d, row-major) in place, upper
// triangle zeroed. Returns the smallest pivot L_jj^2, or a value <= 0 if a is not positive definite.
inline double cholesky_in_place(double* a, std::size_t d) noexcept {
  double min_pivot = std::numeric_limits<double>::infinity();
  for (std::size_t j = 0; j < d; ++j) {
    double* rj = a + j * d;
    double pivot = rj[j];
    for (std::size_t m = 0; m < j; ++m) pivot -= rj[m] * rj[m];
    if (!(pivot > 0.0)) return pivot;
    min_pivot = std::min(min_pivot, pivot);
    const double l = std::sqrt(pivot);
    rj[j] = l;
    for (std::size_t i = j + 1; i < d; ++i) {
      double* ri = a + i * d;
      double v = ri[j];
      for (std::size_t m = 0; m < j; ++m) v -= ri[m] * rj[m];
      ri[j] = v / l;
    }
    for (std::size_t m = j + 1; m < d; ++m) rj[m] = 0.0;
  }
  return min_pivot;
}

// U = (L^-1)^T for the lower triangular L: the upper triangular precision factor (U U^T = (L L^T)^-1).
inline void precision_factor(const double* l, double* u, std::size_t d) {
  std::vector<double> inv(d * d, 0.0);  // L^-1, lower triangular
  for (std::size_t i = 0; i < d; ++i) {
    inv[i * d + i] = 1.0 / l[i * d + i];
    for (std::size_t j = 0; j < i; ++j) {
      double s = 0.0;
      for (std::size_t m = j; m < i; ++m) s += l[i * d + m] * inv[m * d + j];
      inv[i * d + j] = -s / l[i * d + i];
    }
  }
  for (std::size_t i = 0; i < d; ++i) {
    for (std::size_t j = 0; j < d; ++j) u[i * d + j] = inv[j * d + i];
  }
}

// Precision factor of one general covariance (d x d), regularized further if it is not positive
// definite in double precision. Returns true if the component is degenerate: singular without the
// regularization (smallest pivot at most `floor`) or in need of extra jitter, which is then added
// to `cov` so that it stays consistent with the factor.
inline bool general_factor(double* cov, double* u, std::size_t d, double reg, double floor) {
  std::vector<double> l(cov, cov + d * d);
  double pivot = cholesky_in_place(l.data(), d);
  bool degenerate = pivot <= floor;
  if (!(pivot > 0.0)) {
    double trace = 0.0;
    for (std::size_t j = 0; j < d; ++j) trace += std::abs(cov[j * d + j]);
    double jitter = std::max({reg, floor, 1e-10 * trace / static_cast<double>(d), std::numeric_limits<double>::min()});
    for (int attempt = 0; attempt < 64 && !(pivot > 0.0); ++attempt, jitter *= 10.0) {
      std::copy(cov, cov + d * d, l.begin());
      for (std::size_t j = 0; j < d; ++j) l[j * d + j] += jitter;
      pivot = cholesky_in_place(l.data(), d);
      if (pivot > 0.0) {
        for (std::size_t j = 0; j < d; ++j) cov[j * d + j] += jitter;
      }
    }
    if (!(pivot > 0.0)) segkit::detail::throw_invalid(gmm_component, "a covariance matrix could not be made positive definite (are the features finite?)");
    degenerate = true;
  }
  precision_factor(l.data(), u, d);
  return degenerate;
}

// A variance made usable: returns true (degenerate) if it is at most `floor`, and lifts a
// non-positive value (possible only with reg_covar = 0) to a positive jitter.
inline bool checked_variance(double& v, double floor) noexcept {
  const bool degenerate = v <= floor;
  if (!(v > 0.0)) v = std::max(floor, 1e-300);
  return degenerate;
}

// Computes the precision factors of m.covariances (adjusting degenerate ones) and m.degenerate.
// A covariance is degenerate when it is singular but for the regularization: a pivot or variance
// at most 2 reg, or at most 1e-10 x `scale` (the data's mean feature variance: rounding noise of
// the moment sums) when reg is smaller than that.
inline void factorize(mixture& m, double reg, double scale) {
  const double floor = 2.0 * reg + 1e-10 * scale;
  const std::size_t k = m.k, d = m.d;
  m.prec_chol.assign(covariance_size(m.type, k, d), 0.0);
  m.degenerate.clear();
  switch (m.type) {
    case covariance_type::full:
      for (std::size_t c = 0; c < k; ++c) {
        if (general_factor(m.covariances.data() + c * d * d, m.prec_chol.data() + c * d * d, d, reg, floor)) m.degenerate.push_back(c);
      }
      break;
    case covariance_type::tied:
      if (general_factor(m.covariances.data(), m.prec_chol.data(), d, reg, floor)) {
        for (std::size_t c = 0; c < k; ++c) m.degenerate.push_back(c);
      }
      break;
    case covariance_type::diag:
      for (std::size_t c = 0; c < k; ++c) {
        bool bad = false;
        for (std::size_t j = 0; j < d; ++j) bad = checked_variance(m.covariances[c * d + j], floor) || bad;
        for (std::size_t j = 0; j < d; ++j) m.prec_chol[c * d + j] = 1.0 / std::sqrt(m.covariances[c * d + j]);
        if (bad) m.degenerate.push_back(c);
      }
      break;
    case covariance_type::spherical:
      for (std::size_t c = 0; c < k; ++c) {
        if (checked_variance(m.covariances[c], floor)) m.degenerate.push_back(c);
        m.prec_chol[c] = 1.0 / std::sqrt(m.covariances[c]);
      }
      break;
  }
}

// The mixture rearranged for E-steps on rows centered by `offset`: the log joint density of row x
// and component c is constant[c] - maha(x, c) / 2, where maha is computed per covariance type:
//   full:  || x U_c - m_c U_c ||^2, one GEMM against the factors side by side (d x k d);
//   tied:  || x U - m_c U ||^2;
//   diag and spherical: [x^2, x] . [p_c ; -2 p_c m_c], one GEMM (scikit-learn's expansion), with
//   sum_j p_cj m_cj^2 folded into the constant.
struct gaussians {
  covariance_type type = covariance_type::full;
  std::size_t k = 0, d = 0;
  std::vector<double> offset;     // d
  std::vector<double> constant;   // k
  std::vector<double> factor;     // full: d x (k d); tied: d x d; diag/spherical: 2d x k
  std::vector<double> projected;  // full/tied: k x d, m_c U_c
  std::size_t chunk = 1;          // full: components per GEMM, bounding the sub-block buffer

  gaussians(const mixture& m, std::vector<double> center) : type(m.type), k(m.k), d(m.d), offset(std::move(center)), constant(m.k) {
    const double half_d_log_2pi = 0.5 * static_cast<double>(d) * log_2pi;
    for (std::size_t c = 0; c < k; ++c) constant[c] = std::log(m.weights[c]) - half_d_log_2pi;
    const auto mean = [&](std::size_t c, std::size_t j) { return m.means[c * d + j]; };
    switch (type) {
      case covariance_type::full:
      case covariance_type::tied: {
        const bool full = type == covariance_type::full;
        const std::size_t width = full ? k * d : d;
        factor.assign(d * width, 0.0);
        projected.assign(k * d, 0.0);
        for (std::size_t c = 0; c < k; ++c) {
          const double* u = m.prec_chol.data() + (full ? c * d * d : 0);
          double log_det = 0.0;
          for (std::size_t j = 0; j < d; ++j) log_det += std::log(u[j * d + j]);
          constant[c] += log_det;
          for (std::size_t a = 0; a < d; ++a) {
            for (std::size_t b = a; b < d; ++b) {  // upper triangular
              if (full || c == 0) factor[a * width + (full ? c * d : 0) + b] = u[a * d + b];
              projected[c * d + b] += mean(c, a) * u[a * d + b];
            }
          }
        }
        chunk = full ? std::clamp<std::size_t>(4096 / d, 1, k) : 1;
        break;
      }
      case covariance_type::diag:
      case covariance_type::spherical: {
        factor.assign(2 * d * k, 0.0);
        for (std::size_t c = 0; c < k; ++c) {
          double quad = 0.0, log_det = 0.0;
          for (std::size_t j = 0; j < d; ++j) {
            const double u = m.prec_chol[type == covariance_type::diag ? c * d + j : c];
            const double p = u * u;
            factor[j * k + c] = p;
            factor[(d + j) * k + c] = -2.0 * p * mean(c, j);
            quad += p * mean(c, j) * mean(c, j);
            log_det += std::log(u);
          }
          constant[c] += log_det - 0.5 * quad;
        }
        break;
      }
    }
  }
};

// Buffers of one work item.
struct gmm_scratch {
  std::vector<double> x;    // rows x d centered rows
  std::vector<double> a;    // rows x 2d [x^2, x] (diag/spherical)
  std::vector<double> y;    // rows x (chunk d) projections (full/tied)
  std::vector<double> rw;   // rows x k weighted responsibilities
  std::vector<double> z;    // rows x (chunk d) responsibility-scaled rows (full M-step)
};

// Rows [b, e) of x minus the offset, in double.
template <class T>
void centered_rows(const matrix_view<T>& x, std::size_t b, std::size_t e, const std::vector<double>& offset, std::vector<double>& out) {
  const std::size_t d = x.cols();
  out.resize((e - b) * d);
  for (std::size_t i = b; i < e; ++i) {
    const T* r = x.row(i);
    double* o = out.data() + (i - b) * d;
    for (std::size_t j = 0; j < d; ++j) o[j] = static_cast<double>(r[j]) - offset[j];
  }
}

// [x^2, x] for each centered row.
inline void squares_and_rows(const std::vector<double>& xb, std::size_t rows, std::size_t d, std::vector<double>& a) {
  a.resize(rows * 2 * d);
  for (std::size_t i = 0; i < rows; ++i) {
    const double* r = xb.data() + i * d;
    double* o = a.data() + i * 2 * d;
    for (std::size_t j = 0; j < d; ++j) {
      o[j] = r[j] * r[j];
      o[d + j] = r[j];
    }
  }
}

// Log joint densities log(w_c N(x_i | c)) of the centered rows in s.x (rows x d) into lp (rows x k).
inline void log_joint(const gaussians& g, std::size_t rows, double* lp, gmm_scratch& s) {
  const std::size_t k = g.k, d = g.d;
  switch (g.type) {
    case covariance_type::full:
    case covariance_type::tied: {
      const bool full = g.type == covariance_type::full;
      const std::size_t width = full ? k * d : d;
      for (std::size_t c0 = 0; c0 < k; c0 += full ? g.chunk : k) {
        const std::size_t c1 = full ? std::min(k, c0 + g.chunk) : k;
        const std::size_t cols = full ? (c1 - c0) * d : d;
        s.y.resize(rows * cols);
        blas::gemm<double>(false, false, rows, cols, d, 1.0, s.x.data(), d, g.factor.data() + (full ? c0 * d : 0), width, 0.0, s.y.data(), cols);
        for (std::size_t i = 0; i < rows; ++i) {
          for (std::size_t c = c0; c < c1; ++c) {
            const double* y = s.y.data() + i * cols + (full ? (c - c0) * d : 0);
            lp[i * k + c] = g.constant[c] - 0.5 * distance::squared_l2(y, g.projected.data() + c * d, d);
          }
        }
      }
      break;
    }
    case covariance_type::diag:
    case covariance_type::spherical:
      squares_and_rows(s.x, rows, d, s.a);
      blas::gemm<double>(false, false, rows, k, 2 * d, -0.5, s.a.data(), 2 * d, g.factor.data(), k, 0.0, lp, k);
      for (std::size_t i = 0; i < rows; ++i) {
        for (std::size_t c = 0; c < k; ++c) lp[i * k + c] += g.constant[c];
      }
      break;
  }
}

// exp of n values in place (xsimd when available: about 1 ulp).
inline void exp_in_place(double* v, std::size_t n) {
#if SEGKIT_SIMD
  using batch = xsimd::batch<double>;
  constexpr std::size_t lanes = batch::size;
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) xsimd::exp(batch::load_unaligned(v + i)).store_unaligned(v + i);
  for (; i < n; ++i) v[i] = std::exp(v[i]);
#else
  for (std::size_t i = 0; i < n; ++i) v[i] = std::exp(v[i]);
#endif
}

// Turns each row of log joint densities (rows x k) into responsibilities in place and returns
// their log-sum-exp (log p(x_i)) in lse. argmax (ties: lower index) goes to labels if given.
inline void log_normalize_rows(double* lp, std::size_t rows, std::size_t k, double* lse, label_type* labels) {
  std::vector<double> top(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    double* r = lp + i * k;
    std::size_t best = 0;
    for (std::size_t c = 1; c < k; ++c) best = r[c] > r[best] ? c : best;
    top[i] = r[best];
    if (labels != nullptr) labels[i] = static_cast<label_type>(best);
    for (std::size_t c = 0; c < k; ++c) r[c] -= top[i];
  }
  exp_in_place(lp, rows * k);
  for (std::size_t i = 0; i < rows; ++i) {
    double* r = lp + i * k;
    double sum = 0.0;
    for (std::size_t c = 0; c < k; ++c) sum += r[c];
    lse[i] = top[i] + std::log(sum);
    const double inv = 1.0 / sum;
    for (std::size_t c = 0; c < k; ++c) r[c] *= inv;
  }
}

// Sufficient statistics of one pass: sample-weighted responsibilities' sums.
struct gmm_stats {
  std::vector<double> nk;      // k: sum of w r
  std::vector<double> first;   // full/tied: k x d (sum w r x); diag/spherical: k x 2d ([sum w r x^2, sum w r x])
  std::vector<double> second;  // full: k x d x d (sum w r x x^T); otherwise empty
  double log_likelihood = 0.0;  // sum of w log p(x)
  double weight = 0.0;          // sum of w

  gmm_stats(covariance_type t, std::size_t k, std::size_t d)
      : nk(k, 0.0),
        first(k * d * (t == covariance_type::diag || t == covariance_type::spherical ? 2 : 1), 0.0),
        second(t == covariance_type::full ? k * d * d : 0, 0.0) {}

  static gmm_stats merge(gmm_stats acc, const gmm_stats& p) {
    for (std::size_t i = 0; i < acc.nk.size(); ++i) acc.nk[i] += p.nk[i];
    for (std::size_t i = 0; i < acc.first.size(); ++i) acc.first[i] += p.first[i];
    for (std::size_t i = 0; i < acc.second.size(); ++i) acc.second[i] += p.second[i];
    acc.log_likelihood += p.log_likelihood;
    acc.weight += p.weight;
    return acc;
  }
};

// Adds the statistics of one sub-block (centered rows in s.x, weighted responsibilities in s.rw).
inline void accumulate(gmm_stats& st, covariance_type type, std::size_t rows, std::size_t k, std::size_t d, std::size_t chunk, gmm_scratch& s) {
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t c = 0; c < k; ++c) st.nk[c] += s.rw[i * k + c];
  }
  if (type == covariance_type::diag || type == covariance_type::spherical) {
    if (s.a.size() != rows * 2 * d) squares_and_rows(s.x, rows, d, s.a);
    blas::gemm<double>(true, false, k, 2 * d, rows, 1.0, s.rw.data(), k, s.a.data(), 2 * d, 1.0, st.first.data(), 2 * d);
    return;
  }
  blas::gemm<double>(true, false, k, d, rows, 1.0, s.rw.data(), k, s.x.data(), d, 1.0, st.first.data(), d);
  if (type != covariance_type::full) return;
  for (std::size_t c0 = 0; c0 < k; c0 += chunk) {  // sum_i w r_ic x_i x_i^T for a chunk of components: Z^T X
    const std::size_t c1 = std::min(k, c0 + chunk), cols = (c1 - c0) * d;
    s.z.resize(rows * cols);
    for (std::size_t i = 0; i < rows; ++i) {
      const double* x = s.x.data() + i * d;
      for (std::size_t c = c0; c < c1; ++c) {
        const double r = s.rw[i * k + c];
        double* z = s.z.data() + i * cols + (c - c0) * d;
        for (std::size_t j = 0; j < d; ++j) z[j] = r * x[j];
      }
    }
    blas::gemm<double>(true, false, cols, d, rows, 1.0, s.z.data(), cols, s.x.data(), d, 1.0, st.second.data() + c0 * d * d, d);
  }
}

// What a pass over the rows produces besides the log-likelihood total.
struct pass_outputs {
  bool statistics = false;          // accumulate sufficient statistics (an EM iteration)
  label_type* labels = nullptr;     // n: most probable component
  double* log_density = nullptr;    // n: log p(x_i)
  double* responsibilities = nullptr;  // n x k
};

// Rows per work item: at least gmm_min_group, and few enough items that their statistics fit in
// about 256 MB. Depends on n, k, d and the type only, so results do not depend on the thread count.
inline std::size_t group_rows(std::size_t n, std::size_t stats_values) {
  const std::size_t budget = (std::size_t{256} << 20) / (8 * std::max<std::size_t>(stats_values, 1));
  const std::size_t groups = std::clamp<std::size_t>(budget, 1, 64);
  const std::size_t rows = (n + groups - 1) / groups;
  return std::max(gmm_min_group, (rows + gmm_block - 1) / gmm_block * gmm_block);
}

// One pass: E-step over every row and, if asked, the statistics for the M-step.
template <class T>
gmm_stats em_pass(const matrix_view<T>& x, std::span<const double> w, const gaussians& g, executor& ex, const pass_outputs& out) {
  const std::size_t n = x.rows(), k = g.k, d = g.d;
  const gmm_stats empty(out.statistics ? g.type : covariance_type::tied, out.statistics ? k : 0, out.statistics ? d : 0);
  const std::size_t grain = group_rows(n, empty.nk.size() + empty.first.size() + empty.second.size());
  return parallel_reduce(
      ex, n, grain, empty,
      [&](std::size_t gb, std::size_t ge, std::size_t) {
        gmm_stats st = empty;
        gmm_scratch s;
        std::vector<double> lse(gmm_block);
        for (std::size_t b = gb; b < ge; b += gmm_block) {
          const std::size_t e = std::min(ge, b + gmm_block), rows = e - b;
          centered_rows(x, b, e, g.offset, s.x);
          s.a.clear();
          double* lp = out.responsibilities != nullptr ? out.responsibilities + b * k : (s.rw.resize(rows * k), s.rw.data());
          log_joint(g, rows, lp, s);
          log_normalize_rows(lp, rows, k, lse.data(), out.labels != nullptr ? out.labels + b : nullptr);
          for (std::size_t i = 0; i < rows; ++i) {
            st.log_likelihood += w.empty() ? lse[i] : w[b + i] * lse[i];
            st.weight += w.empty() ? 1.0 : w[b + i];
            if (out.log_density != nullptr) out.log_density[b + i] = lse[i];
          }
          if (out.statistics) {
            if (!w.empty()) {
              for (std::size_t i = 0; i < rows; ++i) {
                for (std::size_t c = 0; c < k; ++c) s.rw[i * k + c] *= w[b + i];
              }
            }
            accumulate(st, g.type, rows, k, d, g.chunk, s);
          }
        }
        return st;
      },
      gmm_stats::merge);
}

// Statistics of a hard assignment (responsibility 1 for the label), for the first M-step.
template <class T>
gmm_stats label_pass(const matrix_view<T>& x, std::span<const double> w, const label_type* labels, covariance_type type, std::size_t k,
                     const std::vector<double>& offset, std::size_t chunk, executor& ex) {
  const std::size_t n = x.rows(), d = x.cols();
  const gmm_stats empty(type, k, d);
  return parallel_reduce(
      ex, n, group_rows(n, empty.nk.size() + empty.first.size() + empty.second.size()), empty,
      [&](std::size_t gb, std::size_t ge, std::size_t) {
        gmm_stats st = empty;
        gmm_scratch s;
        for (std::size_t b = gb; b < ge; b += gmm_block) {
          const std::size_t e = std::min(ge, b + gmm_block), rows = e - b;
          centered_rows(x, b, e, offset, s.x);
          s.a.clear();
          s.rw.assign(rows * k, 0.0);
          for (std::size_t i = 0; i < rows; ++i) s.rw[i * k + static_cast<std::size_t>(labels[b + i])] = w[b + i];
          accumulate(st, type, rows, k, d, chunk, s);
        }
        return st;
      },
      gmm_stats::merge);
}

// sum_i w_i x_i x_i^T of the centered rows (d x d): the tied covariance's data term, once per fit.
template <class T>
std::vector<double> weighted_scatter(const matrix_view<T>& x, std::span<const double> w, const std::vector<double>& offset, executor& ex) {
  const std::size_t n = x.rows(), d = x.cols();
  return parallel_reduce(
      ex, n, group_rows(n, d * d), std::vector<double>(d * d, 0.0),
      [&](std::size_t gb, std::size_t ge, std::size_t) {
        std::vector<double> acc(d * d, 0.0), xb, z;
        for (std::size_t b = gb; b < ge; b += gmm_block) {
          const std::size_t e = std::min(ge, b + gmm_block), rows = e - b;
          centered_rows(x, b, e, offset, xb);
          z.resize(rows * d);
          for (std::size_t i = 0; i < rows; ++i) {
            for (std::size_t j = 0; j < d; ++j) z[i * d + j] = w[b + i] * xb[i * d + j];
          }
          blas::gemm<double>(true, false, d, d, rows, 1.0, z.data(), d, xb.data(), d, 1.0, acc.data(), d);
        }
        return acc;
      },
      [](std::vector<double> acc, const std::vector<double>& p) {
        for (std::size_t i = 0; i < acc.size(); ++i) acc[i] += p[i];
        return acc;
      });
}

// The M-step (scikit-learn's _estimate_gaussian_parameters): weights, means and covariances from
// the statistics, reg added to the diagonals; then the precision factors.
inline mixture m_step(const gmm_stats& st, covariance_type type, std::size_t d, double reg, double scale, const std::vector<double>& scatter) {
  const std::size_t k = st.nk.size();
  mixture m;
  m.type = type;
  m.k = k;
  m.d = d;
  m.weights.resize(k);
  m.means.assign(k * d, 0.0);
  m.covariances.assign(covariance_size(type, k, d), 0.0);
  const double eps = 10.0 * std::numeric_limits<double>::epsilon();  // as scikit-learn: no division by zero for empty components
  std::vector<double> nk(k);
  double total = 0.0;
  for (std::size_t c = 0; c < k; ++c) total += nk[c] = st.nk[c] + eps;
  const bool moments = type == covariance_type::diag || type == covariance_type::spherical;
  const std::size_t stride = moments ? 2 * d : d, sum_at = moments ? d : 0;
  for (std::size_t c = 0; c < k; ++c) {
    m.weights[c] = nk[c] / total;
    for (std::size_t j = 0; j < d; ++j) m.means[c * d + j] = st.first[c * stride + sum_at + j] / nk[c];
  }
  switch (type) {
    case covariance_type::full:
      // sum r (x - mu)(x - mu)^T = S - s mu^T - mu s^T + (sum r) mu mu^T, divided by nk.
      for (std::size_t c = 0; c < k; ++c) {
        const double* s2 = st.second.data() + c * d * d;
        const double* s1 = st.first.data() + c * d;
        const double* mu = m.means.data() + c * d;
        double* cov = m.covariances.data() + c * d * d;
        for (std::size_t a = 0; a < d; ++a) {
          for (std::size_t b = 0; b < d; ++b) {
            cov[a * d + b] = (s2[a * d + b] - s1[a] * mu[b] - mu[a] * s1[b] + st.nk[c] * mu[a] * mu[b]) / nk[c];
          }
          cov[a * d + a] += reg;
        }
        for (std::size_t a = 0; a < d; ++a) {  // exact symmetry
          for (std::size_t b = a + 1; b < d; ++b) cov[a * d + b] = cov[b * d + a] = 0.5 * (cov[a * d + b] + cov[b * d + a]);
        }
      }
      break;
    case covariance_type::tied:
      for (std::size_t a = 0; a < d; ++a) {
        for (std::size_t b = 0; b < d; ++b) {
          double v = scatter[a * d + b];
          for (std::size_t c = 0; c < k; ++c) v -= nk[c] * m.means[c * d + a] * m.means[c * d + b];
          m.covariances[a * d + b] = v / total;
        }
        m.covariances[a * d + a] += reg;
      }
      break;
    case covariance_type::diag:
    case covariance_type::spherical:
      for (std::size_t c = 0; c < k; ++c) {
        double mean_var = 0.0;
        for (std::size_t j = 0; j < d; ++j) {
          const double mu = m.means[c * d + j];
          const double v = st.first[c * stride + j] / nk[c] - mu * mu + reg;
          if (type == covariance_type::diag) {
            m.covariances[c * d + j] = v;
          } else {
            mean_var += v;
          }
        }
        if (type == covariance_type::spherical) m.covariances[c] = mean_var / static_cast<double>(d);
      }
      break;
  }
  factorize(m, reg, scale);
  return m;
}

// Weighted mean of the rows (the centring offset of a fit).
template <class T>
std::vector<double> weighted_mean(const matrix_view<T>& x, std::span<const double> w, executor& ex) {
  const std::size_t n = x.rows(), d = x.cols();
  auto acc = parallel_reduce(
      ex, n, gmm_min_group, std::vector<double>(d + 1, 0.0),
      [&](std::size_t b, std::size_t e, std::size_t) {
        std::vector<double> a(d + 1, 0.0);
        for (std::size_t i = b; i < e; ++i) {
          for (std::size_t j = 0; j < d; ++j) a[j] += w[i] * static_cast<double>(x(i, j));
          a[d] += w[i];
        }
        return a;
      },
      [](std::vector<double> a, const std::vector<double>& p) {
        for (std::size_t j = 0; j < a.size(); ++j) a[j] += p[j];
        return a;
      });
  for (std::size_t j = 0; j < d; ++j) acc[j] /= acc[d];
  acc.pop_back();
  return acc;
}

}  // namespace segkit::cluster::detail
