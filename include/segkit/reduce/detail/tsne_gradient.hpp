#pragma once
/// @file
/// @brief t-SNE's internals: conditional and joint affinities, the attraction of the sparse P, and the repulsion by a space-partitioning tree (Barnes-Hut) or by interpolation on a grid (FIt-SNE); segkit/reduce/tsne.hpp is the algorithm.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <type_traits>
#include <tuple>
#include <vector>
#include <fmt/format.h>
#include <xtensor/xtensor.hpp>

#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/params.hpp"
#include "segkit/core/random.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/reduce/detail/fft.hpp"
#include "segkit/reduce/detail/knn.hpp"
#include "segkit/reduce/pca.hpp"

namespace segkit::reduce {

namespace detail {

[[noreturn]] inline void throw_tsne(const std::string& m) { segkit::detail::throw_invalid("segkit::reduce::tsne", m); }

/**
 * Conditional affinities p_{j|i} over each row's neighbors (squared distances `d2`, n x k) with
 * entropy log(perplexity): bisection on the precision beta, as scikit-learn's
 * _binary_search_perplexity (100 steps, tolerance 1e-5).
 */
inline std::vector<double> conditional_affinities(const std::vector<double>& d2, std::size_t n, std::size_t k, double perplexity,
                                                  executor& ex) {
  std::vector<double> p(n * k);
  const double target = std::log(perplexity);
  parallel_for(ex, n, 256, [&](std::size_t b, std::size_t e, std::size_t) {
    for (std::size_t i = b; i < e; ++i) {
      const double* d = d2.data() + i * k;
      double* pi = p.data() + i * k;
      double beta = 1.0, lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
      for (int step = 0; step < 100; ++step) {
        double sum = 0.0;
        for (std::size_t j = 0; j < k; ++j) sum += pi[j] = std::exp(-d[j] * beta);
        if (sum == 0.0) sum = 1e-8;
        double weighted = 0.0;
        for (std::size_t j = 0; j < k; ++j) {
          pi[j] /= sum;
          weighted += d[j] * pi[j];
        }
        const double diff = std::log(sum) + beta * weighted - target;
        if (std::abs(diff) <= 1e-5) break;
        if (diff > 0.0) {
          lo = beta;
          beta = std::isinf(hi) ? beta * 2.0 : (beta + hi) / 2.0;
        } else {
          hi = beta;
          beta = std::isinf(lo) ? beta / 2.0 : (beta + lo) / 2.0;
        }
      }
    }
  });
  return p;
}

/// A symmetric sparse matrix in CSR form.
struct sparse_affinities {
  std::vector<std::size_t> start;
  std::vector<std::uint32_t> column;
  std::vector<double> value;
};

/// P = (P + P^T) / sum, from conditional affinities over neighbor lists.
inline sparse_affinities joint_affinities(const std::vector<std::uint32_t>& ids, const std::vector<double>& cond, std::size_t n, std::size_t k) {
  struct entry {
    std::uint64_t key;
    double value;
  };
  std::vector<entry> all;
  all.reserve(2 * n * k);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < k; ++j) {
      const std::uint64_t a = i, b = ids[i * k + j];
      all.push_back({(a << 32) | b, cond[i * k + j]});
      all.push_back({(b << 32) | a, cond[i * k + j]});
    }
  }
  std::sort(all.begin(), all.end(), [](const entry& x, const entry& y) { return x.key < y.key || (x.key == y.key && x.value < y.value); });
  sparse_affinities s;
  s.start.assign(n + 1, 0);
  double total = 0.0;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    double v = 0.0;
    for (; j < all.size() && all[j].key == all[i].key; ++j) v += all[j].value;
    s.column.push_back(static_cast<std::uint32_t>(all[i].key & 0xFFFFFFFFu));
    s.value.push_back(v);
    ++s.start[(all[i].key >> 32) + 1];
    total += v;
    i = j;
  }
  for (std::size_t i = 0; i < n; ++i) s.start[i + 1] += s.start[i];
  total = std::max(total, std::numeric_limits<double>::epsilon());
  for (double& v : s.value) v /= total;
  return s;
}

/**
 * Attraction of row i: sum_j p_ij q_ij (y_i - y_j) over its affinities, with four interleaved
 * partial sums per coordinate (a fixed order) so that the terms do not wait on one running sum.
 * Dim fixes the coordinate count at compile time (0 = `dim`, with 4 x dim scratch in `out`).
 */
template <std::size_t Dim>
void attraction(const sparse_affinities& p, const double* y, std::size_t i, std::size_t dim_runtime, double* out) {
  const std::size_t dim = Dim != 0 ? Dim : dim_runtime;
  constexpr std::size_t slots = Dim != 0 ? Dim : 1;
  double fixed[4][slots] = {};
  double* acc = Dim != 0 ? &fixed[0][0] : out;
  if constexpr (Dim == 0) std::fill_n(out, 4 * dim, 0.0);
  const double* yi = y + i * dim;
  std::size_t lane = 0;
  for (std::size_t k = p.start[i]; k < p.start[i + 1]; ++k, lane = (lane + 1) & 3u) {
    const double* yj = y + static_cast<std::size_t>(p.column[k]) * dim;
    double dd = 0.0;
    for (std::size_t q = 0; q < dim; ++q) dd += (yi[q] - yj[q]) * (yi[q] - yj[q]);
    const double w = p.value[k] / (1.0 + dd);
    double* a = acc + lane * dim;
    for (std::size_t q = 0; q < dim; ++q) a[q] += w * (yi[q] - yj[q]);
  }
  for (std::size_t q = 0; q < dim; ++q) out[q] = (acc[q] + acc[dim + q]) + (acc[2 * dim + q] + acc[3 * dim + q]);
}

/**
 * A 2^dim-ary space-partitioning tree (quadtree in 2-D, octree in 3-D) over the embedding: cells
 * split at their center, leaves of one point (or of coincident points, or at depth 40), each node
 * with its point count and center of mass. Built sequentially: the same tree for any thread count.
 */
class space_tree {
 public:
  space_tree(const std::vector<double>& y, std::size_t n, std::size_t dim) : y_(y), dim_(dim), order_(n) {
    std::iota(order_.begin(), order_.end(), std::uint32_t{0});
    std::vector<double> lo(dim, std::numeric_limits<double>::infinity()), hi(dim, -std::numeric_limits<double>::infinity());
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t q = 0; q < dim; ++q) {
        lo[q] = std::min(lo[q], y[i * dim + q]);
        hi[q] = std::max(hi[q], y[i * dim + q]);
      }
    }
    std::vector<double> center(dim, 0.0);
    double half = 0.0;
    for (std::size_t q = 0; q < dim && n > 0; ++q) {
      center[q] = (lo[q] + hi[q]) / 2.0;
      half = std::max(half, (hi[q] - lo[q]) / 2.0);
    }
    half = half * (1.0 + 1e-9) + 1e-12;
    if (dim > 3) throw_tsne(fmt::format("the space tree handles 1 to 3 dimensions, not {}", dim));
    scratch_.resize(n);
    nodes_.reserve(2 * n + 8);
    nodes_.push_back({});
    build_into(0, 0, n, center.data(), half, 0);
  }

  /**
   * Adds to `force` the repulsion sum_j q^2 (y - y_j) of point `y` from the tree's points (point
   * `skip` left out; pass the size to skip none) and returns sum_j q, q = 1 / (1 + |y - y_j|^2);
   * a cell counts as one mass at its center when width / distance < theta.
   */
  double repulsion(const double* y, std::size_t skip, double theta, double* force) const {
    switch (dim_) {
      case 1: return walk<1>(y, skip, theta, force);
      case 2: return walk<2>(y, skip, theta, force);
      default: return walk<3>(y, skip, theta, force);
    }
  }

  /// The points in tree order (spatially close points adjacent): a cache-friendly visiting order.
  [[nodiscard]] const std::vector<std::uint32_t>& order() const noexcept { return order_; }

 private:
  /// repulsion() with the dimension fixed at compile time, so that the sums stay in registers.
  template <std::size_t Dim>
  double walk(const double* y, std::size_t skip, double theta, double* force) const {
    double sum_q = 0.0, f[Dim] = {};
    double yq[Dim];
    for (std::size_t q = 0; q < Dim; ++q) yq[q] = y[q];
    std::uint32_t stack[512];
    std::size_t top = 0;
    stack[top++] = 0;
    const double theta2 = theta * theta;
    const bool check_skip = skip < order_.size();
    while (top > 0) {
      const node& nd = nodes_[stack[--top]];
      double diff[Dim], d2 = 0.0;
      for (std::size_t q = 0; q < Dim; ++q) {
        diff[q] = yq[q] - nd.com[q];
        d2 += diff[q] * diff[q];
      }
      if (nd.children != 0 && !(nd.width2 < theta2 * d2)) {
        for (std::uint32_t c = 0; c < nd.children; ++c) stack[top++] = nd.first_child + c;
        continue;
      }
      std::uint32_t count = nd.end - nd.begin;
      if (nd.children == 0 && check_skip) {
        for (std::uint32_t p = nd.begin; p < nd.end; ++p) count -= order_[p] == skip ? 1u : 0u;
        if (count == 0) continue;
      }
      const double qv = 1.0 / (1.0 + d2);
      const double cq = static_cast<double>(count) * qv;
      sum_q += cq;
      for (std::size_t q = 0; q < Dim; ++q) f[q] += cq * qv * diff[q];
    }
    for (std::size_t q = 0; q < Dim; ++q) force[q] += f[q];
    return sum_q;
  }

  struct node {
    double com[3] = {0.0, 0.0, 0.0};  // center of mass
    double width2 = 0.0;              // squared width of the (cubic) cell
    std::uint32_t begin = 0, end = 0; // range of order_
    std::uint32_t first_child = 0;    // children (only non-empty ones) are first_child .. first_child + children - 1
    std::uint32_t children = 0;       // 0 = leaf
  };

  /// Fills node `slot` with the points order_[begin, end) in the cell (center, half); its
  /// non-empty children are appended together. No allocation per node: dim <= 3, at most 8 children.
  void build_into(std::size_t slot, std::size_t begin, std::size_t end, const double* center, double half, int depth) {
    node nd;
    nd.begin = static_cast<std::uint32_t>(begin);
    nd.end = static_cast<std::uint32_t>(end);
    nd.width2 = 4.0 * half * half;
    for (std::size_t p = begin; p < end; ++p) {
      for (std::size_t q = 0; q < dim_; ++q) nd.com[q] += y_[order_[p] * dim_ + q];
    }
    for (std::size_t q = 0; q < dim_; ++q) nd.com[q] = end > begin ? nd.com[q] / static_cast<double>(end - begin) : 0.0;
    nodes_[slot] = nd;
    if (end - begin <= 1 || depth >= 40) return;
    bool coincident = true;
    for (std::size_t p = begin + 1; p < end && coincident; ++p) {
      for (std::size_t q = 0; q < dim_; ++q) coincident = coincident && y_[order_[p] * dim_ + q] == y_[order_[begin] * dim_ + q];
    }
    if (coincident) return;
    const std::size_t orthants = std::size_t{1} << dim_;
    const auto orthant = [&](std::uint32_t i) {
      std::size_t o = 0;
      for (std::size_t q = 0; q < dim_; ++q) o |= (y_[i * dim_ + q] >= center[q] ? std::size_t{1} : std::size_t{0}) << q;
      return o;
    };
    std::size_t count[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
    for (std::size_t p = begin; p < end; ++p) ++count[orthant(order_[p]) + 1];
    for (std::size_t c = 0; c < orthants; ++c) count[c + 1] += count[c];
    std::size_t fill[8];
    std::copy_n(count, orthants, fill);
    for (std::size_t p = begin; p < end; ++p) scratch_[begin + fill[orthant(order_[p])]++] = order_[p];
    std::copy(scratch_.begin() + static_cast<std::ptrdiff_t>(begin), scratch_.begin() + static_cast<std::ptrdiff_t>(end),
              order_.begin() + static_cast<std::ptrdiff_t>(begin));
    std::uint32_t used = 0;
    for (std::size_t c = 0; c < orthants; ++c) used += count[c + 1] > count[c] ? 1u : 0u;
    const auto first = static_cast<std::uint32_t>(nodes_.size());
    nodes_[slot].first_child = first;
    nodes_[slot].children = used;
    nodes_.resize(nodes_.size() + used);
    std::uint32_t k = 0;
    for (std::size_t c = 0; c < orthants; ++c) {
      if (count[c + 1] == count[c]) continue;
      double cc[3];
      for (std::size_t q = 0; q < dim_; ++q) cc[q] = center[q] + (((c >> q) & 1u) != 0 ? half / 2.0 : -half / 2.0);
      build_into(first + k++, begin + count[c], begin + count[c + 1], cc, half / 2.0, depth + 1);
    }
  }

  const std::vector<double>& y_;
  std::size_t dim_;
  std::vector<std::uint32_t> order_, scratch_;
  std::vector<node> nodes_;
};

/// Repulsion of `y` from the rows of `ref` (n x dim) by every pair, skipping row `skip`.
inline double exact_repulsion(const std::vector<double>& ref, std::size_t n, std::size_t dim, const double* y, std::size_t skip, double* force) {
  double sum_q = 0.0;
  for (std::size_t j = 0; j < n; ++j) {
    if (j == skip) continue;
    double dd = 0.0;
    for (std::size_t q = 0; q < dim; ++q) dd += (y[q] - ref[j * dim + q]) * (y[q] - ref[j * dim + q]);
    const double qv = 1.0 / (1.0 + dd);
    sum_q += qv;
    for (std::size_t q = 0; q < dim; ++q) force[q] += qv * qv * (y[q] - ref[j * dim + q]);
  }
  return sum_q;
}

/**
 * Repulsion of every point from all others by polynomial interpolation on an equispaced grid
 * and FFT convolution (Linderman et al. 2019, "Fast interpolation-based t-SNE for improved
 * visualization of single-cell RNA-seq data", Nature Methods 16: FIt-SNE), for 1 or 2
 * dimensions.
 *
 * The embedding's bounding box is cut into boxes no wider than `box_width` (at least 21 per
 * axis), each with `points` equispaced nodes per axis; the kernel K(y, z) = 1 / (1 + |y - z|^2)^2
 * is replaced by its Lagrange interpolant on the nodes, so that for charges c_j
 * sum_j K(y_i, y_j) c_j = sum over nodes L(y_i) sum over nodes' K(node, node') sum_j L(y_j) c_j,
 * whose middle sum is a Toeplitz product done by a zero-padded FFT. With the charges 1, y_j and
 * |y_j|^2 (after moving the origin to the box center), sum_j q_ij = sum_j K (1 + |y_i - y_j|^2)
 * and sum_j q_ij^2 (y_i - y_j) = y_i sum_j K - sum_j K y_j follow from four convolutions that
 * all use the same interpolated kernel. The four real charges travel as two complex grids (the
 * kernel is real). Grid sides are powers of two (at least twice the nodes), so more boxes are
 * used when they come free; a side is capped at 2,048, beyond which boxes grow wider than
 * `box_width`. Spreading runs over points sorted by their first-axis box and each chunk writes
 * its own grid rows: the same bits for any thread count.
 */
class interpolation_repulsion {
 public:
  interpolation_repulsion(std::size_t dim, std::size_t points, double box_width) : dim_(dim), p_(points), box_width_(box_width) {
    if (dim < 1 || dim > 2 || points < 1 || !(box_width > 0.0)) throw_tsne("interpolation (fft) needs 1-2 dimensions, points >= 1, box width > 0");
    nodes_.resize(p_);
    denominators_.resize(p_);
    for (std::size_t j = 0; j < p_; ++j) nodes_[j] = (static_cast<double>(j) + 0.5) / static_cast<double>(p_);
    for (std::size_t j = 0; j < p_; ++j) {
      double d = 1.0;
      for (std::size_t k = 0; k < p_; ++k) d *= k == j ? 1.0 : nodes_[j] - nodes_[k];
      denominators_[j] = d;
    }
  }

  /// Fills `force` (n x dim) with sum_j q_ij^2 (y_i - y_j) and `sum_q` (n) with sum_{j != i} q_ij.
  void compute(const std::vector<double>& y, std::size_t n, double* force, double* sum_q, executor& ex) {
    plan(y, n);
    locate(y, n);
    const std::size_t cells = axis_[0].m * axis_[1].m;
    for (auto* g : {&a_re_, &a_im_, &b_re_, &b_im_}) g->assign(cells, 0.0);
    const double hx = axis_[0].width / static_cast<double>(p_), hy = dim_ == 2 ? axis_[1].width / static_cast<double>(p_) : 0.0;
    if (axis_[0].m != kernel_m_[0] || axis_[1].m != kernel_m_[1] || hx != kernel_h_[0] || hy != kernel_h_[1]) {
      // The kernel's spectrum depends on the grid size and spacing only: kept while they stay.
      conv_.set(axis_[0].m, axis_[1].m, std::max<std::size_t>(1, axis_[0].m / 2), std::max<std::size_t>(1, axis_[1].m / 2),
                [&](long sx, long sy) {
                  const double dx = static_cast<double>(sx) * hx, dy = static_cast<double>(sy) * hy;
                  const double q = 1.0 / (1.0 + dx * dx + dy * dy);
                  return q * q;
                },
                ex);
      kernel_m_[0] = axis_[0].m;
      kernel_m_[1] = axis_[1].m;
      kernel_h_[0] = hx;
      kernel_h_[1] = hy;
    }
    // Points sorted by first-axis box (stable): chunks of boxes own disjoint grid rows.
    const std::size_t boxes_x = axis_[0].boxes;
    box_start_.assign(boxes_x + 1, 0);
    for (std::size_t i = 0; i < n; ++i) ++box_start_[box_[i * 2] + 1];
    for (std::size_t b = 0; b < boxes_x; ++b) box_start_[b + 1] += box_start_[b];
    sorted_.resize(n);
    fill_ = box_start_;
    for (std::size_t i = 0; i < n; ++i) sorted_[fill_[box_[i * 2]]++] = static_cast<std::uint32_t>(i);
    const std::size_t my = axis_[1].m, py = dim_ == 2 ? p_ : 1;
    parallel_for(ex, boxes_x, 4, [&](std::size_t bb, std::size_t be, std::size_t) {
      for (std::size_t s = box_start_[bb]; s < box_start_[be]; ++s) {
        const std::size_t i = sorted_[s];
        const double* w = weights_.data() + i * 2 * p_;
        const double yx = y[i * dim_] - center_[0], yy = dim_ == 2 ? y[i * dim_ + 1] - center_[1] : 0.0;
        const double r2 = yx * yx + yy * yy;
        const std::size_t row0 = box_[i * 2] * p_, col0 = box_[i * 2 + 1] * py;
        for (std::size_t jx = 0; jx < p_; ++jx) {
          for (std::size_t jy = 0; jy < py; ++jy) {
            const double wxy = w[jx] * (dim_ == 2 ? w[p_ + jy] : 1.0);
            const std::size_t c = (row0 + jx) * my + col0 + jy;
            a_re_[c] += wxy;
            a_im_[c] += wxy * yx;
            b_re_[c] += wxy * yy;
            b_im_[c] += wxy * r2;
          }
        }
      }
    });
    conv_.apply(a_re_.data(), a_im_.data(), axis_[1].nodes, ex);
    conv_.apply(b_re_.data(), b_im_.data(), axis_[1].nodes, ex);
    parallel_for(ex, n, 1024, [&](std::size_t b, std::size_t e, std::size_t) {
      for (std::size_t i = b; i < e; ++i) {
        const double* w = weights_.data() + i * 2 * p_;
        double k0 = 0.0, kx = 0.0, ky = 0.0, kr = 0.0;  // sums of K, K y_x, K y_y, K |y|^2
        const std::size_t row0 = box_[i * 2] * p_, col0 = box_[i * 2 + 1] * py;
        for (std::size_t jx = 0; jx < p_; ++jx) {
          for (std::size_t jy = 0; jy < py; ++jy) {
            const double wxy = w[jx] * (dim_ == 2 ? w[p_ + jy] : 1.0);
            const std::size_t c = (row0 + jx) * my + col0 + jy;
            k0 += wxy * a_re_[c];
            kx += wxy * a_im_[c];
            ky += wxy * b_re_[c];
            kr += wxy * b_im_[c];
          }
        }
        const double yx = y[i * dim_] - center_[0], yy = dim_ == 2 ? y[i * dim_ + 1] - center_[1] : 0.0;
        // The point's own term (K = 1 at distance 0) adds 1 to the normalizer and nothing to the force.
        sum_q[i] = (1.0 + yx * yx + yy * yy) * k0 - 2.0 * (yx * kx + yy * ky) + kr - 1.0;
        force[i * dim_] += yx * k0 - kx;
        if (dim_ == 2) force[i * dim_ + 1] += yy * k0 - ky;
      }
    });
  }

  /// Cells of the grid compute() would use for this embedding (for cost estimates).
  [[nodiscard]] std::size_t planned_cells(const std::vector<double>& y, std::size_t n) {
    plan(y, n);
    return axis_[0].m * axis_[1].m;
  }

 private:
  struct axis {
    double lo = 0.0, width = 1.0;                    // grid start, box width
    std::size_t boxes = 1, nodes = 1, m = 1;         // boxes, interpolation nodes, FFT length
  };

  /// Grid per axis.
  void plan(const std::vector<double>& y, std::size_t n) {
    for (std::size_t q = 0; q < 2; ++q) axis_[q] = axis{};
    for (std::size_t q = 0; q < dim_; ++q) {
      double lo = std::numeric_limits<double>::infinity(), hi = -lo;
      for (std::size_t i = 0; i < n; ++i) {
        lo = std::min(lo, y[i * dim_ + q]);
        hi = std::max(hi, y[i * dim_ + q]);
      }
      if (!std::isfinite(lo) || !std::isfinite(hi)) throw_tsne("the embedding diverged (non-finite coordinates); lower the learning rate");
      // Boxes of exactly box_width (so the kernel's spectrum can be kept between calls) unless
      // the grid side would pass max_side; then fewer, wider boxes.
      const double range = std::max(hi - lo, 1e-9 * std::max(1.0, std::abs(lo)));
      axis& a = axis_[q];
      const std::size_t max_boxes = max_side / (2 * p_);
      const double wanted = std::max(1.0, std::ceil(range / box_width_ * (1.0 + 1e-12)));
      a.boxes = wanted <= static_cast<double>(max_boxes) ? static_cast<std::size_t>(wanted) : max_boxes;
      a.width = a.boxes == max_boxes && wanted > static_cast<double>(max_boxes) ? range / static_cast<double>(a.boxes) : box_width_;
      a.nodes = a.boxes * p_;
      a.m = next_power_of_two(2 * a.nodes);
      a.lo = lo;
      center_[q] = lo + range / 2.0;
    }
  }

  /// Each point's boxes and Lagrange weights.
  void locate(const std::vector<double>& y, std::size_t n) {
    box_.resize(2 * n);
    weights_.resize(2 * p_ * n);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t q = 0; q < 2; ++q) {
        if (q >= dim_) {
          box_[i * 2 + q] = 0;
          continue;
        }
        const axis& a = axis_[q];
        const double t = (y[i * dim_ + q] - a.lo) / a.width;
        const auto b = static_cast<std::size_t>(std::clamp(std::floor(t), 0.0, static_cast<double>(a.boxes - 1)));
        box_[i * 2 + q] = static_cast<std::uint32_t>(b);
        const double u = t - static_cast<double>(b);
        double* w = weights_.data() + (i * 2 + q) * p_;
        for (std::size_t j = 0; j < p_; ++j) {
          double v = 1.0;
          for (std::size_t k = 0; k < p_; ++k) v *= k == j ? 1.0 : u - nodes_[k];
          w[j] = v / denominators_[j];
        }
      }
    }
  }

  static constexpr std::size_t max_side = 2048;  // grid side cap: 2048^2 cells, 32 MiB per array

  std::size_t dim_, p_;
  double box_width_;
  std::size_t kernel_m_[2] = {0, 0};
  double kernel_h_[2] = {0.0, 0.0};
  std::vector<double> nodes_, denominators_;
  axis axis_[2];
  double center_[2] = {0.0, 0.0};
  std::vector<std::uint32_t> box_, sorted_;
  std::vector<std::size_t> box_start_, fill_;
  std::vector<double> weights_;
  std::vector<double> a_re_, a_im_, b_re_, b_im_;  // charges (1, y_x) and (y_y, |y|^2) as two complex grids
  grid_convolution conv_;
};

}  // namespace detail

}  // namespace segkit::reduce
