// `segkit embed ...`: records to vectors. `embed text` runs the built-in TF-IDF + LSA embedder.

#include <algorithm>
#include <filesystem>
#include <charconv>
#include <numeric>
#include <string>
#include <vector>

#include <segkit/core/file.hpp>
#include <segkit/core/npy.hpp>
#include <segkit/embed/item2vec.hpp>
#if SEGKIT_CLI_IMAGES
#include <segkit/embed/image.hpp>
#endif
#include <segkit/embed/onnx_image.hpp>
#include <segkit/embed/lsa.hpp>
#include <segkit/embed/model_folder.hpp>
#include <segkit/embed/onnx_reference.hpp>
#include <segkit/embed/onnx_text.hpp>
#include <segkit/embed/tabular.hpp>
#include <segkit/core/csv.hpp>
#include <segkit/core/parse.hpp>

#include "cli.hpp"
#include "text_model.hpp"

namespace segkit::cli {
namespace {

/// Writes lines to a file atomically.
void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  atomic_file_writer out(path);
  out.write(text.data(), text.size());
  out.commit();
}


/// The runtime's version and the embeddings of `docs` by one of the ONNX text embedders; `watch`
/// (when given) times the embedding alone, not the loading; `bar` (when given) shows progress.
template <class Model>
std::pair<std::string, matrix<float>> run_text_model(const Model& model, const std::vector<std::string>& docs, stopwatch* watch, progress_bar* bar) {
  if (watch != nullptr) watch->start();
  auto e = bar != nullptr ? model.embed(docs, *bar) : model.embed(docs);
  if (watch != nullptr) watch->stop();
  return {model.session().runtime().version(), std::move(e)};
}

/// The runtime's version and the ONNX text embedding of `docs` by the model `o` describes.
std::pair<std::string, matrix<float>> model_embeddings(const text_model_options& o, const std::vector<std::string>& docs, stopwatch* watch = nullptr,
                                                       progress_bar* bar = nullptr) {
  if (!o.clip_vocab.empty()) return run_text_model(embed::clip_text_embedder(o.params, o.clip_vocab, o.clip_merges), docs, watch, bar);
  return run_text_model(embed::onnx_text_embedder(o.params), docs, watch, bar);
}

int embed_text_model(const args& a) {
  const auto docs = csv_documents(a.get("input"), a.get("columns"));
  stopwatch watch;
  progress_bar bar(a);
  const auto [version, e] = model_embeddings(text_model_of(a), docs, &watch, &bar);
  bar.finish();
  save_npy(a.get("output"), e);
  const double per_s = watch.seconds() > 0 ? static_cast<double>(docs.size()) / watch.seconds() : 0.0;
  json_object j;
  j.add("seconds", watch.seconds()).add("texts_per_s", per_s).add("rows", docs.size()).add("dims", e.shape(1)).add("runtime", version);
  emit(a, j, fmt::format("embed text: {} rows -> {} dims with {} (ONNX Runtime {}) in {:.3f} s ({:.0f} texts/s, loading excluded)", docs.size(),
                         e.shape(1), a.get("model"), version, watch.seconds(), per_s));
  return 0;
}

/// The tokenizer --tokenizer names: a model folder, a tokenizer.json, a SentencePiece .model, a
/// BERT vocab.txt, or CLIP's vocab.json with --clip-merges.
embed::hf_tokenizer tokenizer_of(const args& a) {
  const std::filesystem::path path = a.get("tokenizer");
  const std::size_t max_length = a.get_size("max-length", 0);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    auto p = embed::read_text_model_folder(path).params;
    if (max_length != 0) p.tokenizer.max_length = max_length;
    if (a.has("cased")) p.tokenizer.lower_case = false;
    return embed::text_tokenizer_of(p);
  }
  const auto ext = path.extension().string();
  if (a.has("clip-merges")) return embed::clip_bpe_tokenizer(path, a.get("clip-merges"), max_length != 0 ? max_length : 77).tokenizer();
  if (ext == ".json") return embed::hf_tokenizer::from_file(path, max_length);
  if (ext == ".model") return embed::hf_tokenizer::from_sentencepiece(path, max_length);
  if (ext == ".txt") return embed::wordpiece_tokenizer(path, {.lower_case = !a.has("cased"), .max_length = max_length}).tokenizer();
  throw usage_error(fmt::format("--tokenizer '{}': expected a model folder, a tokenizer.json, a SentencePiece .model, a vocab.txt, "
                                "or CLIP's vocab.json with --clip-merges",
                                path.string()));
}

int embed_tokenize(const args& a) {
  const auto docs = csv_documents(a.get("input"), a.get("columns"));
  const auto tokenizer = tokenizer_of(a);
  std::vector<std::string> lines(docs.size());
  std::size_t tokens = 0, longest = 0;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    const auto ids = tokenizer.encode(docs[i]);
    lines[i] = fmt::format("[{}]", fmt::join(ids, ","));
    tokens += ids.size();
    longest = std::max(longest, ids.size());
  }
  write_lines(a.get("output"), lines);
  json_object j;
  j.add("rows", docs.size()).add("tokens", tokens).add("longest", longest);
  emit(a, j, fmt::format("embed tokenize: {} rows -> {} tokens (longest {})", docs.size(), tokens, longest));
  return 0;
}

int embed_text(const args& a) {
  if (a.has("model") || a.has("vocab") || a.has("clip-vocab") || a.has("clip-merges")) return embed_text_model(a);
  embed::lsa_params p;
  apply_params(a, p, {"tfidf.analysis.stop_words"});
  auto& t = p.tfidf;
  if (t.analysis.analyzer != embed::analyzer::word) {  // character n-grams: 2-4 unless told otherwise
    if (!a.has("ngram-min")) t.analysis.ngram_min = 2;
    if (!a.has("ngram-max")) t.analysis.ngram_max = 4;
  }
  const std::string stop = a.get_or("stop-words", "english");
  if (stop == "none") {
    t.analysis.stop_words.clear();
  } else if (stop != "english") {
    t.analysis.stop_words = split_list(stop);
  }
  const auto docs = csv_documents(a.get("input"), a.get("columns"));
  stopwatch watch;
  watch.start();
  const auto [model, e] = embed::lsa(p).fit_transform(docs);
  watch.stop();
  save_npy(a.get("output"), e);
  if (a.has("vocabulary-out")) {
    write_lines(a.get("vocabulary-out"), model.tfidf.vocabulary);
  }
  const double explained = std::accumulate(model.svd.explained_variance_ratio.begin(), model.svd.explained_variance_ratio.end(), 0.0);
  json_object j;
  j.add("seconds", watch.seconds()).add("rows", docs.size()).add("dims", model.dim()).add("vocabulary", model.tfidf.dim());
  j.add("explained_variance_ratio", explained);
  emit(a, j,
       fmt::format("embed text: {} rows -> {} dims (TF-IDF over {} terms + LSA, {:.1f}% of the variance) in {:.3f} s", docs.size(), model.dim(),
                   model.tfidf.dim(), 100.0 * explained, watch.seconds()));
  return 0;
}

int embed_sequences(const args& a) {
  embed::item2vec_params p;
  apply_params(a, p);
  const auto sessions = read_sessions(a.get("input"), "segkit embed sequences");
  stopwatch watch;
  watch.start();
  const auto m = embed::item2vec(p).fit(sessions);
  watch.stop();
  save_npy(a.get("output"), m.vectors);
  xt::xtensor<std::int64_t, 1> ids = xt::xtensor<std::int64_t, 1>::from_shape({m.size()});
  for (std::size_t r = 0; r < m.size(); ++r) ids(r) = static_cast<std::int64_t>(m.items[r]);
  save_npy(a.get("items-out"), ids);
  if (a.has("sessions-out")) {
    auto with_rule = m;
    apply_params(a, with_rule.session_rule, {"normalize"});
    save_npy(a.get("sessions-out"), with_rule.embed(sessions));
  }
  std::size_t raw = 0;
  for (const auto& s : sessions) raw += s.size();
  json_object j;
  j.add("seconds", watch.seconds()).add("sessions", sessions.size()).add("items", m.size()).add("words_trained", m.words_trained);
  j.add("words_per_second", static_cast<double>(raw * p.epochs) / std::max(watch.seconds(), 1e-9));
  emit(a, j, fmt::format("embed sequences: {} items from {} sessions, {} dims, {:.3f} s", m.size(), sessions.size(), m.dim(), watch.seconds()));
  return 0;
}

int embed_table(const args& a) {
  if (!a.has("numeric") && !a.has("categorical")) throw usage_error("give --numeric and/or --categorical columns");
  const auto t = read_csv(a.get("input"));
  const std::string encoding = a.get_or("encoding", "one-hot");
  embed::scaler_params sp;
  apply_params(a, sp);
  embed::one_hot_params op;
  apply_params(a, op);
  if (encoding != "one-hot" && encoding != "frequency") throw usage_error(fmt::format("--encoding must be one-hot or frequency, not '{}'", encoding));
  const std::size_t n = t.row_count();
  std::vector<std::string> names;
  matrix<double> numeric = matrix<double>::from_shape({n, 0});
  if (a.has("numeric")) {
    const auto cols = split_list(a.get("numeric"));
    numeric = matrix<double>::from_shape({n, cols.size()});
    for (std::size_t j = 0; j < cols.size(); ++j) {
      const auto values = t.column(cols[j]);
      for (std::size_t i = 0; i < n; ++i) {
        const auto v = parse_real(values[i]);
        if (!v) throw segkit::format_error(fmt::format("{}: row {}, column '{}': '{}' is not a number", a.get("input"), i + 2, cols[j], values[i]));
        numeric(i, j) = *v;
      }
      names.push_back(cols[j]);
    }
  }
  std::vector<std::string> cat_names;
  std::vector<std::vector<std::string>> cats;
  if (a.has("categorical")) {
    cat_names = split_list(a.get("categorical"));
    for (const auto& c : cat_names) {
      const auto values = t.column(c);
      cats.emplace_back(values.begin(), values.end());
    }
  }
  stopwatch watch;
  watch.start();
  matrix<float> num_out = matrix<float>::from_shape({n, 0}), cat_out = matrix<float>::from_shape({n, 0});
  if (numeric.shape(1) > 0) num_out = embed::scaler(sp).fit(numeric).transform(numeric);
  if (!cats.empty()) {
    if (encoding == "one-hot") {
      const auto m = embed::one_hot(op).fit(cats);
      cat_out = m.transform(cats);
      for (auto& nm : m.column_names(cat_names)) names.push_back(std::move(nm));
    } else {
      cat_out = embed::fit_frequency(cats).transform(cats);
      for (const auto& c : cat_names) names.push_back(c + "=(frequency)");
    }
  }
  matrix<float> out = matrix<float>::from_shape({n, num_out.shape(1) + cat_out.shape(1)});
  for (std::size_t i = 0; i < n; ++i) {
    std::copy_n(num_out.data() + i * num_out.shape(1), num_out.shape(1), out.data() + i * out.shape(1));
    std::copy_n(cat_out.data() + i * cat_out.shape(1), cat_out.shape(1), out.data() + i * out.shape(1) + num_out.shape(1));
  }
  watch.stop();
  save_npy(a.get("output"), out);
  if (a.has("columns-out")) write_lines(a.get("columns-out"), names);
  json_object j;
  j.add("seconds", watch.seconds()).add("rows", n).add("dims", out.shape(1));
  emit(a, j, fmt::format("embed table: {} rows -> {} columns ({:.3f} s)", n, out.shape(1), watch.seconds()));
  return 0;
}

// embed rfm: --as-of takes a date (the table's as_of holds seconds).
const std::initializer_list<std::string_view> rfm_skipped = {"as_of"};

int embed_rfm(const args& a) {
  const auto t = read_csv(a.get("input"));
  const auto who = t.column(a.get("customer")), when = t.column(a.get("time")), how_much = t.column(a.get("amount"));
  std::vector<embed::transaction> tx;
  tx.reserve(t.row_count());
  for (std::size_t i = 0; i < t.row_count(); ++i) {
    const auto id = parse_integer(who[i]);
    const auto time = parse_timestamp(when[i]);
    const auto amount = parse_real(how_much[i]);
    if (!id || *id < 0) throw segkit::format_error(fmt::format("{}: row {}: customer '{}' is not a non-negative integer", a.get("input"), i + 2, who[i]));
    if (!time) throw segkit::format_error(fmt::format("{}: row {}: time '{}' is not YYYY-MM-DD[THH:MM[:SS]]", a.get("input"), i + 2, when[i]));
    if (!amount) throw segkit::format_error(fmt::format("{}: row {}: amount '{}' is not a number", a.get("input"), i + 2, how_much[i]));
    tx.push_back({static_cast<id_type>(*id), *time, *amount});
  }
  embed::rfm_params p;
  apply_params(a, p, rfm_skipped);
  if (a.has("as-of")) {
    const auto as_of = parse_timestamp(a.get("as-of"));
    if (!as_of) throw usage_error(fmt::format("--as-of '{}' is not YYYY-MM-DD[THH:MM[:SS]]", a.get("as-of")));
    p.as_of = *as_of;
  }
  if (a.has("monetary")) {  // the older spelling of --monetary-mean
    const std::string monetary = a.get("monetary");
    if (monetary != "sum" && monetary != "mean") throw usage_error(fmt::format("--monetary must be sum or mean, not '{}'", monetary));
    p.monetary_mean = monetary == "mean";
  }
  stopwatch watch;
  watch.start();
  const auto r = embed::rfm(tx, p);
  watch.stop();
  save_npy(a.get("output"), r.values);
  xt::xtensor<std::int64_t, 1> ids = xt::xtensor<std::int64_t, 1>::from_shape({r.customers.size()});
  for (std::size_t i = 0; i < r.customers.size(); ++i) ids(i) = static_cast<std::int64_t>(r.customers[i]);
  save_npy(a.get("ids-out"), ids);
  if (a.has("scores-out")) save_npy(a.get("scores-out"), r.scores);
  json_object j;
  j.add("seconds", watch.seconds()).add("transactions", tx.size()).add("customers", r.customers.size());
  emit(a, j, fmt::format("embed rfm: {} customers from {} transactions ({:.3f} s)", r.customers.size(), tx.size(), watch.seconds()));
  return 0;
}

int embed_images(const args& a) {
#if SEGKIT_CLI_IMAGES
  // A directory (its regular files, sorted by name) or a text file of paths, one per line.
  const std::filesystem::path in = a.get("input");
  std::vector<std::string> paths;
  if (std::filesystem::is_directory(in)) {
    for (const auto& e : std::filesystem::directory_iterator(in)) {
      if (e.is_regular_file()) paths.push_back(e.path().string());
    }
    std::sort(paths.begin(), paths.end());
  } else {
    const auto bytes = read_file_bytes(in, "segkit embed images");
    std::string line;
    for (std::size_t i = 0; i <= bytes.size(); ++i) {
      if (i == bytes.size() || bytes[i] == '\n') {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (!line.empty()) paths.push_back(line);
        line.clear();
      } else {
        line.push_back(bytes[i]);
      }
    }
  }
  if (paths.empty()) throw usage_error(fmt::format("no images in '{}'", in.string()));
  embed::image_feature_params p;
  apply_params(a, p);
  if (a.has("bins")) {
    const auto b = split_list(a.get("bins"));
    if (b.size() != 3) throw usage_error("--bins takes three counts: L,a,b");
    try {
      params::set(p, "l_bins", b[0], "--bins", "--bins L");
      params::set(p, "a_bins", b[1], "--bins", "--bins a");
      params::set(p, "b_bins", b[2], "--bins", "--bins b");
    } catch (const segkit::invalid_argument& e) {
      throw usage_error(e.what());
    }
  }
  std::vector<embed::image> images;
  images.reserve(paths.size());
  for (const auto& path : paths) images.push_back(embed::load_image(path));
  stopwatch watch;
  matrix<float> e;
  if (a.has("model")) {
    embed::onnx_image_params mp;
    mp.model = a.get("model");
    if (std::filesystem::is_directory(mp.model)) {  // a CLIP folder: its vision tower and preprocessing
      mp = embed::read_clip_model_folder(a.get("model")).image;
      if (mp.model.empty()) throw usage_error(fmt::format("'{}' has no onnx/vision_model.onnx or vision_model.onnx", a.get("model")));
    }
    if (a.has("runtime")) mp.session.runtime = a.get("runtime");
    mp.session.intra_op_threads = static_cast<int>(a.threads());
    const embed::onnx_image_embedder model(mp);
    watch.start();
    e = model.embed(images);
  } else {
    const embed::image_features f(p);
    watch.start();
    e = f.embed(images);
  }
  watch.stop();
  save_npy(a.get("output"), e);
  if (a.has("paths-out")) write_lines(a.get("paths-out"), paths);
  json_object j;
  j.add("seconds", watch.seconds()).add("images", paths.size()).add("dims", e.shape(1));
  emit(a, j, fmt::format("embed images: {} images -> {} dims ({:.3f} s)", paths.size(), e.shape(1), watch.seconds()));
  return 0;
#else
  (void)a;
  throw usage_error("this segkit was built without stb (libstb-dev): image decoding is not available");
#endif
}

const registrar embed_commands({
    {{"embed", "text"},
     "-i table.csv --columns c1,c2 -o E.npy [--stop-words english|none|w1,w2] [--vocabulary-out V.txt] [LSA parameters] "
     "| --model m.onnx (--vocab vocab.txt|tokenizer.json | --clip-vocab vocab.json --clip-merges merges.txt) | --model DIR "
     "[--pooling mean|cls|max|mean-sqrt-len] [--max-length N] [--batch-size 32] [--cased] [--runtime LIB]",
     "Embeds the text of CSV columns with TF-IDF followed by a truncated SVD (LSA), rows L2-normalized (deterministic for a seed); "
     "character analyzers default to 2-4-grams. Reports rows, dims, vocabulary and explained_variance_ratio (the kept share).",
     [] {
       auto all = with_params<embed::lsa_params>({{"input", 'i', true, "CSV with a header"},
                                                   {"columns", 0, true, "text columns, comma-separated (joined by a space per row)"},
                                                   {"output", 'o', true, "embeddings to write, float32 .npy (n x dims)"},
                                                   {"stop-words", 0, true, "english (default), none, or a comma-separated list"},
                                                   {"vocabulary-out", 0, true, "write the vocabulary, one term per line"}},
                                                  {"tfidf.analysis.stop_words"});
       for (auto& o : text_model_option_list()) all.push_back(std::move(o));
       return all;
     }(),
     embed_text},
    {{"embed", "tokenize"},
     "--tokenizer PATH -i table.csv --columns c1,c2 -o ids.jsonl [--max-length N] [--cased] [--clip-merges merges.txt]",
     "Token ids of the text of CSV columns, one JSON array per row, special tokens included and cut to the maximum length as the "
     "model's tokenizer does. PATH: a model folder, a tokenizer.json, a SentencePiece .model (Unigram; ids as spm_encode gives them), "
     "a BERT vocab.txt, or CLIP's vocab.json (with --clip-merges). "
     "Reports rows, tokens and longest.",
     {{"tokenizer", 0, true, "model folder, tokenizer.json, SentencePiece .model, vocab.txt, or CLIP's vocab.json"},
      {"input", 'i', true, "CSV with a header"},
      {"columns", 0, true, "text columns, comma-separated (joined by a space per row)"},
      {"output", 'o', true, "ids to write, one JSON array per row"},
      {"max-length", 0, true, "tokens per text including special tokens (default: the tokenizer's own; 512 for a vocab.txt, 77 for CLIP)"},
      {"cased", 0, false, "vocab.txt: keep case and accents"},
      {"clip-merges", 0, true, "CLIP's merges.txt (PATH is then its vocab.json)"}},
     embed_tokenize},
    {{"embed", "sequences"},
     "-i sessions.txt -o vectors.npy --items-out items.npy [--sessions-out S.npy [--last N] [--half-life H]] [item2vec parameters]",
     "item2vec (skip-gram with negative sampling) over sessions, one per line of item ids; deterministic for a seed, any thread count. "
     "Reports sessions, items, words_trained and words_per_second (item occurrences x epochs per second).",
     [] {
       auto all = with_params<embed::item2vec_params>({{"input", 'i', true, "sessions: one per line, unsigned item ids separated by spaces, tabs or commas"},
                                                        {"output", 'o', true, "item vectors to write, float32 .npy (items x dim), rows by decreasing count"},
                                                        {"items-out", 0, true, "the item id of each row, int64 .npy"},
                                                        {"sessions-out", 0, true, "also write one vector per input session, float32 .npy"}});
       for (auto& o : param_options<embed::session_params>({"normalize"})) {
         o.help = "session vectors: " + o.help;
         all.push_back(std::move(o));
       }
       return all;
     }(),
     embed_sequences},
    {{"embed", "table"},
     "-i table.csv -o X.npy [--numeric a,b] [--categorical c,d] [--encoding one-hot|frequency] [--columns-out names.txt] [parameters]",
     "Numeric columns scaled and categorical ones encoded, side by side. Reports rows and dims.",
     [] {
       auto all = with_params<embed::scaler_params>({{"input", 'i', true, "CSV with a header"},
                                                      {"output", 'o', true, "features to write, float32 .npy (rows x dims)"},
                                                      {"numeric", 0, true, "numeric columns, comma-separated"},
                                                      {"categorical", 0, true, "categorical columns, comma-separated"},
                                                      {"encoding", 0, true, "one-hot (default) or frequency (each category's share)"},
                                                      {"columns-out", 0, true, "write the output column names, one per line"}});
       for (auto& o : param_options<embed::one_hot_params>()) all.push_back(std::move(o));
       return all;
     }(),
     embed_table},
    {{"embed", "rfm"},
     "-i transactions.csv --customer C --time T --amount A -o rfm.npy --ids-out ids.npy [--as-of DATE] [--monetary sum|mean] [--scores-out S.npy]",
     "Recency (days), frequency and monetary value per customer, and their quintile scores. Reports transactions and customers.",
     with_params<embed::rfm_params>({{"input", 'i', true, "CSV with a header, one transaction per row"},
                                     {"customer", 0, true, "column of customer ids (non-negative integers)"},
                                     {"time", 0, true, "column of times, YYYY-MM-DD[THH:MM[:SS]]"},
                                     {"amount", 0, true, "column of amounts"},
                                     {"output", 'o', true, "RFM values to write, float64 .npy (customers x 3)"},
                                     {"ids-out", 0, true, "customer ids in row order, int64 .npy"},
                                     {"as-of", 0, true, "reference time, YYYY-MM-DD[THH:MM[:SS]] (default: the latest transaction)"},
                                     {"monetary", 0, true, "sum (default) or mean amount (mean: the same as --monetary-mean)"},
                                     {"scores-out", 0, true, "quintile scores 1-5, int32 .npy (customers x 3)"}},
                                    rfm_skipped),
     embed_rfm},
    {{"embed", "images"},
     "-i DIR|paths.txt -o E.npy [--thumbnail 8] [--bins 4,6,6] [--paths-out P.txt] | [--model image.onnx|CLIP_DIR [--runtime LIB]]",
     "Image vectors: without a model, a CIELAB color histogram (square-rooted) and a thumbnail of the center square; with --model, "
     "a CLIP-style image tower through ONNX Runtime (CLIP preprocessing). Reports images and dims.",
     with_params<embed::image_feature_params>(
         {{"input", 'i', true, "a directory (every file, by name) or a text file with one image path per line"},
          {"output", 'o', true, "vectors to write, float32 .npy (images x dims)"},
          {"bins", 0, true,
           fmt::format("histogram bins for L, a, b (default {},{},{}; the same as --l-bins --a-bins --b-bins)", embed::image_feature_params{}.l_bins,
                       embed::image_feature_params{}.a_bins, embed::image_feature_params{}.b_bins)},
          {"paths-out", 0, true, "write the image paths in row order"},
          {"model", 0, true, "ONNX image model: a CLIP folder (its vision tower and preprocessor_config.json) or an .onnx file, pixel_values [batch, 3, size, size] -> image_embeds (docs/embed_models.md)"},
          {"runtime", 0, true, "--model: libonnxruntime.so.1 (default $SEGKIT_ONNXRUNTIME, then ~/.cache/segkit/onnxruntime-1.30.0/)"}}),
     embed_images},
});

}  // namespace

std::vector<std::vector<id_type>> read_sessions(const std::string& path, std::string_view command) {
  const auto bytes = read_file_bytes(path, command);
  const std::string_view text(bytes.data(), bytes.size());
  std::vector<std::vector<id_type>> out;
  std::size_t line = 0;
  for (std::size_t begin = 0; begin < text.size();) {
    const std::size_t nl = text.find('\n', begin);
    const std::string_view l = text.substr(begin, nl == std::string_view::npos ? std::string_view::npos : nl - begin);
    ++line;
    std::vector<id_type> s;
    for (std::size_t i = 0; i < l.size();) {
      const char ch = l[i];
      if (ch == ' ' || ch == '\t' || ch == ',' || ch == '\r') {
        ++i;
        continue;
      }
      id_type v = 0;
      const auto [end, ec] = std::from_chars(l.data() + i, l.data() + l.size(), v);
      if (ec != std::errc{} || end == l.data() + i) {
        throw segkit::format_error(fmt::format("{}: line {}: expected an item id (unsigned integer) at '{}'", path, line, l.substr(i, 12)));
      }
      s.push_back(v);
      i = static_cast<std::size_t>(end - l.data());
    }
    out.push_back(std::move(s));
    if (nl == std::string_view::npos) break;
    begin = nl + 1;
  }
  return out;
}

text_model_options text_model_of(const args& a) {
  const bool clip = a.has("clip-vocab") || a.has("clip-merges");
  if (clip && !(a.has("model") && a.has("clip-vocab") && a.has("clip-merges"))) {
    throw usage_error("CLIP text needs --model, --clip-vocab vocab.json and --clip-merges merges.txt");
  }
  std::error_code ec;
  const bool folder = a.has("model") && std::filesystem::is_directory(a.get("model"), ec);
  if (!clip && !folder && (!a.has("model") || !a.has("vocab")))
    throw usage_error("give --model DIR (a model folder), or --model m.onnx with --vocab vocab.txt or tokenizer.json");
  text_model_options o;
  auto& p = o.params;
  if (folder) {
    p = embed::read_text_model_folder(a.get("model")).params;
  } else {
    p.model = a.get("model");
  }
  if (!clip && a.has("vocab")) {
    const std::filesystem::path v = a.get("vocab");
    p.vocab.clear();
    p.tokenizer_json.clear();
    (v.extension() == ".json" ? p.tokenizer_json : p.vocab) = v;
  }
  if (a.has("cased")) p.tokenizer.lower_case = false;
  try {
    if (a.has("max-length")) params::set_path(p, "tokenizer.max_length", a.get("max-length"), "--max-length", "--max-length");
    if (a.has("batch-size")) params::set_path(p, "batch_size", a.get("batch-size"), "--batch-size", "--batch-size");
    if (a.has("pooling")) params::set_path(p, "pooling", a.get("pooling"), "--pooling", "--pooling");
  } catch (const segkit::invalid_argument& e) {
    throw usage_error(e.what());
  }
  if (a.has("runtime")) p.session.runtime = a.get("runtime");
  p.session.intra_op_threads = static_cast<int>(a.threads());
  if (clip) o.clip_vocab = a.get("clip-vocab"), o.clip_merges = a.get("clip-merges");
  return o;
}

matrix<float> text_model_options::embed(const std::vector<std::string>& texts) const { return model_embeddings(*this, texts).second; }

embed::onnx_text_reference text_model_options::reference(std::size_t dim) const {
  return embed::onnx_text_reference::of(params, clip_vocab, clip_merges, dim);
}

std::vector<option> text_model_option_list() {
  const embed::onnx_text_params d{};
  return {{"model", 0, true, "ONNX sentence-transformer model instead of TF-IDF + LSA: a model folder (its settings are the defaults) or an .onnx file "
                            "(docs/embed_models.md)"},
          {"vocab", 0, true, "the tokenizer of an .onnx --model: tokenizer.json, or a WordPiece vocab.txt"},
          {"clip-vocab", 0, true, "instead of --vocab: CLIP's vocab.json (with --clip-merges; --model is CLIP's text tower)"},
          {"clip-merges", 0, true, "CLIP's merges.txt"},
          {"pooling", 0, true, fmt::format("--model: {} (default {})", params::choices_text<embed::pooling>(), params::name(d.pooling))},
          {"max-length", 0, true, "--model: tokens per text including [CLS] and [SEP] (default: the model folder's max_seq_length, else the tokenizer.json's, else 512)"},
          {"batch-size", 0, true, fmt::format("--model: texts per run (default {})", d.batch_size)},
          {"cased", 0, false, "--model: keep case and accents (cased vocabularies)"},
          {"runtime", 0, true, "--model: libonnxruntime.so.1 (default $SEGKIT_ONNXRUNTIME, then ~/.cache/segkit/onnxruntime-1.30.0/)"}};
}

}  // namespace segkit::cli
