// `segkit embed ...`: records to vectors. `embed text` runs the built-in TF-IDF + LSA embedder.

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include <segkit/core/file.hpp>
#include <segkit/core/npy.hpp>
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
});

}  // namespace
}  // namespace segkit::cli
