#pragma once
// The definitions of segkit/core/params.hpp's non-template functions
// (declared SEGKIT_FUNC there): included at that header's end in header-only mode; in compiled
// mode compiled once into segkit::segkit_compiled, after the header (cmake/segkit-compiled.cmake).
// Not for including on its own.

namespace segkit::params {

SEGKIT_FUNC std::string bounds::text() const {
  const bool has_min = min != -std::numeric_limits<double>::infinity(), has_max = max != std::numeric_limits<double>::infinity();
  if (has_min && max == std::numeric_limits<double>::max()) return fmt::format("finite, {} {}", min_open ? ">" : ">=", min);
  if (has_min && has_max) return fmt::format("in {}{}, {}{}", min_open ? '(' : '[', min, max, max_open ? ')' : ']');
  if (has_min) return fmt::format("{} {}", min_open ? ">" : ">=", min);
  if (has_max) return fmt::format("{} {}", max_open ? "<" : "<=", max);
  return {};
}

}  // namespace segkit::params

namespace segkit::params {
namespace detail {

SEGKIT_FUNC std::vector<std::string> split_aliases(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const std::size_t c = s.find(',');
    out.emplace_back(s.substr(0, c));
    if (c == std::string_view::npos) break;
    s.remove_prefix(c + 1);
  }
  return out;
}

SEGKIT_FUNC bool names_match(std::string_view name, std::string_view aliases, std::string_view key) {
  if (key == name) return true;
  for (const auto& a : split_aliases(aliases)) {
    if (a == key) return true;
  }
  return false;
}

SEGKIT_FUNC std::string option_of(std::string_view name) {
  std::string o(name);
  for (char& c : o) c = c == '_' ? '-' : c;
  return o;
}

SEGKIT_FUNC std::string number_text(double v) {
  return fmt::format("{}", v);
}

SEGKIT_FUNC void bad_value(std::string_view where, std::string_view name, std::string_view expected, std::string_view got) {
  if (where.empty()) throw segkit::invalid_argument(fmt::format("{} must be {} (got {})", name, expected, got));
  throw segkit::invalid_argument(fmt::format("{}: {} must be {} (got {})", where, name, expected, got));
}

SEGKIT_FUNC bool parse_double(std::string_view text, double& out) {
  std::string s(text);
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

}  // namespace detail
}  // namespace segkit::params
