#pragma once
// The definitions of segkit/core/json.hpp's non-template functions
// (declared SEGKIT_FUNC there): included at that header's end in header-only mode; in compiled
// mode compiled once into segkit::segkit_compiled, after the header (cmake/segkit-compiled.cmake).
// Not for including on its own.

namespace segkit {

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
          unsigned cp = hex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF) fail(fmt::format("\\u{:04X} is a low surrogate without a high one before it", cp));
          if (cp >= 0xD800 && cp <= 0xDBFF) {  // a high surrogate: a low one must follow (RFC 8259, section 7)
            if (s_.substr(at_, 2) != "\\u") fail(fmt::format("\\u{:04X} is a high surrogate without a \\u low surrogate after it", cp));
            at_ += 2;
            const unsigned low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail(fmt::format("\\u{:04X} after the high surrogate \\u{:04X} is not a low surrogate", low, cp));
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default: fail(fmt::format("unknown escape '\\{}'", e));
      }
    }
    if (at_ >= s_.size()) fail("unterminated string");
    ++at_;  // the closing quote
    return out;
  }

  // The four hex digits after \\u.
  unsigned hex4() {
    if (at_ + 4 > s_.size()) fail("\\u needs four hex digits");
    unsigned cp = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = s_[at_++];
      unsigned digit = 0;
      if (h >= '0' && h <= '9') digit = static_cast<unsigned>(h - '0');
      else if (h >= 'a' && h <= 'f') digit = static_cast<unsigned>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') digit = static_cast<unsigned>(h - 'A' + 10);
      else fail(fmt::format("\\u needs four hex digits, '{}' is not one", h));
      cp = cp * 16 + digit;
    }
    return cp;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string_view s_;
  std::string_view source_;
  std::size_t at_ = 0;
};

}  // namespace detail

SEGKIT_FUNC json_value parse_json(std::string_view text, std::string_view source) { return detail::json_parser(text, source).document(); }

SEGKIT_FUNC std::string json_quote(std::string_view s) {
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

SEGKIT_FUNC json_object& json_object::add(std::string_view key, double value) {
  return add_raw(key, std::isfinite(value) ? fmt::format("{}", value) : std::string("null"));
}

SEGKIT_FUNC std::string json_object::str() const {
  std::string s = "{";
  for (std::size_t i = 0; i < fields_.size(); ++i) s += fmt::format("{}{}: {}", i ? ", " : "", json_quote(fields_[i].first), fields_[i].second);
  return s + "}";
}

}  // namespace segkit
