// `segkit embed ...`: records to vectors. `embed text` runs the built-in TF-IDF + LSA embedder.

#include <algorithm>
#include <charconv>
#include <numeric>
#include <string>
#include <vector>

#include <segkit/core/file.hpp>
#include <segkit/core/npy.hpp>
#include <segkit/embed/item2vec.hpp>
#include <segkit/embed/lsa.hpp>

#include "cli.hpp"

namespace segkit::cli {
namespace {

embed::analyzer parse_analyzer(const std::string& s) {
  if (s == "word") return embed::analyzer::word;
  if (s == "chars") return embed::analyzer::chars;
  if (s == "chars-wb") return embed::analyzer::chars_wb;
  throw usage_error(fmt::format("--analyzer must be word, chars or chars-wb, not '{}'", s));
}

int embed_text(const args& a) {
  if (a.has("model") || a.has("vocab")) {
    throw usage_error("--model/--vocab need the ONNX Runtime text adapter, which this build does not have yet; omit them for TF-IDF + LSA");
  }
  embed::lsa_params p;
  p.dims = a.get_size("dims", p.dims);
  auto& t = p.tfidf;
  t.analysis.analyzer = parse_analyzer(a.get_or("analyzer", "word"));
  if (t.analysis.analyzer != embed::analyzer::word) {
    t.analysis.ngram_min = 2;  // character n-grams: 2-4 unless told otherwise
    t.analysis.ngram_max = 4;
  }
  t.analysis.ngram_min = a.get_size("ngram-min", t.analysis.ngram_min);
  t.analysis.ngram_max = a.get_size("ngram-max", t.analysis.ngram_max);
  const std::string stop = a.get_or("stop-words", "english");
  if (stop == "none") {
    t.analysis.stop_words.clear();
  } else if (stop != "english") {
    throw usage_error(fmt::format("--stop-words must be english or none, not '{}'", stop));
  }
  t.min_df = a.get_size("min-df", t.min_df);
  t.max_df = a.get_double("max-df", t.max_df);
  if (a.has("no-sublinear-tf")) t.sublinear_tf = false;
  p.seed = a.seed();
  p.threads = a.threads();
  const auto docs = csv_documents(a.get("input"), a.get("columns"));
  stopwatch watch;
  watch.start();
  const auto [model, e] = embed::lsa(p).fit_transform(docs);
  watch.stop();
  save_npy(a.get("output"), e);
  if (a.has("vocabulary-out")) {
    std::string text;
    for (const auto& term : model.tfidf.vocabulary) text += term + "\n";
    atomic_file_writer out(a.get("vocabulary-out"));
    out.write(text.data(), text.size());
    out.commit();
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

/// Sessions from a text file: one per line (an empty line is an empty session; a final newline
/// ends the last line), item ids (unsigned integers) separated by spaces, tabs or commas.
std::vector<std::vector<id_type>> read_sessions(const std::string& path) {
  const auto bytes = read_file_bytes(path, "segkit embed sequences");
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

int embed_sequences(const args& a) {
  embed::item2vec_params p;
  p.dim = a.get_size("dim", p.dim);
  p.window = a.get_size("window", p.window);
  p.negative = a.get_size("negative", p.negative);
  p.epochs = a.get_size("epochs", p.epochs);
  p.sample = a.get_double("sample", p.sample);
  p.min_count = a.get_size("min-count", p.min_count);
  p.alpha = a.get_double("alpha", p.alpha);
  p.seed = a.seed();
  p.threads = a.threads();
  const auto sessions = read_sessions(a.get("input"));
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
    with_rule.session_rule = {.last = a.get_size("last", 0), .half_life = a.get_double("half-life", 0.0)};
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

const registrar embed_commands({
    {{"embed", "text"},
     "-i table.csv --columns c1,c2 -o E.npy [--dims 100] [--analyzer word|chars|chars-wb] [--ngram-min N] [--ngram-max N] "
     "[--stop-words english|none] [--min-df N] [--max-df F] [--no-sublinear-tf] [--vocabulary-out V.txt]",
     "Embeds the text of CSV columns with TF-IDF followed by a truncated SVD (LSA), rows L2-normalised (deterministic for a seed). "
     "Reports rows, dims, vocabulary and explained_variance_ratio (the kept share).",
     {{"input", 'i', true, "CSV with a header"},
      {"columns", 0, true, "text columns, comma-separated (joined by a space per row)"},
      {"output", 'o', true, "embeddings to write, float32 .npy (n x dims)"},
      {"dims", 0, true, "dimensions (default 100; fewer when the corpus is smaller)"},
      {"analyzer", 0, true, "word (default), chars or chars-wb (character n-grams inside words)"},
      {"ngram-min", 0, true, "shortest n-gram (default 1 for words, 2 for characters)"},
      {"ngram-max", 0, true, "longest n-gram (default 2 for words, 4 for characters)"},
      {"stop-words", 0, true, "english (default) or none"},
      {"min-df", 0, true, "drop terms in fewer documents (default 1)"},
      {"max-df", 0, true, "drop terms in more than this share of documents (default 1)"},
      {"no-sublinear-tf", 0, false, "raw counts instead of 1 + ln(count)"},
      {"vocabulary-out", 0, true, "write the vocabulary, one term per line"},
      {"model", 0, true, "ONNX sentence-transformer model (not available in this build yet)"},
      {"vocab", 0, true, "WordPiece vocab.txt of --model"}},
     embed_text},
    {{"embed", "sequences"},
     "-i sessions.txt -o vectors.npy --items-out items.npy [--dim 64] [--window 5] [--negative 5] [--epochs 5] [--sample 0.001] "
     "[--min-count 1] [--alpha 0.025] [--sessions-out S.npy [--last N] [--half-life H]]",
     "item2vec (skip-gram with negative sampling) over sessions, one per line of item ids; deterministic for a seed, any thread count. "
     "Reports sessions, items, words_trained and words_per_second (item occurrences x epochs per second).",
     {{"input", 'i', true, "sessions: one per line, unsigned item ids separated by spaces, tabs or commas"},
      {"output", 'o', true, "item vectors to write, float32 .npy (items x dim), rows by decreasing count"},
      {"items-out", 0, true, "the item id of each row, int64 .npy"},
      {"dim", 0, true, "dimensions (default 64)"},
      {"window", 0, true, "largest context distance (default 5)"},
      {"negative", 0, true, "negative samples per pair (default 5)"},
      {"epochs", 0, true, "passes (default 5)"},
      {"sample", 0, true, "subsampling threshold of frequent items (default 0.001; 0 = off)"},
      {"min-count", 0, true, "items seen fewer times get no vector (default 1)"},
      {"alpha", 0, true, "starting learning rate (default 0.025)"},
      {"sessions-out", 0, true, "also write one vector per input session, float32 .npy"},
      {"last", 0, true, "session vectors: only the last N known items (default all)"},
      {"half-life", 0, true, "session vectors: recency half-life in items (default 0 = plain mean)"}},
     embed_sequences},
});

}  // namespace
}  // namespace segkit::cli
