// TF-IDF, truncated SVD and LSA: against scikit-learn 1.2.1 on a generated corpus
// (tests/data/make_tfidf_fixture.py: the corpus, the vocabularies, idf and matrices of three
// vectorizers, and the exact ARPACK truncated SVD), tokenizations written out by hand, and what
// an embedder must do (determinism, batch invariance, topics kept apart).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include <segkit/core/npy.hpp>
#include <segkit/embed/lsa.hpp>
#include <segkit/embed/tfidf.hpp>
#include <segkit/reduce/truncated_svd.hpp>

#include "support/unicode_cases.hpp"

namespace fs = std::filesystem;
namespace em = segkit::embed;
namespace rd = segkit::reduce;

namespace {
fs::path fixture(const std::string& name) { return fs::path(SEGKIT_TEST_DATA) / "tfidf" / name; }

std::vector<std::string> lines(const std::string& name) {
  std::ifstream in(fixture(name), std::ios::binary);
  REQUIRE(in);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::vector<std::string> terms(std::string_view text, const em::text_analysis& a) {
  std::vector<std::string> out;
  em::text_terms(text, a, {a.stop_words.begin(), a.stop_words.end()}, out);
  return out;
}

/// The fixture's (row, col) -> value entries.
std::map<std::pair<std::size_t, std::size_t>, double> reference(const std::string& c) {
  const auto r = segkit::load_npy_vector<std::int32_t>(fixture(c + "_rows.npy"));
  const auto k = segkit::load_npy_vector<std::int32_t>(fixture(c + "_cols.npy"));
  const auto v = segkit::load_npy_vector<double>(fixture(c + "_vals.npy"));
  std::map<std::pair<std::size_t, std::size_t>, double> m;
  for (std::size_t i = 0; i < v.size(); ++i) m[{static_cast<std::size_t>(r(i)), static_cast<std::size_t>(k(i))}] = v(i);
  return m;
}

void check_against(const std::string& c, const em::tfidf_params& p) {
  const auto docs = lines("corpus.txt");
  REQUIRE(docs.size() == 240);
  const auto [model, x] = em::tfidf(p).fit_transform(docs);
  CHECK(model.vocabulary == lines(c + "_vocab.txt"));
  const auto idf = segkit::load_npy_vector<double>(fixture(c + "_idf.npy"));
  REQUIRE(model.idf.size() == idf.size());
  for (std::size_t j = 0; j < idf.size(); ++j) REQUIRE(model.idf[j] == Approx(idf(j)).epsilon(1e-12));
  const auto want = reference(c);
  REQUIRE(x.nnz() == want.size());
  x.check("test");
  for (std::size_t i = 0; i < x.rows; ++i) {
    for (std::size_t e = x.indptr[i]; e < x.indptr[i + 1]; ++e) {
      const auto it = want.find({i, x.indices[e]});
      REQUIRE(it != want.end());
      REQUIRE(x.values[e] == Approx(it->second).epsilon(1e-6));
    }
  }
}
}  // namespace

// Expected lists as scikit-learn 1.2.1's CountVectorizer analyzers give them.
TEST_CASE("text terms: words, stop words, n-grams, characters, padding, lower-casing", "[embed][tfidf]") {
  using V = std::vector<std::string>;
  CHECK(terms("Hello, WÖRLD!! a b_c 42 x9 ÉTÉ", {}) == V{"hello", "wörld", "b_c", "42", "x9", "été"});
  CHECK(terms("Red apple and green apple", {.ngram_min = 1, .ngram_max = 2, .stop_words = {"and"}}) ==
        V{"red", "apple", "green", "apple", "red apple", "apple green", "green apple"});
  CHECK(terms("ab  c\td", {.analyzer = em::analyzer::chars, .ngram_min = 2, .ngram_max = 2}) == V{"ab", "b ", " c", "c\t", "\td"});
  CHECK(terms("ab c", {.analyzer = em::analyzer::chars_wb, .ngram_min = 2, .ngram_max = 4}) ==
        V{" a", "ab", "b ", " ab", "ab ", " ab ", " c", "c ", " c "});  // " c " is no longer than 3: whole, once, then stop
  CHECK(terms("Déjà", {.analyzer = em::analyzer::chars, .lowercase = false}) == V{"D", "é", "j", "à"});
  CHECK(terms("ΑΒΓ Привет Ÿ", {}) == V{"αβγ", "привет"});
  CHECK(terms("", {}).empty());
  CHECK(terms("a b c", {}).empty());  // one-letter tokens are not words
  // Malformed UTF-8 becomes U+FFFD, which is not a word character.
  CHECK(terms(std::string("ab\xff" "cd"), {}) == V{"ab", "cd"});
}

// Python's own word tokens (re.findall(r"(?u)\b\w\w+\b", text.lower()), scikit-learn's default
// analyzer) on texts in many scripts and random code points (tests/data/make_unicode_fixture.py).
TEST_CASE("text terms: words in every script as scikit-learn's default analyzer finds them", "[embed][tfidf]") {
  const auto cases = segkit::test::unicode_cases();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i << ": " << cases[i].text);
    CHECK(terms(cases[i].text, {}) == cases[i].words);
  }
}

TEST_CASE("tfidf equals scikit-learn's TfidfVectorizer (word n-grams, char_wb, chars)", "[embed][tfidf]") {
  const auto stop = lines("stop.txt");
  check_against("word", {.analysis = {.ngram_max = 2, .stop_words = stop}, .min_df = 2, .max_df = 0.5, .sublinear_tf = true});
  check_against("charwb", {.analysis = {.analyzer = em::analyzer::chars_wb, .ngram_min = 2, .ngram_max = 3}, .smooth_idf = false});
  check_against("chars", {.analysis = {.analyzer = em::analyzer::chars, .ngram_max = 2, .lowercase = false}, .use_idf = false, .normalize = false});
}

TEST_CASE("tfidf: transform equals fit_transform, any thread count, unknown terms, pruning, bad input", "[embed][tfidf]") {
  using Catch::Matchers::Contains;
  const auto docs = lines("corpus.txt");
  em::tfidf_params p{.analysis = {.ngram_max = 2}, .min_df = 2, .threads = 1};
  const auto [model, x] = em::tfidf(p).fit_transform(docs);
  p.threads = 2;
  const auto [model2, x2] = em::tfidf(p).fit_transform(docs);
  CHECK(model2.vocabulary == model.vocabulary);
  CHECK(x2.indices == x.indices);
  CHECK(x2.values == x.values);
  const auto again = model.transform(docs);
  CHECK(again.indptr == x.indptr);
  CHECK(again.values == x.values);
  const std::vector<std::string> unknown{"zzzz qqqq", ""};
  CHECK(model.transform(unknown).nnz() == 0);
  const auto top = em::tfidf({.max_features = 10}).fit(docs);
  CHECK(top.dim() == 10);
  CHECK_THROWS_WITH(em::tfidf().fit({}), Contains("no documents"));
  CHECK_THROWS_WITH(em::tfidf({.max_df = 0.0}).fit(docs), Contains("max_df must be in (0, 1] (got 0)"));
  CHECK_THROWS_WITH(em::tfidf({.min_df = 1000}).fit(docs), Contains("no term remains"));
  CHECK_THROWS_WITH(em::tfidf({.analysis = {.ngram_min = 0}}).fit(docs), Contains("analysis: ngram_min must be >= 1 (got 0)"));
  CHECK_THROWS_WITH(em::tfidf({.analysis = {.ngram_min = 3, .ngram_max = 2}}).fit(docs), Contains("ngram range"));
}

TEST_CASE("truncated SVD reaches scikit-learn's exact (ARPACK) answer; flips signs as svd_flip", "[embed][tfidf]") {
  const auto docs = lines("corpus.txt");
  const auto x = em::tfidf({.analysis = {.ngram_max = 2, .stop_words = lines("stop.txt")}, .min_df = 2, .max_df = 0.5, .sublinear_tf = true})
                     .fit_transform(docs)
                     .second;
  const auto sv = segkit::load_npy_vector<double>(fixture("svd_sv.npy"));
  const auto comp = segkit::load_npy_matrix<double>(fixture("svd_comp.npy"));
  const auto ratio = segkit::load_npy_vector<double>(fixture("svd_ratio.npy"));
  const auto tight = rd::truncated_svd({.n_components = 8, .power_iterations = 30, .seed = 3, .threads = 2}).fit(x);
  const auto quick = rd::truncated_svd({.n_components = 8, .seed = 3, .threads = 1}).fit(x);
  REQUIRE(tight.n_components() == 8);
  const auto y = tight.transform(x);
  for (std::size_t c = 0; c < 8; ++c) {
    CAPTURE(c);
    CHECK(tight.singular_values[c] == Approx(sv(c)).epsilon(1e-8));
    CHECK(tight.explained_variance_ratio[c] == Approx(ratio(c)).epsilon(1e-6));
    CHECK(quick.singular_values[c] == Approx(sv(c)).epsilon(2e-2));
    double dot = 0.0;
    for (std::size_t j = 0; j < comp.shape(1); ++j) dot += tight.components(c, j) * comp(c, j);
    CHECK(std::abs(dot) == Approx(1.0).epsilon(1e-6));
    // svd_flip: the training row with the largest |coordinate| has it positive.
    std::size_t at = 0;
    for (std::size_t i = 1; i < x.rows; ++i) {
      if (std::abs(y(i, c)) > std::abs(y(at, c))) at = i;
    }
    CHECK(y(at, c) > 0.0f);
  }
  // Thread count does not matter; dense input gives the same answer.
  const auto quick2 = rd::truncated_svd({.n_components = 8, .seed = 3, .threads = 2}).fit(x);
  CHECK(quick2.singular_values == quick.singular_values);
  const auto dense = rd::truncated_svd({.n_components = 8, .seed = 3, .threads = 2}).fit(x.dense());
  CHECK(dense.singular_values == quick.singular_values);
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(rd::truncated_svd({.n_components = x.cols}).fit(x), Contains("n_components"));
  auto broken = x;
  broken.indices[0] = static_cast<std::uint32_t>(x.cols + 5);
  CHECK_THROWS_WITH(rd::truncated_svd({.n_components = 2}).fit(broken), Contains("not below"));
}

TEST_CASE("lsa embeds texts: unit rows, batch-invariant, deterministic, topics apart", "[embed][tfidf]") {
  const auto docs = lines("corpus.txt");
  const auto [model, e] = em::lsa({.dims = 16, .seed = 2, .threads = 2}).fit_transform(docs);
  REQUIRE(e.shape(0) == docs.size());
  REQUIRE(model.dim() == 16);
  for (std::size_t i = 0; i < docs.size(); ++i) {
    double s = 0.0;
    for (std::size_t j = 0; j < 16; ++j) s += static_cast<double>(e(i, j)) * e(i, j);
    CHECK(s == Approx(docs[i].empty() ? 0.0 : 1.0).margin(1e-5));
  }
  const auto one = model.embed(std::vector<std::string>{docs[7]});
  for (std::size_t j = 0; j < 16; ++j) CHECK(one(0, j) == Approx(e(7, j)).margin(1e-6));
  const auto [model1, e1] = em::lsa({.dims = 16, .seed = 2, .threads = 1}).fit_transform(docs);
  CHECK((e1 == e));
  // The corpus's line i belongs to topic i % 5: its nearest other line (cosine) mostly shares it.
  std::size_t same = 0, counted = 0;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    if (docs[i].empty()) continue;
    std::size_t best = i;
    double best_dot = -2.0;
    for (std::size_t j = 0; j < docs.size(); ++j) {
      if (j == i || docs[j].empty()) continue;
      double dot = 0.0;
      for (std::size_t q = 0; q < 16; ++q) dot += static_cast<double>(e(i, q)) * e(j, q);
      if (dot > best_dot) {
        best_dot = dot;
        best = j;
      }
    }
    ++counted;
    same += best % 5 == i % 5 ? 1 : 0;
  }
  CHECK(static_cast<double>(same) / static_cast<double>(counted) > 0.85);
  // A corpus too small for the asked dimensions gets fewer.
  const std::vector<std::string> tiny{"red apple", "green apple", "red car"};
  CHECK(em::lsa({.dims = 50}).fit(tiny).dim() == 3);
}

TEST_CASE("lsa: a fitted model saves and loads; the loaded one embeds identically", "[embed][tfidf][persist]") {
  const auto docs = lines("corpus.txt");
  em::lsa_params params;
  params.dims = 12;
  params.seed = 3;
  params.tfidf.analysis.analyzer = em::analyzer::chars_wb;
  params.tfidf.analysis.ngram_min = 2;
  params.tfidf.analysis.ngram_max = 4;
  const auto model = em::lsa(params).fit(docs);
  const auto p = fs::temp_directory_path() / "segkit_lsa_model.seg";
  model.save(p);
  const auto back = em::lsa_model::load(p);
  CHECK((back.embed(docs) == model.embed(docs)));
  CHECK(back.tfidf.params.analysis.analyzer == em::analyzer::chars_wb);
  CHECK(back.tfidf.params.analysis.ngram_max == 4);
  CHECK(back.tfidf.vocabulary == model.tfidf.vocabulary);
  CHECK(back.tfidf.column.at(model.tfidf.vocabulary[5]) == 5);
  // A truncated file is refused with the reason.
  const auto size = fs::file_size(p);
  fs::resize_file(p, size - 8);
  CHECK_THROWS_WITH(em::lsa_model::load(p), Catch::Contains("truncated"));
  fs::remove(p);
}
