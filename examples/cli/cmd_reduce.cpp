// `segkit reduce pca | ...`: dimensionality reduction.

#include <string>
#include <vector>

#include <segkit/core/npy.hpp>
#include <segkit/reduce/pca.hpp>

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

const registrar reduce_commands({
    {{"reduce", "pca"},
     "-i X.npy -o Y.npy (--dims D | --variance V) [--whiten] [--solver auto|full|randomized] [--components-out C.npy]",
     "Principal component analysis. Reports n_components, explained_variance_ratio (their sum) and the solver used.",
     {{"input", 'i', true, "samples, .npy float32/float64 (n x d)"},
      {"output", 'o', true, "coordinates to write, float32 .npy (n x D)"},
      {"dims", 0, true, "components to keep"},
      {"variance", 0, true, "instead of --dims: the fewest components explaining this share, in (0, 1)"},
      {"whiten", 0, false, "scale coordinates to unit variance"},
      {"solver", 0, true, "auto (default), full or randomized"},
      {"components-out", 0, true, "principal axes to write, float64 .npy (D x d)"}},
     reduce_pca},
});

}  // namespace
}  // namespace segkit::cli
