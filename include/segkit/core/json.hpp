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

namespace detail {

class json_parser {
 public:
  json_parser(std::string_view text, std::string_view source) : s_(text), source_(source) {}

  json_value document() {
    json_value v = value(0);
    space();
    if (at_ < s_.size()) fail("unexpected text after the JSON value");
    return v;
  }

 private:
  static constexpr std::size_t max_depth = 64;

  [[noreturn]] void fail(std::string_view what) const {
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < at_ && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw segkit::format_error(fmt::format("{}: line {}, column {}: {}", source_, line, col, what));
  }

  void space() {
    while (at_ < s_.size() && (s_[at_] == ' ' || s_[at_] == '\t' || s_[at_] == '\n' || s_[at_] == '\r')) ++at_;
  }

  void expect(char c) {
    space();
    if (at_ >= s_.size() || s_[at_] != c) fail(fmt::format("expected '{}'", c));
    ++at_;
  }

  bool word(std::string_view w) {
    if (s_.substr(at_, w.size()) != w) return false;
    at_ += w.size();
    return true;
  }

  json_value value(std::size_t depth) {
    if (depth > max_depth) fail(fmt::format("nesting deeper than {} levels", max_depth));
    space();
    if (at_ >= s_.size()) fail("unexpected end of the text, expected a value");
    json_value out;
    const char c = s_[at_];
    if (c == '{') {
      auto obj = std::make_shared<json_value::object>();
      ++at_;
      space();
      if (at_ < s_.size() && s_[at_] == '}') {
        ++at_;
      } else {
        for (;;) {
          space();
          if (at_ >= s_.size() || s_[at_] != '"') fail("expected a key in double quotes");
          std::string key = string();
          expect(':');
          json_value v = value(depth + 1);
          if (!obj->emplace(key, std::move(v)).second) fail(fmt::format("key '{}' appears twice", key));
          space();
          if (at_ < s_.size() && s_[at_] == ',') {
            ++at_;
            continue;
          }
          expect('}');
          break;
        }
      }
      out.v = std::move(obj);
    } else if (c == '[') {
      auto arr = std::make_shared<json_value::array>();
      ++at_;
      space();
      if (at_ < s_.size() && s_[at_] == ']') {
        ++at_;
      } else {
        for (;;) {
          arr->push_back(value(depth + 1));
          space();
          if (at_ < s_.size() && s_[at_] == ',') {
            ++at_;
            continue;
          }
          expect(']');
          break;
        }
      }
      out.v = std::move(arr);
    } else if (c == '"') {
      out.v = string();
    } else if (word("true")) {
      out.v = true;
    } else if (word("false")) {
      out.v = false;
    } else if (word("null")) {
      out.v = nullptr;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      out.v = number();
    } else {
      fail(fmt::format("unexpected character '{}'", c));
    }
    return out;
  }

  double number() {
    const std::size_t start = at_;
    if (s_[at_] == '-') ++at_;
    const auto digits = [&] {
      const std::size_t b = at_;
      while (at_ < s_.size() && s_[at_] >= '0' && s_[at_] <= '9') ++at_;
      return at_ - b;
    };
    if (digits() == 0) fail("a number needs digits");
    if (at_ < s_.size() && s_[at_] == '.') {
      ++at_;
      if (digits() == 0) fail("a number needs digits after '.'");
    }
    if (at_ < s_.size() && (s_[at_] == 'e' || s_[at_] == 'E')) {
      ++at_;
      if (at_ < s_.size() && (s_[at_] == '+' || s_[at_] == '-')) ++at_;
      if (digits() == 0) fail("a number needs digits in its exponent");
    }
    const std::string text(s_.substr(start, at_ - start));
    return std::strtod(text.c_str(), nullptr);
  }

  std::string string() {
    ++at_;  // the opening quote
    std::string out;
    while (at_ < s_.size() && s_[at_] != '"') {
      const char c = s_[at_++];
      if (static_cast<unsigned char>(c) < 0x20) fail("control character inside a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_ >= s_.size()) break;
      const char e = s_[at_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (at_ + 4 > s_.size()) fail("\\u needs four hex digits");
          unsigned cp = 0;
          for (int i = 0; i < 4; ++i) {
            const char h = s_[at_++];
            cp = cp * 16 + static_cast<unsigned>(h >= '0' && h <= '9' ? h - '0' : (h >= 'a' && h <= 'f' ? h - 'a' + 10 : (h >= 'A' && h <= 'F' ? h - 'A' + 10 : 99)));
            if (cp > 0xFFFF) fail("\\u needs four hex digits");
          }
          // UTF-8 of a code point of the Basic Multilingual Plane (surrogate pairs are kept as two).
          if (cp < 0x80) {
            out += static_cast<char>(cp);
          } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default: fail(fmt::format("unknown escape '\\{}'", e));
      }
    }
    if (at_ >= s_.size()) fail("unterminated string");
    ++at_;  // the closing quote
    return out;
  }

  std::string_view s_;
  std::string_view source_;
  std::size_t at_ = 0;
};

}  // namespace detail

/**
 * @brief Parses a JSON document.
 * @param text    the document.
 * @param source  a name for messages (a file name).
 * @throws segkit::format_error naming the source, line and column of the first problem
 *         (unexpected character, unterminated string, duplicate key, nesting deeper than 64, ...).
 */
inline json_value parse_json(std::string_view text, std::string_view source = "<json>") { return detail::json_parser(text, source).document(); }

/// `s` as a JSON string literal: quoted, with the quote and the backslash escaped and control
/// characters escaped as JSON writes them (newline, return and tab by letter, the others as four
/// hex digits). Bytes from 0x80 up pass through (the text is taken to be UTF-8).
inline std::string json_quote(std::string_view s) {
  std::string out = "\"";
  out.reserve(s.size() + 2);
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

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
  json_object& add(std::string_view key, double value) { return add_raw(key, std::isfinite(value) ? fmt::format("{}", value) : std::string("null")); }
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
  [[nodiscard]] std::string str() const {
    std::string s = "{";
    for (std::size_t i = 0; i < fields_.size(); ++i) s += fmt::format("{}{}: {}", i ? ", " : "", json_quote(fields_[i].first), fields_[i].second);
    return s + "}";
  }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

}  // namespace segkit
