// Definitions of segkit/embed/model_folder.hpp's functions: included by that header in header-only
// mode, compiled once into segkit_compiled in compiled mode.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/file.hpp"
#include "segkit/core/json.hpp"

namespace segkit::embed {

namespace detail::folder {

inline constexpr std::string_view component = "segkit::embed::model_folder";

/// The JSON document in `path`, or nothing when there is no such file.
inline std::optional<json_value> json_file(const std::filesystem::path& path, std::vector<std::filesystem::path>& read, bool list = false) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  const auto bytes = read_file_bytes(path, component);
  read.push_back(path);
  auto v = parse_json(std::string_view(bytes.data(), bytes.size()), path.string());
  if (list ? !v.is_array() : !v.is_object())
    segkit::detail::throw_format(component, fmt::format("{}: expected a JSON {}", path.string(), list ? "list" : "object"));
  return v;
}

inline const json_value* field(const std::optional<json_value>& doc, std::string_view key) {
  if (!doc) return nullptr;
  const auto& o = doc->as_object();
  const auto it = o.find(std::string(key));
  return it == o.end() || it->second.is_null() ? nullptr : &it->second;
}

inline std::optional<double> number(const std::optional<json_value>& doc, std::string_view key, const std::filesystem::path& path) {
  const auto* v = field(doc, key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number() || v->as_number() < 1) segkit::detail::throw_format(component, fmt::format("{}: '{}' is not a positive number", path.string(), key));
  return v->as_number();
}

inline bool flag(const std::optional<json_value>& doc, std::string_view key, const std::filesystem::path& path) {
  const auto* v = field(doc, key);
  if (v == nullptr) return false;
  if (!v->is_bool()) segkit::detail::throw_format(component, fmt::format("{}: '{}' is not true or false", path.string(), key));
  return v->as_bool();
}

}  // namespace detail::folder

SEGKIT_FUNC text_model_folder read_text_model_folder(const std::filesystem::path& dir) {
  using namespace detail::folder;
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) segkit::detail::throw_io(component, fmt::format("'{}' is not a folder", dir.string()));
  text_model_folder out;
  auto& p = out.params;
  const auto exists = [&](const fs::path& f) { return fs::is_regular_file(f, ec); };

  p.model = exists(dir / "onnx" / "model.onnx") ? dir / "onnx" / "model.onnx" : dir / "model.onnx";
  if (!exists(p.model)) segkit::detail::throw_io(component, fmt::format("'{}' has no onnx/model.onnx or model.onnx", dir.string()));
  out.files.push_back(p.model);

  const auto tokenizer_config = json_file(dir / "tokenizer_config.json", out.files);
  if (exists(dir / "tokenizer.json")) {
    p.tokenizer_json = dir / "tokenizer.json";
  } else if (exists(dir / "vocab.txt")) {
    p.vocab = dir / "vocab.txt";
    const auto* lower = field(tokenizer_config, "do_lower_case");
    p.tokenizer.lower_case = lower == nullptr || !lower->is_bool() || lower->as_bool();
  } else {
    segkit::detail::throw_io(component, fmt::format("'{}' has no tokenizer.json or vocab.txt", dir.string()));
  }
  out.files.push_back(!p.tokenizer_json.empty() ? p.tokenizer_json : p.vocab);

  // sentence-transformers' modules: the Pooling module's folder and whether a Normalize module follows.
  fs::path pooling_dir = dir / "1_Pooling";
  p.normalize = true;
  if (const auto modules = json_file(dir / "modules.json", out.files, true)) {
    p.normalize = false;
    for (const auto& m : modules->as_array()) {
      const std::optional<json_value> entry = m.is_object() ? std::optional<json_value>(m) : std::nullopt;
      const auto* type = field(entry, "type");
      const auto* path = field(entry, "path");
      if (type == nullptr || !type->is_string())
        segkit::detail::throw_format(component, fmt::format("{}: a module without a 'type'", (dir / "modules.json").string()));
      const auto& t = type->as_string();
      if (t.ends_with(".Pooling") && path != nullptr && path->is_string()) pooling_dir = dir / path->as_string();
      if (t.ends_with(".Normalize")) p.normalize = true;
    }
  }

  const auto pooling_file = pooling_dir / "config.json";
  if (const auto pool = json_file(pooling_file, out.files)) {
    for (const char* unsupported : {"pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"}) {
      if (flag(pool, unsupported, pooling_file))
        segkit::detail::throw_format(component, fmt::format("{}: {} is not supported by segkit", pooling_file.string(), unsupported));
    }
    int modes = 0;
    for (const auto& [key, mode] : {std::pair{"pooling_mode_mean_tokens", pooling::mean}, std::pair{"pooling_mode_cls_token", pooling::cls},
                                    std::pair{"pooling_mode_max_tokens", pooling::max}, std::pair{"pooling_mode_mean_sqrt_len_tokens", pooling::mean_sqrt_len}}) {
      if (flag(pool, key, pooling_file)) {
        p.pooling = mode;
        ++modes;
      }
    }
    if (modes > 1)
      segkit::detail::throw_format(component, fmt::format("{}: several pooling modes at once (their vectors concatenated) are not supported by segkit",
                                                          pooling_file.string()));
  }

  const auto st_config = json_file(dir / "sentence_bert_config.json", out.files);
  const auto config = json_file(dir / "config.json", out.files);
  std::size_t max_length = 0;
  if (const auto n = number(st_config, "max_seq_length", dir / "sentence_bert_config.json")) {
    max_length = static_cast<std::size_t>(*n);
  } else if (const auto m = number(tokenizer_config, "model_max_length", dir / "tokenizer_config.json"); m && *m < 100000) {
    max_length = static_cast<std::size_t>(*m);
  } else if (const auto q = number(config, "max_position_embeddings", dir / "config.json")) {
    // RoBERTa-family models reserve 2 positions (padding offset): 514 positions hold 512 tokens.
    const auto* type = field(config, "model_type");
    const bool roberta = type != nullptr && type->is_string() && type->as_string().find("roberta") != std::string::npos;
    max_length = static_cast<std::size_t>(*q) - (roberta && *q > 2 ? 2 : 0);
  } else if (p.tokenizer_json.empty()) {
    max_length = bert_default_max_length;
  }  // else 0: the tokenizer.json's truncation (or none)
  p.tokenizer.max_length = max_length;
  return out;
}

}  // namespace segkit::embed
