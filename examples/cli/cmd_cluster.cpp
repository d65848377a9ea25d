// `segkit cluster ...`: clustering commands (k-means, mini-batch k-means, Gaussian mixtures);
// other algorithms register their commands here as they arrive.

#include <cstdint>
#include <string>
#include <vector>

#include <segkit/cluster/choose_k.hpp>
#include <segkit/cluster/gmm.hpp>
#include <segkit/cluster/kmeans.hpp>
#include <segkit/cluster/minibatch_kmeans.hpp>
#include <segkit/cluster/streaming_kmeans.hpp>
#include <segkit/core/npy.hpp>

#include "cli.hpp"
#include "mpi.hpp"

#ifdef SEGKIT_CLI_MPI
#include <segkit/distributed/kmeans.hpp>
#endif

namespace segkit::cli {
namespace {

// Writes the optional centers and prints inertia, n_iter, converged and n_clusters (and
// `sweep_json` as k_sweep when given; the rank count when distributed).
template <class Model>
int report_fit(const args& a, const Model& model, double seconds, const char* name, const char* iter_word, const char* done_word,
               const char* not_done_word, const std::string& sweep_json = {}, int ranks = 1) {
  if (a.has("centroids-out") && world_rank() == 0) save_npy(a.get("centroids-out"), model.centers);
  json_object j;
  j.add("seconds", seconds).add("inertia", model.inertia).add("n_iter", model.n_iter);
  j.add_raw("converged", model.converged ? "true" : "false").add("n_clusters", model.n_clusters());
  if (!sweep_json.empty()) j.add_raw("k_sweep", sweep_json);
  if (ranks > 1) j.add("ranks", static_cast<std::size_t>(ranks));
  emit(a, j, fmt::format("{}: {} clusters, inertia {:.6g}, {} {} ({}), {:.3f} s{}", name, model.n_clusters(), model.inertia, model.n_iter,
                         iter_word, model.converged ? done_word : not_done_word, seconds, ranks > 1 ? fmt::format(" on {} ranks", ranks) : ""));
  return 0;
}

// Fits a k-means-like clusterer (timing only the fit), writes labels and reports.
template <class Clusterer>
int fit_and_report(const args& a, const Clusterer& clusterer, const matrix<float>& x, const std::vector<double>& weights,
                   const char* name, const char* iter_word, const char* done_word, const char* not_done_word,
                   const std::string& sweep_json = {}) {
  stopwatch watch;
  watch.start();
  const auto model = clusterer.fit(x, weights);
  watch.stop();
  save_npy(a.get("output"), model.labels());
  return report_fit(a, model, watch.seconds(), name, iter_word, done_word, not_done_word, sweep_json);
}

#ifdef SEGKIT_CLI_MPI
// Under mpirun: every rank reads its slice of the input rows (and of --weights), the ranks fit
// together, and rank 0 writes the labels of all rows in file order, as one process would.
template <class Distributed>
int fit_distributed_and_report(const args& a, const Distributed& clusterer, const distributed::communicator& comm, const char* name,
                               const char* iter_word, const char* done_word, const char* not_done_word) {
  const auto local = distributed::read_npy_slice<float>(comm, a.get("input"));
  std::vector<double> weights;
  if (a.has("weights")) {
    const auto all = comm.agree([&] { return load_weights(a); });
    if (all.size() != local.slice.total) throw usage_error(fmt::format("--weights holds {} values for {} rows", all.size(), local.slice.total));
    weights.assign(all.begin() + static_cast<std::ptrdiff_t>(local.slice.begin),
                   all.begin() + static_cast<std::ptrdiff_t>(local.slice.begin + local.slice.count));
  }
  stopwatch watch;
  watch.start();
  const auto model = clusterer.fit(comm, local.rows, weights);
  watch.stop();
  const auto labels = distributed::gather_rows(comm, std::span<const label_type>(model.labels().data(), model.labels().size()));
  if (comm.is_root()) save_npy(a.get("output"), labels.data(), {labels.size()});
  return report_fit(a, model, comm.max(watch.seconds()), name, iter_word, done_word, not_done_word, {}, comm.size());
}
#endif

int cluster_kmeans(const args& a) {
  cluster::kmeans_params p;
  apply_params(a, p, {"k"});
  const std::string metric = a.get_or("metric", "l2");
  if (metric == "cosine") p.spherical = true;
  else if (metric != "l2" && metric != "sqeuclidean") throw usage_error(fmt::format("k-means supports --metric l2 or cosine, not '{}'", metric));
  const std::string init_centers = "init-centers";
  if (a.has(init_centers)) p.initial_centers = load_npy_matrix<double>(a.get(init_centers));
#ifdef SEGKIT_CLI_MPI
  if (const auto* comm = mpi_world()) {
    if (a.get("k") == "auto") throw usage_error("--k auto is not distributed: give --k");
    p.k = a.get_size("k");
    return fit_distributed_and_report(a, distributed::kmeans<float>(p), *comm, "k-means", "iterations", "converged", "not converged");
  }
#endif
  const auto x = load_npy_matrix<float>(a.get("input"));
  const auto weights = load_weights(a);
  std::string sweep_json;
  if (a.get("k") == "auto") {  // the knee of the inertia curve for k in 1..k-max
    if (a.has(init_centers)) throw usage_error("--k auto cannot be combined with --init-centers");
    const auto sweep = cluster::kmeans_sweep<float>(x, 1, std::min(a.get_size("k-max", 10), x.shape(0)), p);
    // A property of the data, not of the command line: exit code 1 (2 is for usage errors).
    if (!sweep.chosen_k) throw segkit::error("--k auto: the inertia curve has no knee (no cluster structure found); give --k");
    p.k = *sweep.chosen_k;
    std::vector<std::string> points;
    for (const auto& pt : sweep.points) points.push_back(fmt::format("{{\"k\": {}, \"inertia\": {:.17g}}}", pt.k, pt.inertia));
    sweep_json = fmt::format("[{}]", fmt::join(points, ", "));
  } else {
    p.k = a.get_size("k");
  }
  return fit_and_report(a, cluster::kmeans<float>(p), x, weights, "k-means", "iterations", "converged", "not converged", sweep_json);
}

int cluster_minibatch_kmeans(const args& a) {
  if (a.has("metric") && a.get("metric") != "l2" && a.get("metric") != "sqeuclidean") {
    throw usage_error(fmt::format("minibatch-kmeans supports --metric l2, not '{}'", a.get("metric")));
  }
  cluster::minibatch_kmeans_params p;
  apply_params(a, p, {"k"});
  p.k = a.get_size("k");
#ifdef SEGKIT_CLI_MPI
  if (const auto* comm = mpi_world()) {
    return fit_distributed_and_report(a, distributed::minibatch_kmeans<float>(p), *comm, "mini-batch k-means", "steps", "stopped early",
                                      "all passes");
  }
#endif
  const auto x = load_npy_matrix<float>(a.get("input"));
  const auto weights = load_weights(a);
  return fit_and_report(a, cluster::minibatch_kmeans<float>(p), x, weights, "mini-batch k-means", "steps", "stopped early",
                        "all passes");
}

int cluster_gmm(const args& a) {
  cluster::gmm_params p;
  apply_params(a, p, {"k"});
  const auto x = load_npy_matrix<float>(a.get("input"));
  const auto weights = load_weights(a);
  if (a.has("init-labels")) p.initial_labels = load_npy_vector<label_type>(a.get("init-labels"));

  stopwatch watch;
  watch.start();
  std::string sweep_json;
  if (a.get("k") == "auto") {  // the k of lowest BIC in 1..k-max
    if (!weights.empty()) throw usage_error("--k auto counts rows for BIC and cannot be combined with --weights");
    if (a.has("init-labels")) throw usage_error("--k auto cannot be combined with --init-labels");
    const auto sweep = cluster::gmm_sweep<float>(x, 1, std::min(a.get_size("k-max", 10), x.shape(0)), p);
    p.k = sweep.chosen_k;
    std::vector<std::string> points;
    for (const auto& pt : sweep.points) points.push_back(fmt::format("{{\"k\": {}, \"bic\": {:.17g}}}", pt.k, pt.bic));
    sweep_json = fmt::format("[{}]", fmt::join(points, ", "));
  } else {
    p.k = a.get_size("k");
  }
  const auto model = cluster::gaussian_mixture<float>(p).fit(x, weights);
  watch.stop();
  save_npy(a.get("output"), model.labels());
  if (a.has("means-out")) save_npy(a.get("means-out"), model.means);
  if (a.has("proba-out")) save_npy(a.get("proba-out"), model.predict_proba(x, p.threads));
  if (a.has("model-out")) model.save(a.get("model-out"));
  const double bic = model.bic(x, p.threads), aic = model.aic(x, p.threads);
  json_object j;
  j.add("seconds", watch.seconds()).add("log_likelihood", model.log_likelihood).add("bic", bic).add("aic", aic);
  j.add("n_iter", model.n_iter).add_raw("converged", model.converged ? "true" : "false").add("n_clusters", model.n_clusters());
  j.add("covariance", params::name(model.covariance));
  j.add_raw("degenerate", fmt::format("[{}]", fmt::join(model.degenerate, ", ")));
  if (!sweep_json.empty()) j.add_raw("bic_sweep", sweep_json);
  std::string text = fmt::format("GMM ({}): {} components, mean log-likelihood {:.6g}, BIC {:.6g}, {} iterations ({}), {:.3f} s",
                                 params::name(model.covariance), model.n_clusters(), model.log_likelihood, bic, model.n_iter,
                                 model.converged ? "converged" : "not converged", watch.seconds());
  if (!model.degenerate.empty()) {
    text += fmt::format("\nwarning: components {} are degenerate (singular but for --reg-covar)", fmt::join(model.degenerate, ", "));
  }
  emit(a, j, text);
  return 0;
}

// Replays the rows of a file as a stream of batches (in file order) through streaming k-means;
// the labels are the final model's ids for every row.
int cluster_streaming_kmeans(const args& a) {
  cluster::streaming_kmeans_params p;
  apply_params(a, p, {"k"});
  p.k = a.get_size("k");
  const std::size_t batch = a.get_size("batch-size", 1000);
  if (batch == 0) throw usage_error("--batch-size must be at least 1");
  cluster::streaming_kmeans<float> model(p);
  const auto x = load_npy_matrix<float>(a.get("input"));
  const std::size_t n = x.shape(0), d = x.shape(1);
  std::vector<std::string> events;
  stopwatch watch;
  watch.start();
  for (std::size_t b = 0; b < n; b += batch) {
    const std::size_t e = std::min(n, b + batch);
    const auto rep = model.partial_fit(matrix_view<float>(x.data() + b * d, e - b, d));
    if (!rep.spawned.empty() || !rep.retired.empty()) {
      events.push_back(fmt::format("{{\"batch\": {}, \"spawned\": [{}], \"retired\": [{}]}}", model.n_batches() - 1,
                                   fmt::join(rep.spawned, ", "), fmt::join(rep.retired, ", ")));
    }
  }
  const auto labels = model.predict(x, p.threads);
  watch.stop();
  save_npy(a.get("output"), labels);
  if (a.has("centroids-out")) save_npy(a.get("centroids-out"), model.centers());
  if (a.has("model-out")) model.save(a.get("model-out"));
  json_object j;
  j.add("seconds", watch.seconds()).add("n_batches", model.n_batches()).add("n_clusters", model.ids().size());
  j.add_raw("ids", fmt::format("[{}]", fmt::join(model.ids(), ", "))).add("rms_distance", model.rms_distance());
  j.add_raw("events", fmt::format("[{}]", fmt::join(events, ", ")));
  emit(a, j, fmt::format("streaming k-means: {} batches, {} segments now (ids {}), {} spawn/retire events, {:.3f} s", model.n_batches(),
                         model.ids().size(), fmt::join(model.ids(), " "), events.size(), watch.seconds()));
  return 0;
}

const option input_opt{"input", 'i', true, "samples, .npy float32/float64 (n x d)"};
const option labels_opt{"output", 'o', true, "labels to write, int32 .npy (n)"};
const option weights_opt{"weights", 0, true, "per-sample weights, .npy (n)"};
const option centroids_opt{"centroids-out", 0, true, "centers to write, float32 .npy (k x d)"};

const registrar cluster_commands({
    {{"cluster", "kmeans"},
     "-i X.npy -o labels.npy --k K|auto [--k-max N] [--weights W.npy] [--init-centers C0.npy] [--centroids-out C.npy] [parameters]",
     "K-Means (Lloyd, Hamerly or Elkan); --metric cosine gives spherical k-means. Reports inertia, n_iter, converged and n_clusters.",
     with_params<cluster::kmeans_params>({input_opt, labels_opt, {"k", 'k', true, "number of clusters, or auto: the knee of the inertia curve for k in 1..--k-max"},
                                          {"k-max", 0, true, "largest k tried by --k auto (default 10)"}, weights_opt,
                                          {"init-centers", 0, true, "starting centers, .npy (k x d); overrides --init and --n-init"},
                                          {"init-centres", 0, true, "", "init-centers"}, centroids_opt},
                                         {"k", "initial_centers"}),
     cluster_kmeans},
    {{"cluster", "minibatch-kmeans"},
     "-i X.npy -o labels.npy --k K [--weights W.npy] [--centroids-out C.npy] [parameters]",
     "Mini-batch k-means (Sculley 2010) for large data. Reports inertia and the number of steps.",
     with_params<cluster::minibatch_kmeans_params>({input_opt, labels_opt, {"k", 'k', true, "number of clusters"}, weights_opt, centroids_opt}, {"k"}),
     cluster_minibatch_kmeans},
    {{"cluster", "streaming-kmeans"},
     "-i X.npy -o labels.npy --k K [--batch-size B] [--centroids-out C.npy] [--model-out state.seg] [parameters]",
     "Online k-means over the rows in file order, B at a time: forgetting, spawning and retiring segments. Labels are segment ids.",
     with_params<cluster::streaming_kmeans_params>({{"input", 'i', true, "samples in stream order, .npy float32/float64 (n x d)"},
                                                    {"output", 'o', true, "segment id of every row under the final model, int32 .npy (n)"},
                                                    {"k", 'k', true, "segments made from the first batch"},
                                                    {"batch-size", 0, true, "rows per batch (default 1000)"},
                                                    {"centroids-out", 0, true, "final centers, float32 .npy (one row per id)"},
                                                    {"model-out", 0, true, "final state, to resume (segkit container)"}},
                                                   {"k"}),
     cluster_streaming_kmeans},
    {{"cluster", "gmm"},
     "-i X.npy -o labels.npy --k K|auto [--k-max N] [--init-labels L.npy] [--weights W.npy] [--means-out M.npy] [--proba-out P.npy] [--model-out model.seg] [parameters]",
     "Gaussian mixture by EM. Reports log_likelihood (mean per sample), bic, aic, n_iter and degenerate components.",
     with_params<cluster::gmm_params>({input_opt, labels_opt,
                                       {"k", 'k', true, "number of components, or auto: the lowest BIC for k in 1..--k-max"},
                                       {"k-max", 0, true, "largest k tried by --k auto (default 10)"},
                                       {"init-labels", 0, true, "starting assignment, int .npy (n, values 0..k-1); overrides --init and --n-init"},
                                       weights_opt,
                                       {"means-out", 0, true, "component means to write, float64 .npy (k x d)"},
                                       {"proba-out", 0, true, "responsibilities to write, float64 .npy (n x k)"},
                                       {"model-out", 0, true, "fitted model to write (segkit container)"}},
                                      {"k"}),
     cluster_gmm},
});

}  // namespace
}  // namespace segkit::cli
