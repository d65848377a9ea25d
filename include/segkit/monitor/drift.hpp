#pragma once
/// @file
/// @brief Drift monitoring between a reference period and a current one: per-feature drift
/// (Kolmogorov-Smirnov, population stability index), embedding drift (mean shift, spread ratio,
/// pairwise-distance ratio, kernel MMD with a permutation p-value), segment drift (share change
/// with a chi-square test, centroid shift, migration matrix, points far from every segment), and
/// a `drift_monitor` that holds the reference and produces a `drift_report` with alerts.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/random.hpp"
#include "segkit/core/types.hpp"
#include "segkit/core/params.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/distance/pairwise.hpp"
#include "segkit/monitor/statistics.hpp"
#include "segkit/monitor/distribution_tests.hpp"

namespace segkit::monitor {

// ---------------------------------------------------------------------------------------------
// Reports

/// When a drift_report raises an alert.
struct drift_thresholds {
  double p_value = 0.01;            ///< tests below this p-value count as significant
  double min_ks_statistic = 0.1;    ///< a significant KS alerts only from this effect size (large n make tiny shifts significant)
  double psi = 0.25;                ///< PSI at or above this alerts on its own
  double relative_mean_shift = 0.25;  ///< embedding mean shift over the reference's RMS spread
  double spread_ratio = 1.5;        ///< total variance ratio outside [1/r, r] alerts
  double share_change = 0.05;       ///< total variation distance between segment shares
  double far_quantile = 0.99;       ///< reference quantile of the distance to the nearest centroid
  double far_excess = 3.0;          ///< alert when the current share beyond it exceeds far_excess x (1 - far_quantile)

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = drift_thresholds;
    namespace sp = segkit::params;
    return std::tuple{sp::field("p_value", &p::p_value, "tests below this p-value count as significant", {0, 1, true, true}),
                      sp::field("min_ks_statistic", &p::min_ks_statistic, "a significant KS alerts only from this effect size", sp::between(0, 1)),
                      sp::field("psi", &p::psi, "PSI at or above this alerts on its own", sp::at_least(0)),
                      sp::field("relative_mean_shift", &p::relative_mean_shift, "embedding mean shift over the reference's RMS spread", sp::at_least(0)),
                      sp::field("spread_ratio", &p::spread_ratio, "total variance ratio outside [1/r, r] alerts", sp::at_least(1)),
                      sp::field("share_change", &p::share_change, "total variation distance between segment shares", sp::between(0, 1)),
                      sp::field("far_quantile", &p::far_quantile, "reference quantile of the distance to the nearest centroid", {0, 1, true, true}),
                      sp::field("far_excess", &p::far_excess, "alert when the current share beyond it exceeds far_excess x (1 - far_quantile)", sp::at_least(0))};
  }
};

/// Drift of one numeric feature.
struct feature_drift {
  std::size_t feature = 0;         ///< column
  ks_result ks;                    ///< two-sample KS
  double psi = 0.0;                ///< population stability index
  double reference_mean = 0.0;     ///< mean in the reference
  double current_mean = 0.0;       ///< mean in the current period
  bool alert = false;              ///< psi >= threshold, or significant KS with statistic >= min_ks_statistic
};

/// Drift of the embedding as a whole.
struct embedding_drift {
  double mean_shift = 0.0;           ///< |mean_current - mean_reference|
  double relative_mean_shift = 0.0;  ///< mean_shift / sqrt(trace of the reference covariance)
  double spread_ratio = 1.0;         ///< trace(cov current) / trace(cov reference)
  double pairwise_distance_ratio = 1.0;  ///< mean pairwise distance, current over reference (sampled rows)
  mmd_result mmd;                    ///< kernel two-sample test
  bool alert = false;                ///< any of the above past its threshold
};

/// Drift of the segment assignment.
struct segment_drift {
  std::vector<label_type> labels;           ///< segments compared (noise -1 included if present), ascending
  std::vector<double> reference_share;      ///< per segment
  std::vector<double> current_share;        ///< per segment
  double total_variation = 0.0;             ///< half the L1 distance between the share vectors
  chi_square_result share_test;             ///< counts of the two periods, chi-square test of homogeneity
  std::vector<double> centroid_shift;       ///< per segment: distance between its mean rows in the two periods (NaN if absent in one)
  double far_threshold = 0.0;               ///< the reference's far_quantile of the distance to the nearest centroid
  double far_fraction = 0.0;                ///< share of current rows beyond it
  bool new_segment_candidate = false;       ///< far_fraction > far_excess x (1 - far_quantile)
  bool alert = false;                       ///< share change, a significant share test with a material change, or a candidate segment
};

/// One alert of a drift_report, in words and numbers.
struct drift_alert {
  std::string area;     ///< "feature", "embedding" or "segments"
  std::string message;  ///< what crossed which threshold
  double value = 0.0;   ///< the value seen
  double threshold = 0.0;  ///< the threshold crossed
};

/// Everything a drift check found.
struct drift_report {
  std::vector<feature_drift> features;  ///< one per column
  embedding_drift embedding;            ///< whole-embedding drift
  segment_drift segments;               ///< assignment drift (empty when no labels were given)
  std::vector<drift_alert> alerts;      ///< in the order features, embedding, segments
  [[nodiscard]] bool drifted() const noexcept { return !alerts.empty(); }
};

/// Parameters of drift_monitor.
struct drift_params {
  drift_thresholds thresholds{};  ///< when to alert
  psi_params psi{};               ///< PSI binning
  ks_method ks = ks_method::automatic;  ///< KS p-values
  mmd_params mmd{};               ///< kernel test sampling, permutations, seed, threads

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = drift_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("thresholds", &p::thresholds, "when to alert"),
                      sp::field("psi", &p::psi, "PSI binning"),
                      sp::field("ks", &p::ks, "KS p-values: auto (exact up to 10,000 values per sample, scipy's rule), exact or asymptotic"),
                      sp::field("mmd", &p::mmd, "kernel test sampling, permutations, seed, threads")};
  }
};

/**
 * @brief Holds a reference period (rows, optionally their segment labels and the segment
 * centroids) and checks later periods against it.
 *
 * @code
 * segkit::monitor::drift_monitor<float> monitor(last_month, last_month_labels, model.centroids);
 * auto report = monitor.check(this_week, this_week_labels);
 * for (const auto& a : report.alerts) log(a.area, a.message);
 * @endcode
 * @par Thread safety  check() is const and may run concurrently.
 */
template <class T = float>
class drift_monitor {
 public:
  /**
   * @brief Keeps the reference rows (a copy), labels (may be empty) and centroids (k x d, may be
   * empty: then the means of the labeled reference rows, in ascending label order, excluding -1).
   * @throws segkit::invalid_argument for fewer than 2 rows, NaN/Inf, a label count other than n,
   *         centroids of the wrong width, or invalid thresholds.
   */
  template <class E, class C = matrix<T>>
  explicit drift_monitor(const E& reference, std::span<const label_type> labels = {}, const C& centroids = C{}, drift_params params = {})
      : params_(params) {
    constexpr const char* comp = "segkit::monitor::drift_monitor";
    const auto x = as_rows<T>(reference);
    if (x->rows() < 2) segkit::detail::throw_invalid(comp, fmt::format("the reference needs at least 2 rows (got {})", x->rows()));
    if (x->cols() == 0) segkit::detail::throw_invalid(comp, "the reference has 0 columns");
    require_finite<T>(comp, "reference", x.view());
    if (!labels.empty() && labels.size() != x->rows()) {
      segkit::detail::throw_invalid(comp, fmt::format("{} labels for {} reference rows", labels.size(), x->rows()));
    }
    const auto& th = params_.thresholds;
    if (!(th.far_quantile > 0.0 && th.far_quantile < 1.0)) segkit::detail::throw_invalid(comp, fmt::format("far_quantile ({}) must lie in (0, 1)", th.far_quantile));
    if (!(th.spread_ratio >= 1.0)) segkit::detail::throw_invalid(comp, fmt::format("spread_ratio ({}) must be >= 1", th.spread_ratio));
    rows_ = matrix<T>::from_shape({x->rows(), x->cols()});
    for (std::size_t i = 0; i < x->rows(); ++i) std::copy_n(x->row(i), x->cols(), rows_.data() + i * x->cols());
    labels_.assign(labels.begin(), labels.end());
    columns_.resize(x->cols());
    for (std::size_t j = 0; j < x->cols(); ++j) {
      columns_[j].resize(x->rows());
      for (std::size_t i = 0; i < x->rows(); ++i) columns_[j][i] = static_cast<double>(rows_(i, j));
    }
    moments(view(), mean_, trace_);
    const auto cv = as_rows<T>(centroids);
    if (cv->rows() > 0) {
      if (cv->cols() != x->cols()) segkit::detail::throw_invalid(comp, fmt::format("centroids have {} columns, the reference {}", cv->cols(), x->cols()));
      require_finite<T>(comp, "centroids", cv.view());
      centroids_.assign(cv->rows() * cv->cols(), 0.0);
      for (std::size_t c = 0; c < cv->rows(); ++c) {
        for (std::size_t j = 0; j < cv->cols(); ++j) centroids_[c * cv->cols() + j] = static_cast<double>(cv->row(c)[j]);
      }
    } else if (!labels_.empty()) {
      centroids_ = label_means(view(), labels_, segment_labels(labels_, {}), false);
    }
    if (!centroids_.empty()) far_threshold_ = quantile(nearest_centroid_distances(view()), th.far_quantile);
  }

  /// The reference's number of rows.
  [[nodiscard]] std::size_t size() const noexcept { return rows_.shape(0); }

  /**
   * @brief Compares `current` (and its labels, if the reference had labels) with the reference.
   * @throws segkit::invalid_argument for fewer than 2 rows, another column count, NaN/Inf, or
   *         labels of the wrong length.
   */
  template <class E>
  drift_report check(const E& current, std::span<const label_type> labels = {}) const {
    constexpr const char* comp = "segkit::monitor::drift_monitor::check";
    const auto y = as_rows<T>(current);
    if (y->cols() != rows_.shape(1)) segkit::detail::throw_invalid(comp, fmt::format("current rows have {} columns, the reference {}", y->cols(), rows_.shape(1)));
    if (y->rows() < 2) segkit::detail::throw_invalid(comp, fmt::format("the current period needs at least 2 rows (got {})", y->rows()));
    require_finite<T>(comp, "current", y.view());
    if (!labels.empty() && labels.size() != y->rows()) segkit::detail::throw_invalid(comp, fmt::format("{} labels for {} current rows", labels.size(), y->rows()));
    const auto& th = params_.thresholds;
    drift_report rep;
    // Per feature.
    executor ex(params_.mmd.threads);
    rep.features.resize(columns_.size());
    parallel_for(ex, columns_.size(), 1, [&](std::size_t b, std::size_t e, std::size_t) {
      std::vector<double> col(y->rows());
      for (std::size_t j = b; j < e; ++j) {
        for (std::size_t i = 0; i < y->rows(); ++i) col[i] = static_cast<double>(y->row(i)[j]);
        feature_drift& f = rep.features[j];
        f.feature = j;
        f.ks = ks_2samp(columns_[j], col, params_.ks);
        f.psi = population_stability_index(columns_[j], col, params_.psi).value;
        f.reference_mean = std::accumulate(columns_[j].begin(), columns_[j].end(), 0.0) / static_cast<double>(columns_[j].size());
        f.current_mean = std::accumulate(col.begin(), col.end(), 0.0) / static_cast<double>(col.size());
        f.alert = f.psi >= th.psi || (f.ks.p_value < th.p_value && f.ks.statistic >= th.min_ks_statistic);
      }
    });
    for (const auto& f : rep.features) {
      if (!f.alert) continue;
      rep.alerts.push_back({"feature", fmt::format("feature {}: PSI {:.3f}, KS D {:.3f} (p = {:.2g})", f.feature, f.psi, f.ks.statistic, f.ks.p_value),
                            f.psi, th.psi});
    }
    // Whole embedding.
    embedding_drift& em = rep.embedding;
    std::vector<double> mean;
    double trace = 0.0;
    moments(y.view(), mean, trace);
    double s = 0.0;
    for (std::size_t j = 0; j < mean.size(); ++j) s += (mean[j] - mean_[j]) * (mean[j] - mean_[j]);
    em.mean_shift = std::sqrt(s);
    em.relative_mean_shift = trace_ > 0.0 ? em.mean_shift / std::sqrt(trace_) : (em.mean_shift > 0.0 ? std::numeric_limits<double>::infinity() : 0.0);
    em.spread_ratio = trace_ > 0.0 ? trace / trace_ : (trace > 0.0 ? std::numeric_limits<double>::infinity() : 1.0);
    em.mmd = mmd_test(view(), y.view(), params_.mmd);
    const std::size_t alerts_before = rep.alerts.size();
    em.pairwise_distance_ratio = em.mmd.reference_mean_distance > 0.0 ? em.mmd.current_mean_distance / em.mmd.reference_mean_distance : 1.0;
    if (em.mmd.p_value < th.p_value) {
      rep.alerts.push_back({"embedding", fmt::format("kernel MMD^2 {:.4g} is significant (p = {:.3g})", em.mmd.mmd2, em.mmd.p_value), em.mmd.p_value, th.p_value});
    }
    if (em.relative_mean_shift > th.relative_mean_shift) {
      rep.alerts.push_back({"embedding", fmt::format("mean moved by {:.3f} of the reference spread", em.relative_mean_shift), em.relative_mean_shift,
                            th.relative_mean_shift});
    }
    if (em.spread_ratio > th.spread_ratio || em.spread_ratio < 1.0 / th.spread_ratio) {
      rep.alerts.push_back({"embedding", fmt::format("total variance ratio {:.3f}", em.spread_ratio), em.spread_ratio, th.spread_ratio});
    }
    em.alert = rep.alerts.size() > alerts_before;
    // Segments.
    if (!labels_.empty() && !labels.empty()) segments(y.view(), labels, rep);
    if (!centroids_.empty()) far_points(y.view(), rep);
    return rep;
  }

 private:
  [[nodiscard]] matrix_view<T> view() const { return matrix_view<T>(rows_.data(), rows_.shape(0), rows_.shape(1), rows_.shape(1)); }

  static void moments(const matrix_view<T>& x, std::vector<double>& mean, double& trace) {
    const std::size_t n = x.rows(), d = x.cols();
    mean.assign(d, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < d; ++j) mean[j] += static_cast<double>(x.row(i)[j]);
    }
    for (double& m : mean) m /= static_cast<double>(n);
    trace = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < d; ++j) {
        const double t = static_cast<double>(x.row(i)[j]) - mean[j];
        trace += t * t;
      }
    }
    trace /= static_cast<double>(n - 1);
  }

  /// Distinct labels of both periods, ascending.
  static std::vector<label_type> segment_labels(std::span<const label_type> a, std::span<const label_type> b) {
    std::vector<label_type> all(a.begin(), a.end());
    all.insert(all.end(), b.begin(), b.end());
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
  }

  /// Mean row per label of `segs` (NaN row when a label has no rows); noise skipped when asked.
  static std::vector<double> label_means(const matrix_view<T>& x, std::span<const label_type> labels, const std::vector<label_type>& segs,
                                         bool keep_noise) {
    const std::size_t d = x.cols();
    std::vector<label_type> keep;
    for (const label_type l : segs) {
      if (keep_noise || l != noise_label) keep.push_back(l);
    }
    std::vector<double> sum(keep.size() * d, 0.0);
    std::vector<std::size_t> count(keep.size(), 0);
    for (std::size_t i = 0; i < x.rows(); ++i) {
      const auto it = std::lower_bound(keep.begin(), keep.end(), labels[i]);
      if (it == keep.end() || *it != labels[i]) continue;
      const auto c = static_cast<std::size_t>(it - keep.begin());
      ++count[c];
      for (std::size_t j = 0; j < d; ++j) sum[c * d + j] += static_cast<double>(x.row(i)[j]);
    }
    for (std::size_t c = 0; c < keep.size(); ++c) {
      for (std::size_t j = 0; j < d; ++j) {
        sum[c * d + j] = count[c] ? sum[c * d + j] / static_cast<double>(count[c]) : std::numeric_limits<double>::quiet_NaN();
      }
    }
    return sum;
  }

  std::vector<double> nearest_centroid_distances(const matrix_view<T>& x) const {
    const std::size_t d = x.cols(), k = centroids_.size() / d;
    std::vector<double> out(x.rows());
    for (std::size_t i = 0; i < x.rows(); ++i) {
      double best = std::numeric_limits<double>::infinity();
      for (std::size_t c = 0; c < k; ++c) {
        double s = 0.0;
        for (std::size_t j = 0; j < d; ++j) {
          const double t = static_cast<double>(x.row(i)[j]) - centroids_[c * d + j];
          s += t * t;
        }
        best = std::min(best, s);
      }
      out[i] = std::sqrt(best);
    }
    return out;
  }

  static double quantile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(v.size() - 1, lo + 1);
    return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
  }

  void segments(const matrix_view<T>& y, std::span<const label_type> labels, drift_report& rep) const {
    const auto& th = params_.thresholds;
    segment_drift& sd = rep.segments;
    sd.labels = segment_labels(labels_, labels);
    const std::size_t k = sd.labels.size();
    xt::xtensor<std::int64_t, 2> table = xt::zeros<std::int64_t>({std::size_t{2}, k});
    const auto code = [&](label_type l) { return static_cast<std::size_t>(std::lower_bound(sd.labels.begin(), sd.labels.end(), l) - sd.labels.begin()); };
    for (const label_type l : labels_) ++table(0, code(l));
    for (const label_type l : labels) ++table(1, code(l));
    sd.reference_share.resize(k);
    sd.current_share.resize(k);
    for (std::size_t c = 0; c < k; ++c) {
      sd.reference_share[c] = static_cast<double>(table(0, c)) / static_cast<double>(labels_.size());
      sd.current_share[c] = static_cast<double>(table(1, c)) / static_cast<double>(labels.size());
      sd.total_variation += 0.5 * std::abs(sd.current_share[c] - sd.reference_share[c]);
    }
    if (k >= 2) sd.share_test = chi_square_test(table);
    const auto before = label_means(view(), labels_, sd.labels, true);
    const auto after = label_means(y, labels, sd.labels, true);
    const std::size_t d = y.cols();
    sd.centroid_shift.resize(k);
    for (std::size_t c = 0; c < k; ++c) {
      double s = 0.0;
      for (std::size_t j = 0; j < d; ++j) s += (after[c * d + j] - before[c * d + j]) * (after[c * d + j] - before[c * d + j]);
      sd.centroid_shift[c] = std::sqrt(s);  // NaN when the segment is missing in a period
    }
    if (sd.total_variation > th.share_change) {
      sd.alert = true;
      rep.alerts.push_back({"segments", fmt::format("segment shares moved by {:.3f} (total variation; chi-square p = {:.2g})", sd.total_variation,
                                                    sd.share_test.p_value),
                            sd.total_variation, th.share_change});
    }
  }

  void far_points(const matrix_view<T>& y, drift_report& rep) const {
    const auto& th = params_.thresholds;
    segment_drift& sd = rep.segments;
    sd.far_threshold = far_threshold_;
    const auto dist = nearest_centroid_distances(y);
    sd.far_fraction = static_cast<double>(std::count_if(dist.begin(), dist.end(), [&](double v) { return v > far_threshold_; })) /
                      static_cast<double>(dist.size());
    const double limit = th.far_excess * (1.0 - th.far_quantile);
    if (sd.far_fraction > limit) {
      sd.new_segment_candidate = true;
      sd.alert = true;
      rep.alerts.push_back({"segments",
                            fmt::format("{:.1f}% of rows lie farther from every segment than {:.0f}% of the reference (a candidate new segment)",
                                        100.0 * sd.far_fraction, 100.0 * th.far_quantile),
                            sd.far_fraction, limit});
    }
  }

  drift_params params_;
  matrix<T> rows_;
  std::vector<label_type> labels_;
  std::vector<std::vector<double>> columns_;
  std::vector<double> mean_;
  double trace_ = 0.0;
  std::vector<double> centroids_;
  double far_threshold_ = 0.0;
};

// ---------------------------------------------------------------------------------------------
// Categorical attributes

/// Drift of one categorical attribute.
struct category_drift {
  std::vector<std::string> categories;   ///< values seen in either period, sorted
  std::vector<double> reference_share;   ///< per category
  std::vector<double> current_share;     ///< per category
  chi_square_result test;                ///< chi-square test of homogeneity of the two periods' counts
  double psi = 0.0;                      ///< population stability index over the categories
  bool alert = false;                    ///< psi >= threshold, or p < p_value with a total variation >= share_change
};

/**
 * @brief Compares a categorical attribute's values in two periods: shares per category, a
 * chi-square test of the 2 x C table of counts (scipy.stats.chi2_contingency) and the PSI.
 * @throws segkit::invalid_argument for an empty period.
 */
inline category_drift categorical_drift(std::span<const std::string> reference, std::span<const std::string> current,
                                        const drift_thresholds& thresholds = {}, double psi_floor = 1e-4) {
  if (reference.empty() || current.empty()) {
    segkit::detail::throw_invalid("segkit::monitor::categorical_drift", fmt::format("both periods need values (sizes {} and {})", reference.size(), current.size()));
  }
  category_drift r;
  r.categories.assign(reference.begin(), reference.end());
  r.categories.insert(r.categories.end(), current.begin(), current.end());
  std::sort(r.categories.begin(), r.categories.end());
  r.categories.erase(std::unique(r.categories.begin(), r.categories.end()), r.categories.end());
  const std::size_t c = r.categories.size();
  xt::xtensor<std::int64_t, 2> table = xt::zeros<std::int64_t>({std::size_t{2}, c});
  const auto code = [&](const std::string& v) { return static_cast<std::size_t>(std::lower_bound(r.categories.begin(), r.categories.end(), v) - r.categories.begin()); };
  for (const auto& v : reference) ++table(0, code(v));
  for (const auto& v : current) ++table(1, code(v));
  std::vector<std::int64_t> a(c), b(c);
  double tv = 0.0;
  for (std::size_t j = 0; j < c; ++j) {
    a[j] = table(0, j);
    b[j] = table(1, j);
    r.reference_share.push_back(static_cast<double>(a[j]) / static_cast<double>(reference.size()));
    r.current_share.push_back(static_cast<double>(b[j]) / static_cast<double>(current.size()));
    tv += 0.5 * std::abs(r.current_share[j] - r.reference_share[j]);
  }
  if (c >= 2) r.test = chi_square_test(table);
  r.psi = population_stability_index_counts(a, b, psi_floor);
  r.alert = r.psi >= thresholds.psi || (r.test.p_value < thresholds.p_value && tv >= thresholds.share_change);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Migration

/// Counts of entities moving from each segment to each segment between two periods.
struct migration_matrix {
  std::vector<label_type> from_labels;  ///< segments of the first period, ascending
  std::vector<label_type> to_labels;    ///< segments of the second period, ascending
  xt::xtensor<std::int64_t, 2> counts;  ///< from x to
  /// Share of the entities of segment row `i` that stayed in the segment of the same label.
  [[nodiscard]] double retention(std::size_t i) const {
    const auto it = std::find(to_labels.begin(), to_labels.end(), from_labels[i]);
    std::int64_t total = 0;
    for (std::size_t j = 0; j < to_labels.size(); ++j) total += counts(i, j);
    if (it == to_labels.end() || total == 0) return 0.0;
    return static_cast<double>(counts(i, static_cast<std::size_t>(it - to_labels.begin()))) / static_cast<double>(total);
  }
};

/**
 * @brief The migration matrix of the same entities' segments in two periods (`before[i]` and
 * `after[i]` are entity i's segments).
 * @throws segkit::invalid_argument if the lengths differ or are 0.
 */
inline migration_matrix migration(std::span<const label_type> before, std::span<const label_type> after) {
  if (before.size() != after.size() || before.empty()) {
    segkit::detail::throw_invalid("segkit::monitor::migration", fmt::format("needs the same entities in both periods (got {} and {} labels)", before.size(), after.size()));
  }
  migration_matrix m;
  const auto distinct = [](std::span<const label_type> l) {
    std::vector<label_type> v(l.begin(), l.end());
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  };
  m.from_labels = distinct(before);
  m.to_labels = distinct(after);
  m.counts = xt::zeros<std::int64_t>({m.from_labels.size(), m.to_labels.size()});
  for (std::size_t i = 0; i < before.size(); ++i) {
    const auto a = static_cast<std::size_t>(std::lower_bound(m.from_labels.begin(), m.from_labels.end(), before[i]) - m.from_labels.begin());
    const auto b = static_cast<std::size_t>(std::lower_bound(m.to_labels.begin(), m.to_labels.end(), after[i]) - m.to_labels.begin());
    ++m.counts(a, b);
  }
  return m;
}

}  // namespace segkit::monitor
