// `segkit cluster dbscan | hdbscan | agglomerative`: density-based and hierarchical clustering.

#include <algorithm>
#include <string>
#include <vector>

#include <segkit/cluster/agglomerative.hpp>
#include <segkit/cluster/dbscan.hpp>
#include <segkit/cluster/hdbscan.hpp>
#include <segkit/core/npy.hpp>
#include <segkit/distance/metrics.hpp>

#include "cli.hpp"

namespace segkit::cli {
namespace {

// Fits `algo` (timing only the fit) and writes the labels; returns the result and the seconds.
template <class Algo, class... Fit>
auto fit_and_save(const args& a, const Algo& algo, const Fit&... fit_args) {
  stopwatch watch;
  watch.start();
  auto r = algo.fit(fit_args...);
  watch.stop();
  save_npy(a.get("output"), r.labels());
  return std::pair{std::move(r), watch.seconds()};
}


int cluster_dbscan(const args& a) {
  cluster::dbscan_params p;
  if (!a.has("eps")) throw usage_error("--eps is required");
  apply_params(a, p);
  const auto x = load_npy_matrix<float>(a.get("input"));
  const auto weights = load_weights(a);
  return distance::visit_metric(a.get_or("metric", "l2"), [&](auto metric) {
    using M = decltype(metric);
    const auto [r, seconds] = fit_and_save(a, cluster::dbscan<M, float>(p), x, weights);
    json_object j;
    j.add("seconds", seconds).add("n_clusters", r.n_clusters()).add("noise_fraction", r.noise_fraction());
    j.add("n_core", r.core_sample_indices.size());
    emit(a, j, fmt::format("dbscan: {} clusters, {:.1f}% noise, {} core points, {:.3f} s", r.n_clusters(), 100.0 * r.noise_fraction(),
                           r.core_sample_indices.size(), seconds));
    return 0;
  });
}

// `--predict Q.npy`: places new points in the fitted clustering and writes what was asked for;
// `watch` holds the time spent building the predictor and goes on with the placement.
template <class Predictor>
void predict_new_points(const args& a, const Predictor& predictor, stopwatch& watch, json_object& j, std::string& text) {
  const auto q = load_npy_matrix<float>(a.get("predict"));
  watch.start();
  const auto pr = predictor.approximate_predict(q, a.threads());
  watch.stop();
  save_npy(a.get("predict-out"), pr.labels);
  if (a.has("predict-probabilities-out")) save_npy(a.get("predict-probabilities-out"), pr.probabilities.data(), {pr.probabilities.size()});
  if (a.has("predict-outlier-scores-out")) save_npy(a.get("predict-outlier-scores-out"), pr.outlier_scores.data(), {pr.outlier_scores.size()});
  if (a.has("predict-membership-out")) save_npy(a.get("predict-membership-out"), predictor.membership_vectors(q, a.threads()));
  const auto noise = static_cast<double>(std::count(pr.labels.begin(), pr.labels.end(), label_type{-1}));
  const double share = pr.labels.size() == 0 ? 0.0 : noise / static_cast<double>(pr.labels.size());
  j.add("predict_seconds", watch.seconds()).add("predicted", pr.labels.size()).add("predicted_noise_fraction", share);
  text += fmt::format("; predicted {} new points ({:.1f}% noise) in {:.3f} s", pr.labels.size(), 100.0 * share, watch.seconds());
}

int cluster_hdbscan(const args& a) {
  cluster::hdbscan_params p;
  apply_params(a, p, {"prediction_data"});
  p.prediction_data = a.has("membership-out") || a.has("predict");  // the rows are kept only when needed
  if (a.has("predict") && !a.has("predict-out")) throw usage_error("--predict needs --predict-out for the labels of the new points");
  const auto x = load_npy_matrix<float>(a.get("input"));
  const auto weights = load_weights(a);
  return distance::visit_metric(a.get_or("metric", "l2"), [&](auto metric) {
    using M = decltype(metric);
    const cluster::hdbscan<M, float> algo(p);
    const auto [r, seconds] = fit_and_save(a, algo, x, weights);
    if (a.has("outlier-scores-out")) save_npy(a.get("outlier-scores-out"), r.outlier_scores.data(), {r.outlier_scores.size()});
    if (a.has("probabilities-out")) save_npy(a.get("probabilities-out"), r.probabilities.data(), {r.probabilities.size()});
    json_object j;
    j.add("seconds", seconds).add("n_clusters", r.n_clusters()).add("noise_fraction", r.noise_fraction());
    std::string text = fmt::format("hdbscan: {} clusters, {:.1f}% noise, {:.3f} s", r.n_clusters(), 100.0 * r.noise_fraction(), seconds);
    if (a.has("membership-out") || a.has("predict")) {
      stopwatch watch;  // predict_seconds counts building the prediction data (a copy of x, its k-d tree)
      watch.start();
      const cluster::hdbscan_predictor<M, float> predictor(r);
      watch.stop();
      if (a.has("membership-out")) save_npy(a.get("membership-out"), predictor.all_points_membership_vectors(p.threads));
      if (a.has("predict")) predict_new_points(a, predictor, watch, j, text);
    }
    emit(a, j, text);
    return 0;
  });
}

int cluster_agglomerative(const args& a) {
  cluster::agglomerative_params p;
  if (a.has("k") == a.has("distance-threshold")) throw usage_error("give exactly one of --k and --distance-threshold");
  apply_params(a, p, {"k"});
  if (a.has("k")) p.k = a.get_size("k");
  if (a.has("distance-threshold") && !(p.distance_threshold > 0.0)) throw usage_error("--distance-threshold must be > 0");
  if (a.has("connectivity-neighbors") && p.connectivity_neighbors == 0) throw usage_error("--connectivity must be at least 1 (neighbors per row)");
  const auto x = load_npy_matrix<float>(a.get("input"));
  return distance::visit_metric(a.get_or("metric", "l2"), [&](auto metric) {
    using M = decltype(metric);
    if constexpr (!std::is_same_v<M, distance::l2_metric>) {
      if (p.linkage == cluster::linkage_method::ward) throw usage_error(fmt::format("--linkage ward needs --metric l2, not '{}'", M::name));
    }
    const auto [r, seconds] = fit_and_save(a, cluster::agglomerative<M, float>(p), x);
    if (a.has("linkage-out")) save_npy(a.get("linkage-out"), r.tree.linkage);
    json_object j;
    j.add("seconds", seconds).add("n_clusters", r.n_clusters());
    if (p.connectivity_neighbors > 0) j.add("connected_components", r.connected_components);
    emit(a, j, fmt::format("agglomerative ({}): {} clusters, {:.3f} s", params::name(p.linkage), r.n_clusters(), seconds));
    return 0;
  });
}

const option input_opt{"input", 'i', true, "samples, .npy float32/float64 (n x d)"};
const option noise_labels_opt{"output", 'o', true, "labels to write, int32 .npy (n); -1 = noise"};
const option weights_opt{"weights", 0, true, "per-sample weights, .npy (n)"};

const registrar density_commands({
    {{"cluster", "dbscan"},
     "-i X.npy -o labels.npy --eps E [--weights W.npy] [parameters]",
     "DBSCAN (labels as scikit-learn's). Reports n_clusters, noise_fraction and n_core.",
     with_params<cluster::dbscan_params>({input_opt, noise_labels_opt, weights_opt}),
     cluster_dbscan},
    {{"cluster", "hdbscan"},
     "-i X.npy -o labels.npy [--weights W.npy] [--outlier-scores-out S.npy] [--probabilities-out P.npy] [--membership-out V.npy] [--predict Q.npy --predict-out L.npy [--predict-probabilities-out P.npy] [--predict-outlier-scores-out S.npy] [--predict-membership-out V.npy]] [parameters]",
     "HDBSCAN*. Reports n_clusters and noise_fraction; writes GLOSH outlier scores and soft-clustering membership vectors on request; --predict places new points in the fitted clustering (approximate_predict) and reports predict_seconds, predicted and predicted_noise_fraction.",
     with_params<cluster::hdbscan_params>({input_opt, noise_labels_opt, weights_opt,
      {"outlier-scores-out", 0, true, "GLOSH scores to write, float64 .npy (n)"},
      {"probabilities-out", 0, true, "membership probabilities to write, float64 .npy (n)"},
      {"membership-out", 0, true, "soft-clustering membership vectors to write, float64 .npy (n x n_clusters)"},
      {"predict", 0, true, "new points to place in the fitted clustering, .npy (m x d)"},
      {"predict-out", 0, true, "their labels to write, int32 .npy (m); -1 = noise"},
      {"predict-probabilities-out", 0, true, "their membership probabilities, float64 .npy (m)"},
      {"predict-outlier-scores-out", 0, true, "their GLOSH outlier scores, float64 .npy (m)"},
      {"predict-membership-out", 0, true, "their membership vectors, float64 .npy (m x n_clusters)"}},
      {"prediction_data"}),
     cluster_hdbscan},
    {{"cluster", "agglomerative"},
     "-i X.npy -o labels.npy (--k K | --distance-threshold T) [--linkage-out Z.npy] [parameters]",
     "Hierarchical clustering (scipy's linkage). Reports n_clusters; writes the dendrogram in scipy's format on request. --connectivity merges only along the K-nearest-neighbor graph (scikit-learn's connectivity) and reports connected_components.",
     with_params<cluster::agglomerative_params>({input_opt, {"output", 'o', true, "labels to write, int32 .npy (n)"},
      {"k", 'k', true, "number of clusters"},
      {"linkage-out", 0, true, "linkage matrix to write, float64 .npy ((n-1) x 4)"}},
      {"k"}),
     cluster_agglomerative},
});

}  // namespace
}  // namespace segkit::cli
