// Product clustering as a library user writes it: texts in, named segments, similar products and
// an HTML report out.
//
//   product_clustering [--csv catalog.csv] [--text title,description] [--title title]
//                      [--truth category] [--products N] [--k K] [--model MODEL_DIR] [--out DIR]
//
// --model embeds with a sentence-transformers model folder (docs/embed_models.md: ONNX graph,
// tokenizer.json, pooling; e.g. all-MiniLM-L6-v2) instead of the built-in TF-IDF + LSA.
// Without --csv it segments the built-in generated catalog (segkit/datasets/product_catalog.hpp) and scores the result
// against the generator's categories; with --csv it reads any CSV with a header, and --truth
// names a column of known categories to score against (optional).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <segkit/core/csv.hpp>
#include <segkit/embed/model_folder.hpp>
#include <segkit/index/hnsw.hpp>
#include <segkit/pipeline/segment.hpp>
#include <segkit/quality/external.hpp>
#include <segkit/report/segmentation.hpp>

#include "../common/example.hpp"
#include <segkit/datasets/product_catalog.hpp>

namespace {

struct records {
  std::vector<std::string> titles, texts;
  std::vector<std::string> truth;  // known categories, or empty
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t b = 0;
  for (std::size_t e = 0; e <= s.size(); ++e) {
    if (e == s.size() || s[e] == ',') {
      out.push_back(s.substr(b, e - b));
      b = e + 1;
    }
  }
  return out;
}

records from_csv(const std::string& path, const std::string& text_columns, const std::string& title_column, const std::string& truth_column) {
  const auto table = segkit::read_csv(path);  // throws segkit::io_error / invalid_argument naming the file and line
  std::vector<std::size_t> cols;
  for (const auto& c : split(text_columns)) cols.push_back(table.column_index(c));
  const std::size_t title = title_column.empty() ? cols.front() : table.column_index(title_column);
  records r;
  for (const auto& row : table.rows()) {
    std::string text;
    for (const std::size_t c : cols) text += (text.empty() ? "" : ". ") + row[c];
    r.texts.push_back(std::move(text));
    r.titles.push_back(row[title]);
    if (!truth_column.empty()) r.truth.push_back(row[table.column_index(truth_column)]);
  }
  return r;
}

records generated(std::size_t n) {
  records r;
  for (const auto& p : segkit::datasets::make_catalog({.products = n})) {
    r.titles.push_back(p.title);
    r.texts.push_back(p.title + ". " + p.description);
    r.truth.emplace_back(segkit::datasets::catalog_categories()[p.category].name);
  }
  return r;
}

int run(int argc, char** argv) {
  auto opt = segkit::examples::parse_options(argc, argv, {{"text", "title,description"}, {"products", "10000"}, {"out", "product-clustering"}, {"k", "0"}});
  const records r = opt.count("csv") ? from_csv(opt["csv"], opt["text"], opt["title"], opt["truth"]) : generated(std::stoul(opt["products"]));

  // [segment]
  segkit::pipeline::segment_params params{.k = std::stoul(opt["k"]), .k_min = 5, .k_max = 40, .seed = 1};
  params.lsa.dims = 100;
  const segkit::pipeline::segmentation s = opt.count("model") ? segkit::pipeline::segment_texts(r.texts, segkit::embed::read_text_model_folder(opt["model"]).params, params)
                                                               : segkit::pipeline::segment_texts(r.texts, params);
  for (std::size_t l = 0; l < s.n_segments; ++l) {
    fmt::print("segment {:2} {:<40} {:6} products\n", l, s.names.at(static_cast<segkit::label_type>(l)), s.sizes[l]);
  }
  // [segment]

  // [similar]
  segkit::index::hnsw<segkit::distance::cosine_metric> index(s.vectors.shape(1));
  std::vector<segkit::id_type> ids(r.texts.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = i;
  index.add(ids, s.vectors);
  const auto query = s.model.embed(std::vector<std::string>{r.texts[0]});  // any new text embeds in the same space
  const auto hits = index.search(query, 6, {.ef = 64});
  fmt::print("\nmost similar to \"{}\":\n", r.titles[0]);
  for (std::size_t j = 1; j < hits.ids.shape(1) && hits.ids(0, j) != segkit::no_id; ++j) {
    fmt::print("  {}  ({:.3f})\n", r.titles[hits.ids(0, j)], hits.distances(0, j));
  }
  // [similar]

  if (!r.truth.empty()) {
    std::map<std::string, segkit::label_type> code;
    std::vector<segkit::label_type> truth;
    for (const auto& t : r.truth) truth.push_back(code.emplace(t, static_cast<segkit::label_type>(code.size())).first->second);
    fmt::print("\nagainst {} known categories: NMI {:.3f}, ARI {:.3f}\n", code.size(), segkit::quality::normalized_mutual_information(truth, s.labels),
               segkit::quality::adjusted_rand_index(truth, s.labels));
  }
  fmt::print("silhouette {:.3f}, Davies-Bouldin {:.3f}, {} segments, embedded with {}\n", s.silhouette, s.davies_bouldin, s.n_segments,
             opt.count("model") ? "the model in " + opt["model"] : std::string("TF-IDF + LSA"));

  // [report]
  segkit::report::html_report page("Product segments");
  segkit::report::add_segmentation(page, s, r.titles);
  std::filesystem::create_directories(opt["out"]);
  page.save(std::filesystem::path(opt["out"]) / "report.html");
  // [report]
  fmt::print("report: {}\n", (std::filesystem::path(opt["out"]) / "report.html").string());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return segkit::examples::guarded_main("product_clustering", [&] { return run(argc, argv); });
}
