#pragma once
/// @file
/// @brief A self-contained HTML report (inline CSS and SVG, no scripts, no network): headings,
/// paragraphs, figures, tables and key figures, saved atomically.

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/file.hpp"
#include "segkit/report/svg.hpp"

namespace segkit::report {

/// A table cell: text (escaped when rendered) or, with `html`, markup taken as is (a color swatch).
struct cell {
  std::string text;   ///< content
  bool html = false;  ///< true: `text` is trusted markup
  cell(std::string t) : text(std::move(t)) {}  // NOLINT: implicit from text on purpose
  cell(const char* t) : text(t) {}             // NOLINT
  cell(std::string t, bool is_html) : text(std::move(t)), html(is_html) {}
};

/// A small colored square for a segment, as a table cell.
inline cell swatch(label_type label) {
  return {fmt::format("<span class=\"sw\" style=\"background:{}\"></span>", segment_color(label)), true};
}

/**
 * @brief Builds a report page section by section; str() is the page, save() writes it.
 *
 * @code
 * segkit::report::html_report page("Customer segments");
 * page.heading("Map").figure(segkit::report::scatter_svg(coords, labels, titles, names), "UMAP of the embeddings");
 * page.table({"segment", "size"}, rows);
 * page.save("report.html");
 * @endcode
 * Everything is escaped except SVG from this library and cells marked as markup.
 */
class html_report {
 public:
  explicit html_report(std::string title) : title_(std::move(title)) {}

  /// A section heading (h2), or a sub-heading with level 3.
  html_report& heading(std::string_view text, int level = 2) {
    const int h = level < 2 ? 2 : (level > 4 ? 4 : level);
    body_ += fmt::format("<h{0}>{1}</h{0}>\n", h, escape(text));
    return *this;
  }

  /// A paragraph of plain text.
  html_report& paragraph(std::string_view text) {
    body_ += fmt::format("<p>{}</p>\n", escape(text));
    return *this;
  }

  /// Key figures shown as a row of boxes: (name, value).
  html_report& figures(std::span<const std::pair<std::string, std::string>> items) {
    body_ += "<div class=\"figures\">";
    for (const auto& [k, v] : items) body_ += fmt::format("<div class=\"fig\"><div class=\"v\">{}</div><div class=\"k\">{}</div></div>", escape(v), escape(k));
    body_ += "</div>\n";
    return *this;
  }

  /// An SVG chart (from this library's functions) with an optional caption.
  html_report& figure(std::string svg, std::string_view caption = {}) {
    body_ += "<figure>\n" + svg;
    if (!caption.empty()) body_ += fmt::format("<figcaption>{}</figcaption>\n", escape(caption));
    body_ += "</figure>\n";
    return *this;
  }

  /// A table with a header row; every row must have as many cells as the header.
  /// @throws segkit::invalid_argument for a row of another width.
  html_report& table(const std::vector<std::string>& header, const std::vector<std::vector<cell>>& rows) {
    body_ += "<table>\n<tr>";
    for (const auto& h : header) body_ += fmt::format("<th>{}</th>", escape(h));
    body_ += "</tr>\n";
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (rows[r].size() != header.size()) {
        segkit::detail::throw_invalid("segkit::report::html_report::table", fmt::format("row {} has {} cells for {} columns", r, rows[r].size(), header.size()));
      }
      body_ += "<tr>";
      for (const auto& c : rows[r]) body_ += fmt::format("<td>{}</td>", c.html ? c.text : escape(c.text));
      body_ += "</tr>\n";
    }
    body_ += "</table>\n";
    return *this;
  }

  /// The whole page.
  [[nodiscard]] std::string str() const {
    return fmt::format(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0}</title>\n<style>\n"
        "body{{font-family:system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#222}}\n"
        "h1{{font-size:1.6em}} h2{{margin-top:1.8em;border-bottom:1px solid #ddd}}\n"
        "table{{border-collapse:collapse;margin:0.5em 0;font-size:0.9em}} td,th{{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}}\n"
        "th{{background:#f4f4f4}} figure{{margin:1em 0}} figcaption{{color:#555;font-size:0.9em}}\n"
        ".sw{{display:inline-block;width:0.9em;height:0.9em;vertical-align:middle}}\n"
        ".figures{{display:flex;flex-wrap:wrap;gap:0.8em}} .fig{{border:1px solid #ddd;padding:0.5em 1em;border-radius:4px}}\n"
        ".fig .v{{font-size:1.3em;font-weight:bold}} .fig .k{{color:#555;font-size:0.85em}}\n"
        "</style></head><body>\n<h1>{0}</h1>\n{1}<footer><p style=\"color:#888;font-size:0.8em\">made by segkit</p></footer>\n</body></html>\n",
        escape(title_), body_);
  }

  /// Writes the page atomically (temporary file, fsync, rename). @throws segkit::io_error.
  void save(const std::filesystem::path& path) const {
    const std::string page = str();
    atomic_file_writer w(path);
    w.write(page.data(), page.size());
    w.commit();
  }

 private:
  std::string title_;
  std::string body_;
};

}  // namespace segkit::report
