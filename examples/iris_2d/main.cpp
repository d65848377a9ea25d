// Teaching example: PCA, UMAP and t-SNE side by side on Fisher's Iris measurements.
//
//   iris_2d [--csv iris.csv] [--out DIR]
//
// 150 flowers, 4 measurements (iris.csv, written from scikit-learn's copy by make_iris.py),
// standardized, then laid out in 2-D three ways. For each layout: trustworthiness (are a point's
// 2-D neighbors its real neighbors?) and the silhouette of the species in 2-D (how apart the
// species look). Exits with status 3 if a layout's trustworthiness is below 0.9 (CI runs it).
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <segkit/core/csv.hpp>
#include <segkit/core/parse.hpp>
#include <segkit/embed/tabular.hpp>
#include <segkit/quality/internal.hpp>
#include <segkit/quality/trustworthiness.hpp>
#include <segkit/reduce/pca.hpp>
#include <segkit/reduce/tsne.hpp>
#include <segkit/reduce/umap.hpp>
#include <segkit/report/html.hpp>
#include <segkit/report/svg.hpp>

#include "../common/example.hpp"

#ifndef SEGKIT_IRIS_CSV
#define SEGKIT_IRIS_CSV "iris.csv"
#endif

namespace {

int run(int argc, char** argv) {
  auto opt = segkit::examples::parse_options(argc, argv, {{"csv", SEGKIT_IRIS_CSV}, {"out", "iris-2d"}});
  const auto table = segkit::read_csv(opt["csv"]);
  const std::size_t n = table.row_count();
  segkit::matrix<double> raw = segkit::matrix<double>::from_shape({n, 4});
  std::vector<segkit::label_type> species(n);
  std::map<std::string, segkit::label_type> code;
  std::vector<std::string> hover(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& row = table.rows()[i];
    for (std::size_t j = 0; j < 4; ++j) {
      const auto v = segkit::parse_real(row[j]);
      if (!v) throw segkit::format_error(fmt::format("{}: row {} column {}: '{}' is not a number", opt["csv"], i + 2, j + 1, row[j]));
      raw(i, j) = *v;
    }
    species[i] = code.emplace(row[4], static_cast<segkit::label_type>(code.size())).first->second;
    hover[i] = fmt::format("{} ({} / {} / {} / {})", row[4], row[0], row[1], row[2], row[3]);
  }

  // [layouts]
  const auto x = segkit::embed::scaler().fit(raw).transform(raw);  // each measurement to mean 0, variance 1
  const auto pca = segkit::reduce::pca<float>({.n_components = 2}).fit_transform(x);
  const auto umap = segkit::reduce::umap<>({.n_neighbors = 15, .seed = 1}).fit_transform(x);
  const auto tsne = segkit::reduce::tsne<>({.perplexity = 30, .seed = 1}).fit_transform(x);
  // [layouts]

  namespace rp = segkit::report;
  std::map<segkit::label_type, std::string> names;
  for (const auto& [name, label] : code) names[label] = name;
  rp::html_report page("Iris in two dimensions: PCA, UMAP and t-SNE");
  page.paragraph("150 flowers, 4 standardized measurements. Trustworthiness (10 neighbors) says how far a layout's neighborhoods "
                 "can be trusted; the silhouette of the species says how separated they look.");
  std::vector<std::vector<rp::cell>> rows;
  fmt::print("{:<6} {:>16} {:>20}\n", "layout", "trustworthiness", "species silhouette");
  const double sil4 = segkit::quality::silhouette_score(x, species);
  fmt::print("{:<6} {:>16} {:>20.3f}\n", "4-D", "-", sil4);
  rows.push_back({"the 4 measurements", "-", fmt::format("{:.3f}", sil4)});
  bool ok = true;
  for (const auto& [name, y] : {std::pair{"PCA", &pca}, std::pair{"UMAP", &umap}, std::pair{"t-SNE", &tsne}}) {
    const double t = segkit::quality::trustworthiness(x, *y, {.neighbors = 10});
    const double s = segkit::quality::silhouette_score(*y, species);
    fmt::print("{:<6} {:>16.3f} {:>20.3f}\n", name, t, s);
    rows.push_back({name, fmt::format("{:.3f}", t), fmt::format("{:.3f}", s)});
    page.figure(rp::scatter_svg(*y, species, hover, names, {.title = name, .width = 560, .height = 400}));
    ok = ok && t >= 0.9;
  }
  page.table({"layout", "trustworthiness (10 neighbors)", "silhouette of the species"}, rows);
  page.heading("Reading the pictures");
  page.paragraph("PCA is a projection: distances and directions mean something, and it keeps the global picture (setosa far from the "
                 "other two). UMAP and t-SNE keep neighborhoods, not distances: the size of a group and the gap between groups in a "
                 "t-SNE picture say little (t-SNE equalises densities, and its gaps grow with the perplexity and the iterations). "
                 "Judge clusters in the original space, and use these pictures to look, not to measure.");
  std::filesystem::create_directories(opt["out"]);
  page.save(std::filesystem::path(opt["out"]) / "report.html");
  if (!ok) {
    std::fprintf(stderr, "iris_2d: every layout should have trustworthiness >= 0.9\n");
    return 3;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return segkit::examples::guarded_main("iris_2d", [&] { return run(argc, argv); });
}
