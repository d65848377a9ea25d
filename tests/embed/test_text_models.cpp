// Real text and CLIP model folders (segkit/embed/model_folder.hpp) and their vectors against the reference
// implementations: tests/data/minilm_tiny is a sentence-transformers folder with all-MiniLM-L6-v2's
// real tokenizer files and a BERT-architecture encoder exported from torch
// (tests/data/make_minilm_tiny.py); its vectors of 1,030 real texts (every 10th of
// tokenizers/texts.jsonl, 9 to 1,400 tokens, cut at the folder's max_seq_length 256) were computed
// by torch (minilm_tiny_expected_torch.npy) and by transformers.js 4.3.2
// (make_minilm_tiny_tjs.mjs -> minilm_tiny_expected_tjs.npy).
//
// Opt-in: SEGKIT_TEST_MODEL_DIR pointing at the real all-MiniLM-L6-v2 folder (as Hugging Face
// publishes it, with onnx/model.onnx) runs the real model: its file is checked against the
// published SHA-256 (or SEGKIT_TEST_MODEL_SHA256's) and, when SEGKIT_TEST_TRANSFORMERS_JS names a folder where
// `npm install --ignore-scripts @huggingface/transformers` was run, its vectors are compared with
// transformers.js's (tests/data/embed_with_transformersjs.mjs).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

#include <segkit/core/json.hpp>
#include <segkit/core/npy.hpp>
#include <segkit/core/sha256.hpp>
#include <segkit/embed/model_folder.hpp>
#include <segkit/embed/onnx_image.hpp>
#include <segkit/embed/onnx_reference.hpp>

namespace fs = std::filesystem;
namespace em = segkit::embed;
using Catch::Matchers::Contains;

namespace {

fs::path data(const std::string& name) { return fs::path(SEGKIT_TEST_DATA) / name; }

const std::vector<std::string>& texts() {
  static const std::vector<std::string> t = [] {
    std::vector<std::string> out;
    std::ifstream in(data("tokenizers/texts.jsonl"));
    std::size_t i = 0;
    for (std::string line; std::getline(in, line); ++i) {
      if (i % 10 == 0) out.push_back(segkit::parse_json(line).as_string());
    }
    return out;
  }();
  return t;
}

double max_diff(const segkit::matrix<float>& a, const segkit::matrix<float>& b) {
  REQUIRE(a.shape(0) == b.shape(0));
  REQUIRE(a.shape(1) == b.shape(1));
  double m = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(static_cast<double>(a.data()[i]) - b.data()[i]));
  return m;
}

/// A copy of minilm_tiny in a fresh temporary folder, to change one file at a time.
struct folder_copy {
  fs::path dir;
  folder_copy() : dir(fs::temp_directory_path() / ("segkit_model_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++))) {
    fs::remove_all(dir);
    fs::copy(data("minilm_tiny"), dir, fs::copy_options::recursive);
  }
  ~folder_copy() { fs::remove_all(dir); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(dir / name) << text; }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

em::onnx_text_params folder_params(const fs::path& dir, std::size_t batch, int threads) {
  auto p = em::read_text_model_folder(dir).params;
  p.batch_size = batch;
  p.session.runtime = em::default_onnxruntime_path();
  p.session.intra_op_threads = threads;
  return p;
}

}  // namespace

TEST_CASE("model folder: sentence-transformers' files give the model's own settings", "[embed][models]") {
  const auto f = em::read_text_model_folder(data("minilm_tiny"));
  CHECK(f.params.model == data("minilm_tiny") / "onnx" / "model.onnx");
  CHECK(f.params.tokenizer_json == data("minilm_tiny") / "tokenizer.json");
  CHECK(f.params.tokenizer.max_length == 256);  // sentence_bert_config.json, not the tokenizer's 128 or the config's 512
  CHECK(f.params.pooling == em::pooling::mean);
  CHECK(f.params.normalize);
  CHECK(std::find(f.files.begin(), f.files.end(), data("minilm_tiny") / "1_Pooling" / "config.json") != f.files.end());
}

TEST_CASE("model folder: vectors equal torch's and transformers.js's on 1,030 real texts, any batch size and thread count", "[embed][models]") {
  const auto torch = segkit::load_npy_matrix<float>(data("minilm_tiny_expected_torch.npy"));
  const auto tjs = segkit::load_npy_matrix<float>(data("minilm_tiny_expected_tjs.npy"));
  REQUIRE(texts().size() == 1030);
  for (const auto& [batch, threads] : {std::pair<std::size_t, int>{1, 1}, {32, 2}, {32, 1}, {1, 2}}) {
    INFO("batch size " << batch << ", threads " << threads);
    const em::onnx_text_embedder e(folder_params(data("minilm_tiny"), batch, threads));
    CHECK(e.dim() == 24);
    const auto v = e.embed(texts());
    CHECK(max_diff(v, torch) <= 1e-5);
    CHECK(max_diff(v, tjs) <= 1e-5);
  }
}

TEST_CASE("model folder: vocab.txt instead of tokenizer.json, pooling modes, normalisation, overrides", "[embed][models]") {
  const std::vector<std::string> some(texts().begin(), texts().begin() + 40);
  const auto reference = em::onnx_text_embedder(folder_params(data("minilm_tiny"), 8, 1)).embed(some);
  SECTION("vocab.txt with tokenizer_config.json's lower-casing gives the same vectors") {
    const folder_copy c;
    fs::remove(c.dir / "tokenizer.json");
    const auto p = folder_params(c.dir, 8, 1);
    CHECK(p.tokenizer_json.empty());
    CHECK(p.vocab == c.dir / "vocab.txt");
    CHECK(p.tokenizer.lower_case);
    CHECK(max_diff(em::onnx_text_embedder(p).embed(some), reference) == 0.0);
  }
  SECTION("modules.json without Normalize: raw pooled vectors; mean-sqrt-len and max pooling relate to mean as defined") {
    const folder_copy c;
    c.write("modules.json", R"([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}])");
    auto p = folder_params(c.dir, 8, 1);
    CHECK_FALSE(p.normalize);
    const auto mean = em::onnx_text_embedder(p).embed(some);
    double norm = 0.0;
    for (std::size_t j = 0; j < mean.shape(1); ++j) norm += static_cast<double>(mean(0, j)) * mean(0, j);
    CHECK(std::abs(std::sqrt(norm) - 1.0) > 1e-3);
    c.write("1_Pooling/config.json", R"({"word_embedding_dimension": 24, "pooling_mode_mean_sqrt_len_tokens": true})");
    p = folder_params(c.dir, 8, 1);
    CHECK(p.pooling == em::pooling::mean_sqrt_len);
    const auto sqrt_len = em::onnx_text_embedder(p).embed(some);
    const em::hf_tokenizer tok = em::text_tokenizer_of(p);
    for (std::size_t i = 0; i < some.size(); ++i) {
      const double n = static_cast<double>(tok.encode(some[i]).size());
      for (std::size_t j = 0; j < mean.shape(1); ++j) CHECK(sqrt_len(i, j) == Approx(mean(i, j) * std::sqrt(n)).margin(1e-5));
    }
    c.write("1_Pooling/config.json", R"({"word_embedding_dimension": 24, "pooling_mode_max_tokens": true})");
    const auto max = em::onnx_text_embedder(folder_params(c.dir, 8, 1)).embed(some);
    for (std::size_t i = 0; i < some.size(); ++i) {
      for (std::size_t j = 0; j < mean.shape(1); ++j) CHECK(max(i, j) >= mean(i, j) - 1e-6F);
    }
    c.write("1_Pooling/config.json", R"({"word_embedding_dimension": 24, "pooling_mode_cls_token": true})");
    p = folder_params(c.dir, 8, 1);
    CHECK(p.pooling == em::pooling::cls);
    p.pooling = em::pooling::mean;  // an explicit setting overrides the folder's
    CHECK(max_diff(em::onnx_text_embedder(p).embed(some), mean) == 0.0);
  }
  SECTION("no modules.json and no sentence_bert_config.json: mean pooling, normalised, the tokenizer_config's length") {
    const folder_copy c;
    fs::remove(c.dir / "modules.json");
    fs::remove(c.dir / "sentence_bert_config.json");
    fs::remove_all(c.dir / "1_Pooling");
    const auto p = folder_params(c.dir, 8, 1);
    CHECK(p.normalize);
    CHECK(p.pooling == em::pooling::mean);
    CHECK(p.tokenizer.max_length == 512);
  }
}

TEST_CASE("model folder: missing files and settings segkit cannot follow are named", "[embed][models]") {
  CHECK_THROWS_WITH(em::read_text_model_folder(data("no-such-model")), Contains("no-such-model") && Contains("not a folder"));
  {
    const folder_copy c;
    fs::remove_all(c.dir / "onnx");
    CHECK_THROWS_WITH(em::read_text_model_folder(c.dir), Contains("has no onnx/model.onnx or model.onnx"));
  }
  {
    const folder_copy c;
    fs::remove(c.dir / "tokenizer.json");
    fs::remove(c.dir / "vocab.txt");
    CHECK_THROWS_WITH(em::read_text_model_folder(c.dir), Contains("has no tokenizer.json or vocab.txt"));
  }
  {
    const folder_copy c;
    c.write("1_Pooling/config.json", R"({"pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": true})");
    CHECK_THROWS_WITH(em::read_text_model_folder(c.dir), Contains("config.json") && Contains("several pooling modes"));
    c.write("1_Pooling/config.json", R"({"pooling_mode_weightedmean_tokens": true})");
    CHECK_THROWS_WITH(em::read_text_model_folder(c.dir), Contains("pooling_mode_weightedmean_tokens is not supported"));
    c.write("1_Pooling/config.json", R"({"pooling_mode_mean_tokens": tru)");
    CHECK_THROWS_AS(em::read_text_model_folder(c.dir), segkit::format_error);
    c.write("1_Pooling/config.json", R"({"pooling_mode_mean_tokens": true})");
    c.write("sentence_bert_config.json", R"({"max_seq_length": "long"})");
    CHECK_THROWS_WITH(em::read_text_model_folder(c.dir), Contains("max_seq_length") && Contains("not a positive number"));
  }
}

TEST_CASE("model folder: a saved reference keeps the tokenizer.json and notices it changed", "[embed][models]") {
  const folder_copy c;
  auto p = folder_params(c.dir, 8, 1);
  const auto ref = em::onnx_text_reference::of(p);
  REQUIRE(ref.files().size() == 2);
  CHECK(ref.files()[1] == fs::absolute(c.dir / "tokenizer.json"));
  const std::vector<std::string> some(texts().begin(), texts().begin() + 5);
  CHECK(max_diff(ref.embed(some, p.session), em::onnx_text_embedder(p).embed(some)) == 0.0);
  { std::ofstream(c.dir / "tokenizer.json", std::ios::app) << " "; }
  CHECK_THROWS_WITH(ref.verify(), Contains("tokenizer.json") && Contains("changed since the segmentation was saved"));
}

// tests/data/clip_tiny: CLIP's real tokenizer files (make_clip_tokenizer.py) and CLIP-architecture
// text and vision towers exported from torch (make_clip_tiny.py), as transformers.js lays out a
// CLIP folder; references from torch and transformers.js (make_clip_tiny_tjs.mjs).
TEST_CASE("CLIP folder: both towers' vectors equal torch's and transformers.js's, texts and pictures", "[embed][models]") {
  const auto clip = em::read_clip_model_folder(data("clip_tiny"));
  CHECK(clip.text.model == data("clip_tiny") / "onnx" / "text_model.onnx");
  CHECK(clip.text.tokenizer_json == data("clip_tiny") / "tokenizer.json");
  CHECK(clip.text.tokenizer.max_length == 77);
  CHECK(clip.image.model == data("clip_tiny") / "onnx" / "vision_model.onnx");
  CHECK(clip.image.preprocessing.size == 32);
  CHECK(clip.image.preprocessing.mean[0] == Approx(0.48145466));
  // read_text_model_folder() on a CLIP folder gives its text tower.
  CHECK(em::read_text_model_folder(data("clip_tiny")).params.model == clip.text.model);

  const auto torch_text = segkit::load_npy_matrix<float>(data("clip_tiny_expected_text_torch.npy"));
  const auto tjs_text = segkit::load_npy_matrix<float>(data("clip_tiny_expected_text_tjs.npy"));
  for (const auto& [batch, threads] : {std::pair<std::size_t, int>{1, 1}, {32, 2}}) {
    INFO("batch size " << batch << ", threads " << threads);
    auto p = clip.text;
    p.batch_size = batch;
    p.session.intra_op_threads = threads;
    p.session.runtime = em::default_onnxruntime_path();
    const em::onnx_text_embedder e(p);
    CHECK(e.dim() == 16);
    const auto v = e.embed(texts());
    CHECK(max_diff(v, torch_text) <= 1e-5);
    CHECK(max_diff(v, tjs_text) <= 1e-5);
  }

  // 24 seeded pictures of 17-70 pixels a side, preprocessed by segkit (Pillow-exact bicubic, crop,
  // mean and std from preprocessor_config.json) against Pillow + torch, and transformers.js.
  const auto pixels = segkit::load_npy_vector<std::int32_t>(data("clip_tiny_images.npy"));
  const auto sizes = segkit::load_npy_matrix<std::int32_t>(data("clip_tiny_image_sizes.npy"));
  std::vector<em::image> pictures;
  std::size_t at = 0;
  for (std::size_t i = 0; i < sizes.shape(0); ++i) {
    em::image img{static_cast<std::size_t>(sizes(i, 0)), static_cast<std::size_t>(sizes(i, 1)), {}};
    for (std::size_t k = 0; k < img.width * img.height * 3; ++k) img.rgb.push_back(static_cast<std::uint8_t>(pixels(at++)));
    pictures.push_back(std::move(img));
  }
  REQUIRE(at == pixels.size());
  for (const auto& [batch, threads] : {std::pair<std::size_t, int>{1, 1}, {32, 2}}) {
    INFO("batch size " << batch << ", threads " << threads);
    auto ip = clip.image;
    ip.session.runtime = em::default_onnxruntime_path();
    ip.batch_size = batch;
    ip.session.intra_op_threads = threads;
    const auto images = em::onnx_image_embedder(ip).embed(pictures);
    CHECK(max_diff(images, segkit::load_npy_matrix<float>(data("clip_tiny_expected_image_torch.npy"))) <= 1e-5);
    CHECK(max_diff(images, segkit::load_npy_matrix<float>(data("clip_tiny_expected_image_tjs.npy"))) <= 1e-5);
  }
}

TEST_CASE("CLIP folder: missing towers and preprocessing segkit does not follow are named", "[embed][models]") {
  const auto copy = [](const fs::path& dir) {
    fs::remove_all(dir);
    fs::copy(data("clip_tiny"), dir, fs::copy_options::recursive);
  };
  const auto dir = fs::temp_directory_path() / ("segkit_clip_" + std::to_string(::getpid()));
  copy(dir);
  std::ofstream(dir / "preprocessor_config.json") << R"({"size": {"shortest_edge": 32}, "crop_size": {"height": 28, "width": 28}})";
  CHECK_THROWS_WITH(em::read_clip_model_folder(dir), Contains("a crop (28) other than the size (32)"));
  std::ofstream(dir / "preprocessor_config.json") << R"({"size": 32, "crop_size": 32, "resample": 2})";
  CHECK_THROWS_WITH(em::read_clip_model_folder(dir), Contains("resampling 2"));
  std::ofstream(dir / "preprocessor_config.json") << R"({"size": 32, "image_std": [0.2, 0, 0.2]})";
  CHECK_THROWS_WITH(em::read_clip_model_folder(dir), Contains("image_std"));
  fs::remove(dir / "preprocessor_config.json");  // CLIP's own values
  CHECK(em::read_clip_model_folder(dir).image.preprocessing.std[2] == Approx(0.27577711));
  fs::remove(dir / "tokenizer.json");
  CHECK_THROWS_WITH(em::read_clip_model_folder(dir), Contains("has no tokenizer.json"));
  fs::remove_all(dir / "onnx");
  CHECK_THROWS_WITH(em::read_clip_model_folder(dir), Contains("has no onnx/text_model.onnx"));
  fs::remove_all(dir);
}

TEST_CASE("the real all-MiniLM-L6-v2 (opt-in: SEGKIT_TEST_MODEL_DIR)", "[embed][models][real]") {
  const char* dir = std::getenv("SEGKIT_TEST_MODEL_DIR");
  if (dir == nullptr || *dir == '\0') {
    WARN("SEGKIT_TEST_MODEL_DIR is not set: the test of the real all-MiniLM-L6-v2 is skipped");
    return;
  }
  // The published fp32 graph's identity (sentence-transformers/all-MiniLM-L6-v2, onnx/model.onnx),
  // unless SEGKIT_TEST_MODEL_SHA256 names another file of that architecture.
  const char* sha = std::getenv("SEGKIT_TEST_MODEL_SHA256");
  REQUIRE(segkit::sha256_file(fs::path(dir) / "onnx" / "model.onnx") ==
          std::string(sha != nullptr && *sha != '\0' ? sha : "6fd5d72fe4589f189f8ebc006442dbb529bb7ce38f8082112682524616046452"));
  auto p = folder_params(dir, 32, 2);
  CHECK(p.tokenizer.max_length == 256);
  const em::onnx_text_embedder e(p);
  CHECK(e.dim() == 384);
  const std::vector<std::string> some(texts().begin(), texts().begin() + 200);
  const auto v = e.embed(some);
  const char* tjs = std::getenv("SEGKIT_TEST_TRANSFORMERS_JS");
  if (tjs == nullptr || *tjs == '\0') {
    WARN("SEGKIT_TEST_TRANSFORMERS_JS is not set: the real model ran, its vectors are not compared with transformers.js");
    return;
  }
  const auto work = fs::temp_directory_path() / ("segkit_real_" + std::to_string(::getpid()));
  fs::create_directories(work);
  {
    std::ofstream out(work / "texts.json");
    out << "[";
    for (std::size_t i = 0; i < some.size(); ++i) out << (i ? "," : "") << segkit::json_quote(some[i]);
    out << "]";
  }
  // Node resolves the package from the script's folder: the script runs from a copy in that folder.
  const auto script = fs::path(tjs) / "segkit_embed_with_transformersjs.mjs";
  fs::copy_file(data("embed_with_transformersjs.mjs"), script, fs::copy_options::overwrite_existing);
  const std::string command = "node '" + script.string() + "' '" + dir + "' '" + (work / "texts.json").string() + "' '" + (work / "out.json").string() + "'";
  REQUIRE(std::system(command.c_str()) == 0);
  std::ifstream in(work / "out.json");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto rows = segkit::parse_json(text);
  REQUIRE(rows.as_array().size() == some.size());
  double m = 0.0;
  for (std::size_t i = 0; i < some.size(); ++i) {
    const auto& row = rows.as_array()[i].as_array();
    REQUIRE(row.size() == 384);
    for (std::size_t j = 0; j < 384; ++j) m = std::max(m, std::abs(row[j].as_number() - v(i, j)));
  }
  fs::remove_all(work);
  CHECK(m <= 1e-5);
}
