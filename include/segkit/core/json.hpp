#pragma once
/// @file
/// @brief A small JSON reader for configuration files (RFC 8259 values: objects, arrays,
/// strings with escapes, numbers, true, false, null), with errors that give line and column,
/// and a nesting limit; and a writer of one JSON object at a time (the tool's --json output,
/// parameter files). Not meant for large documents.

#include <cstddef>
#include <cstdint>
#include <cmath>
#include <concepts>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/compiled.hpp"
#include "segkit/core/error.hpp"

namespace segkit {

/// A parsed JSON value.
struct json_value {
  using object = std::map<std::string, json_value>;
  using array = std::vector<json_value>;
  std::variant<std::nullptr_t, bool, double, std::string, std::shared_ptr<array>, std::shared_ptr<object>> v{nullptr};

  [[nodiscard]] bool is_null() const noexcept { return std::holds_alternative<std::nullptr_t>(v); }
  [[nodiscard]] bool is_bool() const noexcept { return std::holds_alternative<bool>(v); }
  [[nodiscard]] bool is_number() const noexcept { return std::holds_alternative<double>(v); }
  [[nodiscard]] bool is_string() const noexcept { return std::holds_alternative<std::string>(v); }
  [[nodiscard]] bool is_array() const noexcept { return std::holds_alternative<std::shared_ptr<array>>(v); }
  [[nodiscard]] bool is_object() const noexcept { return std::holds_alternative<std::shared_ptr<object>>(v); }
  [[nodiscard]] bool as_bool() const { return std::get<bool>(v); }
  [[nodiscard]] double as_number() const { return std::get<double>(v); }
  [[nodiscard]] const std::string& as_string() const { return std::get<std::string>(v); }
  [[nodiscard]] const array& as_array() const { return *std::get<std::shared_ptr<array>>(v); }
  [[nodiscard]] const object& as_object() const { return *std::get<std::shared_ptr<object>>(v); }
  /// The JSON type's name, for messages.
  [[nodiscard]] std::string_view type_name() const noexcept {
    constexpr std::string_view names[] = {"null", "boolean", "number", "string", "array", "object"};
    return names[v.index()];
  }
};

/**
 * @brief Parses a JSON document.
 * @param text    the document.
 * @param source  a name for messages (a file name).
 * @throws segkit::format_error naming the source, line and column of the first problem
 *         (unexpected character, unterminated string, duplicate key, nesting deeper than 64, ...).
 */
SEGKIT_FUNC json_value parse_json(std::string_view text, std::string_view source = "<json>");

/// `s` as a JSON string literal: quoted, with the quote and the backslash escaped and control
/// characters escaped as JSON writes them (newline, return and tab by letter, the others as four
/// hex digits). Bytes from 0x80 up pass through (the text is taken to be UTF-8).
SEGKIT_FUNC std::string json_quote(std::string_view s);

/**
 * @brief Builds one JSON object, its fields in the order added: numbers in their shortest
 * round-trip form (NaN and infinities as null), strings quoted, nested values given as JSON text.
 * @code
 * segkit::json_object j;
 * j.add("seconds", 0.25).add("n_clusters", std::size_t{8}).add("name", "k-means").add_raw("sizes", "[3, 5]");
 * j.str();  // {"seconds": 0.25, "n_clusters": 8, "name": "k-means", "sizes": [3, 5]}
 * @endcode
 */
class json_object {
 public:
  /// A number (null if not finite).
  SEGKIT_FUNC json_object& add(std::string_view key, double value);
  /// A whole number.
  template <std::integral I>
    requires(!std::same_as<I, bool>)
  json_object& add(std::string_view key, I value) {
    return add_raw(key, fmt::format("{}", value));
  }
  /// true or false.
  json_object& add(std::string_view key, bool value) { return add_raw(key, value ? "true" : "false"); }
  /// A string.
  json_object& add(std::string_view key, std::string_view value) { return add_raw(key, json_quote(value)); }
  /// A string.
  json_object& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
  /// A string.
  json_object& add(std::string_view key, const std::string& value) { return add(key, std::string_view(value)); }
  /// A nested object.
  json_object& add(std::string_view key, const json_object& value) { return add_raw(key, value.str()); }
  /// Any JSON text as the value (an array, a nested object), inserted as is.
  json_object& add_raw(std::string_view key, std::string raw_json) {
    fields_.emplace_back(std::string(key), std::move(raw_json));
    return *this;
  }
  /// The object's text: {"key": value, ...}.
  [[nodiscard]] SEGKIT_FUNC std::string str() const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

}  // namespace segkit

#if !defined(SEGKIT_COMPILED)
#include "segkit/core/detail/json-inl.hpp"
#endif
