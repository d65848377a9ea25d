#pragma once
// Assignment steps that skip distances the triangle inequality rules out: Hamerly's (one lower
// bound per row) and Elkan's (one per row and center). Each gives the same labels and weighted
// sums as the plain E-step (detail/kmeans_steps.hpp) from the same centers.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/detail/kmeans_steps.hpp"
#include "segkit/core/cpu.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distance/kernels.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/distance/nearest.hpp"
#include "segkit/distance/pairwise.hpp"

namespace segkit::cluster::detail {

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
          const step st{&centers, half_gap.data(), moved.data(), max1, max2, arg1, first};
          // An AVX2 copy when the CPU has it: the distance kernel and row sums inlined (core/cpu.hpp).
          cpu::dispatch_avx2([&] { rows(s_, b, e, st, labels, upper_.data(), lower_.data(), p); });
          return p;
        },
        lloyd_partial::merge);
    finish_bounded_step(s_, part, centers, labels, dist);
    previous_ = centers;
    return part;
  }

 private:
  // What one iteration's row loop needs besides the rows.
  struct step {
    const matrix<T>* centers;
    const double* half_gap;  // per center: half the distance to its nearest other center
    const double* moved;     // per center: how far it moved since the last iteration
    double max1, max2;       // the largest and second largest move
    std::size_t arg1;        // the center that moved most
    bool first;              // the first iteration: the bounds were just set from exact distances
  };

  // Rows [b, e): the bound test and, where it fails, the nearest two centers; adds every row to p.
  static void rows(const lloyd_state<T>& s, std::size_t b, std::size_t e, const step& st, label_type* labels, double* upper, double* lower,
                   lloyd_partial& p) {
    const std::size_t d = s.x.cols(), k = st.centers->shape(0);
    const auto dist_to = [&](std::size_t i, std::size_t c) { return std::sqrt(distance::squared_l2(s.x.row(i), &(*st.centers)(c, 0), d)); };
    for (std::size_t i = b; i < e; ++i) {
      bool recompute = false;
      if (!st.first) {
        const auto a = static_cast<std::size_t>(labels[i]);
        upper[i] += st.moved[a];
        lower[i] -= a == st.arg1 ? st.max2 : st.max1;
        const double bound = std::max(st.half_gap[a], lower[i]);
        if (upper[i] > bound) {
          upper[i] = dist_to(i, a);
          recompute = upper[i] > bound;
        }
      }
      if (recompute) {  // closest and second closest center, ties to the lower index
        // Compared squared (the root is monotone) and rooted once each at the end: a root per
        // center was the loop's longest latency.
        T q1 = std::numeric_limits<T>::infinity(), q2 = q1;
        std::size_t best = 0;
        for (std::size_t c = 0; c < k; ++c) {
          const T qc = distance::squared_l2(s.x.row(i), &(*st.centers)(c, 0), d);
          if (qc < q1) {
            q2 = q1;
            q1 = qc;
            best = c;
          } else if (qc < q2) {
            q2 = qc;
          }
        }
        labels[i] = static_cast<label_type>(best);
        upper[i] = std::sqrt(q1);
        lower[i] = std::sqrt(q2);
      }
      p.add(static_cast<std::size_t>(labels[i]), s.w[i], s.x.row(i));
    }
  }

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
          // An AVX2 copy when the CPU has it (core/cpu.hpp): the bound updates are k floats a row.
          cpu::dispatch_avx2([&] {
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
          });
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

}  // namespace segkit::cluster::detail
