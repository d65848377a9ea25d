// Teaching example: flagging anomalous network connections with density-based clustering.
//
//   network_outliers [--out DIR] [--seed S]
//
// 5,000 generated connection records (duration, bytes sent, bytes received, service) of normal
// traffic per service (web, DNS, SSH sessions, mail), with 100 injected anomalies: exfiltration
// (long connections sending far more than they receive), port scans (near-zero duration and
// bytes on services that normally talk) and beacons (tiny regular SSH connections). Features are
// log-scaled and standardized (the service stays one-hot), then
//   - DBSCAN flags its noise points (eps: the 98th percentile of the 5-NN distances);
//   - HDBSCAN flags noise and clusters under 1 % of the rows (repeated attacks form small dense
//     groups), and GLOSH flags the records whose outlier score is in the top 2 %.
// The program prints precision and recall of each against the injected anomalies and exits with
// status 3 if HDBSCAN's recall is below 0.9 or its precision below 0.8 (CI runs it as a test).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <segkit/cluster/choose_k.hpp>
#include <segkit/cluster/dbscan.hpp>
#include <segkit/cluster/hdbscan.hpp>
#include <segkit/core/random.hpp>
#include <segkit/embed/tabular.hpp>
#include <xtensor/xview.hpp>
#include <segkit/index/flat.hpp>
#include <segkit/reduce/pca.hpp>
#include <segkit/report/html.hpp>
#include <segkit/report/svg.hpp>

#include "../common/example.hpp"

namespace {

struct traffic {
  segkit::matrix<double> x;        // log duration, log bytes out, log bytes in, service one-hot (4)
  std::vector<std::string> what;   // a description per record
  std::vector<bool> anomaly;       // injected
};

traffic make_traffic(std::uint64_t seed) {
  constexpr std::size_t normal = 4900, injected = 100, n = normal + injected;
  static constexpr const char* services[] = {"http", "dns", "ssh", "smtp"};
  // Per service: log-normal duration (s), bytes out and in (location, scale of the log).
  struct profile { double dur, dur_s, out, out_s, in, in_s; };
  constexpr profile normal_of[] = {{0.5, 0.8, 6.5, 0.7, 9.5, 1.0}, {-3.5, 0.4, 4.2, 0.2, 4.8, 0.3}, {4.0, 1.0, 8.0, 1.0, 8.5, 1.0}, {1.0, 0.6, 9.0, 0.9, 5.5, 0.4}};
  traffic t{segkit::matrix<double>::from_shape({n, 7}), {}, {}};
  t.x.fill(0.0);
  for (std::size_t i = 0; i < n; ++i) {
    segkit::rng r(seed, i);
    std::size_t s = r.below(4);
    double dur = 0, out = 0, in = 0;
    std::string kind = "normal";
    if (i < normal) {
      const auto& p = normal_of[s];
      dur = p.dur + p.dur_s * r.normal(), out = p.out + p.out_s * r.normal(), in = p.in + p.in_s * r.normal();
    } else if (i % 3 == 0) {  // exfiltration over http or ssh: each one different
      s = r.uniform() < 0.5 ? 0 : 2;
      dur = 6.0 + 1.5 * r.normal(), out = 15.0 + 1.5 * r.normal(), in = 6.0 + 1.5 * r.normal();
      kind = "exfiltration";
    } else if (i % 3 == 1) {  // scan: nothing exchanged
      s = r.below(4);
      dur = -6.0 + 0.3 * r.normal(), out = 3.0 + 0.3 * r.normal(), in = 0.0;
      kind = "scan";
    } else {  // beacon: tiny, regular ssh
      s = 2;
      dur = -1.0 + 0.1 * r.normal(), out = 5.0 + 0.1 * r.normal(), in = 5.0 + 0.1 * r.normal();
      kind = "beacon";
    }
    t.x(i, 0) = dur, t.x(i, 1) = out, t.x(i, 2) = in, t.x(i, 3 + s) = 1.0;
    t.what.push_back(fmt::format("{} {}: {:.1f} s, {:.0f} B out, {:.0f} B in", kind, services[s], std::exp(dur), std::exp(out), std::exp(in)));
    t.anomaly.push_back(i >= normal);
  }
  return t;
}

struct score {
  std::size_t flagged = 0, hits = 0;
  [[nodiscard]] double precision() const { return flagged ? static_cast<double>(hits) / static_cast<double>(flagged) : 0.0; }
  [[nodiscard]] double recall(std::size_t positives) const { return static_cast<double>(hits) / static_cast<double>(positives); }
};

score judge(const std::vector<bool>& flagged, const std::vector<bool>& truth) {
  score s;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    s.flagged += flagged[i] ? 1 : 0;
    s.hits += flagged[i] && truth[i] ? 1 : 0;
  }
  return s;
}

int run(int argc, char** argv) {
  auto opt = segkit::examples::parse_options(argc, argv, {{"out", "network-outliers"}, {"seed", "3"}});
  const auto t = make_traffic(std::stoull(opt["seed"]));
  const std::size_t n = t.anomaly.size(), positives = static_cast<std::size_t>(std::count(t.anomaly.begin(), t.anomaly.end(), true));

  // [scale]
  // The three log-scaled measures to mean 0, variance 1; the service one-hot columns stay 0/1 (a
  // different service is as far as about one standard deviation on every measure).
  const auto measures = xt::eval(xt::view(t.x, xt::all(), xt::range(0, 3)));
  const auto scaled = segkit::embed::scaler().fit(measures).transform(measures);
  segkit::matrix<float> x = xt::cast<float>(t.x);
  xt::view(x, xt::all(), xt::range(0, 3)) = scaled;
  // [scale]

  // [dbscan]
  // eps from the distances to the 5th neighbor: the value 98 % of the rows stay under.
  segkit::index::flat<segkit::distance::l2_metric> index(x.shape(1));
  std::vector<segkit::id_type> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = i;
  index.add(ids, x);
  const auto nn = index.search(x, 6, {});
  std::vector<double> kth(n);
  for (std::size_t i = 0; i < n; ++i) kth[i] = nn.distances(i, 5);
  std::sort(kth.begin(), kth.end());
  const double eps = kth[n - n / 50];  // the 98th percentile: about 2 % of the rows are expected to be noise
  const auto db = segkit::cluster::dbscan<>({.eps = eps, .min_samples = 5}).fit(x);
  std::vector<bool> db_flag(n);
  for (std::size_t i = 0; i < n; ++i) db_flag[i] = db.labels()(i) == segkit::noise_label;
  // [dbscan]

  // [hdbscan]
  // A repeated attack (a scan sweeping many hosts) is a small dense group, not scattered points:
  // HDBSCAN finds it as a cluster. So flag noise *and* clusters holding under 1 % of the rows.
  const auto hd = segkit::cluster::hdbscan<>({.min_cluster_size = 15, .min_samples = 5}).fit(x);
  std::vector<std::size_t> cluster_size(hd.n_clusters(), 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (hd.labels()(i) >= 0) ++cluster_size[static_cast<std::size_t>(hd.labels()(i))];
  }
  std::vector<bool> hd_flag(n), glosh_flag(n);
  std::vector<double> sorted(hd.outlier_scores);
  std::sort(sorted.begin(), sorted.end());
  const double cut = sorted[n - n / 50];  // the top 2 % of GLOSH scores
  for (std::size_t i = 0; i < n; ++i) {
    hd_flag[i] = hd.labels()(i) == segkit::noise_label || cluster_size[static_cast<std::size_t>(hd.labels()(i))] < n / 100;
    glosh_flag[i] = hd.outlier_scores[i] >= cut;
  }
  // [hdbscan]

  const score s_db = judge(db_flag, t.anomaly), s_hd = judge(hd_flag, t.anomaly), s_gl = judge(glosh_flag, t.anomaly);
  fmt::print("{} connections, {} injected anomalies\n", n, positives);
  fmt::print("{:<26} {:>8} {:>10} {:>7}\n", "method", "flagged", "precision", "recall");
  fmt::print("{:<26} {:>8} {:>10.3f} {:>7.3f}\n", fmt::format("DBSCAN noise (eps {:.2f})", eps), s_db.flagged, s_db.precision(), s_db.recall(positives));
  fmt::print("{:<26} {:>8} {:>10.3f} {:>7.3f}\n", "HDBSCAN noise + small", s_hd.flagged, s_hd.precision(), s_hd.recall(positives));
  fmt::print("{:<26} {:>8} {:>10.3f} {:>7.3f}\n", "GLOSH top 2 %", s_gl.flagged, s_gl.precision(), s_gl.recall(positives));

  // Report: a PCA map with the flags, and the table.
  namespace rp = segkit::report;
  const auto map = segkit::reduce::pca<float>({.n_components = 2}).fit_transform(x);
  std::vector<segkit::label_type> shown(n);
  for (std::size_t i = 0; i < n; ++i) shown[i] = hd_flag[i] ? (t.anomaly[i] ? 1 : 2) : (t.anomaly[i] ? 3 : -1);
  rp::html_report page("Network outliers: DBSCAN, HDBSCAN and GLOSH");
  page.paragraph(fmt::format("{} generated connections with {} injected anomalies (exfiltration, scans, beacons).", n, positives));
  page.figure(rp::scatter_svg(map, shown, t.what, {{-1, "normal"}, {1, "caught anomaly"}, {2, "false alarm"}, {3, "missed anomaly"}},
                              {.title = "PCA of the scaled features, by the HDBSCAN flag"}));
  page.table({"method", "flagged", "precision", "recall"},
             {{fmt::format("DBSCAN noise (eps {:.2f})", eps), fmt::format("{}", s_db.flagged), fmt::format("{:.3f}", s_db.precision()), fmt::format("{:.3f}", s_db.recall(positives))},
              {"HDBSCAN noise + small", fmt::format("{}", s_hd.flagged), fmt::format("{:.3f}", s_hd.precision()), fmt::format("{:.3f}", s_hd.recall(positives))},
              {"GLOSH top 2 %", fmt::format("{}", s_gl.flagged), fmt::format("{:.3f}", s_gl.precision()), fmt::format("{:.3f}", s_gl.recall(positives))}});
  std::filesystem::create_directories(opt["out"]);
  page.save(std::filesystem::path(opt["out"]) / "report.html");

  if (s_hd.recall(positives) < 0.9 || s_hd.precision() < 0.8) {
    std::fprintf(stderr, "network_outliers: HDBSCAN noise + small clusters should catch >= 90 %% of the anomalies with >= 80 %% precision\n");
    return 3;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return segkit::examples::guarded_main("network_outliers", [&] { return run(argc, argv); });
}
