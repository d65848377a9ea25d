// Teaching example: the same data through k-means, a Gaussian mixture, DBSCAN, HDBSCAN and
// agglomerative clustering, with one table of scores and one report.
//
//   choosing_a_clusterer [--out DIR] [--seed S]
//
// 3,000 generated 2-D points: a dense round group, a sparse round group, a long tilted group,
// a small tight group, and 6 % background noise. Each algorithm gets the settings a user would
// pick knowing the data's scale (k = 4 where k is asked for). The table shows what each
// assumption costs: k-means and agglomerative (Ward) prefer round groups of similar size, the
// mixture handles the tilted group, DBSCAN needs one density, HDBSCAN adapts to several and
// leaves the background out. Exits with status 3 if HDBSCAN is not the best by ARI (CI runs it).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <segkit/cluster/agglomerative.hpp>
#include <segkit/cluster/dbscan.hpp>
#include <segkit/cluster/gmm.hpp>
#include <segkit/cluster/hdbscan.hpp>
#include <segkit/cluster/kmeans.hpp>
#include <segkit/core/random.hpp>
#include <segkit/quality/external.hpp>
#include <segkit/quality/internal.hpp>
#include <segkit/report/html.hpp>
#include <segkit/report/svg.hpp>

#include "../common/example.hpp"

namespace {

struct points {
  segkit::matrix<float> x;
  std::vector<segkit::label_type> truth;  // -1 for the background
};

points make_points(std::uint64_t seed) {
  constexpr std::size_t n = 3000;
  points p{segkit::matrix<float>::from_shape({n, 2}), std::vector<segkit::label_type>(n)};
  for (std::size_t i = 0; i < n; ++i) {
    segkit::rng r(seed, i);
    const double u = r.uniform();
    double a = 0, b = 0;
    segkit::label_type l = 0;
    if (u < 0.30) {  // dense round group
      a = 0.0 + 0.5 * r.normal(), b = 0.0 + 0.5 * r.normal(), l = 0;
    } else if (u < 0.55) {  // sparse round group
      a = 6.0 + 1.4 * r.normal(), b = 6.0 + 1.4 * r.normal(), l = 1;
    } else if (u < 0.82) {  // long tilted group
      const double along = 3.0 * r.normal(), across = 0.35 * r.normal();
      a = 8.0 + 0.8 * along - 0.6 * across, b = -4.0 + 0.6 * along + 0.8 * across, l = 2;
    } else if (u < 0.94) {  // small tight group
      a = -3.0 + 0.25 * r.normal(), b = 7.0 + 0.25 * r.normal(), l = 3;
    } else {  // background
      a = -8.0 + 24.0 * r.uniform(), b = -12.0 + 24.0 * r.uniform(), l = -1;
    }
    p.x(i, 0) = static_cast<float>(a), p.x(i, 1) = static_cast<float>(b), p.truth[i] = l;
  }
  return p;
}

struct outcome {
  std::string name, settings;
  std::vector<segkit::label_type> labels;
  double seconds = 0.0;
};

template <class Fit>
outcome timed(std::string name, std::string settings, Fit&& fit) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto labels = fit();
  outcome o{std::move(name), std::move(settings), std::vector<segkit::label_type>(labels.begin(), labels.end()), 0.0};
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return o;
}

int run(int argc, char** argv) {
  auto opt = segkit::examples::parse_options(argc, argv, {{"out", "choosing-a-clusterer"}, {"seed", "11"}});
  const auto p = make_points(std::stoull(opt["seed"]));
  namespace cl = segkit::cluster;

  // [five]
  std::vector<outcome> runs;
  runs.push_back(timed("k-means", "k = 4, 10 restarts", [&] { return cl::kmeans<float>({.k = 4, .n_init = 10, .seed = 1}).fit(p.x).labels(); }));
  runs.push_back(timed("Gaussian mixture", "k = 4, full covariances", [&] { return cl::gaussian_mixture<float>({.k = 4, .n_init = 3, .seed = 1}).fit(p.x).labels(); }));
  runs.push_back(timed("DBSCAN", "eps = 0.45, min_samples = 10", [&] { return cl::dbscan<>({.eps = 0.45, .min_samples = 10}).fit(p.x).labels(); }));
  runs.push_back(timed("HDBSCAN", "min_cluster_size = 40", [&] { return cl::hdbscan<>({.min_cluster_size = 40}).fit(p.x).labels(); }));
  runs.push_back(timed("agglomerative", "Ward, 4 clusters", [&] { return cl::agglomerative<>({.k = 4}).fit(p.x).labels(); }));
  // [five]

  namespace rp = segkit::report;
  rp::html_report page("Choosing a clusterer");
  page.paragraph("3,000 generated points: a dense round group, a sparse round group, a long tilted group, a small tight group and 6 % "
                 "background noise. ARI and NMI compare with the generator's groups (the background counts as one more group).");
  std::vector<std::vector<rp::cell>> rows;
  fmt::print("{:<17} {:<30} {:>8} {:>7} {:>6} {:>6} {:>10} {:>8}\n", "algorithm", "settings", "segments", "noise", "ARI", "NMI", "silhouette", "seconds");
  double best_other = 0.0, hdbscan_ari = 0.0;
  for (const auto& r : runs) {
    std::size_t noise = 0;
    segkit::label_type top = -1;
    for (const auto l : r.labels) {
      noise += l < 0 ? 1 : 0;
      top = std::max(top, l);
    }
    const double ari = segkit::quality::adjusted_rand_index(p.truth, r.labels);
    const double nmi = segkit::quality::normalized_mutual_information(p.truth, r.labels);
    const double sil = top >= 1 ? segkit::quality::silhouette_score(p.x, r.labels, {.noise = segkit::quality::noise_handling::exclude}) : std::nan("");
    const std::string noise_share = fmt::format("{:.1f} %", 100.0 * static_cast<double>(noise) / static_cast<double>(r.labels.size()));
    fmt::print("{:<17} {:<30} {:>8} {:>7} {:>6.3f} {:>6.3f} {:>10.3f} {:>8.3f}\n", r.name, r.settings, top + 1, noise_share, ari, nmi, sil, r.seconds);
    rows.push_back({r.name, r.settings, fmt::format("{}", top + 1), noise_share, fmt::format("{:.3f}", ari), fmt::format("{:.3f}", nmi),
                    fmt::format("{:.3f}", sil), fmt::format("{:.3f}", r.seconds)});
    if (r.name == "HDBSCAN") {
      hdbscan_ari = ari;
    } else {
      best_other = std::max(best_other, ari);
    }
  }
  page.table({"algorithm", "settings", "segments", "noise", "ARI", "NMI", "silhouette (noise excluded)", "seconds"}, rows);
  page.figure(rp::scatter_svg(p.x, p.truth, {}, {}, {.title = "the generator's groups", .width = 520, .height = 400}));
  for (const auto& r : runs) page.figure(rp::scatter_svg(p.x, r.labels, {}, {}, {.title = r.name + ": " + r.settings, .width = 520, .height = 400}));
  std::filesystem::create_directories(opt["out"]);
  page.save(std::filesystem::path(opt["out"]) / "report.html");

  if (hdbscan_ari <= best_other) {
    std::fprintf(stderr, "choosing_a_clusterer: HDBSCAN should lead by ARI on this data (%.3f vs %.3f)\n", hdbscan_ari, best_other);
    return 3;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return segkit::examples::guarded_main("choosing_a_clusterer", [&] { return run(argc, argv); });
}
