// Hugging Face tokenizer.json files read and run (segkit/embed/hf_tokenizer.hpp): token ids equal
// to the reference implementation's on 10,300 real texts, the truncation rule of the tokenizers
// library, the other components on small hand-made files, and the errors for files segkit cannot
// follow.
//
// Fixtures (tests/data/tokenizers, scripts in tests/data):
//   texts.jsonl       make_tokenizer_texts.py: package descriptions, documentation paragraphs,
//                     texts with accents, CJK, emoji, control and zero-width characters, RTL
//                     scripts, special-token spellings, and 3,000-6,000-character texts
//   minilm_ids.jsonl  make_tokenizer_ids.mjs: transformers.js 4.3.2's ids of each text with
//                     all-MiniLM-L6-v2's real tokenizer.json (tests/data/minilm_tiny holds the
//                     model's real tokenizer files), special tokens added, not truncated
//   clip_ids.jsonl    the same with CLIP's tokenizer.json (tests/data/clip_tiny, made from
//                     CLIP's real merges by make_clip_tokenizer.py)
//   unigram.model, unigram_ids.jsonl  make_unigram_fixture.py: a Unigram model trained with
//                     spm_train on these texts, and SentencePiece's ids of every text (checked
//                     against spm_encode); unigram.json, the same model laid out as Hugging Face
//                     converts SentencePiece models (Precompiled, Metaspace, Unigram)
//   unigram_tjs_ids.jsonl  make_tokenizer_ids.mjs: transformers.js's ids of every 5th text with
//                     unigram.json
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <segkit/core/file.hpp>
#include <segkit/core/json.hpp>
#include <segkit/embed/clip_bpe.hpp>
#include <segkit/embed/hf_tokenizer.hpp>
#include <segkit/embed/wordpiece.hpp>

namespace fs = std::filesystem;
namespace em = segkit::embed;
using Catch::Matchers::Contains;
using ids_t = std::vector<std::int64_t>;

namespace {

fs::path data(const std::string& name) { return fs::path(SEGKIT_TEST_DATA) / name; }

std::vector<segkit::json_value> jsonl(const fs::path& path) {
  std::ifstream in(path);
  std::vector<segkit::json_value> out;
  for (std::string line; std::getline(in, line);) out.push_back(segkit::parse_json(line, path.string()));
  return out;
}

struct reference {
  std::vector<std::string> texts;
  std::vector<ids_t> ids;
};

const std::vector<std::string>& texts() {
  static const std::vector<std::string> t = [] {
    std::vector<std::string> out;
    for (const auto& x : jsonl(data("tokenizers/texts.jsonl"))) out.push_back(x.as_string());
    return out;
  }();
  return t;
}

reference read_reference(const std::string& ids_file) {
  reference out{texts(), {}};
  for (const auto& a : jsonl(data("tokenizers/" + ids_file))) {
    ids_t ids;
    for (const auto& x : a.as_array()) ids.push_back(static_cast<std::int64_t>(x.as_number()));
    out.ids.push_back(std::move(ids));
  }
  return out;
}

const reference& minilm_reference() {
  static const reference r = read_reference("minilm_ids.jsonl");
  return r;
}

const reference& clip_reference() {
  static const reference r = read_reference("clip_ids.jsonl");
  return r;
}

/// The tokenizers library's (and sentence-transformers') truncation of a single text in BERT's
/// template: the first max_length - 2 tokens of the text, then [SEP] (transformers.js, which made
/// the reference, instead cuts after adding the special tokens and drops [SEP]).
ids_t truncated(const ids_t& full, std::size_t max_length) {
  if (full.size() <= max_length) return full;
  ids_t out(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(max_length - 1));
  out.push_back(full.back());
  return out;
}

/// Checks every text; reports the first few that differ.
void check_parity(const em::hf_tokenizer& t, std::size_t max_length, const reference& r = minilm_reference()) {
  REQUIRE(r.texts.size() == 10300);
  REQUIRE(r.ids.size() == r.texts.size());
  std::size_t differ = 0, cut = 0;
  for (std::size_t i = 0; i < r.texts.size(); ++i) {
    const auto expected = max_length == 0 ? r.ids[i] : truncated(r.ids[i], max_length);
    cut += expected.size() < r.ids[i].size() ? 1 : 0;
    if (t.encode(r.texts[i]) != expected && ++differ <= 5) {
      INFO("text " << i << ": " << r.texts[i].substr(0, 300));
      CHECK(t.encode(r.texts[i]) == expected);
    }
  }
  CHECK(differ == 0);
  if (max_length != 0) CHECK(cut >= 120);  // the long texts do get cut
}

}  // namespace

TEST_CASE("tokenizer.json: all-MiniLM-L6-v2's real tokenizer gives transformers.js's ids on 10,300 real texts", "[embed][tokenizer][slow]") {
  const auto file = data("minilm_tiny/tokenizer.json");
  SECTION("not truncated") { check_parity(em::hf_tokenizer::from_file(file, 100000), 0); }
  SECTION("truncated at sentence-transformers' 256, [SEP] kept") { check_parity(em::hf_tokenizer::from_file(file, 256), 256); }
  SECTION("the file's own truncation (128)") {
    const auto t = em::hf_tokenizer::from_file(file);
    CHECK(t.max_length() == 128);
    CHECK(t.describe() == "WordPiece (BertNormalizer, BertPreTokenizer, TemplateProcessing)");
    check_parity(t, 128);
  }
}

TEST_CASE("vocab.txt: BERT's tokenizer built from the vocabulary gives the same ids as its tokenizer.json", "[embed][tokenizer][slow]") {
  check_parity(em::hf_tokenizer::bert_vocab(data("minilm_tiny/vocab.txt"), true, 256), 256);
  check_parity(em::wordpiece_tokenizer(data("minilm_tiny/vocab.txt"), {.max_length = 100000}).tokenizer(), 0);
}

TEST_CASE("tokenizer.json: CLIP's byte-level BPE gives transformers.js's ids on 10,300 real texts, and the published example", "[embed][tokenizer][slow]") {
  const auto file = data("clip_tiny/tokenizer.json");
  const auto t = em::hf_tokenizer::from_file(file, 77);
  CHECK(t.describe() == "BPE (NFC, Replace, Lowercase, Split, ByteLevel, RobertaProcessing)");
  // CLIP's README: "Hello World!" -> 49406 3306 1002 256 49407.
  CHECK(t.encode("Hello World!") == ids_t{49406, 3306, 1002, 256, 49407});
  check_parity(em::hf_tokenizer::from_file(file), 0, clip_reference());
  check_parity(t, 77, clip_reference());
  // The vocab.json + merges.txt pair gives the same.
  const em::clip_bpe_tokenizer pair(data("clip_tiny/vocab.json"), data("clip_tiny/merges.txt"));
  CHECK(pair.encode("Hello World!") == ids_t{49406, 3306, 1002, 256, 49407});
  check_parity(pair.tokenizer(), 77, clip_reference());
  CHECK(pair.words("Don't <|endoftext|>stop-2024 ÉTÉ") == std::vector<std::string>{"don", "'t", "<|endoftext|>", "stop", "-", "2", "0", "2", "4", "été"});
}

TEST_CASE("SentencePiece .model: a Unigram model gives spm_encode's ids on 10,300 real texts", "[embed][tokenizer][slow]") {
  const auto t = em::hf_tokenizer::from_sentencepiece(data("tokenizers/unigram.model"));
  CHECK(t.describe() == "Unigram (SentencePiece normalizer)");
  CHECK(t.vocabulary_size() == 4000);
  CHECK(t.tokens("Hello  World!") == std::vector<std::string>{"▁H", "ell", "o", "▁W", "or", "l", "d", "!"});
  check_parity(t, 0, read_reference("unigram_ids.jsonl"));
}

TEST_CASE("tokenizer.json: a Unigram model with Precompiled rules gives transformers.js's ids", "[embed][tokenizer]") {
  const auto t = em::hf_tokenizer::from_file(data("tokenizers/unigram.json"));
  CHECK(t.describe() == "Unigram (Precompiled, Replace, Metaspace)");
  const auto reference = jsonl(data("tokenizers/unigram_tjs_ids.jsonl"));
  REQUIRE(reference.size() == 2060);
  // transformers.js does not run a Precompiled normalizer's rules: it substitutes NFKC with a few
  // replacements of its own, among them U+200D (zero-width joiner) to a space where the model's
  // rules (and SentencePiece) keep it. Every other text must give its ids.
  std::size_t equal = 0, joiner = 0;
  for (std::size_t i = 0; i < reference.size(); ++i) {
    const auto& text = texts()[5 * i];
    ids_t want;
    for (const auto& x : reference[i].as_array()) want.push_back(static_cast<std::int64_t>(x.as_number()));
    if (text.find("\u200d") != std::string::npos) {
      ++joiner;
      continue;
    }
    INFO("text " << 5 * i << ": " << text.substr(0, 300));
    CHECK(t.encode(text) == want);
    ++equal;
  }
  CHECK(equal >= 2000);
  CHECK(joiner > 0);
}

TEST_CASE("SentencePiece .model: damaged files and other model types are refused", "[embed][tokenizer]") {
  const auto bytes = segkit::read_file_bytes(data("tokenizers/unigram.model"), "test");
  const auto dir = fs::temp_directory_path();
  const auto write = [&](const std::string& name, std::string_view content) {
    std::ofstream(dir / name, std::ios::binary) << content;
    return dir / name;
  };
  CHECK_THROWS_AS(em::hf_tokenizer::from_sentencepiece(write("segkit_cut.model", std::string_view(bytes.data(), 10))), segkit::format_error);
  CHECK_THROWS_WITH(em::hf_tokenizer::from_sentencepiece(write("segkit_empty.model", "")), Contains("not a SentencePiece model"));
  // A TrainerSpec (field 2) saying model_type BPE (field 3 = 2), then one NORMAL piece "a".
  const std::string bpe = std::string("\x12\x02\x18\x02", 4) + std::string("\x0a\x03\x0a\x01\x61", 5);
  CHECK_THROWS_WITH(em::hf_tokenizer::from_sentencepiece(write("segkit_bpe.model", bpe)), Contains("SentencePiece model type 'BPE' is not supported"));
  CHECK_THROWS_AS(em::hf_tokenizer::from_sentencepiece(dir / "segkit_no_such.model"), segkit::io_error);
  for (const char* name : {"segkit_cut.model", "segkit_empty.model", "segkit_bpe.model"}) fs::remove(dir / name);
}

TEST_CASE("tokenizer.json: ids, pieces, special tokens in text, truncation and limits", "[embed][tokenizer]") {
  const auto t = em::hf_tokenizer::from_file(data("minilm_tiny/tokenizer.json"), 8);
  CHECK(t.pad_id() == 0);
  CHECK(t.vocabulary_size() == 30522);
  CHECK(t.token_id("[CLS]") == 101);
  CHECK(!t.token_id("no-such-token").has_value());
  CHECK(t.pre_tokens("Héllo, WORLD! 中文") == std::vector<std::string>{"hello", ",", "world", "!", "中", "文"});
  CHECK(t.tokens("unbelievably [MASK]") == std::vector<std::string>{"un", "##bel", "##ie", "##va", "##bly", "[MASK]"});
  const auto e = t.encode_with_types("a b c d e f g h i j");
  CHECK(e.ids.size() == 8);
  CHECK(e.ids.front() == 101);
  CHECK(e.ids.back() == 102);
  CHECK(e.type_ids == ids_t(8, 0));
  CHECK(t.encode("") == ids_t{101, 102});
  auto u = t;
  CHECK_THROWS_WITH(u.set_max_length(2), Contains("leaves no room") && Contains("2 special tokens"));
  u.set_max_length(0);
  CHECK(u.encode("a b c d e f g h i j").size() == 12);
}

namespace {

/// A tokenizer.json document around a model and the given components.
std::string document(const std::string& model, const std::string& rest = "") {
  return R"({"version": "1.0", "added_tokens": [], "decoder": null)" + rest +
         R"(, "model": )" + model + "}";
}

const std::string byte_level_bpe = R"({"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": "", "end_of_word_suffix": "",
  "fuse_unk": false, "vocab": {"<s>": 0, "</s>": 1, "a": 2, "b": 3, "c": 4, "Ġ": 5, "!": 6, "ab": 7, "Ġab": 8, "abc": 9, "Ġc": 10, "'s": 11, "'": 12, "s": 13},
  "merges": ["a b", "Ġ ab", "ab c", "Ġ c", "' s"]})";

}  // namespace

TEST_CASE("tokenizer.json: byte-level BPE with RoBERTa's post-processor", "[embed][tokenizer]") {
  const auto t = em::hf_tokenizer::from_json(
      document(byte_level_bpe, R"(, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
        "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 1], "cls": ["<s>", 0], "trim_offsets": true, "add_prefix_space": false})"),
      "roberta-like");
  // GPT-2's split: "abc", " ab", "'s", " c", "!" ; merges by rank: a b -> ab, then ab c, Ġ ab.
  CHECK(t.pre_tokens("abc ab's c!") == std::vector<std::string>{"abc", "Ġab", "'s", "Ġc", "!"});
  CHECK(t.tokens("abc ab's c!") == std::vector<std::string>{"abc", "Ġab", "'s", "Ġc", "!"});
  CHECK(t.encode("abc ab's c!") == ids_t{0, 9, 8, 11, 10, 6, 1});
  CHECK(t.encode("ba") == ids_t{0, 3, 2, 1});  // no merge b a
  CHECK(t.describe() == "BPE (ByteLevel, RobertaProcessing)");
  // A byte that has no symbol in the vocabulary is an error for byte-level models, never dropped.
  CHECK_THROWS_WITH(t.encode("d"), Contains("byte-level symbol 'd' is not in the vocabulary"));
}

TEST_CASE("tokenizer.json: normalizers, pre-tokenizers and templates", "[embed][tokenizer]") {
  const std::string wp = R"({"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 5,
    "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "hello": 3, "world": 4, "▁hello": 5, "1": 6, "2": 7, "12": 8, "x": 9, "-": 10, "##x": 11}})";
  const std::string template_processing = R"(, "post_processor": {"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
    "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [1], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [2], "tokens": ["[SEP]"]}}})";
  SECTION("Sequence of Strip, NFC, Lowercase, Replace; Whitespace; template type ids") {
    const auto t = em::hf_tokenizer::from_json(
        document(wp, R"(, "normalizer": {"type": "Sequence", "normalizers": [{"type": "Strip", "strip_left": true, "strip_right": true}, {"type": "NFC"},
          {"type": "Lowercase"}, {"type": "Replace", "pattern": {"String": "wrld"}, "content": "world"}]},
          "pre_tokenizer": {"type": "Whitespace"})" + template_processing),
        "sequence");
    CHECK(t.pre_tokens("  HELLO Wrld-x  ") == std::vector<std::string>{"hello", "world", "-", "x"});
    const auto e = t.encode_with_types("  HELLO Wrld-x  ");
    CHECK(e.ids == ids_t{1, 3, 4, 10, 9, 2});
    CHECK(e.type_ids == ids_t{0, 1, 1, 1, 1, 1});
    CHECK(t.encode("xxxxxx") == ids_t{1, 0, 2});  // longer than max_input_chars_per_word: [UNK]
  }
  SECTION("Digits, Metaspace, WhitespaceSplit, Split, Punctuation") {
    const auto digits = em::hf_tokenizer::from_json(document(wp, R"(, "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
          {"type": "WhitespaceSplit"}, {"type": "Digits", "individual_digits": true}]})"), "digits");
    CHECK(digits.pre_tokens("x12 12") == std::vector<std::string>{"x", "1", "2", "1", "2"});
    const auto runs = em::hf_tokenizer::from_json(document(wp, R"(, "pre_tokenizer": {"type": "Digits", "individual_digits": false})"), "runs");
    CHECK(runs.pre_tokens("x12x") == std::vector<std::string>{"x", "12", "x"});
    const auto meta = em::hf_tokenizer::from_json(
        document(wp, R"(, "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true})"), "metaspace");
    CHECK(meta.pre_tokens("hello world") == std::vector<std::string>{"▁hello", "▁world"});
    const auto split = em::hf_tokenizer::from_json(
        document(wp, R"(, "pre_tokenizer": {"type": "Split", "pattern": {"String": "-"}, "behavior": "Isolated", "invert": false})"), "split");
    CHECK(split.pre_tokens("x-x--x") == std::vector<std::string>{"x", "-", "x", "-", "-", "x"});
    const auto merged = em::hf_tokenizer::from_json(
        document(wp, R"(, "pre_tokenizer": {"type": "Split", "pattern": {"String": "-"}, "behavior": "MergedWithNext", "invert": false})"), "merged");
    CHECK(merged.pre_tokens("x-x-x") == std::vector<std::string>{"x", "-x", "-x"});
    const auto punct = em::hf_tokenizer::from_json(document(wp, R"(, "pre_tokenizer": {"type": "Punctuation", "behavior": "Isolated"})"), "punct");
    CHECK(punct.pre_tokens("x-x!") == std::vector<std::string>{"x", "-", "x", "!"});
  }
}

TEST_CASE("tokenizer.json: what segkit cannot follow is refused, named", "[embed][tokenizer]") {
  const std::string wp = R"({"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1}})";
  CHECK_THROWS_WITH(em::hf_tokenizer::from_json(document(wp, R"(, "normalizer": {"type": "Precompiled", "precompiled_charsmap": "AAAAAAAA"})"), "t.json"),
                    Contains("t.json") && Contains("trie does not fit"));
  CHECK_THROWS_WITH(em::hf_tokenizer::from_json(document(wp, R"(, "normalizer": {"type": "BertNormalizer", "lowercase": "yes"})"), "t.json"),
                    Contains("'lowercase' is a string, not true or false"));
  CHECK_THROWS_WITH(em::hf_tokenizer::from_json(document(wp, R"(, "normalizer": {"type": "NFKC"})"), "t.json"), Contains("normalizer 'NFKC'"));
  CHECK_THROWS_WITH(em::hf_tokenizer::from_json(document(wp, R"(, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\d+"}, "behavior": "Isolated"})"),
                                                "t.json"),
                    Contains("regular expression") && Contains("\\d+"));
  CHECK_THROWS_WITH(em::hf_tokenizer::from_json(document(R"({"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"})"), "t.json"),
                    Contains("model 'WordLevel' is not supported"));
  CHECK_THROWS_WITH(em::hf_tokenizer::from_json(document(R"({"type": "Unigram", "vocab": [["a", 0.0]]})"), "t.json"), Contains("no valid unk_id"));
  CHECK_THROWS_WITH(em::hf_tokenizer::from_json(document(R"({"type": "Unigram", "unk_id": 0, "vocab": [["a", 0.0]]})",
                                                         R"(, "normalizer": {"type": "Precompiled", "precompiled_charsmap": "AAAA!"})"),
                                                "t.json"),
                    Contains("invalid base64"));
  CHECK_THROWS_WITH(em::hf_tokenizer::from_json(document(wp, R"(, "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[X]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {}})"), "t.json"),
                    Contains("special token '[X]'"));
  CHECK_THROWS_WITH(em::hf_tokenizer::from_json(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}})", "t.json"),
                    Contains("merge 1 ('a' 'b')"));
  CHECK_THROWS_WITH(em::hf_tokenizer::from_json(R"({"model": )", "t.json"), Contains("t.json"));
  CHECK_THROWS_WITH(em::hf_tokenizer::from_json("[1, 2]", "t.json"), Contains("not a tokenizer.json document"));
  CHECK_THROWS_WITH(em::hf_tokenizer::from_json(R"({"version": "1.0"})", "t.json"), Contains("no 'model'"));
  CHECK_THROWS_AS(em::hf_tokenizer::from_file(data("no-such-tokenizer.json")), segkit::io_error);
  CHECK_THROWS_WITH(em::hf_tokenizer::from_json(document(wp, R"(, "truncation": {"max_length": 8, "strategy": "LongestFirst", "stride": 2, "direction": "Right"})"), "t.json"),
                    Contains("stride"));
}
