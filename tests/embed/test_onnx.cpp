// ONNX Runtime (loaded at run time) and the text embedder: the WordPiece tokenizer on
// tokenizations written out by hand, then small models with sentence-transformers' signature
// (tests/data/make_onnx_fixture.py) checked numerically end to end — which exercises every OrtApi
// slot segkit uses (environment, session options, session, input/output discovery, tensors, run,
// shapes, releases) — and the errors for a missing library, model or input.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <segkit/core/npy.hpp>
#include <segkit/embed/onnx_image.hpp>
#include <segkit/embed/onnx_text.hpp>

#include "support/unicode_cases.hpp"

namespace fs = std::filesystem;
namespace em = segkit::embed;

namespace {
fs::path fixture(const std::string& name) { return fs::path(SEGKIT_TEST_DATA) / "onnx" / name; }

fs::path runtime() { return em::default_onnxruntime_path(); }

em::onnx_text_params params(const std::string& model) {
  em::onnx_text_params p;
  p.model = fixture(model);
  p.vocab = fixture("vocab.txt");
  p.session.runtime = runtime();
  p.session.intra_op_threads = 1;
  return p;
}

const std::vector<std::string> texts{"The red apples!", "Unbelievable, CAFÉ 中文", "faster abc zzz"};
}  // namespace

TEST_CASE("WordPiece: lower case, accents, punctuation, CJK, longest match with ##, [UNK], truncation", "[embed][onnx]") {
  const em::wordpiece_tokenizer t(fixture("vocab.txt"));
  using V = std::vector<std::string>;
  CHECK(t.pieces("The red apples!") == V{"the", "red", "apple", "##s", "!"});
  CHECK(t.pieces("Unbelievable, CAFÉ 中文") == V{"un", "##believ", "##able", ",", "cafe", "中", "文"});
  CHECK(t.pieces("faster abc zzz") == V{"fast", "##er", "[UNK]", "[UNK]"});
  CHECK(t.pieces("bc\tx\u00A0x") == V{"b", "##c", "x", "x"});
  CHECK(t.pieces("  ") == V{});
  CHECK(t.encode("The red apples!") == std::vector<std::int64_t>{2, 4, 5, 6, 7, 14, 3});
  const em::wordpiece_tokenizer cased(fixture("vocab.txt"), {.lower_case = false});
  CHECK(cased.pieces("The") == V{"[UNK]"});  // no "The" in the vocabulary
  const em::wordpiece_tokenizer short_t(fixture("vocab.txt"), {.max_length = 4});
  CHECK(short_t.encode("the red apple") == std::vector<std::int64_t>{2, 4, 5, 3});
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(em::wordpiece_tokenizer(fixture("expected_mean.npy")), Contains("has no [CLS] token"));
}

// BERT's basic tokens and CLIP's pre-tokens on texts in many scripts and random code points, as
// tests/data/make_unicode_fixture.py computes them in Python (the regex module for CLIP's pattern).
TEST_CASE("WordPiece and CLIP BPE split text in every script as their Python references do", "[embed][onnx]") {
  const em::wordpiece_tokenizer uncased(fixture("vocab.txt"));
  const em::wordpiece_tokenizer cased(fixture("vocab.txt"), {.lower_case = false});
  const em::clip_bpe_tokenizer clip(fixture("clip_vocab.json"), fixture("clip_merges.txt"));
  const auto cases = segkit::test::unicode_cases();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i << ": " << cases[i].text);
    CHECK(uncased.words(cases[i].text) == cases[i].bert);
    CHECK(cased.words(cases[i].text) == cases[i].bert_cased);
    CHECK(clip.words(cases[i].text) == cases[i].clip);
  }
  // A literal marker stays one symbol (it is in the vocabulary).
  CHECK(clip.pieces("<|endoftext|>") == std::vector<std::string>{"<|endoftext|>"});
}

TEST_CASE("ONNX text embedder equals the models' numbers end to end (mean and CLS pooling, masks, batches)", "[embed][onnx]") {
  INFO("ONNX Runtime expected at " << runtime().string() << " (cmake/install-deps.sh fetches it)");
  REQUIRE(fs::exists(runtime()));
  auto p = params("bert.onnx");
  const em::onnx_text_embedder mean(p);
  CHECK(mean.dim() == 6);
  CHECK(mean.session().runtime().version() == "1.30.0");
  REQUIRE(mean.session().inputs().size() == 3);
  CHECK(mean.session().inputs()[0].name == "input_ids");
  CHECK(mean.session().inputs()[0].type == em::onnx_type::int64);
  CHECK(mean.session().inputs()[0].shape == std::vector<std::int64_t>{-1, -1});
  CHECK(mean.session().outputs()[0].name == "last_hidden_state");
  CHECK(mean.session().outputs()[0].shape == std::vector<std::int64_t>{-1, -1, 6});
  const auto want = segkit::load_npy_matrix<double>(fixture("expected_mean.npy"));
  // One batch of three (padded to 9 tokens) and batches of one give the same vectors.
  for (const std::size_t batch : {32u, 1u, 2u}) {
    p.batch_size = batch;
    const auto e = em::onnx_text_embedder(p).embed(texts);
    for (std::size_t i = 0; i < 3; ++i) {
      for (std::size_t j = 0; j < 6; ++j) REQUIRE(e(i, j) == Approx(want(i, j)).margin(1e-5));
    }
  }
  p.pooling = em::pooling::cls;
  const auto cls = em::onnx_text_embedder(p).embed(texts);
  const auto want_cls = segkit::load_npy_matrix<double>(fixture("expected_cls.npy"));
  for (std::size_t i = 0; i < 3; ++i) CHECK(cls(i, 2) == Approx(want_cls(i, 2)).margin(1e-5));
  // A model without token_type_ids and another output name; not normalized.
  auto p2 = params("two.onnx");
  p2.normalize = false;
  const auto two = em::onnx_text_embedder(p2).embed(texts);
  const auto want_two = segkit::load_npy_matrix<double>(fixture("expected_two.npy"));
  for (std::size_t i = 0; i < 3; ++i) CHECK(two(1, i) == Approx(want_two(1, i)).margin(1e-5));
  // An already pooled output (rank 2) is used as it is.
  CHECK(em::onnx_text_embedder(params("pooled.onnx")).dim() == 6);
}

TEST_CASE("ONNX errors: missing library, not a library, missing model, corrupt model, missing input", "[embed][onnx]") {
  using Catch::Matchers::Contains;
  auto p = params("bert.onnx");
  p.session.runtime = "/nonexistent/libonnxruntime.so.1";
  CHECK_THROWS_WITH(em::onnx_text_embedder(p), Contains("cannot load ONNX Runtime"));
  p.session.runtime = fixture("vocab.txt");
  CHECK_THROWS_WITH(em::onnx_text_embedder(p), Contains("cannot load ONNX Runtime"));
  REQUIRE(fs::exists(runtime()));
  p = params("missing.onnx");
  CHECK_THROWS_WITH(em::onnx_text_embedder(p), Contains("does not exist"));
  p = params("vocab.txt");  // not a model
  CHECK_THROWS_WITH(em::onnx_text_embedder(p), Contains("loading"));
  const em::onnx_session s(fixture("bert.onnx"), {.runtime = runtime()});
  std::unordered_map<std::string, em::onnx_tensor<std::int64_t>> feeds{{"input_ids", {{1, 2}, {2, 3}}}};
  CHECK_THROWS_WITH(s.run(feeds, "last_hidden_state"), Contains("needs input 'attention_mask'"));
  CHECK_THROWS_WITH(s.run(feeds, "nope"), Contains("no output 'nope'"));
  feeds.emplace("attention_mask", em::onnx_tensor<std::int64_t>{{1, 2}, {1, 1}});
  feeds.emplace("token_type_ids", em::onnx_tensor<std::int64_t>{{1, 3}, {0, 0, 0}});  // wrong shape: the runtime says why
  CHECK_THROWS_AS(s.run(feeds, "last_hidden_state"), segkit::error);
}

TEST_CASE("ONNX Runtime's path: a relative XDG_CACHE_HOME is ignored, relative paths never depend on a later working directory", "[embed][onnx]") {
  // The environment as the test found it, put back at the end.
  struct saved_env {
    std::string name;
    std::optional<std::string> value;
  };
  std::vector<saved_env> saved;
  for (const char* n : {"SEGKIT_ONNXRUNTIME", "XDG_CACHE_HOME", "HOME"}) {
    const char* v = std::getenv(n);
    saved.push_back({n, v != nullptr ? std::optional<std::string>(v) : std::nullopt});
  }
  ::unsetenv("SEGKIT_ONNXRUNTIME");
  ::setenv("HOME", "/home/someone", 1);
  ::setenv("XDG_CACHE_HOME", "cache", 1);  // relative: dlopen would have looked under the working directory
  CHECK(em::default_onnxruntime_path() == fs::path("/home/someone/.cache/segkit/onnxruntime-1.30.0/libonnxruntime.so.1"));
  ::setenv("XDG_CACHE_HOME", "/var/cache/x", 1);
  CHECK(em::default_onnxruntime_path() == fs::path("/var/cache/x/segkit/onnxruntime-1.30.0/libonnxruntime.so.1"));
  ::unsetenv("XDG_CACHE_HOME");
  ::setenv("HOME", "home", 1);
  CHECK(em::default_onnxruntime_path().empty());
  CHECK_THROWS_WITH(em::onnx_runtime::load(), Catch::Contains("neither XDG_CACHE_HOME nor HOME is an absolute path"));
  // A bare name is dlopen's own search; a relative path with a directory is made absolute now.
  CHECK(em::detail::runtime_path_for_dlopen("libonnxruntime.so.1") == fs::path("libonnxruntime.so.1"));
  CHECK(em::detail::runtime_path_for_dlopen("lib/libonnxruntime.so.1") == fs::current_path() / "lib/libonnxruntime.so.1");
  for (const auto& e : saved) {
    if (e.value) ::setenv(e.name.c_str(), e.value->c_str(), 1);
    else ::unsetenv(e.name.c_str());
  }
}

TEST_CASE("ONNX image embedder: CLIP preprocessing, NCHW batches, image_embeds, equal to the model's numbers", "[embed][onnx]") {
  REQUIRE(fs::exists(runtime()));
  const auto src = segkit::load_npy_array<std::int32_t>(fs::path(SEGKIT_TEST_DATA) / "images" / "src.npy");
  em::image img{src.shape(1), src.shape(0), {}};
  for (const auto v : src) img.rgb.push_back(static_cast<std::uint8_t>(v));
  em::onnx_image_params p;
  p.model = fixture("image.onnx");
  p.session.runtime = runtime();
  const em::onnx_image_embedder m(p);  // the model's input fixes the size at 16
  CHECK(m.dim() == 4);
  const auto want = segkit::load_npy_matrix<double>(fixture("expected_image.npy"));
  p.batch_size = 2;
  const std::vector<em::image> imgs{img, em::image{3, 5, std::vector<std::uint8_t>(45, 200)}, img};
  const auto e = em::onnx_image_embedder(p).embed(imgs);
  for (std::size_t j = 0; j < 4; ++j) {
    CHECK(e(0, j) == Approx(want(0, j)).margin(1e-5));
    CHECK(e(2, j) == e(0, j));  // same image, another batch
  }
  using Catch::Matchers::Contains;
  p.model = fixture("bert.onnx");
  CHECK_THROWS_WITH(em::onnx_image_embedder(p), Contains("exactly one float input"));
}

TEST_CASE("CLIP BPE: lower case, contractions, digits one by one, bytes of accents, merges by rank; CLIP text tower", "[embed][onnx]") {
  const em::clip_bpe_tokenizer t(fixture("clip_vocab.json"), fixture("clip_merges.txt"));
  using V = std::vector<std::string>;
  CHECK(t.pieces("Hello cat's 2024 é!") == V{"hello</w>", "cat</w>", "'s</w>", "2</w>", "0</w>", "2</w>", "4</w>", "Ã", "©</w>", "!</w>"});
  CHECK(t.pieces("hell") == V{"he", "l", "l</w>"});            // "l l" cannot apply: the last symbol is "l</w>"
  CHECK(t.pieces("") == V{});
  const auto ids = t.encode("cat");
  REQUIRE(ids.size() == 3);
  CHECK(ids.front() != ids.back());
  const em::clip_bpe_tokenizer short_t(fixture("clip_vocab.json"), fixture("clip_merges.txt"), 4);
  CHECK(short_t.encode("Hello cat's").size() == 4);
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(em::clip_bpe_tokenizer(fixture("vocab.txt"), fixture("clip_merges.txt")), Contains("invalid vocab.json"));
  REQUIRE(fs::exists(runtime()));
  em::onnx_text_params p;
  p.model = fixture("clip_text.onnx");
  p.session.runtime = runtime();
  p.batch_size = 2;
  const em::clip_text_embedder m(p, fixture("clip_vocab.json"), fixture("clip_merges.txt"));
  const std::vector<std::string> texts{"Hello cat's 2024 é!", "cat"};
  const auto e = m.embed(texts);
  const auto want = segkit::load_npy_matrix<double>(fixture("expected_clip_text.npy"));
  for (std::size_t i = 0; i < 2; ++i) {
    for (std::size_t j = 0; j < 4; ++j) CHECK(e(i, j) == Approx(want(i, j)).margin(1e-5));
  }
}
