#pragma once
/// @file
/// @brief An RFC 4180 CSV reader: quoted fields, doubled quotes, embedded newlines, UTF-8 BOM,
/// header row, columns by name, errors with line numbers.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/file.hpp"
#include "segkit/core/compiled.hpp"

namespace segkit {

/// How to read a CSV file.
struct csv_options {
  char delimiter = ',';  ///< field separator
  bool header = true;    ///< the first record names the columns
};

/**
 * @brief A parsed CSV file: column names and rows of string fields.
 * @par Thread safety  Immutable after construction; concurrent reads are safe.
 */
class csv_table {
 public:
  csv_table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows, std::string source)
      : header_(std::move(header)), rows_(std::move(rows)), source_(std::move(source)) {}

  /// Column names (empty if read without a header).
  [[nodiscard]] const std::vector<std::string>& header() const noexcept { return header_; }
  /// Data rows (the header excluded).
  [[nodiscard]] const std::vector<std::vector<std::string>>& rows() const noexcept { return rows_; }
  [[nodiscard]] std::size_t row_count() const noexcept { return rows_.size(); }
  [[nodiscard]] std::size_t column_count() const noexcept {
    return header_.empty() ? (rows_.empty() ? 0 : rows_.front().size()) : header_.size();
  }

  /// Position of a named column. @throws segkit::invalid_argument listing the columns there are.
  [[nodiscard]] SEGKIT_FUNC std::size_t column_index(std::string_view name) const;

  /// The values of a named column, one per row.
  [[nodiscard]] SEGKIT_FUNC std::vector<std::string_view> column(std::string_view name) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::string source_;
};

/**
 * @brief Parses CSV text.
 *
 * Records end with LF or CRLF (also inside quotes: embedded newlines are kept). A field that
 * starts with a quote runs to the matching quote; `""` inside it is one quote. A leading UTF-8
 * byte-order mark is skipped; a final empty line is ignored. Every record must have as many
 * fields as the first.
 * @param text     the CSV text.
 * @param options  delimiter and whether the first record is a header.
 * @param source   name used in error messages (file path or a description).
 * @throws segkit::format_error naming the line for ragged rows, unterminated quotes, or text
 * after a closing quote.
 */
SEGKIT_FUNC csv_table parse_csv(std::string_view text, const csv_options& options = {}, std::string_view source = "<csv>");

/// Reads and parses a CSV file (see parse_csv). @throws segkit::io_error if it cannot be read.
SEGKIT_FUNC csv_table read_csv(const std::filesystem::path& path, const csv_options& options = {});

}  // namespace segkit

#if !defined(SEGKIT_COMPILED)
#include "segkit/core/detail/csv-inl.hpp"
#endif
