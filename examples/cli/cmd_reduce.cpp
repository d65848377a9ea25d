// `segkit reduce pca | ...`: dimensionality reduction.

#include <string>
#include <vector>

#include <segkit/core/npy.hpp>
#include <segkit/distance/metrics.hpp>
#include <segkit/reduce/pca.hpp>
#include <segkit/reduce/tsne.hpp>
#include <segkit/reduce/umap.hpp>

#include "cli.hpp"

namespace segkit::cli {
namespace {

reduce::pca_solver parse_solver(const std::string& s) {
  if (s == "auto") return reduce::pca_solver::automatic;
  if (s == "full") return reduce::pca_solver::full;
  if (s == "randomized") return reduce::pca_solver::randomized;
  throw usage_error(fmt::format("--solver must be auto, full or randomized, not '{}'", s));
}

int reduce_pca(const args& a) {
  reduce::pca_params p;
  if (a.has("dims") == a.has("variance")) throw usage_error("give exactly one of --dims and --variance");
  p.n_components = a.get_size("dims", 0);
  if (a.has("dims") && p.n_components == 0) throw usage_error("--dims must be at least 1");
  p.variance = a.get_double("variance", 0.0);
  p.whiten = a.has("whiten");
  p.solver = parse_solver(a.get_or("solver", "auto"));
  p.seed = a.seed();
  p.threads = a.threads();
  const auto x = load_npy_matrix<float>(a.get("input"));
  stopwatch watch;
  watch.start();
  const auto model = reduce::pca<float>(p).fit(x);
  const auto y = model.transform(x, p.threads);
  watch.stop();
  save_npy(a.get("output"), y);
  if (a.has("components-out")) save_npy(a.get("components-out"), model.components);
  double explained = 0.0;
  for (const double r : model.explained_variance_ratio) explained += r;
  json_object j;
  j.add("seconds", watch.seconds()).add("n_components", model.n_components()).add("explained_variance_ratio", explained);
  j.add("solver", model.solver == reduce::pca_solver::full ? "full" : "randomized");
  j.add_raw("explained_variance_ratios", fmt::format("[{:.9g}]", fmt::join(model.explained_variance_ratio, ", ")));
  emit(a, j, fmt::format("pca: {} components explain {:.2f}% of the variance ({:.3f} s)", model.n_components(), 100.0 * explained, watch.seconds()));
  return 0;
}

const option input_opt{"input", 'i', true, "samples, .npy float32/float64 (n x d)"};
const option embedding_out_opt{"output", 'o', true, "embedding to write, float32 .npy (n x dims)"};
const option transform_opt{"transform", 0, true, "new rows to place with the fitted model, .npy (m x d)"};
const option transform_out_opt{"transform-out", 0, true, "their coordinates, float32 .npy (m x dims)"};

// With --transform Q.npy: places Q's rows with the fitted model, writes --transform-out, and adds
// transform_seconds and transform_ms_per_row to the JSON.
template <class Model>
void maybe_transform(const args& a, const Model& model, std::size_t threads, json_object& j) {
  if (!a.has("transform")) return;
  if (!a.has("transform-out")) throw usage_error("--transform needs --transform-out");
  const auto q = load_npy_matrix<float>(a.get("transform"));
  stopwatch watch;
  watch.start();
  const auto y = model.transform(q, threads);
  watch.stop();
  save_npy(a.get("transform-out"), y);
  j.add("transform_seconds", watch.seconds());
  j.add("transform_ms_per_row", 1000.0 * watch.seconds() / static_cast<double>(std::max<std::size_t>(1, q.shape(0))));
}

reduce::umap_init parse_init(const std::string& s) {
  if (s == "spectral") return reduce::umap_init::spectral;
  if (s == "pca") return reduce::umap_init::pca;
  if (s == "random") return reduce::umap_init::random;
  throw usage_error(fmt::format("--init must be spectral, pca or random, not '{}'", s));
}

reduce::knn_method parse_knn(const std::string& s) {
  if (s == "auto") return reduce::knn_method::automatic;
  if (s == "exact") return reduce::knn_method::exact;
  if (s == "hnsw") return reduce::knn_method::hnsw;
  throw usage_error(fmt::format("--knn must be auto, exact or hnsw, not '{}'", s));
}

const char* knn_name(reduce::knn_method m) { return m == reduce::knn_method::hnsw ? "hnsw" : "exact"; }

const option knn_opt{"knn", 0, true, "neighbor search: auto (default: exact up to 20,000 rows, else hnsw), exact or hnsw"};

int reduce_umap(const args& a) {
  reduce::umap_params p;
  p.n_components = a.get_size("dims", 2);
  p.n_neighbors = a.get_size("neighbors", p.n_neighbors);
  p.min_dist = a.get_double("min-dist", p.min_dist);
  p.spread = a.get_double("spread", p.spread);
  p.n_epochs = a.get_size("epochs", 0);
  p.init = parse_init(a.get_or("init", "spectral"));
  p.knn = parse_knn(a.get_or("knn", "auto"));
  p.seed = a.seed();
  p.threads = a.threads();
  const auto x = load_npy_matrix<float>(a.get("input"));
  return distance::visit_metric(a.get_or("metric", "l2"), [&](auto metric) {
    using M = decltype(metric);
    stopwatch watch;
    watch.start();
    const auto model = reduce::umap<M, float>(p).fit(x);
    watch.stop();
    save_npy(a.get("output"), model.embedding);
    json_object j;
    j.add("seconds", watch.seconds()).add("n_epochs", model.n_epochs).add("a", model.curve.a).add("b", model.curve.b).add("knn", knn_name(model.knn));
    maybe_transform(a, model, p.threads, j);
    emit(a, j, fmt::format("umap: {} x {} in {:.3f} s ({} epochs)", model.embedding.shape(0), model.embedding.shape(1), watch.seconds(), model.n_epochs));
    return 0;
  });
}

int reduce_tsne(const args& a) {
  reduce::tsne_params p;
  p.n_components = a.get_size("dims", 2);
  p.perplexity = a.get_double("perplexity", p.perplexity);
  p.n_iter = a.get_size("iterations", p.n_iter);
  p.learning_rate = a.get_double("learning-rate", 0.0);
  p.theta = a.get_double("theta", p.theta);
  p.knn = parse_knn(a.get_or("knn", "auto"));
  p.fft_points = a.get_size("fft-points", p.fft_points);
  p.fft_box_width = a.get_double("fft-box-width", p.fft_box_width);
  const std::string method = a.get_or("method", "auto");
  if (method == "exact") {
    p.method = reduce::tsne_method::exact;
  } else if (method == "barnes-hut") {
    p.method = reduce::tsne_method::barnes_hut;
  } else if (method == "fft") {
    p.method = reduce::tsne_method::fft;
  } else if (method != "auto") {
    throw usage_error(fmt::format("--method must be auto, barnes-hut, fft or exact, not '{}'", method));
  }
  const std::string init = a.get_or("init", "pca");
  if (init == "random") {
    p.init = reduce::tsne_init::random;
  } else if (init != "pca") {
    throw usage_error(fmt::format("--init must be pca or random, not '{}'", init));
  }
  p.seed = a.seed();
  p.threads = a.threads();
  const auto x = load_npy_matrix<float>(a.get("input"));
  return distance::visit_metric(a.get_or("metric", "l2"), [&](auto metric) {
    using M = decltype(metric);
    stopwatch watch;
    watch.start();
    const auto model = reduce::tsne<M, float>(p).fit(x);
    watch.stop();
    save_npy(a.get("output"), model.embedding);
    json_object j;
    j.add("seconds", watch.seconds()).add("kl_divergence", model.kl_divergence).add("n_iter", model.n_iter).add("learning_rate", model.learning_rate)
        .add("fft_iterations", model.fft_iterations)
        .add("knn", knn_name(model.knn));
    maybe_transform(a, model, p.threads, j);
    emit(a, j, fmt::format("tsne: KL {:.4f} after {} iterations ({:.3f} s)", model.kl_divergence, model.n_iter, watch.seconds()));
    return 0;
  });
}

const registrar reduce_commands({
    {{"reduce", "pca"},
     "-i X.npy -o Y.npy (--dims D | --variance V) [--whiten] [--solver auto|full|randomized] [--components-out C.npy]",
     "Principal component analysis. Reports n_components, explained_variance_ratio (their sum) and the solver used.",
     {input_opt,
      {"output", 'o', true, "coordinates to write, float32 .npy (n x D)"},
      {"dims", 0, true, "components to keep"},
      {"variance", 0, true, "instead of --dims: the fewest components explaining this share, in (0, 1)"},
      {"whiten", 0, false, "scale coordinates to unit variance"},
      {"solver", 0, true, "auto (default), full or randomized"},
      {"components-out", 0, true, "principal axes to write, float64 .npy (D x d)"}},
     reduce_pca},
    {{"reduce", "umap"},
     "-i X.npy -o Y.npy [--dims 2] [--neighbors 15] [--min-dist 0.1] [--spread 1] [--epochs N] [--init spectral|pca|random] [--knn auto|exact|hnsw] [--transform Q.npy --transform-out YQ.npy]",
     "UMAP (deterministic for a seed, any thread count). Reports n_epochs, a, b, knn (and transform_ms_per_row with --transform).",
     {input_opt, embedding_out_opt,
      {"dims", 0, true, "output dimensions (default 2)"},
      {"neighbors", 0, true, "neighborhood size, the row itself included (default 15)"},
      {"min-dist", 0, true, "smallest embedded distance (default 0.1)"},
      {"spread", 0, true, "scale of embedded clusters (default 1)"},
      {"epochs", 0, true, "SGD epochs (default 500 up to 10,000 rows, else 200)"},
      {"init", 0, true, "spectral (default), pca or random"},
      knn_opt, transform_opt, transform_out_opt},
     reduce_umap},
    {{"reduce", "tsne"},
     "-i X.npy -o Y.npy [--dims 2] [--perplexity 30] [--iterations 1000] [--learning-rate L] [--theta 0.5] [--method auto|barnes-hut|fft|exact] [--fft-points 5] [--fft-box-width 1] [--init pca|random] [--knn auto|exact|hnsw] [--transform Q.npy --transform-out YQ.npy]",
     "t-SNE (Barnes-Hut and FFT interpolation; deterministic for a seed, any thread count). Reports kl_divergence, n_iter, learning_rate, fft_iterations and knn.",
     {input_opt, embedding_out_opt,
      {"dims", 0, true, "output dimensions (default 2; 1-3 with Barnes-Hut)"},
      {"perplexity", 0, true, "effective number of neighbors (default 30)"},
      {"iterations", 0, true, "total iterations, 250 of them exaggerated (default 1000)"},
      {"learning-rate", 0, true, "step (default max(n / 48, 50))"},
      {"theta", 0, true, "Barnes-Hut opening angle (default 0.5)"},
      {"method", 0, true, "auto (default: per iteration the cheaper of fft and barnes-hut), barnes-hut, fft or exact"},
      {"fft-points", 0, true, "fft: interpolation nodes per box and axis (default 5)"},
      {"fft-box-width", 0, true, "fft: widest interpolation box in embedding units (default 1)"},
      {"init", 0, true, "pca (default) or random"},
      knn_opt, transform_opt, transform_out_opt},
     reduce_tsne},
});

}  // namespace
}  // namespace segkit::cli
