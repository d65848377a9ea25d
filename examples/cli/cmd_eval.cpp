// `segkit eval ...`: segment-quality scores (internal, external, trustworthiness).

#include <string>
#include <vector>

#include <segkit/core/npy.hpp>
#include <segkit/distance/metrics.hpp>
#include <segkit/quality/external.hpp>
#include <segkit/quality/internal.hpp>
#include <segkit/quality/trustworthiness.hpp>

#include "cli.hpp"

namespace segkit::cli {
namespace {

std::vector<label_type> load_labels(const std::string& path) {
  const auto l = load_npy_vector<label_type>(path);
  return {l.begin(), l.end()};
}

quality::noise_handling parse_noise(const args& a) {
  const std::string v = a.get_or("noise", "label");
  if (v == "label") return quality::noise_handling::as_label;
  if (v == "exclude") return quality::noise_handling::exclude;
  throw usage_error(fmt::format("--noise must be label or exclude, not '{}'", v));
}

// Calls f(matrix) with the samples as float (float32 files) or double (float64 files), so
// float64 data are scored without rounding them to float.
template <class F>
int with_samples(const std::string& path, F&& f) {
  if (read_npy_header(path).dtype == npy_dtype::float64) return f(load_npy_matrix<double>(path));
  return f(load_npy_matrix<float>(path));
}

int print_value(const args& a, const std::string& name, double value, double seconds, json_object extra = {}) {
  extra.add("value", value).add("seconds", seconds);
  emit(a, extra, fmt::format("{}: {:.6f} ({:.3f} s)", name, value, seconds));
  return 0;
}

int eval_silhouette(const args& a) {
  const auto labels = load_labels(a.get("labels"));
  const quality::silhouette_params p{.noise = parse_noise(a), .threads = a.threads()};
  return with_samples(a.get("input"), [&](const auto& x) {
    return distance::visit_metric(a.get_or("metric", "l2"), [&](auto metric) {
      using M = decltype(metric);
      stopwatch watch;
      if (a.has("sample-size")) {
        const quality::silhouette_estimate_params e{.sample_size = a.get_size("sample-size"),
                                                    .confidence = a.get_double("confidence", 0.95),
                                                    .seed = a.seed(),
                                                    .silhouette = p};
        watch.start();
        const auto r = quality::silhouette_estimate<M>(x, labels, e, metric);
        watch.stop();
        json_object j;
        j.add("low", r.low).add("high", r.high).add("standard_error", r.standard_error).add("sample_size", r.sample_size);
        j.add("value", r.value).add("seconds", watch.seconds());
        emit(a, j, fmt::format("silhouette (estimate from {} rows): {:.6f}, {:.0f}% interval [{:.6f}, {:.6f}] ({:.3f} s)", r.sample_size,
                               r.value, 100.0 * e.confidence, r.low, r.high, watch.seconds()));
        return 0;
      }
      watch.start();
      const auto s = quality::silhouette_samples<M>(x, labels, p, metric);
      double sum = 0.0;
      std::size_t count = 0;
      for (const double v : s) {
        if (v == v) {
          sum += v;
          ++count;
        }
      }
      watch.stop();
      if (a.has("samples-out")) save_npy(a.get("samples-out"), s.data(), {s.size()});
      return print_value(a, "silhouette", sum / static_cast<double>(count), watch.seconds());
    });
  });
}

template <class Score>
int eval_centroid_score(const args& a, const char* name, Score score) {
  if (a.has("metric") && a.get("metric") != "l2" && a.get("metric") != "euclidean") {
    throw usage_error(fmt::format("{} is defined for the Euclidean metric only (got --metric {})", name, a.get("metric")));
  }
  const auto labels = load_labels(a.get("labels"));
  const auto noise = parse_noise(a);
  return with_samples(a.get("input"), [&](const auto& x) {
    stopwatch watch;
    watch.start();
    const double v = score(x, labels, noise);
    watch.stop();
    return print_value(a, name, v, watch.seconds());
  });
}

int eval_davies_bouldin(const args& a) {
  return eval_centroid_score(a, "davies-bouldin", [](const auto& x, const auto& l, auto n) { return quality::davies_bouldin(x, l, n); });
}
int eval_calinski_harabasz(const args& a) {
  return eval_centroid_score(a, "calinski-harabasz",
                             [](const auto& x, const auto& l, auto n) { return quality::calinski_harabasz(x, l, n); });
}

quality::average_method parse_average(const args& a) {
  const std::string v = a.get_or("average", "arithmetic");
  if (v == "arithmetic") return quality::average_method::arithmetic;
  if (v == "geometric") return quality::average_method::geometric;
  if (v == "min") return quality::average_method::min;
  if (v == "max") return quality::average_method::max;
  throw usage_error(fmt::format("--average must be arithmetic, geometric, min or max, not '{}'", v));
}

// The external scores share loading and timing; `score` maps the contingency table to a value.
template <class Score>
int eval_external(const args& a, const char* name, Score score) {
  const auto predicted = load_labels(a.get("labels"));
  const auto truth = load_labels(a.get("truth"));
  stopwatch watch;
  watch.start();
  const auto t = quality::contingency(truth, predicted);
  const double v = score(t);
  watch.stop();
  json_object j;
  j.add("n_truth_labels", t.truth_labels.size()).add("n_labels", t.predicted_labels.size());
  return print_value(a, name, v, watch.seconds(), j);
}

int eval_ari(const args& a) {
  return eval_external(a, "ari", [](const auto& t) { return quality::adjusted_rand_index(t); });
}
int eval_rand(const args& a) {
  return eval_external(a, "rand", [](const auto& t) { return quality::rand_index(t); });
}
int eval_nmi(const args& a) {
  const auto m = parse_average(a);
  return eval_external(a, "nmi", [&](const auto& t) { return quality::normalized_mutual_information(t, m); });
}
int eval_ami(const args& a) {
  const auto m = parse_average(a);
  return eval_external(a, "ami", [&](const auto& t) { return quality::adjusted_mutual_information(t, m); });
}
int eval_fowlkes_mallows(const args& a) {
  return eval_external(a, "fowlkes-mallows", [](const auto& t) { return quality::fowlkes_mallows(t); });
}
int eval_purity(const args& a) {
  return eval_external(a, "purity", [](const auto& t) { return quality::purity(t); });
}
int eval_v_measure(const args& a) {
  const auto predicted = load_labels(a.get("labels"));
  const auto truth = load_labels(a.get("truth"));
  const double beta = a.get_double("beta", 1.0);
  stopwatch watch;
  watch.start();
  const auto r = quality::homogeneity_completeness_v_measure(truth, predicted, beta);
  watch.stop();
  json_object j;
  j.add("homogeneity", r.homogeneity).add("completeness", r.completeness);
  return print_value(a, "v-measure", r.v_measure, watch.seconds(), j);
}

int eval_trustworthiness(const args& a) {
  const quality::trustworthiness_params p{.neighbors = a.get_size("neighbors", 10), .threads = a.threads()};
  const auto y = load_npy_matrix<double>(a.get("embedding"));
  return with_samples(a.get("input"), [&](const auto& x) {
    return distance::visit_metric(a.get_or("metric", "l2"), [&](auto metric) {
      using M = decltype(metric);
      stopwatch watch;
      watch.start();
      const double v = quality::trustworthiness<M>(x, y, p, metric);
      watch.stop();
      return print_value(a, "trustworthiness", v, watch.seconds());
    });
  });
}

const option input_opt{"input", 'i', true, "samples, .npy float32/float64 (n x d); float64 is scored in double"};
const option labels_opt{"labels", 'l', true, "labels, int32/int64 .npy (n)"};
const option noise_opt{"noise", 0, true, "label (default: -1 is one more cluster, as scikit-learn) or exclude (leave noise rows out)"};
const option truth_opt{"truth", 0, true, "reference labels, int32/int64 .npy (n)"};
const option average_opt{"average", 0, true, "entropy average: arithmetic (default), geometric, min or max"};

command external_command(std::string name, std::string summary, int (*run)(const args&), bool average = false) {
  command c{{"eval", std::move(name)}, "--labels a.npy --truth b.npy", std::move(summary), {labels_opt, truth_opt}, run};
  if (average) {
    c.synopsis += " [--average arithmetic|geometric|min|max]";
    c.options.push_back(average_opt);
  }
  return c;
}

const registrar eval_commands({
    {{"eval", "silhouette"},
     "-i X.npy -l labels.npy [--metric M] [--noise label|exclude] [--samples-out S.npy] [--sample-size N [--confidence C]]",
     "Mean silhouette (exact; or estimated from N sampled rows with a confidence interval). Reports value.",
     {input_opt, labels_opt, noise_opt,
      {"samples-out", 0, true, "per-row silhouette to write, float64 .npy (n; NaN for excluded noise)"},
      {"sample-size", 0, true, "estimate from this many rows, each scored against all rows (reports low, high)"},
      {"confidence", 0, true, "interval level with --sample-size (default 0.95)"}},
     eval_silhouette},
    {{"eval", "davies-bouldin"},
     "-i X.npy -l labels.npy [--noise label|exclude]",
     "Davies-Bouldin index (Euclidean; lower is better). Reports value.",
     {input_opt, labels_opt, noise_opt},
     eval_davies_bouldin},
    {{"eval", "calinski-harabasz"},
     "-i X.npy -l labels.npy [--noise label|exclude]",
     "Calinski-Harabasz index (higher is better). Reports value.",
     {input_opt, labels_opt, noise_opt},
     eval_calinski_harabasz},
    external_command("ari", "Adjusted Rand index against reference labels. Reports value.", eval_ari),
    external_command("rand", "Rand index against reference labels. Reports value.", eval_rand),
    external_command("nmi", "Normalised mutual information. Reports value.", eval_nmi, true),
    external_command("ami", "Adjusted mutual information. Reports value.", eval_ami, true),
    external_command("fowlkes-mallows", "Fowlkes-Mallows index. Reports value.", eval_fowlkes_mallows),
    external_command("purity", "Share of rows in their cluster's majority reference class. Reports value.", eval_purity),
    {{"eval", "v-measure"},
     "--labels a.npy --truth b.npy [--beta B]",
     "V-measure. Reports value, homogeneity and completeness.",
     {labels_opt, truth_opt, {"beta", 0, true, "weight of completeness against homogeneity (default 1)"}},
     eval_v_measure},
    {{"eval", "trustworthiness"},
     "-i X.npy -e Y.npy [--neighbors 10] [--metric M]",
     "Trustworthiness of an embedding (input-space metric M, embedding Euclidean). Reports value.",
     {input_opt,
      {"embedding", 'e', true, "the embedding, .npy (n x d')"},
      {"neighbors", 0, true, "k, less than n / 2 (default 10)"}},
     eval_trustworthiness},
});

}  // namespace
}  // namespace segkit::cli
