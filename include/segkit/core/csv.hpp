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
  [[nodiscard]] std::size_t column_index(std::string_view name) const {
    for (std::size_t i = 0; i < header_.size(); ++i) {
      if (header_[i] == name) return i;
    }
    detail::throw_invalid("segkit::csv", fmt::format("'{}' has no column '{}' (columns: {})", source_, name, fmt::join(header_, ", ")));
  }

  /// The values of a named column, one per row.
  [[nodiscard]] std::vector<std::string_view> column(std::string_view name) const {
    const std::size_t c = column_index(name);
    std::vector<std::string_view> out;
    out.reserve(rows_.size());
    for (const auto& r : rows_) out.emplace_back(r[c]);
    return out;
  }

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
inline csv_table parse_csv(std::string_view text, const csv_options& options = {}, std::string_view source = "<csv>") {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  const char delim = options.delimiter;
  std::vector<std::vector<std::string>> records;
  std::size_t line = 1;
  std::size_t pos = 0;
  const auto fail = [&](std::size_t at_line, std::string_view what) {
    detail::throw_format("segkit::csv", fmt::format("'{}' line {}: {}", source, at_line, what));
  };
  std::size_t expected = 0;
  while (pos < text.size()) {
    const std::size_t record_line = line;
    std::vector<std::string> fields;
    for (;;) {  // one field per iteration
      std::string field;
      if (pos < text.size() && text[pos] == '"') {
        const std::size_t quote_line = line;
        ++pos;
        for (;;) {
          if (pos >= text.size()) fail(quote_line, "quoted field is not closed before the end of the file");
          const char c = text[pos++];
          if (c == '"') {
            if (pos < text.size() && text[pos] == '"') {
              field.push_back('"');
              ++pos;
            } else {
              break;
            }
          } else {
            if (c == '\n') ++line;
            field.push_back(c);
          }
        }
        if (pos < text.size() && text[pos] != delim && text[pos] != '\n' && text[pos] != '\r') {
          fail(line, fmt::format("unexpected character '{}' after a closing quote", text[pos]));
        }
      } else {
        while (pos < text.size() && text[pos] != delim && text[pos] != '\n' && text[pos] != '\r') {
          if (text[pos] == '"') fail(line, "quote inside an unquoted field (quote the whole field and double the quote)");
          field.push_back(text[pos++]);
        }
      }
      fields.push_back(std::move(field));
      if (pos < text.size() && text[pos] == delim) {
        ++pos;
        continue;
      }
      break;
    }
    // End of record: CRLF, LF, CR, or end of text.
    if (pos < text.size() && text[pos] == '\r') ++pos;
    if (pos < text.size() && text[pos] == '\n') ++pos;
    ++line;
    if (records.empty()) expected = fields.size();
    if (fields.size() != expected) {
      fail(record_line, fmt::format("{} field(s), but the {} has {}", fields.size(), options.header ? "header" : "first row", expected));
    }
    records.push_back(std::move(fields));
  }
  std::vector<std::string> header;
  if (options.header && !records.empty()) {
    header = std::move(records.front());
    records.erase(records.begin());
  }
  return csv_table(std::move(header), std::move(records), std::string(source));
}

/// Reads and parses a CSV file (see parse_csv). @throws segkit::io_error if it cannot be read.
inline csv_table read_csv(const std::filesystem::path& path, const csv_options& options = {}) {
  const auto bytes = read_file_bytes(path, "segkit::csv");
  return parse_csv(std::string_view(bytes.data(), bytes.size()), options, path.string());
}

}  // namespace segkit
