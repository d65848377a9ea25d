#pragma once
// The definitions of segkit/core/yaml.hpp's non-template functions
// (declared SEGKIT_FUNC there): included at that header's end in header-only mode; in compiled
// mode compiled once into segkit::segkit_compiled, after the header (cmake/segkit-compiled.cmake).
// Not for including on its own.

namespace segkit {
namespace detail {

class yaml_parser {
 public:
  yaml_parser(std::string_view text, std::string_view source) : source_(source) { split(text); }

  json_value document() {
    if (lines_.empty()) return {};
    json_value v = block(lines_.front().indent, 0);
    if (at_ < lines_.size()) fail(lines_[at_].number, "unexpected text after the document's top-level node");
    return v;
  }

 private:
  struct line {
    std::size_t number = 0;  // 1-based
    std::size_t indent = 0;  // leading spaces
    std::string text;        // without indentation, comment and trailing space
  };

  static constexpr std::size_t max_depth = 64;

  [[noreturn]] void fail(std::size_t number, std::string_view what) const {
    detail::throw_format("segkit::yaml", fmt::format("{}: line {}: {}", source_, number, what));
  }

  // Lines without comments and blanks; a '#' starts a comment at the start of a line or after a
  // space, outside quotes.
  void split(std::string_view text) {
    std::size_t number = 0, pos = 0;
    bool started = false;
    while (pos <= text.size()) {
      const std::size_t end = std::min(text.find('\n', pos), text.size());
      std::string_view raw = text.substr(pos, end - pos);
      pos = end + 1;
      ++number;
      if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
      std::size_t indent = 0;
      while (indent < raw.size() && raw[indent] == ' ') ++indent;
      if (indent < raw.size() && raw[indent] == '\t') fail(number, "a tab in the indentation (YAML indents with spaces)");
      std::string body;
      char quote = 0, last = 0;  // last: the previous non-space character outside quotes
      for (std::size_t i = indent; i < raw.size(); ++i) {
        const char c = raw[i];
        if (quote == 0 && c == '#' && (i == indent || raw[i - 1] == ' ' || raw[i - 1] == '\t')) break;
        // A quote opens a scalar only where a scalar can start (not the apostrophe of "don't").
        const bool can_open = last == 0 || last == ':' || last == '-' || last == '[' || last == '{' || last == ',';
        if (quote == 0 && c != ' ') last = c;
        if (quote == 0 && can_open && (c == '"' || c == '\'')) {
          quote = c;
        } else if (quote == '\'' && c == '\'' && i + 1 < raw.size() && raw[i + 1] == '\'') {
          body += "''";  // an escaped quote inside single quotes
          ++i;
          continue;
        } else if (quote == '"' && c == '\\') {
          body += c;
          if (i + 1 < raw.size()) body += raw[++i];
          continue;
        } else if (quote != 0 && c == quote) {
          quote = 0;
        }
        body += c;
      }
      while (!body.empty() && (body.back() == ' ' || body.back() == '\t')) body.pop_back();
      if (body.empty()) continue;
      if (body == "---" && !started) {
        started = true;
        continue;
      }
      if (body == "---" || body == "...") fail(number, "only one YAML document is supported");
      started = true;
      lines_.push_back({number, indent, std::move(body)});
    }
  }

  static bool is_item(const std::string& t) { return t == "-" || t.rfind("- ", 0) == 0; }

  // Position of the ':' that ends a mapping key on this line (followed by a space or the end), or npos.
  static std::size_t key_colon(std::string_view t) {
    std::size_t i = 0;
    if (!t.empty() && (t[0] == '"' || t[0] == '\'')) {
      const char q = t[0];
      for (i = 1; i < t.size(); ++i) {
        if (q == '"' && t[i] == '\\') {
          ++i;
        } else if (t[i] == q) {
          if (q == '\'' && i + 1 < t.size() && t[i + 1] == '\'') {
            ++i;
            continue;
          }
          break;
        }
      }
      ++i;
      return i < t.size() && t[i] == ':' && (i + 1 == t.size() || t[i + 1] == ' ') ? i : std::string_view::npos;
    }
    if (!t.empty() && (t[0] == '[' || t[0] == '{')) return std::string_view::npos;
    for (; i < t.size(); ++i) {
      if (t[i] == ':' && (i + 1 == t.size() || t[i + 1] == ' ')) return i;
    }
    return std::string_view::npos;
  }

  // The node starting at the current line, which has indentation `indent`.
  json_value block(std::size_t indent, std::size_t depth) {
    if (depth > max_depth) fail(lines_[at_].number, fmt::format("nesting deeper than {} levels", max_depth));
    const line& l = lines_[at_];
    if (is_item(l.text)) return sequence(indent, depth);
    if (key_colon(l.text) != std::string_view::npos) return mapping(indent, depth);
    ++at_;
    json_value v = inline_value(l.text, l.number, depth);
    if (at_ < lines_.size() && lines_[at_].indent > indent) fail(lines_[at_].number, "unexpected indentation after a value");
    return v;
  }

  json_value mapping(std::size_t indent, std::size_t depth) {
    auto obj = std::make_shared<json_value::object>();
    while (at_ < lines_.size() && lines_[at_].indent == indent && !is_item(lines_[at_].text)) {
      const line l = lines_[at_];
      const std::size_t colon = key_colon(l.text);
      if (colon == std::string_view::npos) fail(l.number, fmt::format("expected 'key: value', found '{}'", l.text));
      const std::string_view raw_key = std::string_view(l.text).substr(0, colon);
      std::string key;
      if (!raw_key.empty() && (raw_key[0] == '"' || raw_key[0] == '\'')) {
        std::size_t end = 0;
        key = quoted(raw_key, 0, end, l.number);
      } else {
        key = std::string(raw_key);
        while (!key.empty() && key.back() == ' ') key.pop_back();
      }
      std::string_view rest = std::string_view(l.text).substr(colon + 1);
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      ++at_;
      json_value v;
      if (!rest.empty()) {
        v = inline_value(rest, l.number, depth + 1);
        if (at_ < lines_.size() && lines_[at_].indent > indent) fail(lines_[at_].number, "unexpected indentation after a value");
      } else if (at_ < lines_.size() && lines_[at_].indent > indent) {
        v = block(lines_[at_].indent, depth + 1);
      } else if (at_ < lines_.size() && lines_[at_].indent == indent && is_item(lines_[at_].text)) {
        v = sequence(indent, depth + 1);  // "key:" then "- item" at the key's own indentation
      }
      if (!obj->emplace(key, std::move(v)).second) fail(l.number, fmt::format("key '{}' appears twice", key));
    }
    if (at_ < lines_.size() && lines_[at_].indent > indent) fail(lines_[at_].number, "unexpected indentation");
    json_value out;
    out.v = std::move(obj);
    return out;
  }

  json_value sequence(std::size_t indent, std::size_t depth) {
    auto arr = std::make_shared<json_value::array>();
    while (at_ < lines_.size() && lines_[at_].indent == indent && is_item(lines_[at_].text)) {
      line& l = lines_[at_];
      if (l.text == "-") {
        ++at_;
        if (at_ < lines_.size() && lines_[at_].indent > indent) {
          arr->push_back(block(lines_[at_].indent, depth + 1));
        } else {
          arr->emplace_back();
        }
        continue;
      }
      // "- rest": the rest is a node indented past the dash; following lines at that
      // indentation belong to it ("- kind: umap" then "  n_components: 5").
      std::size_t offset = 2;
      while (offset < l.text.size() && l.text[offset] == ' ') ++offset;
      l.indent += offset;
      l.text.erase(0, offset);
      arr->push_back(block(l.indent, depth + 1));
    }
    if (at_ < lines_.size() && lines_[at_].indent > indent) fail(lines_[at_].number, "unexpected indentation");
    json_value out;
    out.v = std::move(arr);
    return out;
  }

  // A value that sits on one line: a flow collection, a quoted scalar or a plain scalar.
  json_value inline_value(std::string_view t, std::size_t number, std::size_t depth) {
    std::size_t at = 0;
    json_value v = flow(t, at, number, depth, false);
    while (at < t.size() && t[at] == ' ') ++at;
    if (at != t.size()) fail(number, fmt::format("unexpected '{}' after a value", t.substr(at)));
    return v;
  }

  json_value flow(std::string_view t, std::size_t& at, std::size_t number, std::size_t depth, bool in_flow) {
    if (depth > max_depth) fail(number, fmt::format("nesting deeper than {} levels", max_depth));
    while (at < t.size() && t[at] == ' ') ++at;
    if (at >= t.size()) fail(number, "expected a value");
    const char c = t[at];
    json_value out;
    if (c == '[' || c == '{') {
      const char close = c == '[' ? ']' : '}';
      auto arr = std::make_shared<json_value::array>();
      auto obj = std::make_shared<json_value::object>();
      ++at;
      const auto skip = [&] {
        while (at < t.size() && t[at] == ' ') ++at;
      };
      skip();
      bool open = !(at < t.size() && t[at] == close);
      if (!open) ++at;
      while (open) {
        if (c == '[') {
          arr->push_back(flow(t, at, number, depth + 1, true));
        } else {
          json_value k = flow(t, at, number, depth + 1, true);
          if (!k.is_string()) fail(number, "a flow mapping's key must be a string");
          skip();
          if (at >= t.size() || t[at] != ':') fail(number, fmt::format("expected ':' after key '{}'", k.as_string()));
          ++at;
          json_value v = flow(t, at, number, depth + 1, true);
          if (!obj->emplace(k.as_string(), std::move(v)).second) fail(number, fmt::format("key '{}' appears twice", k.as_string()));
        }
        skip();
        if (at >= t.size()) fail(number, fmt::format("'{}' is not closed on its line (multi-line flow collections are not supported)", c));
        if (t[at] == close) {
          ++at;
          break;
        }
        if (t[at] != ',') fail(number, fmt::format("expected ',' or '{}'", close));
        ++at;
        skip();
        if (at < t.size() && t[at] == close) {  // a trailing comma
          ++at;
          break;
        }
      }
      if (c == '[') {
        out.v = std::move(arr);
      } else {
        out.v = std::move(obj);
      }
      return out;
    }
    if (c == '"' || c == '\'') {
      std::size_t end = 0;
      out.v = quoted(t, at, end, number);
      at = end;
      return out;
    }
    if (c == '&' || c == '*') fail(number, "anchors and aliases are not supported");
    if (c == '!') fail(number, "tags are not supported");
    if (c == '|' || c == '>') fail(number, "block scalars (| and >) are not supported; quote the text instead");
    if (c == '@' || c == '`') fail(number, fmt::format("a plain value cannot start with '{}'", c));
    // A plain scalar: to the end of the line, or in a flow collection to the next , ] } or ": ".
    std::size_t end = at;
    while (end < t.size()) {
      if (in_flow && (t[end] == ',' || t[end] == ']' || t[end] == '}')) break;
      if (in_flow && t[end] == ':' && (end + 1 == t.size() || t[end + 1] == ' ' || t[end + 1] == ',')) break;
      ++end;
    }
    std::string_view s = t.substr(at, end - at);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    if (s.empty()) fail(number, "expected a value");
    at = end;
    return resolve(s);
  }

  // Core schema resolution of a plain scalar.
  static json_value resolve(std::string_view s) {
    json_value out;
    if (s == "null" || s == "Null" || s == "NULL" || s == "~") return out;
    if (s == "true" || s == "True" || s == "TRUE") {
      out.v = true;
      return out;
    }
    if (s == "false" || s == "False" || s == "FALSE") {
      out.v = false;
      return out;
    }
    // [-+]? (digits [. digits?] | . digits) ([eE] [-+]? digits)?
    std::size_t i = 0, digits = 0;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
    }
    bool number = digits > 0;
    if (number && i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
      ++i;
      if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
      std::size_t exp = 0;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp;
      number = exp > 0;
    }
    if (number && i == s.size()) {
      const std::string copy(s[0] == '+' ? s.substr(1) : s);
      out.v = std::strtod(copy.c_str(), nullptr);
      return out;
    }
    out.v = std::string(s);
    return out;
  }

  // A quoted scalar starting at t[at]; `end` receives the position after the closing quote.
  std::string quoted(std::string_view t, std::size_t at, std::size_t& end, std::size_t number) const {
    const char q = t[at];
    std::string out;
    for (std::size_t i = at + 1; i < t.size(); ++i) {
      const char c = t[i];
      if (q == '\'' && c == '\'') {
        if (i + 1 < t.size() && t[i + 1] == '\'') {
          out += '\'';
          ++i;
          continue;
        }
        end = i + 1;
        return out;
      }
      if (q == '"' && c == '"') {
        end = i + 1;
        return out;
      }
      if (q == '"' && c == '\\') {
        if (++i >= t.size()) break;
        switch (t[i]) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case '0': out += '\0'; break;
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          default: fail(number, fmt::format("unsupported escape '\\{}' in a double-quoted string", t[i]));
        }
        continue;
      }
      out += c;
    }
    fail(number, "a quoted string is not closed on its line");
  }

  std::string_view source_;
  std::vector<line> lines_;
  std::size_t at_ = 0;
};

}  // namespace detail
}  // namespace segkit

namespace segkit {

SEGKIT_FUNC json_value parse_yaml(std::string_view text, std::string_view source) {
  return detail::yaml_parser(text, source).document();
}

}  // namespace segkit
