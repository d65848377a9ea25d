#pragma once
/// @file
/// @brief The statistical tests drift monitoring rests on: the two-sample Kolmogorov-Smirnov
/// test (statistic and p-value as scipy.stats.ks_2samp computes them, exact or asymptotic), the
/// distribution of the one-sample statistic D_n (scipy's kstwo), Pearson's chi-square test of a
/// contingency table (scipy.stats.chi2_contingency) and the chi-square tail.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <numeric>
#include <span>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/params.hpp"

namespace segkit::monitor {

/// How ks_2samp() computes its p-value.
enum class ks_method {
  automatic,   ///< exact when both samples have at most 10,000 values, else asymptotic (scipy's rule)
  exact,       ///< the exact distribution of the two-sample statistic (lattice paths)
  asymptotic,  ///< the one-sample distribution of D_n at n = round(n1 n2 / (n1 + n2))
};
/// Names of ks_method in files and on the command line.
constexpr auto enum_names(ks_method) {
  using params::name_value;
  return std::array{name_value{"auto", ks_method::automatic}, name_value{"exact", ks_method::exact}, name_value{"asymptotic", ks_method::asymptotic}};
}

/// Result of ks_2samp().
struct ks_result {
  double statistic = 0.0;  ///< D = sup |F_a - F_b|
  double p_value = 1.0;    ///< two-sided
  double location = 0.0;   ///< a value where |F_a - F_b| reaches D
  int sign = 1;            ///< +1 when F_a > F_b there, -1 otherwise
  ks_method method = ks_method::exact;  ///< the method actually used
};

/// Result of chi_square_test().
struct chi_square_result {
  double statistic = 0.0;  ///< Pearson's X^2 (with Yates' correction when applied)
  double p_value = 1.0;    ///< upper tail of chi-square with dof degrees of freedom
  std::size_t dof = 0;     ///< (rows - 1) (columns - 1)
};

namespace detail {

/// log(n! / n^n).
inline double log_factorial_over_power(double n) { return std::lgamma(n + 1.0) - n * std::log(n); }

/**
 * P(D+_n >= x), the one-sided one-sample statistic: Birnbaum & Tingey (1951)
 * x sum_{v=0}^{floor(n(1-x))} C(n, v) (x + v/n)^(v-1) (1 - x - v/n)^(n-v), each term in logs.
 */
inline double smirnov_sf(std::uint64_t n, double x) {
  if (!(x > 0.0)) return 1.0;
  if (x >= 1.0) return 0.0;
  const double dn = static_cast<double>(n);
  const auto top = static_cast<std::uint64_t>(std::floor(dn * (1.0 - x)));
  const double lg_n = std::lgamma(dn + 1.0);
  double sum = 0.0;
  for (std::uint64_t v = 0; v <= top; ++v) {
    const double dv = static_cast<double>(v);
    const double lo = x + dv / dn, hi = 1.0 - lo;
    double t = lg_n - std::lgamma(dv + 1.0) - std::lgamma(dn - dv + 1.0) + (dv - 1.0) * std::log(lo);
    if (v < n) {
      if (!(hi > 0.0)) continue;
      t += (dn - dv) * std::log(hi);
    }
    sum += std::exp(t);
  }
  return std::clamp(sum * x, 0.0, 1.0);
}

/**
 * P(D_n < d) by the matrix method of Durbin (1973) as made practical by Marsaglia, Tsang &
 * Wang (2003, "Evaluating Kolmogorov's distribution"): an m x m matrix (m = 2k - 1,
 * k = floor(n d) + 1) raised to the n-th power, scaled by n!/n^n, with exponents tracked.
 */
inline double durbin_cdf(std::uint64_t n, double d) {
  const double dn = static_cast<double>(n);
  const auto k = static_cast<std::size_t>(std::floor(dn * d)) + 1;
  const std::size_t m = 2 * k - 1;
  const double h = static_cast<double>(k) - dn * d;
  std::vector<double> hm(m * m, 0.0);
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < m; ++j) hm[i * m + j] = (i + 1 >= j) ? 1.0 : 0.0;
  }
  for (std::size_t i = 0; i < m; ++i) {
    hm[i * m] -= std::pow(h, static_cast<double>(i + 1));
    hm[(m - 1) * m + i] -= std::pow(h, static_cast<double>(m - i));
  }
  if (2.0 * h - 1.0 > 0.0) hm[(m - 1) * m] += std::pow(2.0 * h - 1.0, static_cast<double>(m));
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < m; ++j) {
      if (i + 1 > j) hm[i * m + j] /= std::exp(std::lgamma(static_cast<double>(i + 1 - j) + 1.0));
    }
  }
  // Square-and-multiply with a power-of-two exponent per matrix to stay in range.
  const auto multiply = [m](const std::vector<double>& a, const std::vector<double>& b) {
    std::vector<double> c(m * m, 0.0);
    for (std::size_t i = 0; i < m; ++i) {
      for (std::size_t l = 0; l < m; ++l) {
        const double s = a[i * m + l];
        if (s == 0.0) continue;
        for (std::size_t j = 0; j < m; ++j) c[i * m + j] += s * b[l * m + j];
      }
    }
    return c;
  };
  const auto rescale = [](std::vector<double>& a, long& e) {
    double top = 0.0;
    for (const double v : a) top = std::max(top, std::abs(v));
    if (top == 0.0) return;
    int shift = 0;
    std::frexp(top, &shift);
    for (double& v : a) v = std::ldexp(v, -shift);
    e += shift;
  };
  std::vector<double> result;  // empty = identity
  long result_exp = 0, base_exp = 0;
  std::vector<double> base = hm;
  for (std::uint64_t p = n; p > 0; p >>= 1) {
    if (p & 1u) {
      if (result.empty()) {
        result = base;
        result_exp = base_exp;
      } else {
        result = multiply(result, base);
        result_exp += base_exp;
        rescale(result, result_exp);
      }
    }
    if (p > 1) {
      base = multiply(base, base);
      base_exp *= 2;
      rescale(base, base_exp);
    }
  }
  const double center = result[(k - 1) * m + (k - 1)];
  if (!(center > 0.0)) return 0.0;
  const double log_p = std::log(center) + static_cast<double>(result_exp) * std::numbers::ln2 + log_factorial_over_power(dn);
  return std::clamp(std::exp(log_p), 0.0, 1.0);
}

/**
 * P(D_n >= x) by the asymptotic series of Pelz & Good (1976): K0(z) + K1(z)/sqrt(n) + K2(z)/n +
 * K3(z)/n^(3/2) with z = x sqrt(n), each K written as a theta-function sum that converges fast
 * for small z (Simard & L'Ecuyer 2011, section 3).
 */
inline double pelz_good_sf(std::uint64_t n, double x) {
  constexpr double pi = std::numbers::pi, pi2 = pi * pi, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
  const double dn = static_cast<double>(n);
  const double z = x * std::sqrt(dn), z2 = z * z, z4 = z2 * z2, z6 = z4 * z2, z8 = z4 * z4;
  if (-pi2 / (8.0 * z2) < -745.0) return 1.0;  // every term underflows: the CDF is 0
  const double root = std::sqrt(2.0 * pi);
  const auto kmax = static_cast<int>(std::ceil(16.0 * z / pi));
  // Odd-index sums: sum over m = 2k - 1 of polynomial(m^2) exp(-pi^2 m^2 / (8 z^2)).
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  for (int k = kmax; k >= 1; --k) {
    const double mo = 2.0 * k - 1.0, m2 = mo * mo, m4 = m2 * m2, m6 = m4 * m2;
    const double e = std::exp(-pi2 * m2 / (8.0 * z2));
    s0 += e;
    s1 += (-z2 + pi2 / 4.0 * m2) * e;
    s2 += (6.0 * z6 + 2.0 * z4 + (2.0 * z4 - 5.0 * z2) * pi2 / 4.0 * m2 + pi4 * (1.0 - 2.0 * z2) / 16.0 * m4) * e;
    s3 += (-30.0 * z6 - 90.0 * z8 + pi2 * (135.0 * z4 - 96.0 * z6) / 4.0 * m2 + pi4 * (212.0 * z4 - 60.0 * z2) / 16.0 * m4 +
           pi6 * (5.0 - 30.0 * z2) / 64.0 * m6) * e;
  }
  // All-index sums for K2 and K3: k^2 exp(-pi^2 k^2 / (2 z^2)) and (3 z^2 - pi^2 k^2) times that.
  double t2 = 0.0, t3 = 0.0;
  for (int k = kmax; k >= 1; --k) {
    const double k2 = static_cast<double>(k) * k;
    const double e = k2 * std::exp(-pi2 * k2 / (2.0 * z2));
    t2 += e;
    t3 += (3.0 * z2 - pi2 * k2) * e;
  }
  const double K0 = root / z * s0;
  const double K1 = root / (6.0 * z4) * s1;
  const double K2 = root / (72.0 * z6 * z) * s2 - pi2 * root / (36.0 * z2 * z) * t2;
  const double K3 = root / (6480.0 * z8 * z2) * s3 + pi2 * root / (216.0 * z6) * t3;
  const double sf = (1.0 - K0) - K1 / std::sqrt(dn) - K2 / dn - K3 / (dn * std::sqrt(dn));
  return std::clamp(sf, 0.0, 1.0);
}

}  // namespace detail

/**
 * @brief P(D_n >= x) for the two-sided one-sample Kolmogorov-Smirnov statistic D_n (scipy's
 * `kstwo.sf(x, n)`), choosing among exact and asymptotic forms as Simard & L'Ecuyer (2011)
 * recommend: closed forms at the ends (Ruben & Gambino 1982), twice the one-sided tail where it
 * is exact (x >= 0.5) or accurate (n x^2 >= 2.2 for n > 140), Durbin's matrix method for small
 * n x^2, the Pelz-Good series otherwise.
 */
inline double kolmogorov_sf(std::uint64_t n, double x) {
  if (n == 0) segkit::detail::throw_invalid("segkit::monitor::kolmogorov_sf", "n must be at least 1");
  if (std::isnan(x)) return x;
  if (x >= 1.0) return 0.0;
  if (x <= 0.0) return 1.0;
  const double dn = static_cast<double>(n);
  const double t = dn * x;
  if (t <= 1.0) {
    if (t <= 0.5) return 1.0;
    const double cdf = std::exp(detail::log_factorial_over_power(dn) + dn * std::log(2.0 * t - 1.0));
    return std::clamp(1.0 - cdf, 0.0, 1.0);
  }
  if (t >= dn - 1.0) return std::clamp(2.0 * std::pow(1.0 - x, dn), 0.0, 1.0);
  if (x >= 0.5) return std::clamp(2.0 * detail::smirnov_sf(n, x), 0.0, 1.0);
  const double nx2 = t * x;
  if (n <= 140) {
    // Durbin's method is exact here; scipy uses Pomeranz's (also exact) between 0.754693 and 4.
    if (nx2 <= 4.0) return std::clamp(1.0 - detail::durbin_cdf(n, x), 0.0, 1.0);
    return std::clamp(2.0 * detail::smirnov_sf(n, x), 0.0, 1.0);
  }
  if (nx2 >= 370.0) return 0.0;
  if (nx2 >= 2.2) return std::clamp(2.0 * detail::smirnov_sf(n, x), 0.0, 1.0);
  if (n <= 100000 && dn * std::pow(x, 1.5) <= 1.4) return std::clamp(1.0 - detail::durbin_cdf(n, x), 0.0, 1.0);
  return detail::pelz_good_sf(n, x);
}

namespace detail {

/// Exact P(D_{n,n} >= h/n) for two samples of equal size n: 2 sum_k (-1)^(k-1) C(2n, n-kh) / C(2n, n).
inline double ks_exact_equal(std::uint64_t n, std::uint64_t h) {
  std::vector<double> terms;
  double t = 1.0;
  for (std::uint64_t k = 1; k * h <= n; ++k) {
    for (std::uint64_t j = (k - 1) * h; j < k * h; ++j) t *= static_cast<double>(n - j) / static_cast<double>(n + j + 1);
    terms.push_back(t);
    if (t < 1e-300) break;
  }
  double s = 0.0;  // smallest terms first
  for (std::size_t i = terms.size(); i-- > 0;) s += (i % 2 == 0 ? 1.0 : -1.0) * terms[i];
  return std::clamp(2.0 * s, 0.0, 1.0);
}

/**
 * Exact P(D_{n1,n2} >= h g / (n1 n2)): one minus the share of monotone lattice paths from (0, 0)
 * to (n1, n2) that keep |i n2 - j n1| < h g. The share of paths reaching (i, j) inside the band
 * obeys f(i, j) = f(i-1, j) i / (i + j) + f(i, j-1) j / (i + j), so nothing overflows.
 */
inline double ks_exact_unequal(std::uint64_t n1, std::uint64_t n2, std::uint64_t hg) {
  std::vector<double> prev(n2 + 1, 0.0), cur(n2 + 1, 0.0);
  const auto inside = [&](std::uint64_t i, std::uint64_t j) {
    const auto a = static_cast<std::int64_t>(i * n2), b = static_cast<std::int64_t>(j * n1);
    return static_cast<std::uint64_t>(a > b ? a - b : b - a) < hg;
  };
  for (std::uint64_t j = 0; j <= n2 && inside(0, j); ++j) prev[j] = 1.0;
  for (std::uint64_t i = 1; i <= n1; ++i) {
    std::fill(cur.begin(), cur.end(), 0.0);
    const double di = static_cast<double>(i);
    // Only j with |i n2 - j n1| < hg can be inside.
    const double center = di * static_cast<double>(n2) / static_cast<double>(n1);
    const double half = static_cast<double>(hg) / static_cast<double>(n1);
    const auto lo = static_cast<std::uint64_t>(std::max(0.0, std::floor(center - half)));
    const auto hi = std::min<std::uint64_t>(n2, static_cast<std::uint64_t>(std::ceil(center + half)));
    for (std::uint64_t j = lo; j <= hi; ++j) {
      if (!inside(i, j)) continue;
      const double dj = static_cast<double>(j);
      double v = prev[j] * di / (di + dj);
      if (j > 0) v += cur[j - 1] * dj / (di + dj);
      cur[j] = v;
    }
    std::swap(prev, cur);
  }
  return std::clamp(1.0 - prev[n2], 0.0, 1.0);
}

}  // namespace detail

/**
 * @brief Two-sample Kolmogorov-Smirnov test, two-sided: D = sup |F_a - F_b| over the pooled
 * values and its p-value, as scipy.stats.ks_2samp computes them (ties handled by right-continuous
 * empirical CDFs). The exact p-value counts lattice paths in O(n1 n2 band) time; with
 * ks_method::automatic it is used when both samples have at most 10,000 values.
 * @throws segkit::invalid_argument for an empty sample or a NaN value.
 * @par Complexity  O((n1 + n2) log(n1 + n2)) for the statistic.
 */
inline ks_result ks_2samp(std::span<const double> a_in, std::span<const double> b_in, ks_method method = ks_method::automatic) {
  constexpr const char* comp = "segkit::monitor::ks_2samp";
  if (a_in.empty() || b_in.empty()) {
    segkit::detail::throw_invalid(comp, fmt::format("both samples need values (sizes {} and {})", a_in.size(), b_in.size()));
  }
  std::vector<double> a(a_in.begin(), a_in.end()), b(b_in.begin(), b_in.end());
  for (const auto* s : {&a, &b}) {
    for (std::size_t i = 0; i < s->size(); ++i) {
      if (std::isnan((*s)[i])) segkit::detail::throw_invalid(comp, fmt::format("sample {} holds NaN at {}", s == &a ? "a" : "b", i));
    }
  }
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const std::uint64_t n1 = a.size(), n2 = b.size();
  const double d1 = static_cast<double>(n1), d2 = static_cast<double>(n2);
  // Walk the distinct pooled values in order; F_a and F_b are right-continuous.
  double best_pos = -1.0, best_neg = -1.0, loc_pos = 0.0, loc_neg = 0.0;
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    const double v = (j >= b.size() || (i < a.size() && a[i] <= b[j])) ? a[i] : b[j];
    while (i < a.size() && a[i] <= v) ++i;
    while (j < b.size() && b[j] <= v) ++j;
    const double diff = static_cast<double>(i) / d1 - static_cast<double>(j) / d2;
    if (diff > best_pos) best_pos = diff, loc_pos = v;
    if (-diff > best_neg) best_neg = -diff, loc_neg = v;
  }
  best_neg = std::clamp(best_neg, 0.0, 1.0);
  ks_result r;
  if (best_neg > best_pos) {
    r.statistic = best_neg, r.location = loc_neg, r.sign = -1;
  } else {
    r.statistic = best_pos, r.location = loc_pos, r.sign = 1;
  }
  const std::uint64_t g = std::gcd(n1, n2);
  bool exact = method == ks_method::exact || (method == ks_method::automatic && std::max(n1, n2) <= 10000);
  if (exact && (n1 / g) >= static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max()) / (n2 / g)) exact = false;
  if (exact) {
    const std::uint64_t lcm = (n1 / g) * n2;
    const auto h = static_cast<std::uint64_t>(std::nearbyint(r.statistic * static_cast<double>(lcm)));
    r.statistic = static_cast<double>(h) / static_cast<double>(lcm);
    r.method = ks_method::exact;
    if (h == 0) {
      r.p_value = 1.0;
    } else if (n1 == n2) {
      r.p_value = detail::ks_exact_equal(n1, h);
    } else {
      r.p_value = detail::ks_exact_unequal(n1, n2, h * g);
    }
    return r;
  }
  r.method = ks_method::asymptotic;
  const double big = std::max(d1, d2), small = std::min(d1, d2);
  const double en = big * small / (big + small);
  r.p_value = kolmogorov_sf(static_cast<std::uint64_t>(std::nearbyint(en)), r.statistic);
  return r;
}

/**
 * @brief Regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a): a series for
 * P = 1 - Q when x < a + 1, a continued fraction (modified Lentz) for Q otherwise.
 */
inline double regularized_gamma_q(double a, double x) {
  if (!(a > 0.0) || !(x >= 0.0)) {
    segkit::detail::throw_invalid("segkit::monitor::regularized_gamma_q", fmt::format("needs a > 0 and x >= 0 (a = {}, x = {})", a, x));
  }
  if (x == 0.0) return 1.0;
  const double log_front = a * std::log(x) - x - std::lgamma(a);
  if (x < a + 1.0) {
    double term = 1.0 / a, sum = term;
    for (int k = 1; k < 10000; ++k) {
      term *= x / (a + k);
      sum += term;
      if (std::abs(term) < std::abs(sum) * 1e-17) break;
    }
    return std::clamp(1.0 - sum * std::exp(log_front), 0.0, 1.0);
  }
  constexpr double tiny = 1e-300;
  double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
  for (int k = 1; k < 10000; ++k) {
    const double an = -k * (k - a);
    b += 2.0;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1.0) < 1e-16) break;
  }
  return std::clamp(std::exp(log_front) * h, 0.0, 1.0);
}

/// Upper tail P(X >= x) of the chi-square distribution with `dof` degrees of freedom.
inline double chi_square_sf(double x, double dof) {
  if (!(dof > 0.0)) segkit::detail::throw_invalid("segkit::monitor::chi_square_sf", fmt::format("dof ({}) must be > 0", dof));
  if (!(x > 0.0)) return 1.0;
  return regularized_gamma_q(dof / 2.0, x / 2.0);
}

/**
 * @brief Pearson's chi-square test of independence on an r x c table of counts (rows: e.g. two
 * periods; columns: categories), as scipy.stats.chi2_contingency: expected counts from the
 * margins, Yates' continuity correction when dof = 1 and `yates` is set.
 * @throws segkit::invalid_argument for a negative count, or a zero row or column sum (an
 *         expected count of 0).
 */
inline chi_square_result chi_square_test(const xt::xtensor<std::int64_t, 2>& table, bool yates = true) {
  constexpr const char* comp = "segkit::monitor::chi_square_test";
  const std::size_t r = table.shape(0), c = table.shape(1);
  if (r == 0 || c == 0) segkit::detail::throw_invalid(comp, "the table is empty");
  std::vector<double> rows(r, 0.0), cols(c, 0.0);
  double total = 0.0;
  for (std::size_t i = 0; i < r; ++i) {
    for (std::size_t j = 0; j < c; ++j) {
      const auto v = table(i, j);
      if (v < 0) segkit::detail::throw_invalid(comp, fmt::format("count ({}, {}) is negative ({})", i, j, v));
      rows[i] += static_cast<double>(v);
      cols[j] += static_cast<double>(v);
      total += static_cast<double>(v);
    }
  }
  for (std::size_t i = 0; i < r; ++i) {
    if (rows[i] == 0.0) segkit::detail::throw_invalid(comp, fmt::format("row {} sums to 0: its expected counts are 0", i));
  }
  for (std::size_t j = 0; j < c; ++j) {
    if (cols[j] == 0.0) segkit::detail::throw_invalid(comp, fmt::format("column {} sums to 0: its expected counts are 0", j));
  }
  chi_square_result res;
  res.dof = (r - 1) * (c - 1);
  if (res.dof == 0) return res;
  const bool correct = yates && res.dof == 1;
  for (std::size_t i = 0; i < r; ++i) {
    for (std::size_t j = 0; j < c; ++j) {
      const double e = rows[i] * cols[j] / total;
      double o = static_cast<double>(table(i, j));
      if (correct) o += (e > o ? 1.0 : (e < o ? -1.0 : 0.0)) * std::min(0.5, std::abs(e - o));
      res.statistic += (o - e) * (o - e) / e;
    }
  }
  res.p_value = chi_square_sf(res.statistic, static_cast<double>(res.dof));
  return res;
}

/**
 * @brief Regularized incomplete beta function I_x(a, b), by its continued fraction (modified
 * Lentz), using the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) where the fraction converges slowly.
 */
inline double regularized_beta(double a, double b, double x) {
  if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0 && x <= 1.0)) {
    segkit::detail::throw_invalid("segkit::monitor::regularized_beta", fmt::format("needs a, b > 0 and 0 <= x <= 1 (a = {}, b = {}, x = {})", a, b, x));
  }
  if (x == 0.0 || x == 1.0) return x;
  if (x > (a + 1.0) / (a + b + 2.0)) return 1.0 - regularized_beta(b, a, 1.0 - x);
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  constexpr double tiny = 1e-300;
  double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::abs(d) < tiny) d = tiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m < 10000; ++m) {
    const double dm = m;
    // Even step.
    double num = dm * (b - dm) * x / ((a + 2.0 * dm - 1.0) * (a + 2.0 * dm));
    d = 1.0 + num * d;
    if (std::abs(d) < tiny) d = tiny;
    c = 1.0 + num / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1.0 / d;
    h *= d * c;
    // Odd step.
    num = -(a + dm) * (a + b + dm) * x / ((a + 2.0 * dm) * (a + 2.0 * dm + 1.0));
    d = 1.0 + num * d;
    if (std::abs(d) < tiny) d = tiny;
    c = 1.0 + num / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1.0) < 1e-16) break;
  }
  return std::clamp(std::exp(log_front) * h / a, 0.0, 1.0);
}

/// Upper tail P(T >= t) of Student's t distribution with `dof` (> 0, not necessarily integer) degrees of freedom.
inline double student_t_sf(double t, double dof) {
  if (!(dof > 0.0)) segkit::detail::throw_invalid("segkit::monitor::student_t_sf", fmt::format("dof ({}) must be > 0", dof));
  if (std::isnan(t)) return t;
  const double tail = 0.5 * regularized_beta(dof / 2.0, 0.5, dof / (dof + t * t));
  return t >= 0.0 ? tail : 1.0 - tail;
}

/// Result of welch_t_test().
struct t_test_result {
  double statistic = 0.0;  ///< (mean_a - mean_b) / sqrt(var_a / n_a + var_b / n_b)
  double dof = 0.0;        ///< Welch-Satterthwaite degrees of freedom
  double p_value = 1.0;    ///< two-sided
};

/**
 * @brief Welch's unequal-variance t-test from the two samples' sizes, means and (n - 1)
 * variances; equal to scipy.stats.ttest_ind(equal_var=False). NaN statistic and p-value when both
 * variances are 0.
 * @throws segkit::invalid_argument when a sample has fewer than 2 values or a variance is negative.
 */
inline t_test_result welch_t_test(double mean_a, double var_a, double n_a, double mean_b, double var_b, double n_b) {
  if (!(n_a >= 2.0 && n_b >= 2.0)) {
    segkit::detail::throw_invalid("segkit::monitor::welch_t_test", fmt::format("each sample needs at least 2 values (got {} and {})", n_a, n_b));
  }
  if (!(var_a >= 0.0 && var_b >= 0.0)) segkit::detail::throw_invalid("segkit::monitor::welch_t_test", "variances must be >= 0");
  const double va = var_a / n_a, vb = var_b / n_b;
  t_test_result r;
  if (va + vb == 0.0) {
    r.statistic = r.p_value = r.dof = std::numeric_limits<double>::quiet_NaN();
    return r;
  }
  r.statistic = (mean_a - mean_b) / std::sqrt(va + vb);
  r.dof = (va + vb) * (va + vb) / (va * va / (n_a - 1.0) + vb * vb / (n_b - 1.0));
  r.p_value = std::min(1.0, 2.0 * student_t_sf(std::abs(r.statistic), r.dof));
  return r;
}

/// Welch's t-test on two samples (see the overload on moments).
inline t_test_result welch_t_test(std::span<const double> a, std::span<const double> b) {
  const auto moments = [](std::span<const double> v, double& mean, double& var) {
    mean = 0.0;
    for (const double x : v) mean += x;
    mean /= static_cast<double>(v.size());
    var = 0.0;
    for (const double x : v) var += (x - mean) * (x - mean);
    var /= static_cast<double>(v.size() > 1 ? v.size() - 1 : 1);
  };
  double ma = 0, va = 0, mb = 0, vb = 0;
  moments(a, ma, va);
  moments(b, mb, vb);
  return welch_t_test(ma, va, static_cast<double>(a.size()), mb, vb, static_cast<double>(b.size()));
}

}  // namespace segkit::monitor
