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

int reduce_pca(const args& a) {
  reduce::pca_params p;
  apply_params(a, p);
  if (a.has("n-components") == a.has("variance")) throw usage_error("give exactly one of --dims (--n-components) and --variance");
  if (a.has("n-components") && p.n_components == 0) throw usage_error("--dims must be at least 1");
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
  j.add("solver", params::name(model.solver));
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

int reduce_umap(const args& a) {
  reduce::umap_params p;
  apply_params(a, p);
  const auto x = load_npy_matrix<float>(a.get("input"));
  return distance::visit_metric(a.get_or("metric", "l2"), [&](auto metric) {
    using M = decltype(metric);
    stopwatch watch;
    watch.start();
    const auto model = reduce::umap<M, float>(p).fit(x);
    watch.stop();
    save_npy(a.get("output"), model.embedding);
    json_object j;
    j.add("seconds", watch.seconds()).add("n_epochs", model.n_epochs).add("a", model.curve.a).add("b", model.curve.b).add("knn", params::name(model.knn));
    maybe_transform(a, model, p.threads, j);
    emit(a, j, fmt::format("umap: {} x {} in {:.3f} s ({} epochs)", model.embedding.shape(0), model.embedding.shape(1), watch.seconds(), model.n_epochs));
    return 0;
  });
}

int reduce_tsne(const args& a) {
  reduce::tsne_params p;
  apply_params(a, p);
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
        .add("knn", params::name(model.knn));
    maybe_transform(a, model, p.threads, j);
    emit(a, j, fmt::format("tsne: KL {:.4f} after {} iterations ({:.3f} s)", model.kl_divergence, model.n_iter, watch.seconds()));
    return 0;
  });
}

const registrar reduce_commands({
    {{"reduce", "pca"},
     "-i X.npy -o Y.npy (--dims D | --variance V) [--components-out C.npy] [parameters]",
     "Principal component analysis. Reports n_components, explained_variance_ratio (their sum) and the solver used.",
     with_params<reduce::pca_params>({input_opt,
      {"output", 'o', true, "coordinates to write, float32 .npy (n x D)"},
      {"components-out", 0, true, "principal axes to write, float64 .npy (D x d)"}}),
     reduce_pca},
    {{"reduce", "umap"},
     "-i X.npy -o Y.npy [--transform Q.npy --transform-out YQ.npy] [parameters]",
     "UMAP (deterministic for a seed, any thread count). Reports n_epochs, a, b, knn (and transform_ms_per_row with --transform).",
     with_params<reduce::umap_params>({input_opt, embedding_out_opt, transform_opt, transform_out_opt}),
     reduce_umap},
    {{"reduce", "tsne"},
     "-i X.npy -o Y.npy [--transform Q.npy --transform-out YQ.npy] [parameters]",
     "t-SNE (Barnes-Hut and FFT interpolation; deterministic for a seed, any thread count). Reports kl_divergence, n_iter, learning_rate, fft_iterations and knn.",
     with_params<reduce::tsne_params>({input_opt, embedding_out_opt, transform_opt, transform_out_opt}),
     reduce_tsne},
});

}  // namespace
}  // namespace segkit::cli
