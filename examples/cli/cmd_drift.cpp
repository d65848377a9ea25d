// `segkit drift`: compares a current period with a reference (features, embedding, segments).

#include <string>
#include <vector>

#include <segkit/core/csv.hpp>
#include <segkit/core/npy.hpp>
#include <segkit/monitor/drift.hpp>

#include "cli.hpp"

namespace segkit::cli {
namespace {

std::vector<label_type> optional_labels(const args& a, const char* name) {
  if (!a.has(name)) return {};
  const auto l = load_npy_vector<label_type>(a.get(name));
  return {l.begin(), l.end()};
}

int drift(const args& a) {
  monitor::drift_params p;
  apply_params(a, p);
  p.mmd.seed = a.seed();
  p.mmd.threads = a.threads();
  const auto ref = load_npy_matrix<float>(a.get("reference"));
  const auto cur = load_npy_matrix<float>(a.get("current"));
  const auto ref_labels = optional_labels(a, "reference-labels");
  const auto cur_labels = optional_labels(a, "labels");
  if (ref_labels.empty() != cur_labels.empty()) throw usage_error("give both --reference-labels and --labels, or neither");
  const matrix<float> centroids = a.has("centroids") ? load_npy_matrix<float>(a.get("centroids")) : matrix<float>{};
  stopwatch watch;
  watch.start();
  const monitor::drift_monitor<float> mon(ref, ref_labels, centroids, p);
  const auto r = mon.check(cur, cur_labels);
  watch.stop();

  // Categorical attributes: the same named columns in two CSV files.
  auto all_alerts = r.alerts;
  std::string drifted_attributes = "[";
  if (a.has("reference-categories") != a.has("categories")) throw usage_error("give both --reference-categories and --categories, or neither");
  if (a.has("categories")) {
    const auto before = read_csv(a.get("reference-categories"));
    const auto after = read_csv(a.get("categories"));
    for (const auto& name : before.header()) {
      const auto col_a = before.column(name);
      const auto col_b = after.column(name);
      const std::vector<std::string> va(col_a.begin(), col_a.end()), vb(col_b.begin(), col_b.end());
      const auto cd = monitor::categorical_drift(va, vb, p.thresholds);
      if (!cd.alert) continue;
      drifted_attributes += (drifted_attributes.size() > 1 ? ", " : "") + json_quote(name);
      all_alerts.push_back({"categories", fmt::format("attribute '{}': PSI {:.3f}, chi-square p = {:.2g}", name, cd.psi, cd.test.p_value), cd.psi,
                            p.thresholds.psi});
    }
  }
  drifted_attributes += "]";
  std::string alerts = "[", drifted_features = "[";
  for (const auto& al : all_alerts) {
    alerts += (alerts.size() > 1 ? ", " : "") + fmt::format("{{\"area\": {}, \"message\": {}}}", json_quote(al.area), json_quote(al.message));
  }
  for (const auto& f : r.features) {
    if (f.alert) drifted_features += (drifted_features.size() > 1 ? ", " : "") + std::to_string(f.feature);
  }
  alerts += "]";
  drifted_features += "]";
  json_object j;
  j.add("seconds", watch.seconds()).add_raw("drifted", all_alerts.empty() ? "false" : "true").add("n_alerts", all_alerts.size());
  j.add_raw("alerts", alerts).add_raw("drifted_features", drifted_features).add_raw("drifted_attributes", drifted_attributes);
  j.add("mmd2", r.embedding.mmd.mmd2).add("mmd_p_value", r.embedding.mmd.p_value);
  j.add("relative_mean_shift", r.embedding.relative_mean_shift).add("spread_ratio", r.embedding.spread_ratio);
  j.add("pairwise_distance_ratio", r.embedding.pairwise_distance_ratio);
  if (!ref_labels.empty()) {
    j.add("total_variation", r.segments.total_variation).add("share_p_value", r.segments.share_test.p_value);
  }
  if (!ref_labels.empty() || centroids.size() > 0) {
    j.add("far_fraction", r.segments.far_fraction).add_raw("new_segment_candidate", r.segments.new_segment_candidate ? "true" : "false");
  }
  std::string human = fmt::format("drift: {} alert(s) ({:.3f} s)", all_alerts.size(), watch.seconds());
  for (const auto& al : all_alerts) human += fmt::format("\n  [{}] {}", al.area, al.message);
  emit(a, j, human);
  return 0;
}

const registrar drift_commands({
    {{"drift"},
     "-r reference.npy -c current.npy [--reference-labels A.npy --labels B.npy] [--centroids C.npy] [--reference-categories A.csv --categories B.csv] [--p-value P] [--psi T] [--share-change S] [--permutations N] [--max-samples M]",
     "Drift of a current period against a reference: per-feature KS and PSI, embedding MMD, mean and spread, segment shares "
     "and points far from every segment. Reports drifted, n_alerts, alerts and the figures behind them.",
     with_params<monitor::drift_params>({{"reference", 'r', true, "reference rows, .npy (n x d)"},
      {"current", 'c', true, "current rows, .npy (m x d)"},
      {"reference-labels", 0, true, "segments of the reference rows, int .npy (n)"},
      {"labels", 'l', true, "segments of the current rows, int .npy (m)"},
      {"centroids", 0, true, "segment centers, .npy (k x d); default: the labeled reference means"},
      {"reference-categories", 0, true, "CSV with a header: categorical attributes of the reference rows"},
      {"categories", 0, true, "CSV with the same columns for the current rows (chi-square and PSI per attribute)"}}),
     drift},
});

}  // namespace
}  // namespace segkit::cli
