#pragma once
/// @file
/// @brief Parameter tables: each algorithm's parameters declared once (name, member, default,
/// valid range or choices, one-line doc), and everything that reads parameters derived from that
/// one declaration: validation with messages naming the field and value, JSON and YAML reading
/// and writing, the command-line tool's options and help, and the docs' parameter tables.
///
/// A parameter struct stays a plain aggregate with default member initializers (the defaults live
/// there and nowhere else) and adds a static `table()` listing its fields:
/// @code
/// struct kmeans_params {
///   std::size_t k = 8;
///   double tol = 1e-4;
///   kmeans_init init = kmeans_init::kmeans_plus_plus;
///   static constexpr auto table() {
///     using p = kmeans_params;
///     return std::tuple{segkit::params::field("k", &p::k, "number of clusters", segkit::params::at_least(1)),
///                       segkit::params::field("tol", &p::tol, "relative centre shift treated as converged", segkit::params::at_least(0)),
///                       segkit::params::field("init", &p::init, "how the first centres are chosen")};
///   }
/// };
/// segkit::params::validate(p, "segkit::cluster::kmeans");  // "segkit::cluster::kmeans: k must be >= 1 (got 0)"
/// @endcode
/// An enum used as a parameter names its values once, in a function found by argument-dependent
/// lookup: `constexpr auto enum_names(kmeans_init) { return std::array{name_value{"kmeans++", kmeans_init::kmeans_plus_plus}, ...}; }`
/// (later entries for one value are older spellings, accepted on input).

/// Longer than segkit's ~600-line guide: the table, its text and JSON readers and writers, and
/// the docs' descriptions walk the same field definitions and are kept together.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/json.hpp"
#include "segkit/core/compiled.hpp"

namespace segkit::params {

/// The interval a numeric parameter must lie in (unbounded by default).
struct bounds {
  double min = -std::numeric_limits<double>::infinity();  ///< lower end
  double max = std::numeric_limits<double>::infinity();   ///< upper end
  bool min_open = false;                                  ///< the lower end itself is excluded
  bool max_open = false;                                  ///< the upper end itself is excluded

  /// True if v lies in the interval (NaN never does).
  [[nodiscard]] constexpr bool contains(double v) const noexcept {
    if (v != v) return false;
    const bool lo = min_open ? v > min : v >= min;
    const bool hi = max_open ? v < max : v <= max;
    return lo && hi;
  }
  /// True if the interval is the whole line.
  [[nodiscard]] constexpr bool unbounded() const noexcept { return min == -std::numeric_limits<double>::infinity() && max == std::numeric_limits<double>::infinity(); }
  /// ">= 1", "> 0", "<= 1", "in [0, 1]", "in (0, 1]", or "" when unbounded.
  [[nodiscard]] SEGKIT_FUNC std::string text() const;
};

/// v >= lo.
constexpr bounds at_least(double lo) noexcept { return {lo, std::numeric_limits<double>::infinity(), false, false}; }
/// lo <= v, v finite.
constexpr bounds at_least_finite(double lo) noexcept { return {lo, std::numeric_limits<double>::max(), false, false}; }
/// v > lo.
constexpr bounds above(double lo) noexcept { return {lo, std::numeric_limits<double>::infinity(), true, false}; }
/// lo <= v <= hi.
constexpr bounds between(double lo, double hi) noexcept { return {lo, hi, false, false}; }
/// lo < v <= hi.
constexpr bounds above_up_to(double lo, double hi) noexcept { return {lo, hi, true, false}; }

/// One spelling of an enum value in files and on the command line.
template <class E>
struct name_value {
  std::string_view name;  ///< the spelling
  E value;                ///< the value it stands for
};
template <class E>
name_value(const char*, E) -> name_value<E>;

/// An enum whose values are named by `enum_names(E{})` (found by argument-dependent lookup).
template <class E>
concept named_enum = std::is_enum_v<E> && requires { enum_names(E{}); };

/// What a field holds, as files and the command line see it.
enum class value_kind {
  boolean,  ///< true / false
  integer,  ///< a whole number
  number,   ///< a real number
  text,     ///< a string (or a file path)
  choice,   ///< one of an enum's names
  list,     ///< a list of strings or numbers
  group,    ///< a nested parameter struct with a table of its own
  groups,   ///< a list of nested parameter structs (a JSON array of objects), e.g. a pipeline's reducers
  data      ///< values only code can give (matrices, callbacks): documented, not read from text
};

/// A parameter struct with a table.
template <class P>
concept tabled = std::is_default_constructible_v<P> && requires { P::table(); };

namespace detail {

template <class V>
struct group_list : std::false_type {};
template <class G>
struct group_list<std::vector<G>> : std::bool_constant<tabled<G>> {};

template <class V>
constexpr value_kind kind_of() {
  if constexpr (std::is_same_v<V, bool>) {
    return value_kind::boolean;
  } else if constexpr (std::is_integral_v<V>) {
    return value_kind::integer;
  } else if constexpr (std::is_floating_point_v<V>) {
    return value_kind::number;
  } else if constexpr (std::is_same_v<V, std::string> || std::is_same_v<V, std::filesystem::path>) {
    return value_kind::text;
  } else if constexpr (named_enum<V>) {
    return value_kind::choice;
  } else if constexpr (std::is_same_v<V, std::vector<std::string>> || std::is_same_v<V, std::vector<double>>) {
    return value_kind::list;
  } else if constexpr (tabled<V>) {
    return value_kind::group;
  } else if constexpr (group_list<V>::value) {
    return value_kind::groups;
  } else {
    return value_kind::data;
  }
}

}  // namespace detail

/**
 * @brief One row of a parameter table: the field's name (snake_case; the tool's option is the
 * same with '-' for '_'), its member, a one-line doc, the valid range of a number, older
 * spellings accepted on input, and whether the tool offers it as an option.
 */
template <class P, class V>
struct field_def {
  std::string_view name;       ///< the name in files and (with '-') on the command line
  V P::*member;                ///< the member it describes
  std::string_view doc;        ///< one line: meaning, and the meaning of special values (0 = ...)
  bounds limits{};             ///< numbers: the valid interval
  std::string_view aliases{};  ///< comma-separated older spellings, accepted wherever the name is
  bool option = true;          ///< offered as a command-line option by tools that take P
  static constexpr value_kind kind = detail::kind_of<V>();  ///< what the field holds
};

/// A table row; `limits` only for numbers.
template <class P, class V>
constexpr field_def<P, V> field(std::string_view name, V P::*member, std::string_view doc, bounds limits = {}) {
  return {name, member, doc, limits, {}, true};
}
/// A table row with older spellings accepted on input (comma-separated).
template <class P, class V>
constexpr field_def<P, V> field(std::string_view name, V P::*member, std::string_view doc, bounds limits, std::string_view aliases) {
  return {name, member, doc, limits, aliases, true};
}
/// A table row that tools do not offer as an option (set through code or a configuration file).
template <class P, class V>
constexpr field_def<P, V> internal_field(std::string_view name, V P::*member, std::string_view doc, bounds limits = {}) {
  return {name, member, doc, limits, {}, false};
}

/// The names of an enum, canonical first for each value.
template <named_enum E>
constexpr auto names_of() {
  return enum_names(E{});
}

/// The canonical name of an enum value ("?" if the table lacks it).
template <named_enum E>
[[nodiscard]] constexpr std::string_view name(E value) noexcept {
  for (const auto& nv : names_of<E>()) {
    if (nv.value == value) return nv.name;
  }
  return "?";
}

/// "a, b or c": the canonical names of an enum, for messages and help.
template <named_enum E>
[[nodiscard]] std::string choices_text() {
  std::vector<std::string_view> canon;
  for (const auto& nv : names_of<E>()) {
    if (name(nv.value) == nv.name) canon.push_back(nv.name);
  }
  std::string s;
  for (std::size_t i = 0; i < canon.size(); ++i) s += fmt::format("{}{}", i == 0 ? "" : (i + 1 == canon.size() ? " or " : ", "), canon[i]);
  return s;
}

/**
 * @brief The enum value named `text` (canonical or older spelling).
 * @throws segkit::invalid_argument "`what` must be a, b or c (got 'text')".
 */
template <named_enum E>
[[nodiscard]] E parse_enum(std::string_view text, std::string_view what) {
  for (const auto& nv : names_of<E>()) {
    if (nv.name == text) return nv.value;
  }
  throw segkit::invalid_argument(fmt::format("{} must be {} (got '{}')", what, choices_text<E>(), text));
}

/// What describe() tells of a field: everything a tool's help and the docs' tables show.
struct field_info {
  std::string name;                  ///< "max_iter"
  std::string option;                ///< "max-iter"
  value_kind kind{};                 ///< what it holds
  std::string type;                  ///< "integer", "number", "boolean", "text", "list", "choice", "group", "data"
  std::string default_value;         ///< the default as text ("300", "kmeans++", "true")
  std::string range;                 ///< ">= 1", "kmeans++, kmeans|| or random", or ""
  std::string doc;                   ///< the one-line doc
  std::vector<std::string> choices;  ///< choice: the canonical names
  std::vector<std::string> aliases;  ///< older spellings
  bool option_offered = true;        ///< offered as a command-line option
};

namespace detail {

SEGKIT_FUNC std::vector<std::string> split_aliases(std::string_view s);

SEGKIT_FUNC bool names_match(std::string_view name, std::string_view aliases, std::string_view key);

inline const char* type_name(value_kind k) noexcept {
  constexpr const char* names[] = {"boolean", "integer", "number", "text", "choice", "list", "group", "groups", "data"};
  return names[static_cast<int>(k)];
}

SEGKIT_FUNC std::string option_of(std::string_view name);

// A number as its shortest round-trip text; integral doubles without a fraction.
SEGKIT_FUNC std::string number_text(double v);

// The value's text: JSON form when `json`, else how help and docs show it.
template <class V>
std::string value_text(const V& v, bool json) {
  if constexpr (std::is_same_v<V, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_integral_v<V>) {
    return fmt::format("{}", v);
  } else if constexpr (std::is_floating_point_v<V>) {
    // JSON has no infinities: they are written as the strings "inf" and "-inf", which read back.
    if (!std::isfinite(static_cast<double>(v))) return json ? json_quote(number_text(static_cast<double>(v))) : number_text(static_cast<double>(v));
    return number_text(static_cast<double>(v));
  } else if constexpr (std::is_same_v<V, std::string>) {
    return json ? json_quote(v) : (v.empty() ? std::string("\"\"") : v);
  } else if constexpr (std::is_same_v<V, std::filesystem::path>) {
    return value_text(v.string(), json);
  } else if constexpr (named_enum<V>) {
    return json ? json_quote(name(v)) : std::string(name(v));
  } else if constexpr (std::is_same_v<V, std::vector<std::string>> || std::is_same_v<V, std::vector<double>>) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + value_text(v[i], json);
    return s + "]";
  } else {
    return {};
  }
}

template <class P, class F>
void for_each_field(F&& f) {
  std::apply([&](const auto&... def) { (f(def), ...); }, P::table());
}

// "where: name must be ... (got ...)"; without `where`, "name must be ..." (name is then the subject, e.g. "--storage").
[[noreturn]] SEGKIT_FUNC void bad_value(std::string_view where, std::string_view name, std::string_view expected, std::string_view got);

// The integer text means, checked for type and range; V unsigned refuses a sign.
template <class V>
V integer_from(double x, std::string_view where, std::string_view name, const bounds& b) {
  constexpr double top = 9007199254740992.0;  // 2^53: every whole double up to here is exact
  if (!(x == std::floor(x)) || std::abs(x) > top || (std::is_unsigned_v<V> && x < 0) ||
      x > static_cast<double>(std::numeric_limits<V>::max()) || x < static_cast<double>(std::numeric_limits<V>::lowest())) {
    bad_value(where, name, fmt::format("a whole number{}{}", b.unbounded() ? "" : " ", b.text()), number_text(x));
  }
  return static_cast<V>(x);
}

SEGKIT_FUNC bool parse_double(std::string_view text, double& out);

// Sets one field from command-line text. A non-empty `subject` names the value in messages
// instead of "where: field" (the tool passes "--option").
template <class P, class V>
void set_from_text(P& p, const field_def<P, V>& def, std::string_view text, std::string_view where_in, std::string_view subject = {}) {
  V& out = p.*(def.member);
  const std::string_view where = subject.empty() ? where_in : std::string_view{};
  const std::string_view name = subject.empty() ? def.name : subject;
  const auto quoted = [&] { return fmt::format("'{}'", text); };
  if constexpr (std::is_same_v<V, bool>) {
    if (text == "true" || text == "1" || text == "yes" || text == "on") {
      out = true;
    } else if (text == "false" || text == "0" || text == "no" || text == "off") {
      out = false;
    } else {
      bad_value(where, name, "true or false", quoted());
    }
  } else if constexpr (std::is_integral_v<V> || std::is_floating_point_v<V>) {
    double x = 0.0;
    if (!parse_double(text, x) || !std::isfinite(x)) bad_value(where, name, std::is_integral_v<V> ? "a whole number" : "a number", quoted());
    if constexpr (std::is_integral_v<V>) {
      out = integer_from<V>(x, where, name, def.limits);
    } else {
      out = static_cast<V>(x);
    }
  } else if constexpr (std::is_same_v<V, std::string> || std::is_same_v<V, std::filesystem::path>) {
    out = V(std::string(text));
  } else if constexpr (named_enum<V>) {
    for (const auto& nv : names_of<V>()) {
      if (nv.name == text) {
        out = nv.value;
        return;
      }
    }
    bad_value(where, name, choices_text<V>(), quoted());
  } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
    out = text.empty() ? std::vector<std::string>{} : split_aliases(text);
  } else if constexpr (std::is_same_v<V, std::vector<double>>) {
    out.clear();
    for (const auto& item : text.empty() ? std::vector<std::string>{} : split_aliases(text)) {
      double x = 0.0;
      if (!parse_double(item, x) || !std::isfinite(x)) bad_value(where, name, "a comma-separated list of numbers", quoted());
      out.push_back(x);
    }
  } else {
    throw segkit::invalid_argument(fmt::format("{}: {} cannot be given as text", where_in, def.name));
  }
}

template <class P>
P from_json_object(const json_value& v, std::string_view where, P base);

// Sets one field from a JSON value.
template <class P, class V>
void set_from_json(P& p, const field_def<P, V>& def, const json_value& v, std::string_view where) {
  V& out = p.*(def.member);
  const std::string path = fmt::format("{}.{}", where, def.name);
  const auto wrong = [&](std::string_view expected) {
    throw segkit::invalid_argument(fmt::format("{} must be {}, not {}", path, expected, v.type_name()));
  };
  if constexpr (std::is_same_v<V, bool>) {
    if (!v.is_bool()) wrong("true or false");
    out = v.as_bool();
  } else if constexpr (std::is_integral_v<V>) {
    if (!v.is_number()) wrong("a whole number");
    out = integer_from<V>(v.as_number(), where, def.name, def.limits);
  } else if constexpr (std::is_floating_point_v<V>) {
    double x = 0.0;
    if (v.is_number()) {
      x = v.as_number();
    } else if (!(v.is_string() && (v.as_string() == "inf" || v.as_string() == "-inf") && parse_double(v.as_string(), x))) {
      wrong("a number (or \"inf\", \"-inf\")");
    }
    out = static_cast<V>(x);
  } else if constexpr (std::is_same_v<V, std::string> || std::is_same_v<V, std::filesystem::path>) {
    if (!v.is_string()) wrong("a string");
    out = V(v.as_string());
  } else if constexpr (named_enum<V>) {
    if (!v.is_string()) wrong(fmt::format("one of {}", choices_text<V>()));
    set_from_text(p, def, v.as_string(), where);
  } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
    if (!v.is_array()) wrong("an array of strings");
    out.clear();
    for (const auto& item : v.as_array()) {
      if (!item.is_string()) throw segkit::invalid_argument(fmt::format("{} must hold strings, not {}", path, item.type_name()));
      out.push_back(item.as_string());
    }
  } else if constexpr (std::is_same_v<V, std::vector<double>>) {
    if (!v.is_array()) wrong("an array of numbers");
    out.clear();
    for (const auto& item : v.as_array()) {
      if (!item.is_number()) throw segkit::invalid_argument(fmt::format("{} must hold numbers, not {}", path, item.type_name()));
      out.push_back(item.as_number());
    }
  } else if constexpr (tabled<V>) {
    out = from_json_object<V>(v, path, out);
  } else if constexpr (group_list<V>::value) {
    if (!v.is_array()) wrong("an array of objects");
    out.clear();
    for (std::size_t i = 0; i < v.as_array().size(); ++i) {
      out.push_back(from_json_object<typename V::value_type>(v.as_array()[i], fmt::format("{}[{}]", path, i), typename V::value_type{}));
    }
  } else {
    throw segkit::invalid_argument(fmt::format("{} cannot be read from a file (it is set through code)", path));
  }
}

}  // namespace detail

/**
 * @brief Checks every number of `p` against its table's bounds, nested groups included.
 * @throws segkit::invalid_argument "`component`: name must be >= 1 (got 0)" for the first field out of range.
 */
template <tabled P>
void validate(const P& p, std::string_view component) {
  detail::for_each_field<P>([&](const auto& def) {
    using V = std::remove_cvref_t<decltype(p.*(def.member))>;
    const V& v = p.*(def.member);
    if constexpr (std::is_arithmetic_v<V> && !std::is_same_v<V, bool>) {
      if (!def.limits.contains(static_cast<double>(v))) detail::bad_value(component, def.name, def.limits.text(), detail::value_text(v, false));
    } else if constexpr (tabled<V>) {
      validate(v, fmt::format("{}: {}", component, def.name));
    } else if constexpr (detail::group_list<V>::value) {
      for (std::size_t i = 0; i < v.size(); ++i) validate(v[i], fmt::format("{}: {}[{}]", component, def.name, i));
    }
  });
}

/// True if P's table has a field called `key` (or spelt so formerly).
template <tabled P>
[[nodiscard]] bool has_field(std::string_view key) {
  bool found = false;
  detail::for_each_field<P>([&](const auto& def) { found |= detail::names_match(def.name, def.aliases, key); });
  return found;
}

/**
 * @brief Sets the field called `key` (or spelled so formerly) from text as a command line gives it:
 * numbers, true/false, an enum's name, a comma-separated list.
 * @throws segkit::invalid_argument naming `where`, the field and the text, for an unknown key,
 *         unparsable text or a field that only code can set; bounds are checked by validate().
 *         A non-empty `subject` names the value in the message instead of "where: field"
 *         (`--storage must be float32, float16 or int8 (got 'int4')`).
 */
template <tabled P>
void set(P& p, std::string_view key, std::string_view text, std::string_view where, std::string_view subject = {}) {
  bool done = false;
  detail::for_each_field<P>([&](const auto& def) {
    if (!done && detail::names_match(def.name, def.aliases, key)) {
      detail::set_from_text(p, def, text, where, subject);
      done = true;
    }
  });
  if (!done) throw segkit::invalid_argument(fmt::format("{}: unknown parameter '{}'", where, key));
}

namespace detail {

template <class P>
P from_json_object(const json_value& v, std::string_view where, P base) {
  if (!v.is_object()) throw segkit::invalid_argument(fmt::format("{} must be an object, not {}", where, v.type_name()));
  for (const auto& member : v.as_object()) {
    const auto& key = member.first;  // not a structured binding: clang < 16 cannot capture one
    const auto& value = member.second;
    bool done = false;
    for_each_field<P>([&](const auto& def) {
      if (!done && names_match(def.name, def.aliases, key)) {
        set_from_json(base, def, value, where);
        done = true;
      }
    });
    if (!done) {
      std::string known;
      for_each_field<P>([&](const auto& def) {
        if (def.kind != value_kind::data) known += fmt::format("{}{}", known.empty() ? "" : ", ", def.name);
      });
      throw segkit::invalid_argument(fmt::format("{}: unknown key '{}' (known: {})", where, key, known));
    }
  }
  return base;
}

}  // namespace detail

/**
 * @brief Parameters read from a JSON object (or a YAML mapping parsed to the same value): each key
 * names a field (or its older spelling); missing fields keep their values in `base` (by default the
 * struct's defaults); nested groups are objects. Bounds are then checked (validate()).
 * @throws segkit::invalid_argument naming `where` and the key for an unknown key, a value of the
 *         wrong type, or a value out of range.
 */
template <tabled P>
[[nodiscard]] P from_json(const json_value& v, std::string_view where, P base = P{}) {
  P p = detail::from_json_object<P>(v, where, std::move(base));
  validate(p, where);
  return p;
}

/// The parameters as a JSON object, every field that a file can hold (nested groups as objects),
/// numbers in their shortest round-trip form, so that from_json(to_json(p)) == p.
template <tabled P>
[[nodiscard]] std::string to_json(const P& p) {
  std::string s = "{";
  detail::for_each_field<P>([&](const auto& def) {
    using V = std::remove_cvref_t<decltype(p.*(def.member))>;
    if constexpr (std::remove_cvref_t<decltype(def)>::kind == value_kind::data) {  // through the type: clang 14 refuses def.kind here
      return;
    } else {
      std::string value;
      if constexpr (tabled<V>) {
        value = to_json(p.*(def.member));
      } else if constexpr (detail::group_list<V>::value) {
        value = "[";
        for (const auto& g : p.*(def.member)) value += (value.size() > 1 ? ", " : "") + to_json(g);
        value += "]";
      } else {
        value = detail::value_text(p.*(def.member), true);
      }
      s += fmt::format("{}{}: {}", s.size() > 1 ? ", " : "", json_quote(def.name), value);
    }
  });
  return s + "}";
}

/// Every field of P's table as text for help and docs, defaults taken from `defaults` (a
/// default-constructed P unless a caller, e.g. a tool with defaults of its own, gives another).
template <tabled P>
[[nodiscard]] std::vector<field_info> describe(const P& defaults = P{}) {
  std::vector<field_info> out;
  detail::for_each_field<P>([&](const auto& def) {
    using V = std::remove_cvref_t<decltype(defaults.*(def.member))>;
    field_info f;
    f.name = def.name;
    f.option = detail::option_of(def.name);
    f.kind = def.kind;
    f.type = detail::type_name(def.kind);
    f.doc = def.doc;
    f.aliases = detail::split_aliases(def.aliases);
    f.option_offered = def.option && def.kind != value_kind::data && def.kind != value_kind::group && def.kind != value_kind::groups;
    if constexpr (named_enum<V>) {
      for (const auto& nv : names_of<V>()) {
        if (name(nv.value) == nv.name) f.choices.emplace_back(nv.name);
      }
      f.range = choices_text<V>();
    } else if constexpr (std::is_arithmetic_v<V> && !std::is_same_v<V, bool>) {
      f.range = def.limits.text();
    }
    f.default_value = detail::value_text(defaults.*(def.member), false);
    if constexpr (std::is_same_v<V, std::vector<std::string>> || std::is_same_v<V, std::vector<double>>) {
      // A long default list (English stop words) is shown by its first items and its length.
      const auto& list = defaults.*(def.member);
      if (list.size() > 8) {
        f.default_value = "[";
        for (std::size_t i = 0; i < 5; ++i) f.default_value += detail::value_text(list[i], false) + ", ";
        f.default_value += fmt::format("... ({} in all)]", list.size());
      }
    }
    out.push_back(std::move(f));
  });
  return out;
}

namespace detail {

template <class P>
void describe_into(std::vector<field_info>& out, std::string_view prefix, const P& defaults, bool with_groups);

// Appends P's fields to `out`, nested groups flattened with dotted names ("tfidf.min_df"). A
// group's defaults are those of its parent's member (lsa_params::tfidf has bigrams and stop
// words), not those of the group type's default constructor. `with_groups` keeps a row for each
// group itself (its doc) before its fields.
template <class P>
void describe_into(std::vector<field_info>& out, std::string_view prefix, const P& defaults, bool with_groups) {
  auto fields = describe<P>(defaults);
  std::size_t i = 0;
  for_each_field<P>([&](const auto& def) {
    using V = std::remove_cvref_t<decltype(defaults.*(def.member))>;
    field_info f = std::move(fields[i++]);
    f.name = prefix.empty() ? f.name : fmt::format("{}.{}", prefix, f.name);
    if constexpr (tabled<V>) {
      const std::string group = f.name;
      if (with_groups) out.push_back(std::move(f));
      describe_into<V>(out, group, defaults.*(def.member), with_groups);
    } else if constexpr (group_list<V>::value) {
      // Each element has the element type's defaults ("reduce[].kind"); tools offer no option for them.
      const std::string group = f.name + "[]";
      if (with_groups) {
        out.push_back(std::move(f));
        describe_into<typename V::value_type>(out, group, typename V::value_type{}, with_groups);
      }
    } else {
      out.push_back(std::move(f));
    }
  });
}

}  // namespace detail

/**
 * @brief Every field of P with nested groups flattened: names are dotted paths ("tfidf.min_df"),
 * options the last part ("min-df"), or the whole path when the last part is already taken
 * ("tfidf-normalize"), so a tool can offer one flat list of options.
 */
template <tabled P>
[[nodiscard]] std::vector<field_info> describe_flat(const P& defaults = P{}) {
  std::vector<field_info> out;
  detail::describe_into<P>(out, "", defaults, false);
  // Shallower fields keep their short names first: a group's field yields to its parent's.
  std::vector<std::string> taken;
  const auto depth = [](const field_info& f) { return static_cast<std::size_t>(std::count(f.name.begin(), f.name.end(), '.')); };
  std::size_t deepest = 0;
  for (const auto& f : out) deepest = std::max(deepest, depth(f));
  for (std::size_t level = 0; level <= deepest; ++level) {
    for (auto& f : out) {
      if (depth(f) != level) continue;
      const auto dot = f.name.rfind('.');
      std::string option = detail::option_of(dot == std::string::npos ? f.name : f.name.substr(dot + 1));
      if (std::find(taken.begin(), taken.end(), option) != taken.end()) {
        option = f.name;
        for (char& c : option) c = (c == '_' || c == '.') ? '-' : c;
      }
      taken.push_back(option);
      f.option = option;
    }
  }
  return out;
}

/**
 * @brief set() for a dotted path into nested groups ("tfidf.analysis.ngram_max").
 * @throws segkit::invalid_argument as set().
 */
template <tabled P>
void set_path(P& p, std::string_view path, std::string_view text, std::string_view where, std::string_view subject = {}) {
  const auto dot = path.find('.');
  if (dot == std::string_view::npos) {
    set(p, path, text, where, subject);
    return;
  }
  const std::string_view head = path.substr(0, dot), rest = path.substr(dot + 1);
  bool done = false;
  detail::for_each_field<P>([&](const auto& def) {
    using V = std::remove_cvref_t<decltype(p.*(def.member))>;
    if constexpr (tabled<V>) {
      if (!done && def.name == head) {
        set_path(p.*(def.member), rest, text, where, subject);
        done = true;
      }
    }
  });
  if (!done) throw segkit::invalid_argument(fmt::format("{}: unknown parameter group '{}'", where, head));
}

/// The docs' table of P's parameters (Markdown): name, default, valid values, meaning. Nested
/// groups are listed field by field with dotted names ("tfidf.min_df") and the defaults P gives
/// them, which may differ from the group type's own.
template <tabled P>
[[nodiscard]] std::string markdown_table() {
  std::string s = "| parameter | default | valid | meaning |\n|---|---|---|---|\n";
  std::vector<field_info> fields;
  detail::describe_into<P>(fields, "", P{}, true);
  for (const auto& f : fields) {
    std::string valid = f.range;
    if (f.kind == value_kind::group) valid = "the fields below";
    if (f.kind == value_kind::groups) valid = "a list of objects with the fields below";
    if (f.kind == value_kind::data) valid = "set in code";
    std::string doc = f.doc;
    if (!f.aliases.empty()) {
      std::string a;
      for (const auto& x : f.aliases) a += fmt::format("{}`{}`", a.empty() ? "" : ", ", x);
      doc += fmt::format(" (also spelt {})", a);
    }
    std::string dflt = f.kind == value_kind::group || f.kind == value_kind::groups || f.kind == value_kind::data ? "" : fmt::format("`{}`", f.default_value);
    for (auto* t : {&valid, &doc, &dflt}) {
      for (std::size_t i = 0; (i = t->find('|', i)) != std::string::npos; i += 2) t->replace(i, 1, "\\|");
    }
    s += fmt::format("| `{}` | {} | {} | {} |\n", f.name, dflt, valid, doc);
  }
  return s;
}

}  // namespace segkit::params

#if !defined(SEGKIT_COMPILED)
#include "segkit/core/detail/params-inl.hpp"
#endif
