// `segkit segment`: the default pipeline on a user's CSV (the main job on real data), and
// `segkit demo`: the main job on built-in data. A deterministic generator writes a catalog of
// 10,000 products (titles and descriptions in 25 categories, see
// segkit/datasets/product_catalog.hpp); segkit embeds them (LSA, or an ONNX sentence model
// with --model), indexes them in HNSW and lists the products most similar to a sample product,
// segments them with k-means (k chosen by a sweep) and with UMAP + HDBSCAN, names each segment by
// its keywords, scores both against the generator's hidden categories and writes report.html.

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include <segkit/core/csv.hpp>
#include <segkit/core/parse.hpp>
#include <segkit/core/npy.hpp>
#include <segkit/index/hnsw.hpp>
#include <segkit/pipeline/any_pipeline.hpp>
#include <segkit/pipeline/profile.hpp>
#include <segkit/pipeline/segment.hpp>
#include <segkit/pipeline/segmentation_model.hpp>
#include <segkit/quality/external.hpp>
#include <segkit/report/segmentation.hpp>

#include <segkit/datasets/product_catalog.hpp>
#include "cli.hpp"
#include "text_model.hpp"

namespace segkit::cli {

namespace {

/// The segment names, scores and chosen k as JSON fields and a human summary.
std::string summarize(const pipeline::segmentation& s, json_object& j) {
  std::string names = "[", human;
  for (std::size_t l = 0; l < s.n_segments; ++l) {
    const std::string& name = s.names.at(static_cast<label_type>(l));
    names += (l ? ", " : "") + json_quote(name);
    human += fmt::format("  {:3} {:<40} {:7} records\n", l, name, s.sizes[l]);
  }
  j.add("n_segments", s.n_segments).add_raw("names", names + "]").add("noise_fraction", s.noise_fraction).add("silhouette", s.silhouette);
  j.add("davies_bouldin", s.davies_bouldin).add("calinski_harabasz", s.calinski_harabasz);
  if (s.sweep) j.add("k", s.sweep->chosen_k);
  return human;
}

/// Profiles named as the segmentation names its segments (by keywords) rather than by their top feature.
std::vector<pipeline::segment_profile> named_as(std::vector<pipeline::segment_profile> profiles, const pipeline::segmentation& s) {
  for (auto& p : profiles) {
    if (const auto it = s.names.find(p.segment); it != s.names.end()) p.name = it->second;
  }
  return profiles;
}

/// Profiles of the segments over CSV columns (numeric ones by mean and lift, others by category:
/// pipeline::split_columns).
std::vector<pipeline::segment_profile> profile_columns(const csv_table& table, const std::string& list, const pipeline::segmentation& s) {
  const auto names = split_list(list);
  const auto columns = pipeline::split_columns(table, names);
  return named_as(pipeline::profile_segments(columns.numeric, std::span<const label_type>(s.labels.data(), s.labels.size()),
                                             {.feature_names = columns.numeric_names}, columns.categorical),
                  s);
}

// The segment_params fields `segment` does not offer as generated options: --k (which also takes
// "auto") is its own; the TF-IDF stage keeps the default segmentation's settings.
const std::initializer_list<std::string_view> segment_skip = {"k", "lsa.tfidf.*"};

int segment(const args& a) {
  const auto table = read_csv(a.get("input"));
  const auto columns = split_list(a.get("text-columns"));
  std::vector<std::size_t> cols;
  for (const auto& c : columns) cols.push_back(table.column_index(c));
  const std::size_t title_col = a.has("title-column") ? table.column_index(a.get("title-column")) : cols.front();
  std::vector<std::string> texts, titles;
  for (const auto& row : table.rows()) {
    std::string doc;
    for (const std::size_t c : cols) doc += (doc.empty() ? "" : " ") + row[c];
    texts.push_back(std::move(doc));
    titles.push_back(row[title_col]);
  }
  pipeline::segment_params p{.seed = a.seed(), .threads = a.threads()};
  apply_params(a, p, segment_skip);
  const bool hdbscan = p.algorithm == pipeline::segment_algorithm::hdbscan;
  const std::string k = a.get_or("k", "auto");
  if (k != "auto") {
    p.k = a.get_size("k");
    if (p.k < 2) throw usage_error(fmt::format("--k must be at least 2 or auto (got {})", k));
    if (hdbscan) throw usage_error("--k applies to kmeans; HDBSCAN finds the number of segments itself");
  }
  p.coordinates = a.has("report") || a.has("coords-out");
  if (a.has("profile-columns") && !a.has("report")) throw usage_error("--profile-columns adds a table to the report: give --report too");
  if (a.has("profile-columns")) {
    for (const auto& c : split_list(a.get("profile-columns"))) (void)table.column_index(c);  // a missing column fails before the work
  }
  stopwatch watch;
  watch.start();
  pipeline::segmentation s;
  if (a.has("config")) {
    if (a.has("model") || a.has("k") || a.has("algorithm")) throw usage_error("--config describes the whole pipeline: drop --model, --k and --algorithm");
    auto config = pipeline::pipeline_config::load(a.get("config"));
    if (a.has("seed")) config.seed = a.seed();
    if (a.has("threads")) config.threads = a.threads();
    s = pipeline::any_pipeline(config).fit(texts, {.layout = p.coordinates, .seed = config.seed, .threads = config.threads}).result;
  } else {
    progress_bar bar(a);
    if (a.has("model")) {
      const auto text_model = text_model_of(a);
      s = pipeline::segment_vectors(text_model.embed(texts), texts, p, bar);
      if (a.has("model-out")) s.model.embedder = text_model.reference(s.vectors.shape(1));
    } else {
      s = pipeline::segment_texts(texts, p, bar);
    }
  }
  watch.stop();
  save_npy(a.get("output"), s.labels);
  if (a.has("embeddings-out")) save_npy(a.get("embeddings-out"), s.vectors);
  if (a.has("coords-out")) save_npy(a.get("coords-out"), s.coordinates);
  if (a.has("model-out")) s.model.save(a.get("model-out"));
  if (a.has("report")) {
    report::html_report page(fmt::format("Segments of {}", std::filesystem::path(a.get("input")).filename().string()));
    page.paragraph(fmt::format("{} records, text from column(s) {}, embedded with {} and segmented with {}.", texts.size(), a.get("text-columns"),
                               a.has("model") ? a.get("model") : std::string("TF-IDF + LSA"),
                               hdbscan ? "UMAP + HDBSCAN" : (p.k ? fmt::format("spherical k-means (k = {})", p.k) : "spherical k-means (k chosen by a sweep)")));
    report::add_segmentation(page, s, titles, {.seed = p.seed});
    if (a.has("profile-columns")) report::add_profiles(page, profile_columns(table, a.get("profile-columns"), s));
    page.save(a.get("report"));
  }
  json_object j;
  j.add("seconds", watch.seconds()).add("n", texts.size());
  const std::string human = summarize(s, j);
  emit(a, j, fmt::format("segment: {} records -> {} segments{} (silhouette {:.3f}) in {:.2f} s\n{}", texts.size(), s.n_segments,
                         s.noise_fraction > 0 ? fmt::format(", {:.1f} % noise", 100.0 * s.noise_fraction) : std::string(), s.silhouette,
                         watch.seconds(), human));
  return 0;
}

// What a model's embedder takes when it is neither a text nor a fused one.
std::string_view records_of(const pipeline::segmentation_model::embedder_model& e) {
  if (std::holds_alternative<std::monostate>(e)) return "given vectors";
  if (std::holds_alternative<embed::scaler_model>(e)) return "numeric rows";
  return "item sequences";
}

int assign(const args& a) {
  // Any model `segment --model-out` writes (and those of earlier versions): LSA or an ONNX model
  // by reference, any reducers, any clusterer; and those a program saved with another embedder:
  // given vectors, numeric rows (scaler) or item sequences (item2vec) are read from -i as such.
  const auto model = pipeline::segmentation_model::load(a.get("model"));
  const auto& e = model.embedder;
  if (const auto* f = std::get_if<pipeline::fused_model>(&e)) {
    throw usage_error(fmt::format("{} segments records of {} fused modalities ({}), not texts: assign with the library (segmentation_model::assign)",
                                  a.get("model"), f->names.size(), fmt::join(f->names, ", ")));
  }
  if (model.embeds_texts() != a.has("text-columns")) {
    if (model.embeds_texts()) throw usage_error(fmt::format("{} segments texts: --text-columns names the CSV columns to join", a.get("model")));
    throw usage_error(fmt::format("{} segments {} (embedder '{}'), not texts: leave out --text-columns", a.get("model"), records_of(e), model.embedder_kind()));
  }
  const auto& input = a.get("input");
  const auto& names = model.names;
  stopwatch watch;
  // The input is read before the clock starts: the time is the assignment's.
  const auto timed = [&](const auto& f) {
    watch.start();
    return f();
  };
  const auto labels = [&] {
    if (model.embeds_texts()) {
      embed::onnx_session_options session;
      if (a.has("runtime")) session.runtime = a.get("runtime");
      session.intra_op_threads = static_cast<int>(a.threads());
      const auto texts = csv_documents(input, a.get("text-columns"));  // joined as `segment` joins them
      return timed([&] { return model.assign(texts, a.threads(), session); });
    }
    if (std::holds_alternative<embed::item2vec_model>(e)) {
      const auto sessions = read_sessions(input, "segkit assign");
      return timed([&] { return model.assign(sessions, a.threads()); });
    }
    if (std::holds_alternative<embed::scaler_model>(e)) {
      const auto rows = load_npy_matrix<double>(input);
      return timed([&] { return model.assign(rows, a.threads()); });
    }
    const auto vectors = load_npy_matrix<float>(input);
    return timed([&] { return model.assign_vectors(vectors, a.threads()); });
  }();
  watch.stop();
  save_npy(a.get("output"), labels);
  std::vector<std::size_t> counts(names.size(), 0);
  std::size_t unknown = 0;
  for (const label_type l : labels) {
    if (l < 0) {
      ++unknown;
    } else {
      ++counts[static_cast<std::size_t>(l)];
    }
  }
  std::string sizes = "[", human;
  for (std::size_t l = 0; l < counts.size(); ++l) {
    sizes += fmt::format("{}{}", l ? ", " : "", counts[l]);
    human += fmt::format("  {:3} {:<40} {:7} records\n", l, names[l], counts[l]);
  }
  json_object j;
  j.add("seconds", watch.seconds()).add("n", labels.size()).add("unassigned", unknown).add_raw("sizes", sizes + "]");
  emit(a, j, fmt::format("assign: {} records to {} segments ({} unassigned: noise or no known term) in {:.3f} s\n{}", labels.size(), counts.size(), unknown, watch.seconds(), human));
  return 0;
}

int demo(const args& a) {
  const std::filesystem::path out = a.get_or("out", "segkit-demo");
  const std::uint64_t seed = a.seed();
  const std::uint64_t catalog_seed = seed == 0 ? 1 : seed;  // --seed 0 (the default) means the catalog's own default, 1
  const std::size_t threads = a.threads();
  const std::size_t n = a.get_size("products", datasets::catalog_params{}.products);
  if (n < 100) throw usage_error(fmt::format("--products must be at least 100 (got {})", n));
  stopwatch watch;
  watch.start();
  const auto catalog = datasets::make_catalog({.products = n, .seed = catalog_seed});
  const auto cats = datasets::catalog_categories();
  std::vector<std::string> titles, texts;
  std::vector<label_type> truth;
  for (const auto& p : catalog) {
    titles.push_back(p.title);
    texts.push_back(p.title + ". " + p.description);
    truth.push_back(static_cast<label_type>(p.category));
  }

  // 1. Embed, and segment with k-means (k by the sweep).
  const bool model = a.has("model");
  pipeline::segment_params sp{.k_min = 10, .k_max = 40, .seed = seed, .threads = threads};
  sp.lsa.dims = 100;
  pipeline::segmentation seg, dense;
  progress_bar bar(a);
  if (model) {
    seg = pipeline::segment_vectors(text_model_of(a).embed(texts), texts, sp, bar);
  } else {
    seg = pipeline::segment_texts(texts, sp, bar);
  }

  // 2. The products most similar to a sample product, from an HNSW index of the embeddings.
  index::hnsw<distance::cosine_metric> idx(seg.vectors.shape(1), {.seed = seed, .threads = threads});
  std::vector<id_type> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = i;
  idx.add(ids, seg.vectors);
  const std::size_t sample = 7 % n, k = 10;
  const matrix_view<float> q(&seg.vectors(sample, 0), 1, seg.vectors.shape(1), seg.vectors.shape(1));
  const auto nn = idx.search(q, k + 1, {.ef = 64, .threads = threads});

  // 3. HDBSCAN on a 5-d UMAP of the same embeddings (no 2-D layout needed twice).
  auto hp = sp;
  hp.algorithm = pipeline::segment_algorithm::hdbscan;
  hp.coordinates = false;
  dense = pipeline::segment_vectors(seg.vectors, texts, hp, bar);
  bar.finish();
  const double nmi = quality::normalized_mutual_information(truth, seg.labels);
  const double ari = quality::adjusted_rand_index(truth, seg.labels);
  const double nmi_hdb = quality::normalized_mutual_information(truth, dense.labels);
  watch.stop();

  std::string human = fmt::format("catalog: {} generated products in {} categories (seed {}), embedded with {} ({} dims)\n", n, cats.size(),
                                  catalog_seed, model ? "the ONNX model" : "TF-IDF + LSA", seg.vectors.shape(1));
  human += fmt::format("\nproducts most similar to \"{}\" (HNSW, cosine):\n", titles[sample]);
  std::vector<std::vector<report::cell>> similar;
  std::size_t rank = 0;
  for (std::size_t j = 0; j < nn.ids.shape(1) && rank < k; ++j) {  // at most as many as stored
    if (nn.ids(0, j) == no_id) break;
    const auto id = static_cast<std::size_t>(nn.ids(0, j));
    if (id == sample) continue;
    ++rank;
    human += fmt::format("  {:2}. {:<44} {:.3f}\n", rank, titles[id], nn.distances(0, j));
    similar.push_back({fmt::format("{}", rank), titles[id], std::string(cats[catalog[id].category].name), fmt::format("{:.3f}", nn.distances(0, j))});
  }
  human += fmt::format("\nk-means: {} segments (k chosen by the sweep over 10..40: {})\n", seg.n_segments, seg.sweep ? seg.sweep->reason : "");
  for (std::size_t l = 0; l < seg.n_segments; ++l) {
    human += fmt::format("  {:2} {:<36} {:5} products\n", l, seg.names.at(static_cast<label_type>(l)), seg.sizes[l]);
  }
  human += fmt::format("HDBSCAN (UMAP 5-d): {} segments, {:.1f} % noise\n", dense.n_segments, 100.0 * dense.noise_fraction);
  human += fmt::format("\nagainst the hidden categories: k-means NMI {:.3f} (ARI {:.3f}), HDBSCAN NMI {:.3f}\n", nmi, ari, nmi_hdb);
  human += fmt::format("silhouette {:.3f}, Davies-Bouldin {:.3f}; {:.1f} s\n", seg.silhouette, seg.davies_bouldin, watch.seconds());

  report::html_report page("segkit demo: segmenting a product catalog");
  page.paragraph(fmt::format("A generated catalog of {} products in {} categories (seed {}), embedded with {} into {} dimensions, segmented with "
                             "spherical k-means (k chosen by a sweep) and, for comparison, UMAP + HDBSCAN. Segment names are their top "
                             "c-TF-IDF keywords. The generator's categories are hidden from segkit and used only to score the result.",
                             n, cats.size(), catalog_seed, model ? "an ONNX sentence model" : "TF-IDF + LSA", seg.vectors.shape(1)));
  page.figures(std::vector<std::pair<std::string, std::string>>{{"NMI vs categories (k-means)", fmt::format("{:.3f}", nmi)},
                                                                 {"ARI (k-means)", fmt::format("{:.3f}", ari)},
                                                                 {"NMI (HDBSCAN)", fmt::format("{:.3f}", nmi_hdb)},
                                                                 {"HDBSCAN segments", fmt::format("{}", dense.n_segments)},
                                                                 {"seconds", fmt::format("{:.1f}", watch.seconds())}});
  page.heading("k-means segments");
  report::add_segmentation(page, seg, titles, {.seed = seed});
  page.heading("HDBSCAN on a 5-d UMAP of the same embeddings");
  {
    auto shown = dense;
    shown.coordinates = seg.coordinates;  // same map, colored by the HDBSCAN segments
    report::add_segmentation(page, shown, titles, {.seed = seed});
  }
  {
    // What distinguishes each k-means segment beyond its words: its price against the catalog's.
    matrix<double> price = matrix<double>::from_shape({n, 1});
    for (std::size_t i = 0; i < n; ++i) price(i, 0) = catalog[i].price;
    report::add_profiles(page, named_as(pipeline::profile_segments(price, std::span<const label_type>(seg.labels.data(), n), {.feature_names = {"price"}}), seg),
                         "k-means segment profiles (price)");
  }
  page.heading(fmt::format("Most similar to \u201c{}\u201d", titles[sample]));
  page.table({"#", "product", "true category", "cosine distance"}, similar);
  std::filesystem::create_directories(out);
  const auto report_path = out / "report.html";
  page.save(report_path);

  json_object j;
  j.add("seconds", watch.seconds())
      .add("n", n)
      .add("n_segments", seg.n_segments)
      .add("nmi", nmi)
      .add("ari", ari)
      .add("hdbscan_segments", dense.n_segments)
      .add("hdbscan_nmi", nmi_hdb)
      .add("silhouette", seg.silhouette)
      .add("report", report_path.string());
  emit(a, j, human + fmt::format("report: {}", report_path.string()));
  return 0;
}

const registrar segment_commands({
    {{"segment"},
     "-i table.csv --text-columns c1,c2 [--k K|auto] [--algorithm kmeans|hdbscan] [--model DIR | --model m.onnx --vocab vocab.txt] -o labels.npy [--report report.html]",
     "The default pipeline on a CSV of records with text: embed (TF-IDF + LSA unless --model), choose k by a sweep unless --k, cluster, "
     "name the segments by their keywords, score them, write labels and optionally an HTML report.",
     [] {
       auto all = with_params<pipeline::segment_params>({{"input", 'i', true, "CSV file with a header row"},
      {"text-columns", 0, true, "comma-separated columns joined into each record's text"},
      {"output", 'o', true, "labels (int32 .npy, one per row; -1 = HDBSCAN noise)"},
      {"k", 'k', true, "segments for kmeans, or auto (default): chosen by a sweep over --k-min..--k-max"},
      {"title-column", 0, true, "column shown when hovering a point in the report (default: the first text column)"},
      {"report", 0, true, "write a self-contained HTML report here"},
      {"profile-columns", 0, true, "columns profiled per segment in the report: numeric ones by mean and lift, others by category share and lift"},
      {"embeddings-out", 0, true, "write the embeddings (float32 .npy)"},
      {"coords-out", 0, true, "write the 2-D UMAP layout (float32 .npy)"},
      {"config", 0, true, "a JSON or YAML (.yaml, .yml) pipeline (embed dims, reducers, clusterer; docs/pipeline.md) instead of the default"},
      {"model-out", 0, true, "save the fitted segmentation (embedder, reducers, clusterer, names) for `segkit assign`: any --algorithm, --config or --model"}},
     segment_skip);
       for (auto& o : text_model_option_list()) all.push_back(std::move(o));
       return all;
     }(),
     segment},

    {{"assign"},
     "--model m.segmodel -i table.csv --text-columns c1,c2 -o labels.npy   (or -i X.npy | -i sessions.txt for a model of vectors, rows or sequences)",
     "Assign new records to the segments of a saved model (`segkit segment --model-out`, or a program's segmentation_model::save) (-1: noise, or no known term).",
     {{"model", 0, true, "the saved segmentation model (an ONNX embedder is read from its original files, refused if they changed)"},
      {"input", 'i', true,
       "the new records, as the model's embedder takes them: texts, a CSV file with a header row (with --text-columns); given vectors, "
       "a float32 .npy matrix; numeric rows (scaler), a .npy matrix; item sequences (item2vec), one session per line of item ids"},
      {"text-columns", 0, true, "a model of texts: comma-separated columns joined into each record's text (as when segmenting)"},
      {"output", 'o', true, "labels (int32 .npy)"},
      {"runtime", 0, true, "a model with an ONNX embedder: libonnxruntime.so.1 (default $SEGKIT_ONNXRUNTIME, then the install-deps cache)"}},
     assign},
    {{"demo"},
     "[--out DIR] [--products N] [--model MODEL_DIR | --model m.onnx --vocab vocab.txt]",
     "Segment a built-in catalog of 10,000 generated products end to end and write DIR/report.html.",
     [] {
       std::vector<option> all{{"out", 0, true, "output directory (default ./segkit-demo)"},
                               {"products", 0, true, fmt::format("catalog size (default {}, at least 100)", datasets::catalog_params{}.products)}};
       for (auto& o : text_model_option_list()) all.push_back(std::move(o));
       return all;
     }(),
     demo},
});

}  // namespace
}  // namespace segkit::cli
