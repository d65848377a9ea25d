#pragma once
/// @file
/// @brief Typed per-id attributes (integer, real, text, timestamp) and a small filter language
/// ("region == 'EU' and last_purchase >= now - 30 days") compiled into a predicate for searches.

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/binary_format.hpp"
#include "segkit/core/csv.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/parse.hpp"
#include "segkit/core/types.hpp"
#include "segkit/core/compiled.hpp"

namespace segkit::index {

/// The type of an attribute column.
enum class attribute_type {
  integer,   ///< 64-bit signed integer
  real,      ///< double
  text,      ///< string (stored as dictionary codes)
  timestamp  ///< seconds since 1970-01-01T00:00:00Z; written as YYYY-MM-DD[THH:MM:SS[Z]]
};

namespace detail {
inline constexpr const char* attributes_component = "segkit::index::attributes";

}  // namespace detail

[[nodiscard]] inline std::string_view to_string(attribute_type t) noexcept {
  switch (t) {
    case attribute_type::integer: return "int";
    case attribute_type::real: return "double";
    case attribute_type::text: return "string";
    case attribute_type::timestamp: return "timestamp";
  }
  return "string";
}

/**
 * @brief A table of typed attributes keyed by id: one row per id, named columns; a missing value
 * is null (empty CSV field, or an id without a row).
 * @par Thread safety  const calls may run concurrently; mutations need exclusive access.
 */
class attribute_table {
 public:
  /// A column's name, type, values (one per row) and null marks.
  struct column {
    std::string name;
    attribute_type type = attribute_type::text;
    std::vector<std::int64_t> ints;     // integer, timestamp; text: dictionary code
    std::vector<double> reals;          // real
    std::vector<std::uint8_t> is_null;  // 1 = no value
    std::vector<std::string> dictionary;  // text: code -> string
    std::unordered_map<std::string, std::int64_t> codes;  // text: string -> code
  };

  /**
   * @brief Builds a table from CSV: the column `id_column` holds ids (non-negative integers); every
   * other column becomes an attribute. A header "name:type" (int, double, string, timestamp)
   * fixes the type; otherwise it is inferred from the non-empty values: all integers -> int, all
   * numbers -> double, all dates (YYYY-MM-DD[THH:MM[:SS]][Z]) -> timestamp, else string.
   * @throws segkit::invalid_argument for a missing id column, a bad or repeated id, a value that
   * does not fit its declared type, or an unknown type name (messages give row and column).
   */
  SEGKIT_FUNC static attribute_table from_csv(const csv_table& csv, std::string_view id_column = "id");

  [[nodiscard]] std::size_t size() const noexcept { return rows_.size(); }                     ///< rows (ids)
  [[nodiscard]] const std::vector<column>& columns() const noexcept { return columns_; }     ///< the columns
  /// The column with this name, or nullptr.
  [[nodiscard]] const column* find(std::string_view name) const noexcept {
    for (const auto& c : columns_) {
      if (c.name == name) return &c;
    }
    return nullptr;
  }
  /// Row of an id, if it has one.
  [[nodiscard]] std::optional<std::size_t> row_of(id_type id) const noexcept {
    const auto it = rows_.find(id);
    if (it == rows_.end()) return std::nullopt;
    return it->second;
  }
  /// Ids in row order.
  [[nodiscard]] SEGKIT_FUNC std::vector<id_type> ids() const;

  /// Writes the table as sections of a container ("attr.m", "attr.id", "avN", "anN"; copied into
  /// the writer), to travel with an index.
  SEGKIT_FUNC void write(container_writer& w) const;

  /// True if the container holds an attribute table.
  [[nodiscard]] static bool present(const container_reader& file) { return file.has("attr.m"); }

  /// Reads a table written by write(). @throws segkit::format_error if it is inconsistent.
  [[nodiscard]] SEGKIT_FUNC static attribute_table read(const container_reader& file);

 private:
  SEGKIT_FUNC static attribute_type infer(const csv_table& csv, std::size_t c);

  SEGKIT_FUNC static void append(column& c, const std::string& v, std::size_t row);

  std::vector<column> columns_;
  std::unordered_map<id_type, std::size_t> rows_;
};

/**
 * @brief A compiled filter over an attribute_table: `bool(id_type)`, usable as the filter of any
 * index search.
 *
 * Grammar (keywords case-insensitive):
 * ```
 * expr    := term ('or' term)*
 * term    := factor ('and' factor)*
 * factor  := 'not' factor | '(' expr ')' | column op value | column ['not'] 'in' '(' value (',' value)* ')'
 * op      := '==' | '=' | '!=' | '<' | '<=' | '>' | '>='
 * value   := number | 'text' | "text" | 'YYYY-MM-DD...' | now [('+'|'-') number unit]
 * unit    := second(s) | minute(s) | hour(s) | day(s) | week(s)   (also s, min, h, d, w)
 * ```
 * Text columns accept == != and in; numbers and timestamps all operators (a timestamp also takes
 * a date string or epoch seconds). A null value makes every comparison false (and `not` of that
 * true). Ids without attributes are nulls everywhere.
 * @par Thread safety  Immutable after parse(); may be called from many threads.
 */
class attribute_filter {
 public:
  /**
   * @brief Compiles `expression` against the table's columns; `now` (seconds since the epoch)
   * is the value of `now` (default: the current time).
   * @throws segkit::invalid_argument naming the position and the problem: unknown column, type
   * mismatch, operator not allowed for the type, malformed literal, unbalanced parentheses, trailing input.
   */
  SEGKIT_FUNC static attribute_filter parse(std::string_view expression, std::shared_ptr<const attribute_table> table, std::optional<std::int64_t> now = std::nullopt);

  /// True if the id's attributes satisfy the expression.
  bool operator()(id_type id) const {
    const auto row = table_->row_of(id);
    return eval(root_, row ? static_cast<std::ptrdiff_t>(*row) : -1);
  }

  /// Fraction of the table's rows that pass, measured on at most `sample` evenly spaced rows
  /// (all rows when the table is smaller): the planner's selectivity estimate.
  [[nodiscard]] SEGKIT_FUNC double selectivity(std::size_t sample = 1024) const;

 private:
  enum class op { eq, ne, lt, le, gt, ge, in, not_in, and_, or_, not_ };
  struct node {
    op kind = op::eq;
    std::size_t column = 0;
    double number = 0.0;               // numeric comparison value
    std::vector<std::int64_t> codes;   // in / not in (text codes or integers), == on text
    std::vector<double> numbers;       // in / not in on numbers
    std::size_t left = 0, right = 0;   // children (and, or, not)
  };

  bool eval(std::size_t at, std::ptrdiff_t row) const {
    const node& n = nodes_[at];
    switch (n.kind) {
      case op::and_: return eval(n.left, row) && eval(n.right, row);
      case op::or_: return eval(n.left, row) || eval(n.right, row);
      case op::not_: return !eval(n.left, row);
      default: break;
    }
    if (row < 0) return false;
    const auto& c = table_->columns()[n.column];
    const auto r = static_cast<std::size_t>(row);
    if (c.is_null[r] != 0) return false;
    if (c.type == attribute_type::text) {
      const bool hit = std::find(n.codes.begin(), n.codes.end(), c.ints[r]) != n.codes.end();
      return (n.kind == op::eq || n.kind == op::in) ? hit : !hit;
    }
    const double v = c.type == attribute_type::real ? c.reals[r] : static_cast<double>(c.ints[r]);
    switch (n.kind) {
      case op::eq: return v == n.number;
      case op::ne: return v != n.number;
      case op::lt: return v < n.number;
      case op::le: return v <= n.number;
      case op::gt: return v > n.number;
      case op::ge: return v >= n.number;
      case op::in: return std::find(n.numbers.begin(), n.numbers.end(), v) != n.numbers.end();
      case op::not_in: return std::find(n.numbers.begin(), n.numbers.end(), v) == n.numbers.end();
      default: return false;
    }
  }

  struct token {
    enum kind_t { end, ident, number, text, lparen, rparen, comma, cmp, plus, minus } kind = end;
    std::string value;
    std::size_t pos = 0;
  };

  struct parser;  // the expression compiler (detail/attributes-inl.hpp)

  std::shared_ptr<const attribute_table> table_;
  std::vector<node> nodes_;
  std::size_t root_ = 0;
};

}  // namespace segkit::index

#if !defined(SEGKIT_COMPILED)
#include "segkit/index/detail/attributes-inl.hpp"
#endif
