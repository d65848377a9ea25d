#pragma once
/// @file
/// @brief Tabular features: standard and robust scaling, one-hot and frequency encodings of
/// categories, and RFM (recency, frequency, monetary) features from a transactions table.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <span>
#include <string_view>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/binary_format.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/types.hpp"
#include "segkit/core/params.hpp"

namespace segkit::embed {

/// How numeric columns are scaled.
enum class scaling {
  standard,  ///< (x - mean) / standard deviation (population), as scikit-learn's StandardScaler
  robust,    ///< (x - median) / (75th - 25th percentile), as scikit-learn's RobustScaler
  none,      ///< unchanged
};
/// Names of scaling in files and on the command line.
constexpr auto enum_names(scaling) {
  using params::name_value;
  return std::array{name_value{"standard", scaling::standard}, name_value{"robust", scaling::robust}, name_value{"none", scaling::none}};
}

namespace detail {
[[noreturn]] inline void throw_tabular(const char* component, const std::string& m) { segkit::detail::throw_invalid(component, m); }

/// The q-th percentile (0-100) of sorted values, linear interpolation between ranks (numpy's default).
inline double percentile_sorted(const std::vector<double>& v, double q) {
  const double at = q / 100.0 * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(at));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (at - static_cast<double>(lo));
}
}  // namespace detail

/// A fitted scaler: x' = (x - center) / scale per column (scale 1 where the spread is 0).
struct scaler_model {
  scaling method = scaling::standard;
  std::vector<double> center;  ///< per column (0 for none)
  std::vector<double> scale;   ///< per column (1 for none)

  [[nodiscard]] std::size_t dim() const noexcept { return center.size(); }

  /// Scaled rows. @throws segkit::invalid_argument for another column count or NaN/Inf.
  template <class E>
  [[nodiscard]] matrix<float> transform(const E& x_in) const {
    const auto x = as_rows<double>(x_in);
    if (x->cols() != dim()) detail::throw_tabular("segkit::embed::scaler", fmt::format("transform: rows have {} columns, the scaler {}", x->cols(), dim()));
    require_finite<double>("segkit::embed::scaler", "x", x.view());
    matrix<float> out = matrix<float>::from_shape({x->rows(), dim()});
    for (std::size_t i = 0; i < x->rows(); ++i) {
      for (std::size_t j = 0; j < dim(); ++j) out(i, j) = static_cast<float>((x->row(i)[j] - center[j]) / scale[j]);
    }
    return out;
  }

  /// The tabular embedder's name for transform() (segkit::embedder of numeric rows): scaled rows.
  [[nodiscard]] matrix<float> embed(const matrix<double>& rows) const { return transform(rows); }

  /// Kind of the container the model is stored in (segkit::storable_model).
  static constexpr std::string_view container_kind = "segkit.model.scaler";
  /// Writes the model atomically in segkit's checksummed container.
  void save(const std::filesystem::path& path) const { save_model(*this, path); }
  /// Reads a model written by save(). @throws segkit::format_error if damaged or of another kind.
  [[nodiscard]] static scaler_model load(const std::filesystem::path& path) { return load_model<scaler_model>(path); }
  /// Adds the method and the per-column centers and scales to `w`.
  void write_to(container_writer& w) const {
    byte_writer meta;
    meta.put(std::uint32_t{1}).put(static_cast<std::uint32_t>(method)).put(static_cast<std::uint64_t>(dim()));
    w.add_copy("meta", meta.bytes());
    w.add_array<double>("center", std::span<const double>(center));
    w.add_array<double>("scale", std::span<const double>(scale));
  }
  /// Rebuilds a model from write_to()'s sections, checking every value. @throws segkit::format_error.
  [[nodiscard]] static scaler_model read_from(const container_reader& file) {
    byte_reader meta(file.section("meta"), file);
    if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("scaler format version {} is not supported", v));
    scaler_model m;
    const auto method = meta.get<std::uint32_t>();
    if (method > static_cast<std::uint32_t>(scaling::none)) file.fail(fmt::format("unknown scaling {}", method));
    m.method = static_cast<scaling>(method);
    const auto d = meta.get<std::uint64_t>();
    if (d == 0 || d > (std::uint64_t{1} << 24)) file.fail(fmt::format("implausible column count {}", d));
    const auto c = file.array<double>("center", d), s = file.array<double>("scale", d);
    m.center.assign(c.begin(), c.end());
    m.scale.assign(s.begin(), s.end());
    for (std::size_t j = 0; j < m.center.size(); ++j) {
      if (!std::isfinite(m.center[j]) || !std::isfinite(m.scale[j]) || m.scale[j] == 0.0) file.fail(fmt::format("column {} has an invalid center or scale", j));
    }
    return m;
  }

  /// Rows back in the original units.
  template <class E>
  [[nodiscard]] matrix<double> inverse_transform(const E& y_in) const {
    const auto y = as_rows<double>(y_in);
    if (y->cols() != dim()) detail::throw_tabular("segkit::embed::scaler", fmt::format("inverse_transform: rows have {} columns, the scaler {}", y->cols(), dim()));
    matrix<double> out = matrix<double>::from_shape({y->rows(), dim()});
    for (std::size_t i = 0; i < y->rows(); ++i) {
      for (std::size_t j = 0; j < dim(); ++j) out(i, j) = y->row(i)[j] * scale[j] + center[j];
    }
    return out;
  }
};

/// Parameters of scaler.
struct scaler_params {
  scaling method = scaling::standard;  ///< standard, robust or none
  double lower_percentile = 25.0;      ///< robust: the spread is upper - lower percentile
  double upper_percentile = 75.0;      ///< robust

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = scaler_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("method", &p::method, "standard ((x - mean) / std), robust ((x - median) / percentile spread) or none", {}, "scaling"),
                      sp::field("lower_percentile", &p::lower_percentile, "robust: the spread is upper - lower percentile", sp::between(0, 100)),
                      sp::field("upper_percentile", &p::upper_percentile, "robust: the upper percentile (above lower)", sp::between(0, 100))};
  }
};

/**
 * @brief Learns per-column center and scale (scikit-learn's StandardScaler and RobustScaler
 * semantics: population standard deviation; percentiles by linear interpolation; a zero spread
 * becomes 1, so constant columns map to 0).
 */
class scaler {
 public:
  explicit scaler(scaler_params params = {}) : params_(params) {}

  /// @throws segkit::invalid_argument for no rows, NaN/Inf, or percentiles outside 0 <= lower < upper <= 100.
  template <class E>
  [[nodiscard]] scaler_model fit(const E& x_in) const {
    const char* comp = "segkit::embed::scaler";
    const auto x = as_rows<double>(x_in);
    if (x->rows() == 0) detail::throw_tabular(comp, "no rows");
    require_finite<double>(comp, "x", x.view());
    if (!(params_.lower_percentile >= 0.0 && params_.lower_percentile < params_.upper_percentile && params_.upper_percentile <= 100.0)) {
      detail::throw_tabular(comp, fmt::format("percentiles ({}, {}) must satisfy 0 <= lower < upper <= 100", params_.lower_percentile, params_.upper_percentile));
    }
    const std::size_t n = x->rows(), d = x->cols();
    scaler_model m;
    m.method = params_.method;
    m.center.assign(d, 0.0);
    m.scale.assign(d, 1.0);
    if (params_.method == scaling::none) return m;
    std::vector<double> col(n);
    for (std::size_t j = 0; j < d; ++j) {
      for (std::size_t i = 0; i < n; ++i) col[i] = x->row(i)[j];
      double center = 0.0, spread = 0.0;
      if (params_.method == scaling::standard) {
        for (const double v : col) center += v;
        center /= static_cast<double>(n);
        for (const double v : col) spread += (v - center) * (v - center);
        spread = std::sqrt(spread / static_cast<double>(n));
      } else {
        std::sort(col.begin(), col.end());
        center = detail::percentile_sorted(col, 50.0);
        spread = detail::percentile_sorted(col, params_.upper_percentile) - detail::percentile_sorted(col, params_.lower_percentile);
      }
      m.center[j] = center;
      m.scale[j] = spread > 0.0 ? spread : 1.0;
    }
    return m;
  }

 private:
  scaler_params params_;
};

namespace detail {
/// Rows of numbers as a matrix; every row must have `width` values (0: the first row's count).
inline matrix<double> feature_rows(std::span<const std::vector<double>> rows, std::size_t width, const char* component) {
  if (width == 0 && !rows.empty()) width = rows[0].size();
  matrix<double> x = matrix<double>::from_shape({rows.size(), width});
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].size() != width) throw_tabular(component, fmt::format("row {} has {} values, expected {}", i, rows[i].size(), width));
    std::copy(rows[i].begin(), rows[i].end(), x.data() + i * width);
  }
  return x;
}
}  // namespace detail

/**
 * @brief An embedder of numeric feature rows (one std::vector<double> per record, all of one
 * width): a fitted scaler_model. Satisfies segkit::embedder<std::vector<double>>, for fusion
 * (fused_embedder.hpp) and pipelines.
 */
struct scaled_features {
  scaler_model model;  ///< the fitted scaling

  [[nodiscard]] std::size_t dim() const noexcept { return model.dim(); }

  /// Scaled rows (n x dim()). @throws segkit::invalid_argument for a row of another width or NaN/Inf.
  [[nodiscard]] matrix<float> embed(std::span<const std::vector<double>> rows) const {
    return model.transform(detail::feature_rows(rows, dim(), "segkit::embed::scaled_features"));
  }
};

/// Fits scaled_features on numeric feature rows (scaler's parameters and semantics).
struct feature_scaling {
  scaler_params params{};  ///< standard (default), robust or none

  /// @throws segkit::invalid_argument for no rows, rows of unequal width, NaN/Inf, or bad percentiles.
  [[nodiscard]] scaled_features fit(std::span<const std::vector<double>> rows) const {
    return {scaler(params).fit(detail::feature_rows(rows, 0, "segkit::embed::feature_scaling"))};
  }
};

/// Parameters of one_hot.
struct one_hot_params {
  std::size_t min_frequency = 1;  ///< categories seen fewer times share one "infrequent" column per feature (placed last)
  bool ignore_unknown = true;     ///< unseen categories encode as all zeros (else an error)

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = one_hot_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("min_frequency", &p::min_frequency, "categories seen fewer times share one \"infrequent\" column per feature (placed last)", sp::at_least(1)),
                      sp::field("ignore_unknown", &p::ignore_unknown, "unseen categories encode as all zeros (else an error)")};
  }
};

/// A fitted one-hot encoding of categorical columns.
struct one_hot_model {
  std::vector<std::vector<std::string>> categories;  ///< per feature, sorted (the infrequent ones left out)
  std::vector<std::size_t> infrequent;               ///< per feature: how many categories went to its infrequent column (0 = none)
  one_hot_params params;

  /// Output columns: one per kept category, plus one per feature with infrequent categories.
  [[nodiscard]] std::size_t dim() const noexcept {
    std::size_t d = 0;
    for (std::size_t f = 0; f < categories.size(); ++f) d += categories[f].size() + (infrequent[f] > 0 ? 1 : 0);
    return d;
  }

  /// Column names: "feature=value", and "feature=(infrequent)".
  [[nodiscard]] std::vector<std::string> column_names(std::span<const std::string> features) const {
    std::vector<std::string> out;
    for (std::size_t f = 0; f < categories.size(); ++f) {
      const std::string name = f < features.size() ? features[f] : fmt::format("x{}", f);
      for (const auto& c : categories[f]) out.push_back(name + "=" + c);
      if (infrequent[f] > 0) out.push_back(name + "=(infrequent)");
    }
    return out;
  }

  /**
   * @brief 0/1 rows for `columns` (one vector of values per feature, all of one length).
   * @throws segkit::invalid_argument for another feature count, ragged columns, or an unseen
   *         category with ignore_unknown off.
   */
  [[nodiscard]] matrix<float> transform(std::span<const std::vector<std::string>> columns) const {
    const char* comp = "segkit::embed::one_hot";
    if (columns.size() != categories.size()) detail::throw_tabular(comp, fmt::format("{} features given, {} fitted", columns.size(), categories.size()));
    const std::size_t n = columns.empty() ? 0 : columns.front().size();
    matrix<float> out = matrix<float>::from_shape({n, dim()});
    std::fill(out.begin(), out.end(), 0.0f);
    std::size_t offset = 0;
    for (std::size_t f = 0; f < columns.size(); ++f) {
      if (columns[f].size() != n) detail::throw_tabular(comp, fmt::format("feature {} has {} values, feature 0 has {}", f, columns[f].size(), n));
      const auto& cats = categories[f];
      std::unordered_map<std::string_view, std::size_t> at;
      for (std::size_t c = 0; c < cats.size(); ++c) at.emplace(cats[c], c);
      for (std::size_t i = 0; i < n; ++i) {
        const auto it = at.find(columns[f][i]);
        if (it != at.end()) {
          out(i, offset + it->second) = 1.0f;
        } else if (infrequent_value(f, columns[f][i])) {
          out(i, offset + cats.size()) = 1.0f;
        } else if (!params.ignore_unknown) {
          detail::throw_tabular(comp, fmt::format("feature {}: category '{}' was not seen when fitting", f, columns[f][i]));
        }
      }
      offset += cats.size() + (infrequent[f] > 0 ? 1 : 0);
    }
    return out;
  }

  std::vector<std::vector<std::string>> infrequent_values;  ///< per feature, sorted: the categories in the infrequent column

 private:
  [[nodiscard]] bool infrequent_value(std::size_t f, const std::string& v) const {
    return infrequent[f] > 0 && std::binary_search(infrequent_values[f].begin(), infrequent_values[f].end(), v);
  }
};

/**
 * @brief One-hot encoding (scikit-learn's OneHotEncoder with handle_unknown="ignore" and
 * min_frequency: categories sorted, rare ones grouped into a last "infrequent" column).
 */
class one_hot {
 public:
  explicit one_hot(one_hot_params params = {}) : params_(params) {}

  /// @throws segkit::invalid_argument for no features or ragged columns.
  [[nodiscard]] one_hot_model fit(std::span<const std::vector<std::string>> columns) const {
    const char* comp = "segkit::embed::one_hot";
    if (columns.empty()) detail::throw_tabular(comp, "no categorical features");
    one_hot_model m;
    m.params = params_;
    for (std::size_t f = 0; f < columns.size(); ++f) {
      if (columns[f].size() != columns.front().size()) detail::throw_tabular(comp, fmt::format("feature {} has {} values, feature 0 has {}", f, columns[f].size(), columns.front().size()));
      std::map<std::string, std::size_t> count;
      for (const auto& v : columns[f]) ++count[v];
      std::vector<std::string> kept, rare;
      for (const auto& [v, c] : count) (c >= params_.min_frequency ? kept : rare).push_back(v);
      m.categories.push_back(std::move(kept));
      m.infrequent.push_back(rare.size());
      m.infrequent_values.push_back(std::move(rare));
    }
    return m;
  }

 private:
  one_hot_params params_;
};

/// A fitted frequency encoding: each category becomes its share of the training rows.
struct frequency_model {
  std::vector<std::unordered_map<std::string, double>> share;  ///< per feature

  [[nodiscard]] std::size_t dim() const noexcept { return share.size(); }

  /// One column per feature; unseen categories get 0.
  [[nodiscard]] matrix<float> transform(std::span<const std::vector<std::string>> columns) const {
    if (columns.size() != share.size()) detail::throw_tabular("segkit::embed::frequency", fmt::format("{} features given, {} fitted", columns.size(), share.size()));
    const std::size_t n = columns.empty() ? 0 : columns.front().size();
    matrix<float> out = matrix<float>::from_shape({n, dim()});
    for (std::size_t f = 0; f < columns.size(); ++f) {
      if (columns[f].size() != n) detail::throw_tabular("segkit::embed::frequency", "ragged columns");
      for (std::size_t i = 0; i < n; ++i) {
        const auto it = share[f].find(columns[f][i]);
        out(i, f) = it == share[f].end() ? 0.0f : static_cast<float>(it->second);
      }
    }
    return out;
  }
};

/// Learns a frequency encoding. @throws segkit::invalid_argument for no features or rows.
inline frequency_model fit_frequency(std::span<const std::vector<std::string>> columns) {
  if (columns.empty() || columns.front().empty()) detail::throw_tabular("segkit::embed::frequency", "no categorical features or no rows");
  frequency_model m;
  for (const auto& col : columns) {
    std::unordered_map<std::string, double> s;
    for (const auto& v : col) s[v] += 1.0;
    for (auto& [v, c] : s) c /= static_cast<double>(col.size());
    m.share.push_back(std::move(s));
  }
  return m;
}

/// One purchase.
struct transaction {
  id_type customer = 0;   ///< who
  std::int64_t time = 0;  ///< when, seconds since 1970-01-01 (segkit::parse_timestamp gives these)
  double amount = 0.0;    ///< how much
};

/// Parameters of rfm().
struct rfm_params {
  std::int64_t as_of = 0;     ///< the reference time; 0 = the latest transaction's time
  bool monetary_mean = false; ///< monetary = mean amount per transaction (else the total)

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = rfm_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("as_of", &p::as_of, "the reference time, seconds since 1970-01-01; 0 = the latest transaction's time"),
                      sp::field("monetary_mean", &p::monetary_mean, "monetary = mean amount per transaction (else the total)")};
  }
};

/// RFM features, one row per customer.
struct rfm_table {
  std::vector<id_type> customers;  ///< ascending
  matrix<double> values;           ///< customers x 3: recency (days since the last purchase), frequency (purchases), monetary
  matrix<std::int32_t> scores;     ///< customers x 3: quintile scores 1-5 (5 = most recent, most frequent, highest spend)
};

/**
 * @brief Recency, frequency and monetary value per customer from a transactions table, and their
 * quintile scores (by rank, ties broken by customer id: 5 for the most recent fifth, the most
 * frequent, the biggest spenders).
 * @throws segkit::invalid_argument for no transactions, a non-finite amount, or a transaction
 *         after as_of.
 */
inline rfm_table rfm(std::span<const transaction> tx, const rfm_params& p = {}) {
  const char* comp = "segkit::embed::rfm";
  if (tx.empty()) detail::throw_tabular(comp, "no transactions");
  std::int64_t as_of = p.as_of;
  if (as_of == 0) {
    as_of = tx.front().time;
    for (const auto& t : tx) as_of = std::max(as_of, t.time);
  }
  struct acc {
    std::int64_t last = std::numeric_limits<std::int64_t>::min();
    std::size_t count = 0;
    double total = 0.0;
  };
  std::map<id_type, acc> by;
  for (const auto& t : tx) {
    if (!std::isfinite(t.amount)) detail::throw_tabular(comp, fmt::format("customer {}: non-finite amount", t.customer));
    if (t.time > as_of) detail::throw_tabular(comp, fmt::format("customer {}: a transaction at {} is after as_of ({})", t.customer, t.time, as_of));
    auto& a = by[t.customer];
    a.last = std::max(a.last, t.time);
    ++a.count;
    a.total += t.amount;
  }
  rfm_table r;
  const std::size_t n = by.size();
  r.values = matrix<double>::from_shape({n, 3});
  r.scores = matrix<std::int32_t>::from_shape({n, 3});
  std::size_t i = 0;
  for (const auto& [id, a] : by) {
    r.customers.push_back(id);
    r.values(i, 0) = static_cast<double>(as_of - a.last) / 86400.0;
    r.values(i, 1) = static_cast<double>(a.count);
    r.values(i, 2) = p.monetary_mean ? a.total / static_cast<double>(a.count) : a.total;
    ++i;
  }
  for (std::size_t c = 0; c < 3; ++c) {
    std::vector<std::size_t> order(n);
    for (std::size_t k = 0; k < n; ++k) order[k] = k;
    // Best last: recency ascending is best, so sort it descending; frequency and monetary ascending.
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return c == 0 ? r.values(a, c) > r.values(b, c) : r.values(a, c) < r.values(b, c);
    });
    for (std::size_t rank = 0; rank < n; ++rank) r.scores(order[rank], c) = static_cast<std::int32_t>(1 + (5 * rank) / n);
  }
  return r;
}

}  // namespace segkit::embed
