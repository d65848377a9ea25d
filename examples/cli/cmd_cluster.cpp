// `segkit cluster ...`: clustering commands. This file holds k-means; other algorithms register
// their commands here as they arrive.

#include <cstdint>
#include <string>
#include <vector>

#include <segkit/cluster/kmeans.hpp>
#include <segkit/cluster/minibatch_kmeans.hpp>
#include <segkit/core/npy.hpp>

#include "cli.hpp"

namespace segkit::cli {
namespace {

std::vector<double> load_weights(const args& a) {
  std::vector<double> weights;
  if (a.has("weights")) {
    const auto w = load_npy_vector<double>(a.get("weights"));
    weights.assign(w.begin(), w.end());
  }
  return weights;
}

// Fits a k-means-like clusterer (timing only the fit), writes labels and optional centres, and
// prints inertia, n_iter, converged and n_clusters.
template <class Clusterer>
int fit_and_report(const args& a, const Clusterer& clusterer, const matrix<float>& x, const std::vector<double>& weights,
                   const char* name, const char* iter_word, const char* done_word, const char* not_done_word) {
  stopwatch watch;
  watch.start();
  const auto model = clusterer.fit(x, weights);
  watch.stop();
  save_npy(a.get("output"), model.labels);
  if (a.has("centroids-out")) save_npy(a.get("centroids-out"), model.centres);
  json_object j;
  j.add("seconds", watch.seconds()).add("inertia", model.inertia).add("n_iter", model.n_iter);
  j.add_raw("converged", model.converged ? "true" : "false").add("n_clusters", model.n_clusters);
  emit(a, j, fmt::format("{}: {} clusters, inertia {:.6g}, {} {} ({}), {:.3f} s", name, model.n_clusters, model.inertia,
                         model.n_iter, iter_word, model.converged ? done_word : not_done_word, watch.seconds()));
  return 0;
}

int cluster_kmeans(const args& a) {
  const std::string algorithm = a.get_or("algorithm", "lloyd");
  if (algorithm == "elkan") {
    throw usage_error("--algorithm elkan is not implemented in this version of segkit (available: lloyd, hamerly)");
  }
  if (algorithm != "lloyd" && algorithm != "hamerly") throw usage_error(fmt::format("unknown --algorithm '{}' (lloyd, elkan or hamerly)", algorithm));
  cluster::kmeans_params p;
  p.algorithm = algorithm == "hamerly" ? cluster::kmeans_algorithm::hamerly : cluster::kmeans_algorithm::lloyd;
  p.k = a.get_size("k");
  p.max_iter = a.get_size("max-iter", p.max_iter);
  p.tol = a.get_double("tol", p.tol);
  p.n_init = a.get_size("n-init", p.n_init);
  p.seed = a.seed();
  p.threads = a.threads();
  const std::string init = a.get_or("init", "kmeans++");
  if (init == "random") p.init = cluster::kmeans_init::random;
  else if (init != "kmeans++") throw usage_error(fmt::format("unknown --init '{}' (kmeans++ or random)", init));
  const std::string metric = a.get_or("metric", "l2");
  if (metric == "cosine") p.spherical = true;
  else if (metric != "l2" && metric != "sqeuclidean") throw usage_error(fmt::format("k-means supports --metric l2 or cosine, not '{}'", metric));

  if (a.has("init-centres")) p.initial_centres = load_npy_matrix<double>(a.get("init-centres"));
  const auto x = load_npy_matrix<float>(a.get("input"));
  const auto weights = load_weights(a);
  return fit_and_report(a, cluster::kmeans<float>(p), x, weights, "k-means", "iterations", "converged", "not converged");
}

int cluster_minibatch_kmeans(const args& a) {
  if (a.has("metric") && a.get("metric") != "l2" && a.get("metric") != "sqeuclidean") {
    throw usage_error(fmt::format("minibatch-kmeans supports --metric l2, not '{}'", a.get("metric")));
  }
  cluster::minibatch_kmeans_params p;
  p.k = a.get_size("k");
  p.batch_size = a.get_size("batch-size", p.batch_size);
  p.max_iter = a.get_size("max-iter", p.max_iter);
  p.n_init = a.get_size("n-init", p.n_init);
  p.tol = a.get_double("tol", p.tol);
  p.seed = a.seed();
  p.threads = a.threads();
  const auto x = load_npy_matrix<float>(a.get("input"));
  const auto weights = load_weights(a);
  return fit_and_report(a, cluster::minibatch_kmeans<float>(p), x, weights, "mini-batch k-means", "steps", "stopped early",
                        "all passes");
}

// Options every k-means command takes, followed by its own.
std::vector<option> kmeans_options(std::vector<option> own) {
  std::vector<option> all = {{"input", 'i', true, "samples, .npy float32/float64 (n x d)"},
                             {"output", 'o', true, "labels to write, int32 .npy (n)"},
                             {"k", 'k', true, "number of clusters"},
                             {"weights", 0, true, "per-sample weights, .npy (n)"},
                             {"centroids-out", 0, true, "centres to write, float32 .npy (k x d)"}};
  all.insert(all.end(), own.begin(), own.end());
  return all;
}

const registrar cluster_commands({
    {{"cluster", "kmeans"},
     "-i X.npy -o labels.npy --k K [--init kmeans++|random] [--algorithm lloyd|elkan|hamerly] [--max-iter N] [--tol T] [--n-init N] [--weights W.npy] [--init-centres C0.npy] [--centroids-out C.npy]",
     "K-Means (Lloyd); --metric cosine gives spherical k-means. Reports inertia and n_iter.",
     kmeans_options({{"init", 0, true, "kmeans++ (default) or random"},
      {"algorithm", 0, true, "lloyd (default) or hamerly (same result, skips settled rows); elkan is planned"},
      {"max-iter", 0, true, "iterations per restart (default 300)"},
      {"tol", 0, true, "relative centre-shift tolerance (default 1e-4)"},
      {"n-init", 0, true, "restarts, best inertia kept (default 1)"},
      {"init-centres", 0, true, "starting centres, .npy (k x d); overrides --init and --n-init"}}),
     cluster_kmeans},
    {{"cluster", "minibatch-kmeans"},
     "-i X.npy -o labels.npy --k K [--batch-size B] [--max-iter N] [--n-init N] [--tol T] [--weights W.npy] [--centroids-out C.npy]",
     "Mini-batch k-means (Sculley 2010) for large data. Reports inertia and the number of steps.",
     kmeans_options({{"batch-size", 0, true, "rows per step (default 1024)"},
      {"max-iter", 0, true, "passes over the data at most (default 100)"},
      {"n-init", 0, true, "k-means++ runs on the initial subsample (default 3)"},
      {"tol", 0, true, "centre-shift tolerance, 0 = off (default)"}}),
     cluster_minibatch_kmeans},
});

}  // namespace
}  // namespace segkit::cli
