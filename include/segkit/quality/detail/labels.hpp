#pragma once
// Label bookkeeping shared by the quality scores: labels mapped to dense codes 0..k-1 (in
// ascending label order), with noise rows optionally left out.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "segkit/core/types.hpp"

namespace segkit::quality::detail {

/// A contiguous range of labels (std::vector, std::span, 1-D xtensor) as a span.
template <class L>
std::span<const label_type> label_span(const L& labels) {
  if constexpr (std::is_convertible_v<const L&, std::span<const label_type>>) {
    return std::span<const label_type>(labels);
  } else {
    static_assert(std::is_same_v<std::remove_cv_t<std::remove_pointer_t<decltype(labels.data())>>, label_type>,
                  "segkit::quality: labels must be contiguous std::int32_t values");
    return std::span<const label_type>(labels.data(), labels.size());
  }
}

/// Dense codes of a labeling. `code[i]` is -1 for a row left out.
struct label_codes {
  std::vector<std::int32_t> code;    ///< per row: 0..k-1, or -1 when excluded
  std::vector<label_type> values;    ///< the label of each code, ascending
  std::vector<std::size_t> counts;   ///< rows per code
  std::size_t included = 0;          ///< rows with a code
  [[nodiscard]] std::size_t k() const noexcept { return values.size(); }
};

/// Codes for `labels`; with `drop_noise`, rows labeled segkit::noise_label get code -1.
inline label_codes encode_labels(std::span<const label_type> labels, bool drop_noise) {
  label_codes out;
  out.values.reserve(16);
  for (const label_type l : labels) {
    if (drop_noise && l == noise_label) continue;
    out.values.push_back(l);
  }
  std::sort(out.values.begin(), out.values.end());
  out.values.erase(std::unique(out.values.begin(), out.values.end()), out.values.end());
  out.counts.assign(out.values.size(), 0);
  out.code.resize(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (drop_noise && labels[i] == noise_label) {
      out.code[i] = -1;
      continue;
    }
    const auto c = static_cast<std::size_t>(std::lower_bound(out.values.begin(), out.values.end(), labels[i]) - out.values.begin());
    out.code[i] = static_cast<std::int32_t>(c);
    ++out.counts[c];
    ++out.included;
  }
  return out;
}

}  // namespace segkit::quality::detail
