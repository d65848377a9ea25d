#pragma once
// The definitions of segkit/core/csv.hpp's non-template functions
// (declared SEGKIT_FUNC there): included at that header's end in header-only mode; in compiled
// mode compiled once into segkit::segkit_compiled, after the header (cmake/segkit-compiled.cmake).
// Not for including on its own.

namespace segkit {

SEGKIT_FUNC std::size_t csv_table::column_index(std::string_view name) const {
  for (std::size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return i;
  }
  detail::throw_invalid("segkit::csv", fmt::format("'{}' has no column '{}' (columns: {})", source_, name, fmt::join(header_, ", ")));
}

SEGKIT_FUNC std::vector<std::string_view> csv_table::column(std::string_view name) const {
  const std::size_t c = column_index(name);
  std::vector<std::string_view> out;
  out.reserve(rows_.size());
  for (const auto& r : rows_) out.emplace_back(r[c]);
  return out;
}

SEGKIT_FUNC csv_table parse_csv(std::string_view text, const csv_options& options, std::string_view source) {
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

SEGKIT_FUNC csv_table read_csv(const std::filesystem::path& path, const csv_options& options) {
  const auto bytes = read_file_bytes(path, "segkit::csv");
  return parse_csv(std::string_view(bytes.data(), bytes.size()), options, path.string());
}

}  // namespace segkit
