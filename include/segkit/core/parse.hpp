#pragma once
/// @file
/// @brief Parsing of the values found in CSV cells: integers, real numbers, ISO 8601 dates and times.

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>

namespace segkit {

/// Days since 1970-01-01 of a proleptic Gregorian date (the civil-calendar arithmetic of
/// H. Hinnant, "chrono-Compatible Low-Level Date Algorithms", days_from_civil).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// Seconds since 1970-01-01T00:00Z of `YYYY-MM-DD`, optionally followed by `THH:MM[:SS]` (or a
/// space instead of T) and an optional Z (UTC); nullopt for anything else.
inline std::optional<std::int64_t> parse_timestamp(std::string_view s) {
  const auto digits = [&](std::size_t at, std::size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (s.size() < 10 || !digits(0, 4, y) || s[4] != '-' || !digits(5, 2, mo) || s[7] != '-' || !digits(8, 2, d)) return std::nullopt;
  std::size_t at = 10;
  if (at < s.size() && (s[at] == 'T' || s[at] == ' ')) {
    if (!digits(at + 1, 2, h) || at + 3 >= s.size() || s[at + 3] != ':' || !digits(at + 4, 2, mi)) return std::nullopt;
    at += 6;
    if (at < s.size() && s[at] == ':') {
      if (!digits(at + 1, 2, sec)) return std::nullopt;
      at += 3;
    }
  }
  if (at < s.size() && s[at] == 'Z') ++at;
  if (at != s.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  return days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 + sec;
}

/// A whole decimal integer (optional sign), nothing else around it; nullopt otherwise.
inline std::optional<std::int64_t> parse_integer(std::string_view s) {
  std::int64_t v = 0;
  const auto* end = s.data() + s.size();
  const auto r = std::from_chars(s.data() + (!s.empty() && s[0] == '+' ? 1 : 0), end, v);
  if (s.empty() || r.ec != std::errc{} || r.ptr != end) return std::nullopt;
  return v;
}

/// A finite decimal number, nothing else around it; nullopt otherwise.
inline std::optional<double> parse_real(std::string_view s) {
  double v = 0.0;
  const auto* end = s.data() + s.size();
  const auto r = std::from_chars(s.data() + (!s.empty() && s[0] == '+' ? 1 : 0), end, v);
  if (s.empty() || r.ec != std::errc{} || r.ptr != end || !std::isfinite(v)) return std::nullopt;
  return v;
}
}  // namespace segkit
