// `segkit eval ...`: segment-quality scores (internal, external, trustworthiness).

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <segkit/cluster/agglomerative.hpp>
#include <segkit/cluster/dbscan.hpp>
#include <segkit/cluster/gmm.hpp>
#include <segkit/cluster/hdbscan.hpp>
#include <segkit/cluster/kmeans.hpp>
#include <segkit/core/csv.hpp>
#include <segkit/core/npy.hpp>
#include <segkit/pipeline/profile.hpp>
#include <segkit/distance/metrics.hpp>
#include <segkit/quality/external.hpp>
#include <segkit/quality/internal.hpp>
#include <segkit/quality/stability.hpp>
#include <segkit/quality/sweep.hpp>
#include <segkit/quality/trustworthiness.hpp>

#include "cli.hpp"

namespace segkit::cli {
namespace {

std::vector<label_type> load_labels(const std::string& path) {
  const auto l = load_npy_vector<label_type>(path);
  return {l.begin(), l.end()};
}

quality::noise_handling parse_noise(const args& a) {
  quality::silhouette_params p;
  apply_params(a, p);
  return p.noise;
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

// eval silhouette: --sample-size is the command's own (given: estimate; absent: exact).
const std::initializer_list<std::string_view> silhouette_skipped = {"sample_size"};

int eval_silhouette(const args& a) {
  const auto labels = load_labels(a.get("labels"));
  quality::silhouette_estimate_params e{.seed = a.seed()};
  apply_params(a, e, silhouette_skipped);
  e.silhouette.threads = a.threads();
  const quality::silhouette_params& p = e.silhouette;
  return with_samples(a.get("input"), [&](const auto& x) {
    return distance::visit_metric(a.get_or("metric", "l2"), [&](auto metric) {
      using M = decltype(metric);
      stopwatch watch;
      if (a.has("sample-size")) {
        e.sample_size = a.get_size("sample-size");
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
  try {
    return params::parse_enum<quality::average_method>(a.get_or("average", "arithmetic"), "--average");
  } catch (const segkit::invalid_argument& e) {
    throw usage_error(e.what());
  }
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

// The tool's default is 10 neighbors (the library's, scikit-learn's, is 5): docs/cli.md.
const quality::trustworthiness_params trustworthiness_defaults{.neighbors = 10};

int eval_trustworthiness(const args& a) {
  quality::trustworthiness_params p = trustworthiness_defaults;
  apply_params(a, p);
  p.threads = a.threads();
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

std::vector<label_type> label_list(const label_vector& labels) { return {labels.begin(), labels.end()}; }

cluster::covariance_type covariance_option(const args& a) {
  return a.has("covariance") ? params::parse_enum<cluster::covariance_type>(a.get("covariance"), "--covariance") : cluster::gmm_params{}.covariance;
}

// The options of the fits that stability and sweep repeat (defaults from the parameter structs).
std::vector<option> fit_options(bool density) {
  std::vector<option> o{
      {"algorithm", 0, true, density ? "kmeans (default), gmm, agglomerative, dbscan or hdbscan" : "kmeans (default), gmm or agglomerative"},
      {"covariance", 0, true, fmt::format("gmm covariance (default {})", params::name(cluster::gmm_params{}.covariance))},
      {"linkage", 0, true, fmt::format("agglomerative linkage (default {})", params::name(cluster::agglomerative_params{}.linkage))},
      {"n-init", 0, true, fmt::format("kmeans restarts (default {})", cluster::kmeans_params{}.n_init)},
      {"fit-threads", 0, true, "threads of each fit (default 1; --threads runs fits or scores concurrently)"}};
  if (density) {
    o.push_back({"k", 'k', true, "clusters (kmeans, gmm, agglomerative)"});
    o.push_back({"eps", 0, true, "dbscan radius"});
    o.push_back({"min-samples", 0, true, fmt::format("dbscan core size (default {})", cluster::dbscan_params{}.min_samples)});
    o.push_back({"min-cluster-size", 0, true, fmt::format("hdbscan smallest cluster (default {})", cluster::hdbscan_params{}.min_cluster_size)});
  }
  return o;
}

// Fields of stability_params the tool does not offer (it prints no consensus matrix).
const std::initializer_list<std::string_view> stability_skipped = {"consensus", "max_consensus_rows"};

// The clusterer named by --algorithm as a fit(rows, k, seed) callable (k ignored by the density ones).
std::function<std::vector<label_type>(const matrix_view<float>&, std::size_t, std::uint64_t)> named_fit(const args& a) {
  const std::string algo = a.get_or("algorithm", "kmeans");
  const std::size_t inner = a.get_size("fit-threads", 1);
  if (algo == "kmeans") {
    const std::size_t n_init = a.get_size("n-init", cluster::kmeans_params{}.n_init);
    return [=](const matrix_view<float>& rows, std::size_t k, std::uint64_t seed) {
      return label_list(cluster::kmeans<>({.k = k, .n_init = n_init, .seed = seed, .threads = inner}).fit(rows).labels());
    };
  }
  if (algo == "gmm") {
    const auto cov = covariance_option(a);
    return [=](const matrix_view<float>& rows, std::size_t k, std::uint64_t seed) {
      return label_list(cluster::gaussian_mixture<float>({.k = k, .covariance = cov, .seed = seed, .threads = inner}).fit(rows).labels());
    };
  }
  if (algo == "agglomerative") {
    const auto link = a.has("linkage") ? params::parse_enum<cluster::linkage_method>(a.get("linkage"), "--linkage") : cluster::agglomerative_params{}.linkage;
    return [=](const matrix_view<float>& rows, std::size_t k, std::uint64_t) {
      return label_list(cluster::agglomerative<>({.k = k, .linkage = link, .threads = inner}).fit(rows).labels());
    };
  }
  if (algo == "dbscan") {
    if (!a.has("eps")) throw usage_error("--algorithm dbscan needs --eps");
    const cluster::dbscan_params p{.eps = a.get_double("eps", 0.0), .min_samples = a.get_size("min-samples", cluster::dbscan_params{}.min_samples), .threads = inner};
    return [=](const matrix_view<float>& rows, std::size_t, std::uint64_t) { return label_list(cluster::dbscan<>(p).fit(rows).labels()); };
  }
  if (algo == "hdbscan") {
    const std::size_t mcs = a.get_size("min-cluster-size", cluster::hdbscan_params{}.min_cluster_size);
    return [=](const matrix_view<float>& rows, std::size_t, std::uint64_t) {
      return label_list(cluster::hdbscan<>(cluster::hdbscan_params{.min_cluster_size = mcs, .threads = inner, .prediction_data = false}).fit(rows).labels());
    };
  }
  throw usage_error(fmt::format("--algorithm must be kmeans, gmm, agglomerative, dbscan or hdbscan, not '{}'", algo));
}

int eval_stability(const args& a) {
  const auto fit = named_fit(a);
  const std::string algo = a.get_or("algorithm", "kmeans");
  const bool needs_k = algo == "kmeans" || algo == "gmm" || algo == "agglomerative";
  if (needs_k && !a.has("k")) throw usage_error(fmt::format("--algorithm {} needs --k", algo));
  const std::size_t k = a.get_size("k", 0);
  quality::stability_params p;
  apply_params(a, p, stability_skipped);
  p.seed = a.seed();
  p.threads = a.threads() == 0 ? 1 : a.threads();  // fits run concurrently: one at a time unless asked
  if (a.has("bootstrap")) p.scheme = quality::resampling::bootstrap;  // the older spelling of --scheme bootstrap
  const auto x = load_npy_matrix<float>(a.get("input"));
  stopwatch watch;
  watch.start();
  const auto r = quality::cluster_stability(x, [&](const matrix_view<float>& rows, std::uint64_t seed) { return fit(rows, k, seed); }, p);
  watch.stop();
  json_object j;
  j.add("seconds", watch.seconds()).add("mean_jaccard", r.mean_jaccard).add("mean_pairwise_ari", r.mean_pairwise_ari);
  j.add_raw("clusters", fmt::format("[{}]", fmt::join(r.clusters, ", ")));
  j.add_raw("jaccard", fmt::format("[{:.6f}]", fmt::join(r.jaccard, ", ")));
  j.add_raw("recovered", fmt::format("[{:.4f}]", fmt::join(r.recovered, ", ")));
  std::string human = fmt::format("stability ({} runs): mean Jaccard {:.3f}, mean pairwise ARI {:.3f} ({:.3f} s)", p.runs, r.mean_jaccard,
                                  r.mean_pairwise_ari, watch.seconds());
  for (std::size_t c = 0; c < r.clusters.size(); ++c) {
    human += fmt::format("\n  cluster {}: Jaccard {:.3f}, recovered in {:.0f}% of runs", r.clusters[c], r.jaccard[c], 100.0 * r.recovered[c]);
  }
  emit(a, j, human);
  return 0;
}

int eval_sweep(const args& a) {
  const std::string algo = a.get_or("algorithm", "kmeans");
  if (algo != "kmeans" && algo != "gmm" && algo != "agglomerative") throw usage_error("eval sweep needs --algorithm kmeans, gmm or agglomerative");
  const auto fit = named_fit(a);
  quality::sweep_params p{.seed = a.seed(), .threads = a.threads()};
  apply_params(a, p);
  const auto x = load_npy_matrix<float>(a.get("input"));
  const bool gmm = algo == "gmm";
  const auto cov = covariance_option(a);
  const std::size_t inner = a.get_size("fit-threads", 1);
  stopwatch watch;
  watch.start();
  // The mixture keeps its model so that the sweep can read its BIC.
  const auto r = gmm ? quality::sweep_k(x, [&](const matrix_view<float>& rows, std::size_t k, std::uint64_t seed) {
                         return cluster::gaussian_mixture<float>({.k = k, .covariance = cov, .seed = seed, .threads = inner}).fit(rows);
                       }, p)
                     : quality::sweep_k(x, fit, p);
  watch.stop();
  std::string rows = "[";
  std::string human = fmt::format("{:>4} {:>12} {:>10} {:>8} {:>12} {:>12} {:>8} {:>9}", "k", "inertia", "silhouette", "DB", "CH", "BIC", "gap", "stability");
  const auto num = [](double v) { return std::isfinite(v) ? fmt::format("{:.9g}", v) : std::string("null"); };
  for (const auto& row : r.rows) {
    rows += fmt::format("{}{{\"k\": {}, \"n_clusters\": {}, \"inertia\": {}, \"silhouette\": {}, \"davies_bouldin\": {}, \"calinski_harabasz\": {}, "
                        "\"bic\": {}, \"gap\": {}, \"gap_se\": {}, \"stability\": {}}}",
                        rows.size() > 1 ? ", " : "", row.k, row.n_clusters, num(row.inertia), num(row.silhouette), num(row.davies_bouldin),
                        num(row.calinski_harabasz), num(row.bic), num(row.gap), num(row.gap_se), num(row.stability));
    human += fmt::format("\n{:>4} {:>12.5g} {:>10.4f} {:>8.4f} {:>12.5g} {:>12.5g} {:>8.4f} {:>9.3f}", row.k, row.inertia, row.silhouette,
                         row.davies_bouldin, row.calinski_harabasz, row.bic, row.gap, row.stability);
  }
  rows += "]";
  human += "\n" + r.reason;
  json_object j;
  j.add("seconds", watch.seconds()).add("recommended_k", r.chosen_k).add("reason", r.reason).add_raw("rows", rows);
  emit(a, j, human);
  return 0;
}

// eval profile: --top (features and categories alike) is the command's own; the keywords' count
// is the library's default.
const std::initializer_list<std::string_view> profile_skipped = {"keywords.top"};

int eval_profile(const args& a) {
  const auto x = load_npy_matrix<double>(a.get("input"));
  const auto labels = load_labels(a.get("labels"));
  pipeline::profile_params p;
  if (a.has("top")) p.top_features = p.top_categories = a.get_size("top");
  apply_params(a, p, profile_skipped);
  pipeline::categorical_columns cats;
  if (a.has("categories")) {
    const auto t = read_csv(a.get("categories"));
    cats.names = t.header();
    cats.values.assign(cats.names.size(), {});
    for (const auto& row : t.rows()) {
      for (std::size_t c = 0; c < cats.names.size(); ++c) cats.values[c].push_back(row[c]);
    }
  }
  std::vector<std::string> docs;
  if (a.has("text")) {
    if (!a.has("text-columns")) throw usage_error("--text needs --text-columns c1,c2");
    docs = csv_documents(a.get("text"), a.get("text-columns"));
  }
  stopwatch watch;
  watch.start();
  const auto prof = pipeline::profile_segments(x, labels, p, cats, docs);
  watch.stop();
  std::string segs = "[", human = fmt::format("{} segments ({:.3f} s)", prof.size(), watch.seconds());
  const auto num = [](double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : std::string("null"); };
  for (const auto& s : prof) {
    std::string feats = "[", catj = "[", kw = "[";
    human += fmt::format("\n  {} '{}': {} rows ({:.1f}%)", s.segment, s.name, s.size, 100.0 * s.share);
    for (const std::size_t j : s.top_features) {
      const auto& f = s.features[j];
      feats += fmt::format("{}{{\"name\": {}, \"segment_mean\": {}, \"population_mean\": {}, \"lift\": {}, \"effect_size\": {}, \"p_value\": {}}}",
                           feats.size() > 1 ? ", " : "", json_quote(f.name), num(f.segment_mean), num(f.population_mean), num(f.lift),
                           num(f.effect_size), num(f.test.p_value));
      human += fmt::format("; {} {:+.2f} sd", f.name, f.effect_size);
    }
    for (const auto& c : s.top_categories) {
      catj += fmt::format("{}{{\"attribute\": {}, \"value\": {}, \"segment_share\": {}, \"lift\": {}, \"p_value\": {}}}", catj.size() > 1 ? ", " : "",
                          json_quote(c.attribute), json_quote(c.value), num(c.segment_share), num(c.lift), num(c.p_value));
      human += fmt::format("; {}={} x{:.1f}", c.attribute, c.value, c.lift);
    }
    for (const auto& [term, w] : s.keywords) kw += (kw.size() > 1 ? ", " : "") + json_quote(term);
    segs += fmt::format("{}{{\"segment\": {}, \"name\": {}, \"size\": {}, \"share\": {}, \"top_features\": {}], \"top_categories\": {}], \"keywords\": {}]}}",
                        segs.size() > 1 ? ", " : "", s.segment, json_quote(s.name), s.size, num(s.share), feats, catj, kw);
  }
  segs += "]";
  json_object j;
  j.add("seconds", watch.seconds()).add("n_segments", prof.size()).add_raw("segments", segs);
  emit(a, j, human);
  return 0;
}

const option input_opt{"input", 'i', true, "samples, .npy float32/float64 (n x d); float64 is scored in double"};
const option labels_opt{"labels", 'l', true, "labels, int32/int64 .npy (n)"};
const option noise_opt = param_options<quality::silhouette_params>().front();
const option truth_opt{"truth", 0, true, "reference labels, int32/int64 .npy (n)"};
const option average_opt{"average", 0, true, fmt::format("entropy average: {} (default arithmetic)", params::choices_text<quality::average_method>())};

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
     with_params<quality::silhouette_estimate_params>(
         {input_opt, labels_opt,
          {"samples-out", 0, true, "per-row silhouette to write, float64 .npy (n; NaN for excluded noise)"},
          {"sample-size", 0, true, "estimate from this many rows, each scored against all rows (reports low, high); exact without it"}},
         silhouette_skipped),
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
    external_command("nmi", "Normalized mutual information. Reports value.", eval_nmi, true),
    external_command("ami", "Adjusted mutual information. Reports value.", eval_ami, true),
    external_command("fowlkes-mallows", "Fowlkes-Mallows index. Reports value.", eval_fowlkes_mallows),
    external_command("purity", "Share of rows in their cluster's majority reference class. Reports value.", eval_purity),
    {{"eval", "v-measure"},
     "--labels a.npy --truth b.npy [--beta B]",
     "V-measure. Reports value, homogeneity and completeness.",
     {labels_opt, truth_opt, {"beta", 0, true, "weight of completeness against homogeneity (default 1)"}},
     eval_v_measure},
    {{"eval", "stability"},
     "-i X.npy --algorithm kmeans|gmm|agglomerative|dbscan|hdbscan [--k K | --eps E | --min-cluster-size M] [--runs 20] [--fraction 0.8] [--bootstrap]",
     "Resampling stability (Hennig's clusterwise Jaccard). Reports mean_jaccard, mean_pairwise_ari and per-cluster jaccard.",
     with_params<quality::stability_params>(
         [] {
           auto o = fit_options(true);
           o.insert(o.begin(), input_opt);
           o.push_back({"bootstrap", 0, false, "the same as --scheme bootstrap"});
           return o;
         }(),
         stability_skipped),
     eval_stability},
    {{"eval", "sweep"},
     "-i X.npy [--algorithm kmeans|gmm|agglomerative] [--k-min 2] [--k-max 10] [--gap-references 10] [--stability-runs 10]",
     "Scores k = k-min..k-max (inertia, silhouette, Davies-Bouldin, Calinski-Harabasz, BIC, gap, stability). Reports recommended_k, reason and rows.",
     with_params<quality::sweep_params>([] {
       auto o = fit_options(false);
       o.insert(o.begin(), input_opt);
       return o;
     }()),
     eval_sweep},
    {{"eval", "profile"},
     "-i X.npy -l labels.npy [--feature-names a,b,...] [--categories attrs.csv] [--text table.csv --text-columns c1,c2] [--top 5] [--p-value 0.01]",
     "What sets each segment apart: size, distinguishing features (Welch's t-test), over-represented categories (chi-square), "
     "c-TF-IDF keywords and a name. Reports n_segments and segments.",
     with_params<pipeline::profile_params>(
         {input_opt, labels_opt,
          {"categories", 0, true, "CSV with a header, one row per row of X: every column a categorical attribute"},
          {"text", 0, true, "CSV with a header, one row per row of X, holding the text columns"},
          {"text-columns", 0, true, "comma-separated text columns of --text, joined per row"},
          {"top", 0, true, fmt::format("features and categories kept per segment (default {}; the same as --top-features N --top-categories N)",
                                       pipeline::profile_params{}.top_features)}},
         profile_skipped),
     eval_profile},
    {{"eval", "trustworthiness"},
     "-i X.npy -e Y.npy [--neighbors 10] [--metric M]",
     "Trustworthiness of an embedding (input-space metric M, embedding Euclidean). Reports value.",
     with_params<quality::trustworthiness_params>({input_opt, {"embedding", 'e', true, "the embedding, .npy (n x d')"}}, {},
                                                  trustworthiness_defaults),
     eval_trustworthiness},
});

}  // namespace
}  // namespace segkit::cli
